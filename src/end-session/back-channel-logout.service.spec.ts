import { Logger } from '@nestjs/common';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT,
  type JSONWebKeySet, type JWTPayload, type JWTVerifyOptions, type JWTVerifyResult,
} from 'jose';
import { Clock } from '../common/clock';
import { ClientStore } from '../stores/client.store';
import type { Client } from '../stores/models';
import { SigningService, type PublishedKeySet, type SignedJwt, type SignOptions } from '../key-management/signing.service';
import type { SigningAlgorithm } from '../config/app-config';
import { BackChannelLogoutService } from './back-channel-logout.service';
import { BACK_CHANNEL_LOGOUT_EVENT } from './logout-token';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

class RealClock extends Clock {
  now(): Date { return new Date(); }
}

/** A real RS256 signer with a JWKS, standing in for key management. */
class FakeSigningService extends SigningService {
  readonly signed: Array<{ payload: JWTPayload; options?: SignOptions }> = [];
  private constructor(private readonly privateKey: PrivateKey, readonly jwks: JSONWebKeySet) { super(); }

  static async create(): Promise<FakeSigningService> {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    return new FakeSigningService(privateKey, { keys: [jwk] });
  }

  async sign(payload: JWTPayload, options?: SignOptions): Promise<SignedJwt> {
    this.signed.push({ payload, options });
    const jwt = await new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: options?.typ }).sign(this.privateKey);
    return { jwt, alg: 'RS256', kid: 'k1' };
  }
  async getPublishedKeySet(): Promise<PublishedKeySet> {
    return { jwks: this.jwks, json: JSON.stringify(this.jwks), etag: '1' };
  }
  async getSigningAlgorithms(): Promise<readonly SigningAlgorithm[]> { return ['RS256']; }
  async verify(jwt: string, options?: JWTVerifyOptions): Promise<JWTVerifyResult> {
    return jwtVerify(jwt, createLocalJWKSet(this.jwks), options);
  }
}

class FakeClientStore extends ClientStore {
  constructor(private readonly clients: readonly Client[]) { super(); }
  async findClientById(clientId: string): Promise<Client | undefined> { return this.clients.find((c) => c.clientId === clientId); }
}

function client(clientId: string, backChannelLogoutUri?: string): Client {
  return {
    clientId, enabled: true, clientSecrets: [], requireClientSecret: false, allowedGrantTypes: ['authorization_code'],
    allowedScopes: ['openid'], redirectUris: [], postLogoutRedirectUris: [], backChannelLogoutUri, requirePkce: true,
    requireConsent: false, allowOfflineAccess: false, accessTokenType: 'jwt', accessTokenLifetime: 3600,
    identityTokenLifetime: 300, authorizationCodeLifetime: 300, deviceCodeLifetime: 300, refreshTokenUsage: 'oneTime',
    refreshTokenReuseInterval: 0, refreshTokenExpiration: 'absolute', absoluteRefreshTokenLifetime: 2592000, slidingRefreshTokenLifetime: 1296000,
    allowedTokenSigningAlgorithms: [], alwaysIncludeUserClaimsInIdToken: false, requirePushedAuthorization: false,
  };
}

interface Received { path: string; contentType?: string; body: URLSearchParams }

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe('BackChannelLogoutService.sendLogoutTokens', () => {
  let server: Server;
  let base: string;
  const received: Received[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      void readBody(req).then((body) => {
        received.push({ path: req.url ?? '', contentType: req.headers['content-type'], body: new URLSearchParams(body) });
        if (req.url === '/fails') res.writeHead(500).end();
        else if (req.url === '/hangs') return; // never answers: the sender's timeout must end it
        else res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => { received.length = 0; });

  it('should POST a verifiable logout token to every session client with a backChannelLogoutUri', async () => {
    const signing = await FakeSigningService.create();
    const svc = new BackChannelLogoutService(
      new FakeClientStore([client('a', `${base}/a`), client('b', `${base}/b`), client('no-uri')]), signing, new RealClock());

    const results = await svc.sendLogoutTokens({ issuer: 'https://idp.test', subjectId: 'alice', sessionId: 'sid-1', clientIds: ['a', 'b', 'no-uri', 'a'] });

    expect(results).toEqual([{ clientId: 'a', ok: true }, { clientId: 'b', ok: true }]);
    expect(received.map((r) => r.path).sort()).toEqual(['/a', '/b']);
    for (const r of received) {
      expect(r.contentType).toBe('application/x-www-form-urlencoded');
      const token = r.body.get('logout_token') ?? '';
      const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(signing.jwks), {
        issuer: 'https://idp.test', audience: r.path.slice(1), typ: 'logout+jwt', requiredClaims: ['iat', 'exp', 'jti'],
      });
      expect(protectedHeader.typ).toBe('logout+jwt');
      expect(payload).toMatchObject({ sub: 'alice', sid: 'sid-1', events: { [BACK_CHANNEL_LOGOUT_EVENT]: {} } });
      expect(payload).not.toHaveProperty('nonce');
    }
  });

  it('when a receiver fails or cannot be reached, should log and still notify the others', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const svc = new BackChannelLogoutService(
        new FakeClientStore([client('bad', `${base}/fails`), client('down', 'http://127.0.0.1:1/x'), client('good', `${base}/good`)]),
        await FakeSigningService.create(), new RealClock());
      const results = await svc.sendLogoutTokens({ issuer: 'https://idp.test', subjectId: 'alice', sessionId: 's', clientIds: ['bad', 'down', 'good'] });
      expect(results).toEqual([{ clientId: 'bad', ok: false }, { clientId: 'down', ok: false }, { clientId: 'good', ok: true }]);
      expect(warn).toHaveBeenCalledTimes(2);
    } finally {
      warn.mockRestore();
    }
  });

  it('when a receiver never answers, should give up after the timeout', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const svc = new BackChannelLogoutService(new FakeClientStore([client('slow', `${base}/hangs`)]), await FakeSigningService.create(), new RealClock());
      const started = Date.now();
      const results = await svc.sendLogoutTokens({ issuer: 'https://idp.test', subjectId: 'alice', sessionId: 's', clientIds: ['slow'] });
      expect(results).toEqual([{ clientId: 'slow', ok: false }]);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      warn.mockRestore();
    }
  }, 15_000);
});

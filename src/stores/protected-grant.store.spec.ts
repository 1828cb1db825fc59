import { z } from 'zod';
import { InMemoryPersistedGrantStore } from '../../test/support/fakes/persisted-grant.fakes';
import { createEphemeralDataProtection } from '../data-protection/ephemeral-data-protection.provider';
import { DATA_PROTECTION_PURPOSES } from '../data-protection/purposes';
import type { PersistedGrant } from './models';
import { ProtectedGrantStore, type ProtectedGrantMetadata } from './protected-grant.store';

interface Ticket {
  readonly v: 1;
  readonly scopes: readonly string[];
  readonly subjectId: string;
}

const ticketSchema: z.ZodType<Ticket, z.ZodTypeDef, unknown> = z.object({ v: z.literal(1), scopes: z.array(z.string()), subjectId: z.string() });
const NOW = new Date('2030-01-01T00:00:00Z');
const metadata: ProtectedGrantMetadata = { key: 'hash-of-handle-7c1', clientId: 'web', subjectId: 'alice', creationTime: NOW };
const ticket: Ticket = { v: 1, scopes: ['openid', 'secret-scope'], subjectId: 'alice' };

/** Records error logs so a spec can count them and read what they reveal. */
class RecordingLogger {
  readonly errors: string[] = [];
  error(message: unknown): void {
    this.errors.push(String(message));
  }
}

function setup(options: { purpose?: (typeof DATA_PROTECTION_PURPOSES)[keyof typeof DATA_PROTECTION_PURPOSES] } = {}) {
  const grants = new InMemoryPersistedGrantStore();
  const { provider } = createEphemeralDataProtection();
  const logger = new RecordingLogger();
  const store = new ProtectedGrantStore(grants, provider, {
    type: 'refresh_token', purpose: options.purpose ?? DATA_PROTECTION_PURPOSES.refreshToken, schema: ticketSchema, logger,
  });
  return { grants, provider, logger, store };
}

/** What a log line must never contain: the stored key (a hash of the handle) or any of the payload. */
function expectNothingSecretIn(line: string | undefined): void {
  expect(line).toBeDefined();
  expect(line).not.toContain(metadata.key);
  expect(line).not.toContain('secret-scope');
}

describe('ProtectedGrantStore', () => {
  it('store then get, should round-trip the payload, keep only metadata in clear, and log nothing', async () => {
    const { grants, logger, store } = setup();
    const stored = await store.store(metadata, ticket);
    expect(stored).toMatchObject({ ...metadata, type: 'refresh_token' });
    expect(grants.rows.get(metadata.key)?.data).not.toContain('secret-scope');
    expect(await store.get(metadata.key)).toEqual({ grant: stored, payload: ticket });
    expect(logger.errors).toEqual([]);
  });

  it('get, when the key is unknown or holds a grant of another type, should read as absent without logging', async () => {
    const { grants, logger, store } = setup();
    expect(await store.get('unknown')).toBeUndefined();
    await grants.store({ ...metadata, type: 'authorization_code', data: 'x' });
    expect(await store.get(metadata.key)).toBeUndefined();
    expect(logger.errors).toEqual([]);
  });

  it('get, when accept refuses the metadata, should read as absent without unprotecting', async () => {
    const { grants, logger, store } = setup();
    await store.store(metadata, ticket);
    const grant = grants.rows.get(metadata.key);
    if (!grant) throw new Error('stored');
    await grants.store({ ...grant, data: 'not a payload' });
    expect(await store.get(metadata.key, () => false)).toBeUndefined();
    expect(logger.errors).toEqual([]);
  });

  it('get, when the payload was tampered with, should read as absent and log one error naming the type and key id', async () => {
    const { grants, logger, store } = setup();
    await store.store(metadata, ticket);
    const grant = grants.rows.get(metadata.key) as PersistedGrant;
    const bytes = Buffer.from(grant.data, 'base64url');
    bytes[bytes.length - 1] ^= 1;
    await grants.store({ ...grant, data: bytes.toString('base64url') });

    expect(await store.get(metadata.key)).toBeUndefined();
    expect(logger.errors).toHaveLength(1);
    expect(logger.errors[0]).toMatch(/^refresh_token payload of client web cannot be unprotected \(tampered-or-wrong-purpose, key [0-9a-f-]{36}\)/);
    expectNothingSecretIn(logger.errors[0]);
  });

  it('get, when the payload does not match the schema, should read as absent and log one error naming the fields', async () => {
    const { grants, provider, logger, store } = setup();
    const data = await provider.createProtector(...DATA_PROTECTION_PURPOSES.refreshToken)
      .protect(JSON.stringify({ v: 1, scopes: 'secret-scope', subjectId: 7 }));
    await grants.store({ ...metadata, type: 'refresh_token', data });

    expect(await store.get(metadata.key)).toBeUndefined();
    expect(logger.errors).toEqual([expect.stringMatching(/^refresh_token payload of client web does not match its schema \(scopes: invalid_type; subjectId: invalid_type\)/)]);
    expectNothingSecretIn(logger.errors[0]);
  });

  it('get, with a fast check, should use it for what it accepts and leave the rest to the schema', async () => {
    const grants = new InMemoryPersistedGrantStore();
    const { provider } = createEphemeralDataProtection();
    const logger = new RecordingLogger();
    // A check that accepts only alice's tickets: bob's well-formed one goes to the schema, which accepts it.
    const accepts = (value: unknown): value is Ticket => (value as Partial<Ticket> | null)?.subjectId === 'alice' && ticketSchema.safeParse(value).success;
    const store = new ProtectedGrantStore(grants, provider, { type: 'refresh_token', purpose: DATA_PROTECTION_PURPOSES.refreshToken, schema: ticketSchema, accepts, logger });
    const protector = provider.createProtector(...DATA_PROTECTION_PURPOSES.refreshToken);
    await store.store(metadata, ticket);
    await store.store({ ...metadata, key: 'bob' }, { ...ticket, subjectId: 'bob' });
    await grants.store({ ...metadata, key: 'bad', type: 'refresh_token', data: await protector.protect(JSON.stringify({ v: 1, scopes: 'x', subjectId: 7 })) });

    expect((await store.get(metadata.key))?.payload).toEqual(ticket);
    expect((await store.get('bob'))?.payload).toEqual({ ...ticket, subjectId: 'bob' });
    expect(await store.get('bad')).toBeUndefined();
    expect(logger.errors).toEqual([expect.stringMatching(/does not match its schema \(scopes: invalid_type; subjectId: invalid_type\)/)]);
  });

  it('get, when the payload is not JSON, should read as absent and log one error', async () => {
    const { grants, provider, logger, store } = setup();
    const data = await provider.createProtector(...DATA_PROTECTION_PURPOSES.refreshToken).protect('secret-scope{');
    await grants.store({ ...metadata, type: 'refresh_token', data });
    expect(await store.get(metadata.key)).toBeUndefined();
    expect(logger.errors).toEqual([expect.stringMatching(/is not JSON/)]);
    expectNothingSecretIn(logger.errors[0]);
  });

  it('get, when the payload\'s key is missing from the ring, should read as absent and log one error naming that key', async () => {
    const { grants, logger, store } = setup();
    const elsewhere = createEphemeralDataProtection();
    const data = await elsewhere.provider.createProtector(...DATA_PROTECTION_PURPOSES.refreshToken).protect(JSON.stringify(ticket));
    await grants.store({ ...metadata, type: 'refresh_token', data });
    const [foreignKey] = await elsewhere.store.loadAll();

    expect(await store.get(metadata.key)).toBeUndefined();
    expect(logger.errors).toHaveLength(1);
    expect(logger.errors[0]).toContain(`cannot be unprotected (key-not-found, key ${foreignKey.id})`);
    expectNothingSecretIn(logger.errors[0]);
  });

  it('get, when the payload was protected under another purpose, should read as absent (purposes are isolated)', async () => {
    const consent = setup({ purpose: DATA_PROTECTION_PURPOSES.userConsent });
    const refresh = new ProtectedGrantStore(consent.grants, consent.provider, {
      type: 'refresh_token', purpose: DATA_PROTECTION_PURPOSES.refreshToken, schema: ticketSchema, logger: consent.logger,
    });
    // Same type and key, so only the purpose tells them apart.
    await consent.store.store(metadata, ticket);
    expect(await refresh.get(metadata.key)).toBeUndefined();
    expect(consent.logger.errors).toEqual([expect.stringContaining('cannot be unprotected (tampered-or-wrong-purpose')]);
    expect(await consent.store.get(metadata.key)).toMatchObject({ payload: ticket });
  });

  it('get, when the grant store itself fails, should let the error through (an outage is not a bad payload)', async () => {
    const { grants, store } = setup();
    grants.get = () => Promise.reject(new Error('database unreachable'));
    await expect(store.get(metadata.key)).rejects.toThrow('database unreachable');
  });
});

describe('DATA_PROTECTION_PURPOSES', () => {
  // Stored payloads and cookies in the wild were protected under these exact chains.
  it('should keep every purpose chain byte-identical to what earlier versions protected under', () => {
    expect(DATA_PROTECTION_PURPOSES).toEqual({
      signingKeys: ['SigningKeys'],
      authorizationCode: ['persisted-grant', 'authorization_code'],
      refreshToken: ['persisted-grant', 'refresh_token'],
      referenceToken: ['persisted-grant', 'reference_token'],
      userConsent: ['consent', 'user_consent'],
      deviceCode: ['device-flow', 'device-code'],
      authorizeContext: ['authorize', 'context'],
      deviceInteraction: ['device-flow', 'interaction'],
      endSessionContext: ['end-session', 'logout-context'],
      antiforgery: ['ui', 'antiforgery'],
      sessionCookie: ['sessions', 'cookie'],
      sessionTicket: ['sessions', 'ticket'],
      externalProviderSecret: ['configuration', 'external-provider', 'client-secret'],
      externalSignInState: ['external-sign-in', 'state'],
    });
  });
});

import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Clock } from '../common/clock';
import { ClientStore } from '../stores/client.store';
import type { Client } from '../stores/models';
import { SigningService } from '../key-management/signing.service';
import { buildLogoutTokenClaims, LOGOUT_TOKEN_TYPE } from './logout-token';

/** A slow or dead relying party must not hold anything up for long. */
export const BACK_CHANNEL_LOGOUT_TIMEOUT_MS = 5_000;

export interface LoggedOutSession {
  readonly issuer: string;
  readonly subjectId: string;
  readonly sessionId: string;
  /** the clients that took part in the session */
  readonly clientIds: readonly string[];
}

export interface BackChannelLogoutResult {
  readonly clientId: string;
  readonly ok: boolean;
}

/**
 * Notifies every client of an ended session that registered a backChannelLogoutUri
 * (OIDC Back-Channel Logout 1.0 §2.5): one signed logout token per client, POSTed as the
 * `logout_token` form parameter. Failures are logged and reported, never thrown: a relying party
 * that is down must not stop the user from logging out.
 */
@Injectable()
export class BackChannelLogoutService {
  private readonly logger = new Logger(BackChannelLogoutService.name);

  constructor(
    private readonly clients: ClientStore,
    private readonly signing: SigningService,
    private readonly clock: Clock,
  ) {}

  /** Sends to all clients at once; resolves when each has answered, failed or timed out. */
  async sendLogoutTokens(session: LoggedOutSession): Promise<readonly BackChannelLogoutResult[]> {
    const clients = await this.findNotifiableClients(session.clientIds);
    return Promise.all(clients.map((client) => this.notify(client, session)));
  }

  /** Fire-and-forget for request paths: the user's logout never waits for relying parties. */
  sendInBackground(session: LoggedOutSession): void {
    this.sendLogoutTokens(session).catch((error: unknown) =>
      this.logger.error({ err: error, sid: session.sessionId }, 'back-channel logout failed'));
  }

  private async findNotifiableClients(clientIds: readonly string[]): Promise<Client[]> {
    const found: Client[] = [];
    for (const clientId of new Set(clientIds)) {
      const client = await this.clients.findClientById(clientId);
      if (client?.enabled && client.backChannelLogoutUri) found.push(client);
    }
    return found;
  }

  private async notify(client: Client, session: LoggedOutSession): Promise<BackChannelLogoutResult> {
    const uri = client.backChannelLogoutUri ?? '';
    try {
      const { jwt } = await this.signing.sign(
        buildLogoutTokenClaims({
          issuer: session.issuer,
          clientId: client.clientId,
          subjectId: session.subjectId,
          sessionId: session.sessionId,
          now: this.clock.now(),
          jti: randomUUID(),
        }),
        { typ: LOGOUT_TOKEN_TYPE, allowedAlgorithms: [client.allowedTokenSigningAlgorithms] },
      );
      const response = await fetch(uri, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ logout_token: jwt }).toString(),
        signal: AbortSignal.timeout(BACK_CHANNEL_LOGOUT_TIMEOUT_MS),
        redirect: 'manual',
      });
      // Back-Channel Logout 1.0 §2.8: 200 (or 204) on success; the body is not needed.
      await response.body?.cancel();
      if (!response.ok) {
        this.logger.warn({ clientId: client.clientId, uri, status: response.status }, 'back-channel logout was refused');
        return { clientId: client.clientId, ok: false };
      }
      return { clientId: client.clientId, ok: true };
    } catch (error: unknown) {
      this.logger.warn({ clientId: client.clientId, uri, err: error instanceof Error ? error.message : String(error) },
        'back-channel logout could not be delivered');
      return { clientId: client.clientId, ok: false };
    }
  }
}

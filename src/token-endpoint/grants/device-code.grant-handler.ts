import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { DeviceCodeService } from '../../device-flow/device-code.service';
import type { DeviceAuthorization } from '../../device-flow/device-authorization';
import { DeviceFlowThrottlingService } from '../../device-flow/device-flow-throttling.service';
import {
  AccessDeniedError, AuthorizationPendingError, ExpiredTokenError, InvalidGrantError, InvalidRequestError, SlowDownError,
} from '../../protocol/protocol-errors';
import { AttemptCounterStore } from '../../stores/attempt-counter.store';
import { GRANT_TYPES } from '../../stores/models';
import { UserTokenResponseGenerator } from '../user-token-response.generator';
import { GrantHandler, GrantType, type TokenRequest, type TokenResponse } from './grant-handler';

export type DeviceCodeState = 'expired' | 'pending' | 'denied' | 'approved';

/** Where a device authorization stands now (pure; RFC 8628 §3.5 error order after throttling). */
export function deviceCodeState(authorization: Pick<DeviceAuthorization, 'expiration' | 'data'>, now: Date): DeviceCodeState {
  if (authorization.expiration.getTime() <= now.getTime()) return 'expired';
  const decision = authorization.data.decision;
  if (!decision) return 'pending';
  return decision.approved ? 'approved' : 'denied';
}

/**
 * RFC 8628 §3.4–3.5 device_code grant: the device polls until the user decides. Polling faster
 * than the interval answers slow_down (counted in Redis or the shared database, so it holds
 * across instances); the code works once.
 */
@Injectable()
@GrantType(GRANT_TYPES.deviceCode)
export class DeviceCodeGrantHandler extends GrantHandler {
  constructor(
    private readonly deviceCodes: DeviceCodeService,
    private readonly throttling: DeviceFlowThrottlingService,
    private readonly counters: AttemptCounterStore,
    private readonly responses: UserTokenResponseGenerator,
    private readonly clock: Clock,
  ) {
    super();
  }

  async handle({ params, client: authenticated, origin }: TokenRequest): Promise<TokenResponse> {
    const client = authenticated.client;
    const deviceCode = params.device_code;
    if (deviceCode === undefined) throw new InvalidRequestError('device_code is missing');

    const authorization = await this.deviceCodes.findByDeviceCode(deviceCode);
    // RFC 8628 §3.5: the code is bound to the client that requested it.
    if (!authorization || authorization.clientId !== client.clientId) throw new InvalidGrantError('the device code is invalid');

    const now = this.clock.now();
    const state = deviceCodeState(authorization, now);
    if (state === 'expired') throw new ExpiredTokenError();
    if (await this.throttling.shouldSlowDown(authorization.deviceCodeHash, authorization.expiration)) throw new SlowDownError();
    if (state === 'pending') throw new AuthorizationPendingError();
    if (state === 'denied') {
      await this.deviceCodes.remove(authorization);
      throw new AccessDeniedError('the user denied the authorization');
    }

    const decision = authorization.data.decision;
    if (!decision?.approved) throw new AuthorizationPendingError();
    // One-time: of several polls racing on an approved code only one gets the tokens, on any
    // instance: one atomic count where every instance counts (Redis, or the shared database
    // without it), not a per-process cache, and the removal below cannot tell who won.
    const redemptions = await this.counters.increment(`device-flow:redeemed:${authorization.deviceCodeHash}`,
      Math.max(authorization.expiration.getTime() - now.getTime(), 1_000));
    if (redemptions !== 1) throw new InvalidGrantError('the device code has already been used');
    await this.deviceCodes.remove(authorization);

    // No nonce: RFC 8628 has no authorization request to carry one. No resource parameter either.
    return this.responses.createResponse({
      client,
      origin,
      subjectId: decision.subjectId,
      sessionId: decision.sessionId,
      authTime: new Date(decision.authTime),
      amr: decision.amr,
      idp: decision.idp,
      scopes: decision.scopes,
      refresh: { kind: 'new-family' },
    });
  }
}

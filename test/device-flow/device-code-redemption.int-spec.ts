import type { DeviceAuthorization } from '../../src/device-flow/device-authorization';
import type { DeviceCodeService } from '../../src/device-flow/device-code.service';
import type { DeviceFlowThrottlingService } from '../../src/device-flow/device-flow-throttling.service';
import { DeviceCodeGrantHandler } from '../../src/token-endpoint/grants/device-code.grant-handler';
import type { TokenRequest } from '../../src/token-endpoint/grants/grant-handler';
import type { UserTokenResponseGenerator } from '../../src/token-endpoint/user-token-response.generator';
import type { AttemptCounterStore } from '../../src/stores/attempt-counter.store';
import { AttemptCounterEntity, TypeOrmAttemptCounterStore } from '../../src/stores/typeorm';
import { FakeClock } from '../support/fakes/fake-clock';
import { STORE_DATABASES } from '../support/store-databases';

const now = new Date('2026-01-01T12:00:00Z');
const approved: DeviceAuthorization = {
  deviceCodeHash: 'hash-of-the-device-code', clientId: 'tv', creationTime: now, expiration: new Date(now.getTime() + 600_000),
  data: { v: 1, clientId: 'tv', requestedScopes: ['api1'], decision: { approved: true, subjectId: 'alice', sessionId: 's', authTime: now.getTime(), amr: ['pwd'], scopes: ['api1'] } },
};
const request = { params: { device_code: 'the-device-code' }, client: { client: { clientId: 'tv' } }, origin: {} } as unknown as TokenRequest;

/**
 * One instance's device_code grant: each has its own view of the code (both find it approved
 * before either removes it) and no Redis; what they share is the database and its counters.
 */
function instance(counters: AttemptCounterStore): DeviceCodeGrantHandler {
  const deviceCodes = { findByDeviceCode: async () => approved, remove: async () => undefined } as unknown as DeviceCodeService;
  const neverSlowDown = { shouldSlowDown: async () => false } as unknown as DeviceFlowThrottlingService;
  const responses = { createResponse: async () => ({ access_token: 'issued', token_type: 'Bearer' }) } as unknown as UserTokenResponseGenerator;
  return new DeviceCodeGrantHandler(deviceCodes, neverSlowDown, counters, responses, new FakeClock(now));
}

/** RFC 8628 §3.5 / docs/endpoints.md: an approved device code gives tokens once, whichever instances it is polled on. */
for (const database of STORE_DATABASES) {
  if (database.skipReason !== undefined) {
    it.skip(`device code redemption on ${database.name}: ${database.skipReason}`, () => undefined);
    continue;
  }
  it(`an approved device code polled at once on two instances sharing ${database.name} without Redis, should give the tokens to one only`, async () => {
    const opened = await database.open();
    try {
      const counters = new TypeOrmAttemptCounterStore(opened.dataSource.getRepository(AttemptCounterEntity), new FakeClock(now));
      const outcomes = await Promise.allSettled([instance(counters).handle(request), instance(counters).handle(request), instance(counters).handle(request)]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      for (const lost of outcomes.filter((o) => o.status === 'rejected')) {
        expect(lost.reason).toMatchObject({ error: 'invalid_grant', message: expect.stringContaining('already been used') });
      }
    } finally {
      await opened.close();
    }
  });
}

import { DeviceFlowThrottlingService } from '../../src/device-flow/device-flow-throttling.service';
import { AttemptCounterEntity, TypeOrmAttemptCounterStore } from '../../src/stores/typeorm';
import { FakeClock } from '../support/fakes/fake-clock';
import { describePollingThrottle } from '../support/polling-throttle.contract';
import { STORE_DATABASES } from '../support/store-databases';

/**
 * The polling throttle with its counters in the database (no REDIS_URL): the windows of the
 * `attempt_counters` rows end on the application clock, so a fake one moves time without waiting.
 */
for (const database of STORE_DATABASES) {
  if (database.skipReason !== undefined) {
    it.skip(`DeviceFlowThrottlingService on ${database.name}: ${database.skipReason}`, () => undefined);
    continue;
  }
  describePollingThrottle(`DeviceFlowThrottlingService on TypeOrmAttemptCounterStore (${database.name})`, async () => {
    const opened = await database.open();
    const clock = new FakeClock();
    const counters = new TypeOrmAttemptCounterStore(opened.dataSource.getRepository(AttemptCounterEntity), clock);
    return { throttling: new DeviceFlowThrottlingService(counters, clock), clock, close: () => opened.close() };
  });

  it(`DeviceFlowThrottlingService on ${database.name}, should leave rows that the cleanup removes once the device code has expired`, async () => {
    const opened = await database.open();
    try {
      const clock = new FakeClock();
      const repository = opened.dataSource.getRepository(AttemptCounterEntity);
      const counters = new TypeOrmAttemptCounterStore(repository, clock);
      const throttling = new DeviceFlowThrottlingService(counters, clock);
      const expiration = new Date(clock.now().getTime() + 300_000);
      expect(await throttling.shouldSlowDown('hash-of-the-device-code', expiration)).toBe(false);
      expect(await throttling.shouldSlowDown('hash-of-the-device-code', expiration)).toBe(true);
      expect((await repository.find()).map((row) => row.key).sort()).toEqual([
        'device-flow:polls:hash-of-the-device-code',
        'device-flow:slow-downs:hash-of-the-device-code',
        'device-flow:wait:hash-of-the-device-code:1',
      ]);
      // The windows end on the application clock; nothing outlives the device code.
      expect(await counters.removeExpired(new Date(expiration.getTime() - 1), 10)).toBe(2);
      expect(await counters.removeExpired(new Date(expiration.getTime() + 1), 10)).toBe(1);
      expect(await repository.count()).toBe(0);
    } finally {
      await opened.close();
    }
  });
}

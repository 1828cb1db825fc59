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
}

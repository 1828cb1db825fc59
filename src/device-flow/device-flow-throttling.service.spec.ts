import { InMemoryDistributedCache } from '../caching/in-memory-distributed-cache';
import { CacheAttemptCounterStore } from '../stores/attempt-counter.store';
import { FakeClock } from '../../test/support/fakes/fake-clock';
import { DeviceFlowThrottlingService } from './device-flow-throttling.service';
import { describePollingThrottle } from '../../test/support/polling-throttle.contract';

/** The throttle on this process's counters (no REDIS_URL and one instance, or unit tests). */
describePollingThrottle('DeviceFlowThrottlingService on the in-process counters', async () => {
  const clock = new FakeClock();
  const cache = new InMemoryDistributedCache(clock);
  return {
    throttling: new DeviceFlowThrottlingService(new CacheAttemptCounterStore(cache), clock),
    clock,
    close: async () => cache.onModuleDestroy(),
  };
});

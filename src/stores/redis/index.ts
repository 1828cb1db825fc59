export { RedisOperationalConnection } from './redis-operational-connection';
export { RedisPersistedGrantStore } from './redis-persisted-grant.store';
export { DEVICE_CODE_EXPIRED_GRACE_MS, RedisDeviceFlowStore } from './redis-device-flow.store';
export { RedisServerSideSessionStore } from './redis-server-side-session.store';

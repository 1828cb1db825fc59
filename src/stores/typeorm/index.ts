export { TypeOrmPersistedGrantStore } from './typeorm-persisted-grant.store';
export { TypeOrmDeviceFlowStore } from './typeorm-device-flow.store';
export { TypeOrmServerSideSessionStore } from './typeorm-server-side-session.store';
export { PersistedGrantEntity } from './persisted-grant.entity';
export { DeviceCodeEntity } from './device-code.entity';
export { ServerSideSessionEntity } from './server-side-session.entity';
export { UserLinkEntity } from './user-link.entity';
export { TypeOrmUserLinkStore } from './typeorm-user-link.store';
export { AttemptCounterEntity } from './attempt-counter.entity';
export { TypeOrmAttemptCounterStore } from './typeorm-attempt-counter.store';

/** Entities of the operational stores, registered with TypeOrmModule.forFeature. */
export { OPERATIONAL_STORE_ENTITIES } from './operational-store.entities';

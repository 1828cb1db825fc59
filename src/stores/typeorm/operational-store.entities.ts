import { AttemptCounterEntity } from './attempt-counter.entity';
import { DeviceCodeEntity } from './device-code.entity';
import { PersistedGrantEntity } from './persisted-grant.entity';
import { ServerSideSessionEntity } from './server-side-session.entity';

export const OPERATIONAL_STORE_ENTITIES = [PersistedGrantEntity, DeviceCodeEntity, ServerSideSessionEntity, AttemptCounterEntity];

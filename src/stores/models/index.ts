export * from './client.model';
export * from './resource.model';
export * from './user.model';
export * from './persisted-grant.model';
export * from './device-code.model';
export * from './server-side-session.model';
export * from './signing-key.model';

import { Module, type DynamicModule } from '@nestjs/common';
import type { CliCommand } from '../common/cli-command';
import { WriteAccess } from '../common/write-access';
import type { AppConfig } from '../config/app-config';
import { ConfigModule } from '../config/config.module';
import { DatabaseModule } from '../database/database.module';
import { ReadOnlyDatabaseModule } from '../database/read-only-database.module';
import { IdentityServerSeamsModule } from '../identity-server-seams.module';
import { seamBindingsOf, type IdentityServerOptions } from '../identity-server.module';

/**
 * What one admin command runs in: the settings, the database, the seams bound as the server binds
 * them (the configuration file is validated against the same grant registry), and only the
 * modules the command declares — no HTTP, no schedulers. A read-only command gets the read-only
 * database (never migrated) and WriteAccess.readOnly, so the key ring and the KeyManager read
 * what is there instead of creating their first keys.
 */
@Module({})
export class CliModule {
  static forCommand(command: CliCommand, config: AppConfig, options: IdentityServerOptions): DynamicModule {
    const readOnly = command.access === 'read-only';
    return {
      module: CliModule,
      // Global so that the feature modules the command imports see WriteAccess.
      global: true,
      imports: [
        ConfigModule.forRoot(config),
        readOnly ? ReadOnlyDatabaseModule : DatabaseModule,
        IdentityServerSeamsModule.forRoot(seamBindingsOf(options)),
        ...(command.imports ?? []),
      ],
      providers: [{ provide: WriteAccess, useValue: readOnly ? WriteAccess.readOnly : WriteAccess.readWrite }, ...(command.providers ?? [])],
      exports: [WriteAccess],
    };
  }
}

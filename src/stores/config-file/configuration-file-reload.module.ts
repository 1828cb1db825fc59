import { Module } from '@nestjs/common';
import { ConfigurationFileWatcher } from './configuration-file.watcher';

/**
 * Watches CONFIG_FILE while the server runs (docs/configuration-file.md, "Reloading"). Imported
 * by the server only: CLI commands read the file once and exit.
 */
@Module({ providers: [ConfigurationFileWatcher], exports: [ConfigurationFileWatcher] })
export class ConfigurationFileReloadModule {}

import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { IdentityConfigurationHolder } from '../stores/config-file';
import { productionWarnings } from './production-warnings';

/**
 * Logs productionWarnings, one warn line each, when the server has started, and again for each
 * version of the configuration file reloaded while it runs (the file is what most of them name).
 */
@Injectable()
export class StartupWarningsService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('StartupWarnings');
  private unsubscribe?: () => void;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly identity: IdentityConfigurationHolder,
  ) {}

  onApplicationBootstrap(): void {
    for (const warning of productionWarnings(this.config, this.identity.current)) this.logger.warn(warning);
    this.unsubscribe = this.identity.onReplaced((next) => {
      for (const warning of productionWarnings(this.config, next)) this.logger.warn(warning);
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }
}

import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { IDENTITY_CONFIGURATION, type IdentityConfiguration } from '../stores/config-file';
import { productionWarnings } from './production-warnings';

/** Logs productionWarnings once, one warn line each, when the server has started. */
@Injectable()
export class StartupWarningsService implements OnApplicationBootstrap {
  private readonly logger = new Logger('StartupWarnings');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(IDENTITY_CONFIGURATION) private readonly identity: IdentityConfiguration,
  ) {}

  onApplicationBootstrap(): void {
    for (const warning of productionWarnings(this.config, this.identity)) this.logger.warn(warning);
  }
}

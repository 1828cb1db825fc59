import { Injectable } from '@nestjs/common';
import type { IdentityConfiguration } from './identity-config.loader';
import type { Resources } from '../models';
import { ResourceStore } from '../resource.store';
import { IdentityConfigurationHolder } from './identity-configuration.holder';

/**
 * Identity resources, API scopes and API resources from the configuration file's current
 * version: one object per version, so callers comparing by identity see a change only on reload.
 */
@Injectable()
export class ConfigFileResourceStore extends ResourceStore {
  private built?: { readonly of: IdentityConfiguration; readonly all: Resources };

  constructor(private readonly holder: IdentityConfigurationHolder) {
    super();
  }

  override async getAllResources(): Promise<Resources> {
    const current = this.holder.current;
    if (this.built?.of !== current) {
      this.built = {
        of: current,
        all: Object.freeze({
          identityResources: current.identityResources,
          apiScopes: current.apiScopes,
          apiResources: current.apiResources,
        }),
      };
    }
    return this.built.all;
  }
}

import { Inject, Injectable } from '@nestjs/common';
import type { IdentityConfiguration } from './identity-config.loader';
import type { Resources } from '../models';
import { ResourceStore } from '../resource.store';
import { IDENTITY_CONFIGURATION } from './identity-configuration.provider';

/** Identity resources, API scopes and API resources from the configuration file, read once. */
@Injectable()
export class ConfigFileResourceStore extends ResourceStore {
  private readonly all: Resources;

  constructor(@Inject(IDENTITY_CONFIGURATION) configuration: IdentityConfiguration) {
    super();
    this.all = Object.freeze({
      identityResources: configuration.identityResources,
      apiScopes: configuration.apiScopes,
      apiResources: configuration.apiResources,
    });
  }

  override async getAllResources(): Promise<Resources> {
    return this.all;
  }
}

import { Global, Module, type DynamicModule, type InjectionToken, type ModuleMetadata, type Provider } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { defaultDistributedCacheProvider } from './caching/distributed-cache.defaults';
import { Clock, SystemClock } from './common/clock';
import { DataProtectionKeyEntity } from './data-protection/data-protection-key.entity';
import { defaultDataProtectionKeyStoreProvider } from './data-protection/data-protection-key-store.defaults';
import { SigningKeyEntity } from './key-management/signing-key.entity';
import { defaultSigningKeyStoreProvider } from './key-management/signing-key-store.defaults';
import { ErrorPageRenderer } from './protocol/error-page-renderer';
import { SupportedGrantTypes } from './protocol/grant-types';
import { ConfigurationReloadMetrics, identityConfigurationHolderProvider, identityConfigurationProvider } from './stores/config-file';
import { DEFAULT_STORE_PROVIDERS } from './stores/store.defaults';
import { OPERATIONAL_STORE_ENTITIES, UserLinkEntity } from './stores/typeorm';
import { CONFIGURATION_STORE_ENTITIES, DatabaseConfiguration } from './stores/typeorm-config';
import { DefaultUi } from './ui/default.ui';
import { Ui } from './ui/ui';

/**
 * Every seam with its default binding, in one list: the stores, the key stores, the cache, the
 * clock, the pages and the error page. Each default is used only where the integrator's
 * `providers` bind nothing under its token (Duende's TryAdd).
 */
const SEAM_DEFAULTS: readonly Provider[] = [
  { provide: Clock, useClass: SystemClock },
  defaultDistributedCacheProvider,
  ...DEFAULT_STORE_PROVIDERS,
  defaultSigningKeyStoreProvider,
  defaultDataProtectionKeyStoreProvider,
  { provide: Ui, useClass: DefaultUi },
  // The error page follows the Ui, whichever is bound, unless a renderer of its own is.
  { provide: ErrorPageRenderer, useExisting: Ui },
];

/** Tables the defaults use; registered whatever is replaced, so migrations and the CLI see them all. */
const ENTITIES = [...OPERATIONAL_STORE_ENTITIES, ...CONFIGURATION_STORE_ENTITIES, UserLinkEntity, SigningKeyEntity, DataProtectionKeyEntity];

/** The token a provider binds. */
export function tokenOf(provider: Provider): InjectionToken {
  return typeof provider === 'function' ? provider : provider.provide;
}

export interface SeamBindings {
  /** the integrator's providers (IdentityServerOptions.providers) */
  readonly providers: readonly Provider[];
  /** the integrator's modules their providers inject from (IdentityServerOptions.imports) */
  readonly imports: NonNullable<ModuleMetadata['imports']>;
  /** the registry of grant names computed by forRoot */
  readonly grantTypes: SupportedGrantTypes;
}

/**
 * The composition module: binds every seam, from the integrator's providers or the defaults, and
 * is global so that every feature module injects a seam without knowing who bound it.
 *
 * Why one global module and not overrides: Nest resolves a token from the module's own providers,
 * then its imports, then global modules — a feature module cannot see a module it does not
 * import, and two global bindings of one token win by registration order. Here each token is
 * bound exactly once, in one place, so there is no order to know. The integrator's `imports` are
 * imported here, which is what lets their providers depend on non-global modules of their own.
 * Besides this module only configuration, logging, metrics and the default LoginContextDescriber
 * (src/login-context.module.ts, which needs feature modules the admin CLI does not load) are global.
 */
@Global()
@Module({})
export class IdentityServerSeamsModule {
  static forRoot(bindings: SeamBindings): DynamicModule {
    const bound = new Set(bindings.providers.map(tokenOf));
    const defaults = SEAM_DEFAULTS.filter((provider) => !bound.has(tokenOf(provider)));
    const providers: Provider[] = [
      identityConfigurationHolderProvider,
      identityConfigurationProvider,
      ConfigurationReloadMetrics,
      // The database configuration store's cache; idle unless CONFIGURATION_STORE=database.
      DatabaseConfiguration,
      { provide: SupportedGrantTypes, useValue: bindings.grantTypes },
      ...bindings.providers,
      ...defaults,
    ];
    return {
      module: IdentityServerSeamsModule,
      imports: [TypeOrmModule.forFeature(ENTITIES), ...bindings.imports],
      providers,
      exports: providers.map(tokenOf),
    };
  }
}

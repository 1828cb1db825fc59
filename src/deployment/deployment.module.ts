import { Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataProtectionModule } from '../data-protection/data-protection.module';
import { HealthModule } from '../health/health.module';
import { HostingModule } from '../hosting/hosting.module';
import { KeyManagementModule } from '../key-management/key-management.module';
import { KeyManagerModule } from '../key-management/key-manager.module';
import { DataProtectionPersistenceCheck } from './checks/data-protection-persistence.check';
import { FleetCheck } from './checks/fleet.check';
import { ForwardedHeadersCheck } from './checks/forwarded-headers.check';
import { IssuerSchemeCheck } from './checks/issuer-scheme.check';
import { KeyFolderGitCheck } from './checks/key-folder-git.check';
import { KeyRingEncryptionCheck } from './checks/key-ring-encryption.check';
import { KeysReadableCheck } from './checks/keys-readable.check';
import { RedisPersistenceCheck } from './checks/redis-persistence.check';
import type { DeploymentCheck } from './deployment-check';
import { DEPLOYMENT_CHECKS, DeploymentCheckRunner } from './deployment-check.runner';
import { DeploymentHealthIndicator } from './deployment.health';
import { InstanceHeartbeatService } from './instance-heartbeat.service';
import { InstanceIdentity } from './instance-identity';
import { InstanceRegistry } from './instance-registry';
import { InstanceEntity } from './instance.entity';
import { LiveInstancesReader } from './live-instances.reader';

/**
 * Every deployment check, in the order findings are listed (docs/deployment.md, "Checking a
 * deployment"). Adding a check is one line here: a class extending DeploymentCheck, whose
 * dependencies come from the modules imported below.
 */
export const DEPLOYMENT_CHECK_CLASSES: readonly Type<DeploymentCheck>[] = [
  DataProtectionPersistenceCheck,
  KeyRingEncryptionCheck,
  KeysReadableCheck,
  KeyFolderGitCheck,
  ForwardedHeadersCheck,
  IssuerSchemeCheck,
  FleetCheck,
  RedisPersistenceCheck,
];

/** What the server and `doctor` share: the checks, the runner, the registry reader, and the modules checks read from. */
function common(): { imports: DynamicModule['imports']; providers: Provider[] } {
  return {
    imports: [TypeOrmModule.forFeature([InstanceEntity]), DataProtectionModule, KeyManagerModule],
    providers: [
      InstanceRegistry,
      LiveInstancesReader,
      ...DEPLOYMENT_CHECK_CLASSES,
      { provide: DEPLOYMENT_CHECKS, inject: [...DEPLOYMENT_CHECK_CLASSES], useFactory: (...checks: DeploymentCheck[]) => checks },
      DeploymentCheckRunner,
    ],
  };
}

/**
 * The deployment checks (docs/cli.md `doctor`, docs/health.md `deployment`) and the instance
 * registry. The server (`forServer`) records its heartbeat, counts forwarded headers from
 * untrusted proxies (HostingModule) and registers the `deployment` indicator; `doctor`
 * (`forCli`) only reads: no heartbeat, no indicator.
 */
@Module({})
export class DeploymentModule {
  static forServer(): DynamicModule {
    const { imports, providers } = common();
    return {
      module: DeploymentModule,
      // KeyManagementModule: checks may inject the SigningService the server signs with (@Optional in the CLI).
      imports: [...(imports ?? []), HostingModule, HealthModule, KeyManagementModule],
      providers: [...providers, { provide: InstanceIdentity, useFactory: () => new InstanceIdentity() }, InstanceHeartbeatService, DeploymentHealthIndicator],
      exports: [DeploymentCheckRunner, InstanceRegistry, InstanceHeartbeatService],
    };
  }

  static forCli(): DynamicModule {
    const { imports, providers } = common();
    return { module: DeploymentModule, imports, providers, exports: [DeploymentCheckRunner, InstanceRegistry] };
  }
}

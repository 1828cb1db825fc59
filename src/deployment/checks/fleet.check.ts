import { Injectable } from '@nestjs/common';
import { DeploymentCheck, type DoctorFinding } from '../deployment-check';
import type { InstanceRow } from '../instance.entity';
import { LiveInstancesReader } from '../live-instances.reader';

export const IN_PROCESS_CACHE_WITH_SEVERAL_INSTANCES = 'in-process-cache-with-several-instances';
export const INSTANCES_DISAGREE_ON_APPLICATION_NAME = 'instances-disagree-on-application-name';
export const INSTANCES_DISAGREE_ON_KEY_RING = 'instances-disagree-on-key-ring';

function describeInstance(row: InstanceRow): string {
  return `${row.host} (${row.id.slice(0, 8)})`;
}

function groupBy<K>(rows: readonly InstanceRow[], key: (row: InstanceRow) => K): Map<K, InstanceRow[]> {
  const groups = new Map<K, InstanceRow[]>();
  for (const row of rows) groups.set(key(row), [...(groups.get(key(row)) ?? []), row]);
  return groups;
}

/**
 * What the live instances of one database say about the fleet: a cache private to a process
 * where several instances share the grants (replay detection and pushed requests do not hold
 * across them), and instances that do not share one application name or one key ring (each
 * cannot read what the others protected).
 */
export function fleetFindings(live: readonly InstanceRow[]): DoctorFinding[] {
  const findings: DoctorFinding[] = [];
  const inProcess = live.filter((row) => row.cacheKind === 'in-process');
  if (live.length > 1 && inProcess.length > 0) {
    findings.push({
      id: IN_PROCESS_CACHE_WITH_SEVERAL_INSTANCES,
      severity: 'error',
      message: `${live.length} instances share this database but ${inProcess.map(describeInstance).join(', ')} `
        + `${inProcess.length === 1 ? 'uses its own' : 'use their own'} in-process cache: a client assertion used on one instance `
        + 'can be replayed on another, and a pushed authorization request is unknown to the others.',
      fix: 'Set REDIS_URL to one Redis shared by every instance (docs/deployment.md#several-instances).',
    });
  }
  const byName = groupBy(live, (row) => row.applicationName);
  if (byName.size > 1) {
    findings.push({
      id: INSTANCES_DISAGREE_ON_APPLICATION_NAME,
      severity: 'error',
      message: `Live instances of this database use different DATA_PROTECTION_APPLICATION_NAME values: `
        + `${[...byName].map(([name, rows]) => `"${name}" on ${rows.map(describeInstance).join(', ')}`).join('; ')}. `
        + 'Each cannot read the sessions, grants and keys the others protected.',
      fix: 'Give every instance the same DATA_PROTECTION_APPLICATION_NAME (docs/deployment.md#data-protection).',
    });
  }
  for (const [name, rows] of byName) {
    const rings = groupBy(rows, (row) => row.keyRingId);
    if (rings.size < 2) continue;
    findings.push({
      id: INSTANCES_DISAGREE_ON_KEY_RING,
      severity: 'error',
      message: `Live instances of application "${name}" read different data-protection key rings: `
        + `${[...rings].map(([ring, members]) => `ring ${ring} on ${members.map(describeInstance).join(', ')}`).join('; ')}. `
        + 'A payload protected on one is unreadable on the others.',
      fix: 'Point every instance at the same key ring: the same DATA_PROTECTION_KEY_STORE and DATABASE_URL, DATA_PROTECTION_KEY_PATH '
        + 'or REDIS_URL (docs/deployment.md#data-protection).',
    });
  }
  return findings;
}

/** The fleet as the instance registry shows it (server and CLI alike). */
@Injectable()
export class FleetCheck extends DeploymentCheck {
  readonly name = 'instance registry';

  constructor(private readonly live: LiveInstancesReader) {
    super();
  }

  async run(): Promise<readonly DoctorFinding[]> {
    return fleetFindings(await this.live.read());
  }
}

import { Injectable, Optional } from '@nestjs/common';
import { DeploymentCheck, type DeploymentCheckContext, type DoctorFinding } from '../deployment-check';
import { InstanceIdentity } from '../instance-identity';
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
      fix: 'Set REDIS_URL to one Redis shared by every instance (docs/deployment.md#many-instances).',
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

/** Appended to a finding a server lists as a warning because a peer it needs may be gone. */
const UNCONFIRMED = ' Some of these instances have not been seen since this one started: possibly one that stopped without leaving '
  + 'the registry (killed, crashed), whose row expires by itself. This instance reports it as an error once they are seen again.';

/**
 * The same findings as one server's `deployment` indicator should weigh them. An error there
 * takes the instance out of its load balancer, and a fleet-wide error on every instance would
 * take the whole fleet out because of one newcomer. So the oldest live instance (the incumbent)
 * gets them as warnings and stays ready, and every other instance gets the error: a misconfigured
 * instance joining a healthy fleet leaves the load balancer, the fleet keeps serving, and two
 * instances that cannot share state never serve side by side.
 *
 * Only peers seen since this instance started (by the start in its own row) count for errors: a
 * process killed with SIGKILL leaves its row until it expires (INSTANCE_EXPIRY_MS), and the
 * instance restarted in its place must not leave its load balancer
 * because of its own dead predecessor. A live peer beats every HEARTBEAT_INTERVAL_MS, so a real
 * conflict becomes an error within one interval; until then it is listed as a warning.
 */
export function fleetFindingsForInstance(live: readonly InstanceRow[], selfId: string): DoctorFinding[] {
  const self = live.find((row) => row.id === selfId);
  // Not listed (its heartbeat failing): nothing to date the peers by, and not the incumbent.
  const confirmed = self ? live.filter((row) => row.id === selfId || row.lastSeenAt.getTime() >= self.startedAt.getTime()) : live;
  const weighed = weigh(fleetFindings(confirmed), confirmed, selfId);
  const weighedIds = new Set(weighed.map((finding) => finding.id));
  const unconfirmed = fleetFindings(live).filter((finding) => !weighedIds.has(finding.id))
    .map((finding) => ({ ...finding, severity: 'warning' as const, message: `${finding.message}${UNCONFIRMED}` }));
  return [...weighed, ...unconfirmed];
}

function weigh(findings: DoctorFinding[], live: readonly InstanceRow[], selfId: string): DoctorFinding[] {
  // listLive orders by start: the first is the incumbent.
  if (live[0]?.id !== selfId) return findings;
  return findings.map((finding) => ({
    ...finding,
    severity: 'warning' as const,
    message: `${finding.message} This instance started first and stays ready; the others report this as an error.`,
  }));
}

/** The fleet as the instance registry shows it: `doctor` reports every conflict as an error; a server weighs it (fleetFindingsForInstance). */
@Injectable()
export class FleetCheck extends DeploymentCheck {
  readonly name = 'instance registry';

  constructor(private readonly live: LiveInstancesReader, @Optional() private readonly self?: InstanceIdentity) {
    super();
  }

  async run(context: DeploymentCheckContext): Promise<readonly DoctorFinding[]> {
    const live = await this.live.read();
    return context === 'server' && this.self ? fleetFindingsForInstance(live, this.self.id) : fleetFindings(live);
  }
}

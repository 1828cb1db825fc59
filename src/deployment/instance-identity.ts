import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** package.json's version, from the sources (src/deployment) or the build (dist/src/deployment). */
function packageVersion(): string {
  for (const candidate of [join(__dirname, '..', '..', 'package.json'), join(__dirname, '..', '..', '..', 'package.json')]) {
    try {
      const parsed = JSON.parse(readFileSync(candidate, 'utf8')) as { version?: unknown };
      if (typeof parsed.version === 'string') return parsed.version;
    } catch {
      // not this one
    }
  }
  return 'unknown';
}

/** Who this server process is in the instance registry: a random id per process, the host and the version. */
export class InstanceIdentity {
  readonly id = randomUUID();
  readonly host = hostname().slice(0, 255);
  readonly version = packageVersion().slice(0, 50);
}

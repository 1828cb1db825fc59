import { loadAppConfig } from '../../src/config/app-config';

/** Every variable loadAppConfig reads, observed by handing it an environment that records reads. */
export function settingsTheServerReads(): string[] {
  const read = new Set<string>();
  loadAppConfig(new Proxy<Record<string, string | undefined>>({}, {
    get(_target, name) {
      if (typeof name === 'string') read.add(name);
      return undefined;
    },
  }));
  return [...read].sort();
}

import type { IdentityConfiguration } from './identity-config.loader';

/** Called with the new version after each replacement. */
export type ConfigurationListener = (next: IdentityConfiguration) => void;

/**
 * The configuration file's current version (docs/configuration-file.md, "Reloading"). Readers
 * take `current` on each use and never keep it: a reload swaps the whole frozen snapshot in one
 * assignment, so a request sees either the old version or the new one, never a mix. Reading it
 * costs a property access (hot path: every token request).
 */
export class IdentityConfigurationHolder {
  private snapshot: IdentityConfiguration;
  private readonly listeners = new Set<ConfigurationListener>();

  constructor(initial: IdentityConfiguration) {
    this.snapshot = initial;
  }

  get current(): IdentityConfiguration {
    return this.snapshot;
  }

  /**
   * Serves `next` from now on, then tells the listeners (caches derived from the configuration).
   * A listener that throws does not stop the others nor undo the replacement.
   */
  replace(next: IdentityConfiguration): void {
    this.snapshot = next;
    for (const listener of this.listeners) {
      try {
        listener(next);
      } catch {
        // A cache that failed to clear is the listener's problem; the new version serves anyway.
      }
    }
  }

  /** Registers `listener` for every later replacement; returns the function that unregisters it. */
  onReplaced(listener: ConfigurationListener): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }
}

import { Logger, type LoggerService } from '@nestjs/common';
import type { z } from 'zod';
import { DataProtectionProvider, UnprotectError, type DataProtector, type ProtectOptions } from '../data-protection/data-protector';
import type { DataProtectionPurpose } from '../data-protection/purposes';
import type { PersistedGrant } from './models';
import { PersistedGrantStore } from './persisted-grant.store';

export interface ProtectedGrantOptions<T> {
  /** the grant type, kept in clear; a grant of another type under the same key reads as absent */
  readonly type: string;
  readonly purpose: DataProtectionPurpose;
  /** what a readable payload is; anything else reads as absent */
  readonly schema: z.ZodType<T, z.ZodTypeDef, unknown>;
  /**
   * A cheaper check of the same shape for a hot path, tried first: a payload it accepts is used
   * as parsed, anything else goes to `schema`, which decides (and names what is wrong). It must
   * accept nothing the schema refuses; a test compares the two.
   */
  readonly accepts?: (value: unknown) => value is T;
  readonly logger?: Pick<LoggerService, 'error'>;
}

/** A persisted grant with its payload unprotected and validated. */
export interface ProtectedGrant<T> {
  readonly grant: PersistedGrant;
  readonly payload: T;
}

/** What the caller chooses of a grant; the type and the protected data are the store's. */
export type ProtectedGrantMetadata = Omit<PersistedGrant, 'type' | 'data'>;

/**
 * One kind of persisted grant whose payload is data-protected (docs/deployment.md): only lookup metadata
 * stays in clear. Every way a stored payload can be unreadable (its key gone or revoked, tampered
 * with, protected under another purpose, not JSON, not of the schema) is handled alike: one error
 * log naming the grant type, the client and the key id, never the handle or the payload, and the
 * grant reads as absent, so the protocol answers invalid_grant (or asks again) instead of a 500.
 * Built with `new` by the service that owns the grant type; consume/remove stay on the
 * PersistedGrantStore, which needs no payload.
 */
export class ProtectedGrantStore<T> {
  private readonly protector: DataProtector;
  private readonly logger: Pick<LoggerService, 'error'>;

  constructor(
    private readonly grants: PersistedGrantStore,
    dataProtection: DataProtectionProvider,
    private readonly options: ProtectedGrantOptions<T>,
  ) {
    const [purpose, ...subPurposes] = options.purpose;
    this.protector = dataProtection.createProtector(purpose, ...subPurposes);
    this.logger = options.logger ?? new Logger(ProtectedGrantStore.name);
  }

  /** Inserts, or replaces the grant with the same key; returns what was stored. */
  async store(metadata: ProtectedGrantMetadata, payload: T, protectOptions?: ProtectOptions): Promise<PersistedGrant> {
    const grant: PersistedGrant = {
      ...metadata,
      type: this.options.type,
      data: await this.protect(payload, protectOptions),
    };
    await this.grants.store(grant);
    return grant;
  }

  /** The protected form of a payload, for a store call that writes `data` itself (consume). */
  protect(payload: T, protectOptions?: ProtectOptions): Promise<string> {
    return this.protector.protect(JSON.stringify(payload), protectOptions);
  }

  /**
   * The grant and its payload; undefined when absent, of another type, refused by `accept` (a
   * check of the clear metadata, made before spending an unprotect), or unreadable (logged).
   */
  async get(key: string, accept: (grant: PersistedGrant) => boolean = () => true): Promise<ProtectedGrant<T> | undefined> {
    const grant = await this.grants.get(key);
    if (!grant || grant.type !== this.options.type || !accept(grant)) return undefined;
    const payload = await this.read(grant);
    return payload === undefined ? undefined : { grant, payload };
  }

  private async read(grant: PersistedGrant): Promise<T | undefined> {
    let text: string;
    try {
      text = await this.protector.unprotect(grant.data);
    } catch (error) {
      // Anything but UnprotectError (the key store down, say) is an outage, not a bad payload.
      if (!(error instanceof UnprotectError)) throw error;
      this.fail(grant, `cannot be unprotected (${error.reason}, key ${error.keyId ?? 'unknown'})`);
      return undefined;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      this.fail(grant, 'is not JSON');
      return undefined;
    }
    if (this.options.accepts?.(json)) return json;
    const parsed = this.options.schema.safeParse(json);
    if (!parsed.success) {
      // Paths and issue codes only: zod's messages may quote the offending values.
      const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.code}`);
      this.fail(grant, `does not match its schema (${issues.join('; ')})`);
      return undefined;
    }
    return parsed.data;
  }

  private fail(grant: PersistedGrant, why: string): void {
    this.logger.error(`${this.options.type} payload of client ${grant.clientId} ${why}; the grant is treated as absent`);
  }
}

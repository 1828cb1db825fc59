import { Injectable } from '@nestjs/common';
import type { HealthIndicatorResult } from '@nestjs/terminus';
import { describeFailure, withTimeout } from './with-timeout';

/** A health check added by another module: resolves to its Terminus result (up or down); a
 *  rejection or timeout is reported as `down` with the error's message. */
export type HealthCheck = () => Promise<HealthIndicatorResult>;

export interface RegisteredHealthCheck {
  readonly name: string;
  readonly check: HealthCheck;
}

/** Budget for a registered check that names none. */
export const DEFAULT_HEALTH_CHECK_TIMEOUT_MS = 3000;

/**
 * Lets any module add an indicator to `GET /health` without the health module knowing it
 * (e.g. `redis` when REDIS_URL is set, `deployment` for the doctor checks). Register in
 * onModuleInit: `registry.register('redis', () => indicator.check())`.
 */
@Injectable()
export class HealthCheckRegistry {
  private readonly checks = new Map<string, RegisteredHealthCheck>();

  register(name: string, check: HealthCheck, options: { readonly timeoutMs?: number } = {}): void {
    if (this.checks.has(name)) throw new Error(`health check "${name}" is already registered`);
    const timeoutMs = options.timeoutMs ?? DEFAULT_HEALTH_CHECK_TIMEOUT_MS;
    // Terminus turns a thrown error into a 500 for the whole response: report it as `down` instead.
    const guarded: HealthCheck = () => withTimeout(check(), timeoutMs)
      .catch((error: unknown) => ({ [name]: { status: 'down' as const, message: describeFailure(error) } }));
    this.checks.set(name, { name, check: guarded });
  }

  list(): readonly RegisteredHealthCheck[] {
    return [...this.checks.values()];
  }
}

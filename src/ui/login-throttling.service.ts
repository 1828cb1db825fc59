import { Inject, Injectable, Logger } from '@nestjs/common';
import { AttemptLimit } from '../stores/attempt-limit';
import { AttemptCounterStore } from '../stores/attempt-counter.store';
import { APP_CONFIG, type AppConfig } from '../config/app-config';

/** One login attempt's place in the counts: evaluate it only when `allowed`. */
export interface LoginAttempt {
  readonly allowed: boolean;
  readonly username: string;
  readonly clientIp: string;
}

/**
 * Login throttling (LOGIN_MAX_FAILURES, LOGIN_LOCKOUT; docs/settings.md): at most
 * LOGIN_MAX_FAILURES wrong passwords per user name and per client address within the window. Each
 * attempt takes one count under both with an atomic increment in the AttemptCounterStore (Redis, or
 * the shared database without REDIS_URL) BEFORE the password is checked, so no number of parallel attempts on any instance gets more passwords
 * checked than the limit; a right password gives its counts back. User names are counted whether
 * or not the user exists, so a refusal tells nothing about the account.
 */
@Injectable()
export class LoginThrottlingService {
  private readonly logger = new Logger(LoginThrottlingService.name);
  private readonly perUser: AttemptLimit;
  private readonly perAddress: AttemptLimit;

  constructor(counters: AttemptCounterStore, @Inject(APP_CONFIG) config: AppConfig) {
    const { maxFailures: max, lockout: windowMs } = config.login;
    this.perUser = new AttemptLimit(counters, { name: 'login:user', max, windowMs });
    this.perAddress = new AttemptLimit(counters, { name: 'login:address', max, windowMs });
  }

  /** Counts one attempt; refused (and logged once per lockout) when either count is used up. */
  async reserve(username: string, clientIp: string): Promise<LoginAttempt> {
    // User names are compared case-insensitively by most stores: one count per spelling would multiply the limit.
    const name = username.normalize('NFKC').toLowerCase();
    const [user, address] = await Promise.all([this.perUser.reserve(name), this.perAddress.reserve(clientIp)]);
    const first = this.perUser.max + 1;
    if (user.count === first || address.count === first) {
      // Never the user name: the log must not collect who was targeted.
      this.logger.warn(`login locked out after ${this.perUser.max} wrong passwords (${user.count === first ? 'for one user name' : 'from one address'}, client address ${clientIp}): further attempts are refused until LOGIN_LOCKOUT has passed`);
    }
    return { allowed: user.allowed && address.allowed, username: name, clientIp };
  }

  /** The password was right: the attempt does not count. */
  async release(attempt: LoginAttempt): Promise<void> {
    await Promise.all([this.perUser.release(attempt.username), this.perAddress.release(attempt.clientIp)]);
  }
}

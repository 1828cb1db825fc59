import { isIP } from 'node:net';
import { ConfigError } from './config-error';
import { parseDuration } from './duration';

export const SIGNING_ALGORITHMS = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512',
] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export type ForwardedHeader = 'XForwardedFor' | 'XForwardedProto' | 'XForwardedHost';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'json' | 'pretty';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty'];

export interface AlgorithmSetting {
  readonly alg: SigningAlgorithm;
  /** wrap the key in a self-signed X.509 certificate (`+x509` suffix) */
  readonly x509: boolean;
}

export interface KeyFileSetting {
  readonly alg: SigningAlgorithm;
  readonly path: string;
}

/** Every setting of docs/settings.md, parsed and validated once at start-up. Durations are in ms. */
export interface AppConfig {
  readonly port: number;
  readonly host: string;
  readonly issuerUri?: string;
  readonly configFile: string;
  readonly database: { readonly url: string; readonly migrationsRun: boolean };
  readonly redisUrl?: string;
  /** where persisted grants, device codes and server-side sessions live (docs/deployment.md) */
  readonly operationalStore: 'database' | 'redis';
  readonly forwardedHeaders: {
    readonly enabled: boolean;
    readonly headers: readonly ForwardedHeader[];
    readonly knownProxies: readonly string[];
    readonly knownNetworks: readonly string[];
    readonly forwardLimit: number;
  };
  readonly dataProtection: {
    readonly applicationName: string;
    readonly keyStore: 'database' | 'file' | 'redis';
    readonly keyPath: string;
    readonly masterKey?: Buffer;
    readonly certificate?: string;
    readonly certificateKey?: string;
    readonly unprotectCertificates: readonly string[];
    readonly keyLifetime: number;
  };
  readonly keyManagement: {
    readonly enabled: boolean;
    readonly rotationInterval: number;
    readonly propagationTime: number;
    readonly retentionDuration: number;
    readonly deleteRetiredKeys: boolean;
    readonly keyStore: 'database' | 'file';
    readonly keyPath: string;
    readonly dataProtectKeys: boolean;
    readonly signingAlgorithms: readonly AlgorithmSetting[];
    readonly checkInterval: number;
    readonly keyCacheDuration: number;
  };
  readonly signingCredentials: readonly KeyFileSetting[];
  readonly signingCredentialsPassword?: string;
  readonly validationKeys: readonly KeyFileSetting[];
  readonly tokenCleanup: { readonly interval: number; readonly batchSize: number };
  /**
   * Slow clients (docs/settings.md, "Connections"): a connection that sends nothing is closed
   * after `idleTimeout`; a request not fully received within `requestTimeout` is answered 408.
   */
  readonly http: { readonly idleTimeout: number; readonly requestTimeout: number };
  /** CLIENT_ASSERTION_MAX_LIFETIME: how far ahead a client assertion's `exp` may lie (FAPI 2.0: 60 minutes) */
  readonly clientAssertionMaxLifetime: number;
  /**
   * Where clients and resources live (docs/deployment.md, "Configuration in the database"):
   * `file` (CONFIG_FILE) or `database` (tables, seeded from CONFIG_FILE when empty), and how long
   * an instance caches what it read from the database.
   */
  readonly configuration: { readonly store: ConfigurationStoreKind; readonly cacheDuration: number };
  /** ADMIN_API_ENABLED: serve /admin/... (docs/endpoints.md, "Admin API") */
  readonly adminApi: { readonly enabled: boolean };
  /** UI_*: branding and language of the default pages (README.md, "Branding and languages") */
  readonly ui: UiSettings;
  /**
   * LOGIN_MAX_FAILURES / LOGIN_LOCKOUT: wrong passwords allowed per user name and per client
   * address within the window (ms) before the login page refuses further attempts.
   */
  readonly login: { readonly maxFailures: number; readonly lockout: number };
  readonly logLevel: LogLevel;
  /** `json`: one pino JSON object per line (for log collectors); `pretty`: one readable line per event */
  readonly logFormat: LogFormat;
  /** NODE_ENV; `production` turns on the start-up warnings about demo data and unsafe listening */
  readonly nodeEnv?: string;
}

/** The languages the default pages speak (UI_DEFAULT_LANGUAGE is one of them; catalogues in src/ui/i18n). */
export const UI_LANGUAGES = ['en', 'de'] as const;
export type UiLanguage = (typeof UI_LANGUAGES)[number];

export interface UiSettings {
  readonly productName: string;
  /** an http(s) URL or a local path (`/branding/logo.svg`); unset: the product name alone */
  readonly logoUrl?: string;
  /** a CSS hex colour, `#rgb` or `#rrggbb` */
  readonly primaryColor: string;
  readonly defaultLanguage: UiLanguage;
}

/** How to log, read before (and whatever becomes of) the full parse, so its errors are logged that way too. */
export interface LogSettings {
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
}

export const CONFIGURATION_STORES = ['file', 'database'] as const;
export type ConfigurationStoreKind = (typeof CONFIGURATION_STORES)[number];

type Env = Record<string, string | undefined>;

/** Collects every problem instead of stopping at the first, so one start-up shows them all. */
class EnvReader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  optional(name: string): string | undefined {
    return this.raw(name);
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (/^(true|1|yes)$/i.test(value)) return true;
    if (/^(false|0|no)$/i.test(value)) return false;
    this.problems.push(`${name}: expected true or false, got "${value}"`);
    return fallback;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      this.problems.push(`${name}: expected a whole number from ${min} to ${max}, got "${value}"`);
      return fallback;
    }
    return n;
  }

  duration(name: string, fallback: string): number {
    const value = this.raw(name) ?? fallback;
    const ms = parseDuration(value);
    if (ms === undefined || ms <= 0) {
      this.problems.push(`${name}: expected a duration like 90d, 12h, 30m, 45s, 500ms or seconds, got "${value}"`);
      return parseDuration(fallback) ?? 0;
    }
    return ms;
  }

  list(name: string, fallback: string): string[] {
    return (this.raw(name) ?? fallback).split(',').map((s) => s.trim()).filter(Boolean);
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const value = this.raw(name) ?? fallback;
    if (!allowed.includes(value as T)) {
      this.problems.push(`${name}: expected one of ${allowed.join(', ')}, got "${value}"`);
      return fallback;
    }
    return value as T;
  }

  url(name: string, protocols: string[]): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    try {
      const url = new URL(value);
      if (!protocols.includes(url.protocol)) {
        this.problems.push(`${name}: expected a ${protocols.join(' or ')} URL, got "${value}"`);
        return undefined;
      }
      return value;
    } catch {
      this.problems.push(`${name}: not a valid URL: "${value}"`);
      return undefined;
    }
  }
}

function parseKeyFiles(reader: EnvReader, name: string): KeyFileSetting[] {
  return reader.list(name, '').flatMap((entry) => {
    const eq = entry.indexOf('=');
    const alg = entry.slice(0, eq).trim().toUpperCase();
    const path = entry.slice(eq + 1).trim();
    if (eq < 1 || !path || !SIGNING_ALGORITHMS.includes(alg as SigningAlgorithm)) {
      reader.problems.push(`${name}: expected ALG=PATH with ALG one of ${SIGNING_ALGORITHMS.join(' ')}, got "${entry}"`);
      return [];
    }
    return [{ alg: alg as SigningAlgorithm, path }];
  });
}

function parseAlgorithms(reader: EnvReader): AlgorithmSetting[] {
  const name = 'KEY_MANAGEMENT_SIGNING_ALGORITHMS';
  const seen = new Set<string>();
  const result = reader.list(name, 'RS256').flatMap((entry) => {
    const [algText, suffix, ...rest] = entry.split('+');
    const alg = algText.trim().toUpperCase();
    if (!SIGNING_ALGORITHMS.includes(alg as SigningAlgorithm) || rest.length > 0
      || (suffix !== undefined && suffix.trim().toLowerCase() !== 'x509')) {
      reader.problems.push(`${name}: "${entry}" is not one of ${SIGNING_ALGORITHMS.join(' ')} (optionally with +x509)`);
      return [];
    }
    if (seen.has(alg)) {
      reader.problems.push(`${name}: ${alg} is listed twice`);
      return [];
    }
    seen.add(alg);
    return [{ alg: alg as SigningAlgorithm, x509: suffix !== undefined }];
  });
  if (result.length === 0 && reader.problems.length === 0) reader.problems.push(`${name}: at least one algorithm is required`);
  return result;
}

function isCidr(text: string): boolean {
  const [address, bits, ...rest] = text.split('/');
  const family = isIP(address);
  if (!family || rest.length > 0 || bits === undefined || !/^\d+$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

function parseMasterKey(reader: EnvReader): Buffer | undefined {
  const value = reader.optional('DATA_PROTECTION_MASTER_KEY');
  if (value === undefined) return undefined;
  const key = Buffer.from(value, 'base64');
  if (key.length !== 32 || !/^[A-Za-z0-9+/=_-]+$/.test(value)) {
    reader.problems.push('DATA_PROTECTION_MASTER_KEY: expected base64 of exactly 32 bytes (e.g. `openssl rand -base64 32`)');
    return undefined;
  }
  return key;
}

function parseUiSettings(reader: EnvReader): UiSettings {
  const productName = reader.string('UI_PRODUCT_NAME', 'Identity');
  if (productName.length > 100) reader.problems.push('UI_PRODUCT_NAME: at most 100 characters');
  const primaryColor = reader.string('UI_PRIMARY_COLOR', '#2557d6');
  if (!/^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i.test(primaryColor)) {
    reader.problems.push(`UI_PRIMARY_COLOR: expected a CSS hex colour like #2557d6 or #25d, got "${primaryColor}"`);
  }
  const logoUrl = reader.optional('UI_LOGO_URL');
  if (logoUrl !== undefined && !isLogoUrl(logoUrl)) {
    reader.problems.push(`UI_LOGO_URL: expected an https:// or http:// URL or a local path like /branding/logo.svg, got "${logoUrl}"`);
  }
  return {
    productName,
    logoUrl: logoUrl !== undefined && isLogoUrl(logoUrl) ? logoUrl : undefined,
    primaryColor: primaryColor.toLowerCase(),
    defaultLanguage: reader.oneOf('UI_DEFAULT_LANGUAGE', 'en', UI_LANGUAGES),
  };
}

/** An http(s) URL, or a path on this server (never `//host`, which is another site). */
function isLogoUrl(value: string): boolean {
  if (value.length > 2048 || /[\s"'<>\\]/.test(value)) return false;
  if (value.startsWith('/')) return !value.startsWith('//');
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/**
 * Parses the environment into the typed configuration. Throws ConfigError listing every
 * problem, each naming its variable. This is the only place that reads settings.
 */
export function loadAppConfig(env: Env): AppConfig {
  const r = new EnvReader(env);

  const forwardedHeaders = r.list('FORWARDED_HEADERS', '').map((h) => {
    const known: ForwardedHeader[] = ['XForwardedFor', 'XForwardedProto', 'XForwardedHost'];
    const match = known.find((k) => k.toLowerCase() === h.toLowerCase());
    if (!match) r.problems.push(`FORWARDED_HEADERS: "${h}" is not one of ${known.join(', ')}`);
    return match;
  }).filter((h): h is ForwardedHeader => h !== undefined);

  const knownProxies = r.list('KNOWN_PROXIES', '127.0.0.1,::1');
  for (const p of knownProxies) if (!isIP(p)) r.problems.push(`KNOWN_PROXIES: "${p}" is not an IP address`);
  const knownNetworks = r.list('KNOWN_NETWORKS', '127.0.0.0/8');
  for (const n of knownNetworks) if (!isCidr(n)) r.problems.push(`KNOWN_NETWORKS: "${n}" is not a CIDR range like 10.0.0.0/8`);

  const databaseUrl = r.string('DATABASE_URL', 'sqlite:data/identity.sqlite');
  if (!/^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(databaseUrl)) {
    r.problems.push(`DATABASE_URL: expected postgres://… or sqlite:PATH or sqlite::memory:, got "${databaseUrl}"`);
  }

  const issuerUri = r.url('ISSUER_URI', ['http:', 'https:']);
  const redisUrl = r.url('REDIS_URL', ['redis:', 'rediss:']);

  const keyManagement = {
    enabled: r.bool('KEY_MANAGEMENT_ENABLED', true),
    rotationInterval: r.duration('KEY_MANAGEMENT_ROTATION_INTERVAL', '90d'),
    propagationTime: r.duration('KEY_MANAGEMENT_PROPAGATION_TIME', '14d'),
    retentionDuration: r.duration('KEY_MANAGEMENT_RETENTION_DURATION', '14d'),
    deleteRetiredKeys: r.bool('KEY_MANAGEMENT_DELETE_RETIRED_KEYS', true),
    keyStore: r.oneOf('KEY_MANAGEMENT_KEY_STORE', 'database', ['database', 'file'] as const),
    keyPath: r.string('KEY_MANAGEMENT_KEY_PATH', 'keys'),
    dataProtectKeys: r.bool('KEY_MANAGEMENT_DATA_PROTECT_KEYS', true),
    signingAlgorithms: parseAlgorithms(r),
    checkInterval: r.duration('KEY_MANAGEMENT_CHECK_INTERVAL', '1h'),
    keyCacheDuration: r.duration('KEY_MANAGEMENT_KEY_CACHE_DURATION', '24h'),
  };
  // Cross-field rules (docs/deployment.md, "Signing keys"): a successor must be announced before the current key retires,
  // and every instance must have seen it before it signs.
  if (keyManagement.rotationInterval <= keyManagement.propagationTime) {
    r.problems.push('KEY_MANAGEMENT_ROTATION_INTERVAL: must be longer than KEY_MANAGEMENT_PROPAGATION_TIME');
  }
  if (keyManagement.keyCacheDuration >= keyManagement.propagationTime) {
    r.problems.push('KEY_MANAGEMENT_KEY_CACHE_DURATION: must be shorter than KEY_MANAGEMENT_PROPAGATION_TIME');
  }

  const certificate = r.optional('DATA_PROTECTION_CERTIFICATE');
  const certificateKey = r.optional('DATA_PROTECTION_CERTIFICATE_KEY');
  if ((certificate === undefined) !== (certificateKey === undefined)) {
    r.problems.push('DATA_PROTECTION_CERTIFICATE: must be set together with DATA_PROTECTION_CERTIFICATE_KEY');
  }

  const config: AppConfig = {
    port: r.int('PORT', 5000, 0, 65535),
    host: r.string('HOST', '0.0.0.0'),
    issuerUri: issuerUri?.replace(/\/+$/, ''),
    configFile: r.string('CONFIG_FILE', 'config/identity.json'),
    database: { url: databaseUrl, migrationsRun: r.bool('DATABASE_MIGRATIONS_RUN', true) },
    redisUrl,
    operationalStore: r.oneOf('OPERATIONAL_STORE', 'database', ['database', 'redis'] as const),
    forwardedHeaders: {
      enabled: r.bool('FORWARDED_HEADERS_ENABLED', false),
      headers: forwardedHeaders,
      knownProxies,
      knownNetworks,
      forwardLimit: r.int('FORWARD_LIMIT', 1, 1, 100),
    },
    dataProtection: {
      applicationName: r.string('DATA_PROTECTION_APPLICATION_NAME', 'identity-server'),
      keyStore: r.oneOf('DATA_PROTECTION_KEY_STORE', 'database', ['database', 'file', 'redis'] as const),
      keyPath: r.string('DATA_PROTECTION_KEY_PATH', 'data/dp-keys'),
      masterKey: parseMasterKey(r),
      certificate,
      certificateKey,
      unprotectCertificates: r.list('DATA_PROTECTION_UNPROTECT_CERTIFICATES', ''),
      keyLifetime: r.duration('DATA_PROTECTION_KEY_LIFETIME', '90d'),
    },
    keyManagement,
    signingCredentials: parseKeyFiles(r, 'SIGNING_CREDENTIALS'),
    signingCredentialsPassword: r.optional('SIGNING_CREDENTIALS_PASSWORD'),
    validationKeys: parseKeyFiles(r, 'VALIDATION_KEYS'),
    configuration: {
      store: r.oneOf('CONFIGURATION_STORE', 'file', CONFIGURATION_STORES),
      cacheDuration: r.duration('CONFIGURATION_CACHE_DURATION', '5m'),
    },
    adminApi: { enabled: r.bool('ADMIN_API_ENABLED', false) },
    ui: parseUiSettings(r),
    tokenCleanup: {
      interval: r.duration('TOKEN_CLEANUP_INTERVAL', '1h'),
      batchSize: r.int('TOKEN_CLEANUP_BATCH_SIZE', 100, 1, 100_000),
    },
    http: {
      idleTimeout: r.duration('HTTP_IDLE_TIMEOUT', '75s'),
      requestTimeout: r.duration('HTTP_REQUEST_TIMEOUT', '30s'),
    },
    clientAssertionMaxLifetime: r.duration('CLIENT_ASSERTION_MAX_LIFETIME', '60m'),
    login: {
      maxFailures: r.int('LOGIN_MAX_FAILURES', 5, 1, 1_000_000),
      lockout: r.duration('LOGIN_LOCKOUT', '5m'),
    },
    logLevel: r.oneOf('LOG_LEVEL', 'info', LOG_LEVELS),
    logFormat: r.oneOf('LOG_FORMAT', 'json', LOG_FORMATS),
    nodeEnv: r.optional('NODE_ENV'),
  };

  if (config.dataProtection.keyStore === 'redis' && !config.redisUrl) {
    r.problems.push('DATA_PROTECTION_KEY_STORE: "redis" needs REDIS_URL');
  }
  if (config.operationalStore === 'redis' && !config.redisUrl) {
    r.problems.push('OPERATIONAL_STORE: "redis" needs REDIS_URL');
  }
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return deepFreeze(config);
}

/**
 * LOG_LEVEL and LOG_FORMAT alone, leniently (an invalid value falls back to its default): main.ts
 * needs them to report a failed loadAppConfig, which then names the invalid value itself.
 */
export function loadLogSettings(env: Env): LogSettings {
  const r = new EnvReader(env);
  return { logLevel: r.oneOf('LOG_LEVEL', 'info', LOG_LEVELS), logFormat: r.oneOf('LOG_FORMAT', 'json', LOG_FORMATS) };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** DI token for the parsed configuration: `@Inject(APP_CONFIG) config: AppConfig`. */
export const APP_CONFIG = Symbol('APP_CONFIG');

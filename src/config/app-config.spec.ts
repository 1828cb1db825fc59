import { loadAppConfig } from './app-config';
import { ConfigError } from './config-error';

const SECOND = 1000;
const HOUR = 3600 * SECOND;
const DAY = 24 * HOUR;

type Env = Record<string, string | undefined>;

/** The problems loadAppConfig reports for an environment; fails the test when it does not throw. */
function problemsFor(env: Env): string[] {
  try {
    loadAppConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

/** Expects exactly one problem, naming `variable`, and returns it for further checks. */
function onlyProblem(env: Env, variable: string): string {
  const problems = problemsFor(env);
  expect(problems).toHaveLength(1);
  expect(problems[0].startsWith(`${variable}: `)).toBe(true);
  return problems[0];
}

const MASTER_KEY_32 = Buffer.alloc(32, 7).toString('base64');

describe('loadAppConfig', () => {
  describe('defaults (docs/settings.md)', () => {
    it('when the environment is empty, should give every documented default', () => {
      expect(loadAppConfig({})).toEqual({
        port: 5000,
        host: '0.0.0.0',
        issuerUri: undefined,
        configFile: 'config/identity.json',
        configuration: { store: 'file', cacheDuration: 5 * 60_000 },
        adminApi: { enabled: false },
        database: { url: 'sqlite:data/identity.sqlite', migrationsRun: true },
        redisUrl: undefined,
        operationalStore: 'database',
        forwardedHeaders: {
          enabled: false,
          headers: [],
          knownProxies: ['127.0.0.1', '::1'],
          knownNetworks: ['127.0.0.0/8'],
          forwardLimit: 1,
        },
        dataProtection: {
          applicationName: 'identity-server',
          keyStore: 'database',
          keyPath: 'data/dp-keys',
          masterKey: undefined,
          certificate: undefined,
          certificateKey: undefined,
          unprotectCertificates: [],
          keyLifetime: 90 * DAY,
        },
        keyManagement: {
          enabled: true,
          rotationInterval: 90 * DAY,
          propagationTime: 14 * DAY,
          retentionDuration: 14 * DAY,
          deleteRetiredKeys: true,
          keyStore: 'database',
          keyPath: 'keys',
          dataProtectKeys: true,
          signingAlgorithms: [{ alg: 'RS256', x509: false }],
          checkInterval: HOUR,
          keyCacheDuration: 24 * HOUR,
        },
        signingCredentials: [],
        signingCredentialsPassword: undefined,
        validationKeys: [],
        tokenCleanup: { interval: HOUR, batchSize: 100 },
        ui: { productName: 'Identity', logoUrl: undefined, primaryColor: '#2557d6', defaultLanguage: 'en' },
        http: { idleTimeout: 75_000, requestTimeout: 30_000 },
        clientAssertionMaxLifetime: 60 * 60_000,
        login: { maxFailures: 5, lockout: 5 * 60_000 },
        logLevel: 'info',
        logFormat: 'json',
      });
    });

    it('when a variable is empty or blank, should treat it as unset', () => {
      const config = loadAppConfig({ PORT: '', LOG_LEVEL: '   ', KEY_MANAGEMENT_ENABLED: '' });
      expect(config.port).toBe(5000);
      expect(config.logLevel).toBe('info');
      expect(config.keyManagement.enabled).toBe(true);
    });

    it('should return a deeply frozen object', () => {
      const config = loadAppConfig({});
      expect(Object.isFrozen(config)).toBe(true);
      expect(Object.isFrozen(config.keyManagement.signingAlgorithms[0])).toBe(true);
      expect(() => { (config as { port: number }).port = 1; }).toThrow(TypeError);
    });
  });

  describe('valid values', () => {
    it('should parse durations, booleans, ints, lists and URLs', () => {
      const config = loadAppConfig({
        PORT: '8080',
        ISSUER_URI: 'https://id.example.com/',
        REDIS_URL: 'redis://127.0.0.1:6379',
        DATABASE_URL: 'postgres://u@db/identity',
        DATABASE_MIGRATIONS_RUN: 'false',
        FORWARDED_HEADERS: 'xforwardedfor, XForwardedProto',
        KNOWN_PROXIES: '10.0.0.1,fe80::1',
        KNOWN_NETWORKS: '10.0.0.0/8, ::1/128',
        FORWARD_LIMIT: '2',
        KEY_MANAGEMENT_ENABLED: 'no',
        KEY_MANAGEMENT_ROTATION_INTERVAL: '30d',
        KEY_MANAGEMENT_PROPAGATION_TIME: '2d',
        KEY_MANAGEMENT_KEY_CACHE_DURATION: '3600',
        KEY_MANAGEMENT_SIGNING_ALGORITHMS: 'es256+X509, PS256',
        SIGNING_CREDENTIALS: 'rs256=keys/a.pem,ES256=keys/b.p12',
        DATA_PROTECTION_MASTER_KEY: MASTER_KEY_32,
        TOKEN_CLEANUP_INTERVAL: '500ms',
        HTTP_IDLE_TIMEOUT: '2m',
        HTTP_REQUEST_TIMEOUT: '1500ms',
        CLIENT_ASSERTION_MAX_LIFETIME: '5m',
        LOG_LEVEL: 'debug',
      });
      expect(config.port).toBe(8080);
      expect(config.issuerUri).toBe('https://id.example.com');
      expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
      expect(config.database).toEqual({ url: 'postgres://u@db/identity', migrationsRun: false });
      expect(config.forwardedHeaders).toEqual({
        enabled: false,
        headers: ['XForwardedFor', 'XForwardedProto'],
        knownProxies: ['10.0.0.1', 'fe80::1'],
        knownNetworks: ['10.0.0.0/8', '::1/128'],
        forwardLimit: 2,
      });
      expect(config.keyManagement).toMatchObject({
        enabled: false,
        rotationInterval: 30 * DAY,
        propagationTime: 2 * DAY,
        keyCacheDuration: HOUR,
        signingAlgorithms: [{ alg: 'ES256', x509: true }, { alg: 'PS256', x509: false }],
      });
      expect(config.signingCredentials).toEqual([{ alg: 'RS256', path: 'keys/a.pem' }, { alg: 'ES256', path: 'keys/b.p12' }]);
      expect(config.dataProtection.masterKey?.equals(Buffer.alloc(32, 7))).toBe(true);
      expect(config.tokenCleanup.interval).toBe(500);
      expect(config.http).toEqual({ idleTimeout: 120_000, requestTimeout: 1500 });
      expect(config.clientAssertionMaxLifetime).toBe(300_000);
      expect(config.logLevel).toBe('debug');
    });

    it.each([['sqlite::memory:'], ['sqlite:/tmp/x.sqlite'], ['postgresql://localhost/db']])(
      'DATABASE_URL, when %p, should be accepted', (url) => {
        expect(loadAppConfig({ DATABASE_URL: url }).database.url).toBe(url);
      },
    );
  });

  describe('invalid values stop start-up naming the variable', () => {
    it.each([
      ['KEY_MANAGEMENT_ROTATION_INTERVAL', 'ten days'],
      ['KEY_MANAGEMENT_RETENTION_DURATION', '5w'],
      ['KEY_MANAGEMENT_CHECK_INTERVAL', '0'],
      ['DATA_PROTECTION_KEY_LIFETIME', '-90d'],
      ['TOKEN_CLEANUP_INTERVAL', '1h30m'],
      ['HTTP_IDLE_TIMEOUT', '0'],
      ['HTTP_REQUEST_TIMEOUT', 'forever'],
      ['CLIENT_ASSERTION_MAX_LIFETIME', '-1m'],
    ])('duration %s=%p', (variable, value) => {
      expect(onlyProblem({ [variable]: value }, variable)).toContain(`got "${value}"`);
    });

    it.each([
      ['KEY_MANAGEMENT_ENABLED', 'maybe'],
      ['DATABASE_MIGRATIONS_RUN', 'yes please'],
      ['FORWARDED_HEADERS_ENABLED', '2'],
      ['KEY_MANAGEMENT_DELETE_RETIRED_KEYS', 'on'],
      ['KEY_MANAGEMENT_DATA_PROTECT_KEYS', 'TRUEE'],
    ])('boolean %s=%p', (variable, value) => {
      expect(onlyProblem({ [variable]: value }, variable)).toBe(`${variable}: expected true or false, got "${value}"`);
    });

    it.each([
      ['PORT', 'http'],
      ['PORT', '70000'],
      ['PORT', '5000.5'],
      ['FORWARD_LIMIT', '0'],
      ['TOKEN_CLEANUP_BATCH_SIZE', '-1'],
    ])('whole number %s=%p', (variable, value) => {
      expect(onlyProblem({ [variable]: value }, variable)).toContain(`expected a whole number from`);
    });

    it('list FORWARDED_HEADERS, when an entry is not a known header, should name it', () => {
      expect(onlyProblem({ FORWARDED_HEADERS: 'XForwardedFor,XForwardedHostt' }, 'FORWARDED_HEADERS')).toContain('"XForwardedHostt"');
    });

    it.each([['HS256'], ['RS256+x510'], ['RS256+x509+x509'], ['none'], ['ES256,FOO']])(
      'algorithm KEY_MANAGEMENT_SIGNING_ALGORITHMS=%p', (value) => {
        expect(onlyProblem({ KEY_MANAGEMENT_SIGNING_ALGORITHMS: value }, 'KEY_MANAGEMENT_SIGNING_ALGORITHMS'))
          .toContain('is not one of RS256');
      },
    );

    it('algorithm list, when an algorithm repeats (even with +x509), should say so', () => {
      expect(onlyProblem({ KEY_MANAGEMENT_SIGNING_ALGORITHMS: 'RS256,rs256+x509' }, 'KEY_MANAGEMENT_SIGNING_ALGORITHMS'))
        .toBe('KEY_MANAGEMENT_SIGNING_ALGORITHMS: RS256 is listed twice');
    });

    it('algorithm list, when it holds only separators, should require one', () => {
      expect(onlyProblem({ KEY_MANAGEMENT_SIGNING_ALGORITHMS: ' , ' }, 'KEY_MANAGEMENT_SIGNING_ALGORITHMS'))
        .toBe('KEY_MANAGEMENT_SIGNING_ALGORITHMS: at least one algorithm is required');
    });

    it.each([['SIGNING_CREDENTIALS', 'keys/a.pem'], ['SIGNING_CREDENTIALS', 'HS256=keys/a.pem'], ['VALIDATION_KEYS', 'RS256=']])(
      'key file list %s=%p', (variable, value) => {
        expect(onlyProblem({ [variable]: value }, variable)).toContain('expected ALG=PATH');
      },
    );

    it.each([['10.0.0.0'], ['10.0.0.0/33'], ['fe80::/129'], ['abc/8'], ['10.0.0.0/8/1'], ['10.0.0.0/x']])(
      'CIDR KNOWN_NETWORKS=%p', (value) => {
        expect(onlyProblem({ KNOWN_NETWORKS: value }, 'KNOWN_NETWORKS')).toContain(`"${value}" is not a CIDR range`);
      },
    );

    it.each([['localhost'], ['300.1.1.1'], ['10.0.0.0/8']])('IP KNOWN_PROXIES=%p', (value) => {
      expect(onlyProblem({ KNOWN_PROXIES: value }, 'KNOWN_PROXIES')).toBe(`KNOWN_PROXIES: "${value}" is not an IP address`);
    });

    it.each([
      ['16 bytes', Buffer.alloc(16, 1).toString('base64')],
      ['33 bytes', Buffer.alloc(33, 1).toString('base64')],
      ['not base64', '!'.repeat(44)],
    ])('DATA_PROTECTION_MASTER_KEY of %s', (_what, value) => {
      expect(onlyProblem({ DATA_PROTECTION_MASTER_KEY: value }, 'DATA_PROTECTION_MASTER_KEY')).toContain('32 bytes');
    });

    it('KEY_MANAGEMENT_ROTATION_INTERVAL, when not longer than the propagation time, should stop', () => {
      expect(onlyProblem({ KEY_MANAGEMENT_ROTATION_INTERVAL: '14d', KEY_MANAGEMENT_PROPAGATION_TIME: '14d' }, 'KEY_MANAGEMENT_ROTATION_INTERVAL'))
        .toContain('must be longer than KEY_MANAGEMENT_PROPAGATION_TIME');
    });

    it('KEY_MANAGEMENT_KEY_CACHE_DURATION, when not shorter than the propagation time, should stop', () => {
      expect(onlyProblem({ KEY_MANAGEMENT_KEY_CACHE_DURATION: '14d' }, 'KEY_MANAGEMENT_KEY_CACHE_DURATION'))
        .toContain('must be shorter than KEY_MANAGEMENT_PROPAGATION_TIME');
      expect(onlyProblem({ KEY_MANAGEMENT_KEY_CACHE_DURATION: '2h', KEY_MANAGEMENT_PROPAGATION_TIME: '1h' }, 'KEY_MANAGEMENT_KEY_CACHE_DURATION'))
        .toContain('must be shorter');
    });

    it.each([
      ['ISSUER_URI', 'ftp://id.example.com'],
      ['ISSUER_URI', 'not a url'],
      ['REDIS_URL', 'http://127.0.0.1:6379'],
      ['DATABASE_URL', 'mysql://db/x'],
      ['DATABASE_URL', 'sqlite:'],
    ])('URL %s=%p', (variable, value) => {
      expect(onlyProblem({ [variable]: value }, variable)).toContain(value);
    });

    it.each([
      ['DATA_PROTECTION_KEY_STORE', 's3'],
      ['KEY_MANAGEMENT_KEY_STORE', 'redis'],
      ['CONFIGURATION_STORE', 'redis'],
      ['LOG_LEVEL', 'verbose'],
    ])('choice %s=%p', (variable, value) => {
      expect(onlyProblem({ [variable]: value }, variable)).toContain(`expected one of`);
    });

    it('OPERATIONAL_STORE=redis, without REDIS_URL, should stop naming both', () => {
      expect(onlyProblem({ OPERATIONAL_STORE: 'redis' }, 'OPERATIONAL_STORE')).toContain('needs REDIS_URL');
      expect(loadAppConfig({ OPERATIONAL_STORE: 'redis', REDIS_URL: 'redis://127.0.0.1' }).operationalStore).toBe('redis');
      expect(loadAppConfig({}).operationalStore).toBe('database');
      expect(onlyProblem({ OPERATIONAL_STORE: 'memcached' }, 'OPERATIONAL_STORE')).toContain('redis');
    });

    it('DATA_PROTECTION_KEY_STORE=redis, without REDIS_URL, should stop', () => {
      expect(onlyProblem({ DATA_PROTECTION_KEY_STORE: 'redis' }, 'DATA_PROTECTION_KEY_STORE')).toContain('needs REDIS_URL');
      expect(loadAppConfig({ DATA_PROTECTION_KEY_STORE: 'redis', REDIS_URL: 'redis://127.0.0.1' }).dataProtection.keyStore).toBe('redis');
    });

    it('UI_* branding, when valid, should be taken (colour in lower case, a local or http(s) logo)', () => {
      expect(loadAppConfig({
        UI_PRODUCT_NAME: 'ACME Login', UI_PRIMARY_COLOR: '#C0FFEE', UI_LOGO_URL: '/branding/logo.svg', UI_DEFAULT_LANGUAGE: 'de',
      }).ui).toEqual({ productName: 'ACME Login', primaryColor: '#c0ffee', logoUrl: '/branding/logo.svg', defaultLanguage: 'de' });
      expect(loadAppConfig({ UI_LOGO_URL: 'https://cdn.acme.example/logo.png', UI_PRIMARY_COLOR: '#0a0' }).ui)
        .toMatchObject({ logoUrl: 'https://cdn.acme.example/logo.png', primaryColor: '#0a0' });
    });

    it.each([['blue'], ['#12345'], ['#1234567'], ['#ggg'], ['rgb(0,0,0)'], ['#123; background:url(x)']])(
      'UI_PRIMARY_COLOR=%p, should stop asking for a CSS hex colour', (value) => {
        expect(onlyProblem({ UI_PRIMARY_COLOR: value }, 'UI_PRIMARY_COLOR')).toBe(`UI_PRIMARY_COLOR: expected a CSS hex colour like #2557d6 or #25d, got "${value}"`);
      },
    );

    it.each([['javascript:alert(1)'], ['//evil.example/logo.png'], ['ftp://host/logo.png'], ['logo.png'], ['/logo.png" onerror="x']])(
      'UI_LOGO_URL=%p, should stop asking for an http(s) URL or a local path', (value) => {
        expect(onlyProblem({ UI_LOGO_URL: value }, 'UI_LOGO_URL')).toContain('expected an https:// or http:// URL or a local path');
      },
    );

    it('UI_DEFAULT_LANGUAGE, when not a language the pages speak, should stop naming those', () => {
      expect(onlyProblem({ UI_DEFAULT_LANGUAGE: 'fr' }, 'UI_DEFAULT_LANGUAGE')).toBe('UI_DEFAULT_LANGUAGE: expected one of en, de, got "fr"');
    });

    it('DATA_PROTECTION_CERTIFICATE, without its key, should stop', () => {
      expect(onlyProblem({ DATA_PROTECTION_CERTIFICATE: 'cert.pem' }, 'DATA_PROTECTION_CERTIFICATE'))
        .toContain('DATA_PROTECTION_CERTIFICATE_KEY');
    });

    it('when several values are wrong, should report every one in a single ConfigError', () => {
      const problems = problemsFor({ PORT: 'x', LOG_LEVEL: 'loud', KNOWN_PROXIES: 'proxy', KEY_MANAGEMENT_CHECK_INTERVAL: 'often' });
      expect(problems.map((p) => p.split(':')[0]).sort())
        .toEqual(['KEY_MANAGEMENT_CHECK_INTERVAL', 'KNOWN_PROXIES', 'LOG_LEVEL', 'PORT']);
    });

    it('the ConfigError message, should list each problem on its own line', () => {
      expect(() => loadAppConfig({ PORT: 'x' })).toThrow(/Invalid configuration:\n {2}- PORT: expected a whole number/);
    });
  });
});

import { loadAppConfig } from '../../config/app-config';
import { untrustedProxyFindings } from './forwarded-headers.check';
import { issuerSchemeFindings } from './issuer-scheme.check';
import { keyFolderFinding, keyFoldersOf } from './key-folder-git.check';
import { keyRingEncryptionFindings } from './key-ring-encryption.check';
import { redisPersistenceFindings } from './redis-persistence.check';

const MASTER_KEY = Buffer.alloc(32, 1).toString('base64');

describe('keyRingEncryptionFindings', () => {
  it('without master key or certificate, should warn in development and be an error in production', () => {
    expect(keyRingEncryptionFindings(loadAppConfig({})).map((f) => [f.id, f.severity])).toEqual([['key-ring-unencrypted', 'warning']]);
    expect(keyRingEncryptionFindings(loadAppConfig({ NODE_ENV: 'production' }))[0].severity).toBe('error');
  });

  it('with a master key, should find nothing', () => {
    expect(keyRingEncryptionFindings(loadAppConfig({ NODE_ENV: 'production', DATA_PROTECTION_MASTER_KEY: MASTER_KEY }))).toEqual([]);
  });
});

describe('issuerSchemeFindings', () => {
  it('should flag an http:// ISSUER_URI in production only', () => {
    expect(issuerSchemeFindings(loadAppConfig({ NODE_ENV: 'production', ISSUER_URI: 'http://id.example' })).map((f) => f.id)).toEqual(['issuer-http-in-production']);
    expect(issuerSchemeFindings(loadAppConfig({ ISSUER_URI: 'http://id.example' }))).toEqual([]);
    expect(issuerSchemeFindings(loadAppConfig({ NODE_ENV: 'production', ISSUER_URI: 'https://id.example' }))).toEqual([]);
  });
});

describe('keyFoldersOf and keyFolderFinding', () => {
  it('should look at the folders of file stores only', () => {
    expect(keyFoldersOf(loadAppConfig({}))).toEqual([]);
    expect(keyFoldersOf(loadAppConfig({ KEY_MANAGEMENT_KEY_STORE: 'file', KEY_MANAGEMENT_KEY_PATH: '/k', DATA_PROTECTION_KEY_STORE: 'file', DATA_PROTECTION_KEY_PATH: '/d' })))
      .toEqual([{ setting: 'KEY_MANAGEMENT_KEY_PATH', path: '/k' }, { setting: 'DATA_PROTECTION_KEY_PATH', path: '/d' }]);
  });

  it('should be an error when git would commit the folder, a warning without git to ask, nothing when ignored or outside', () => {
    const folder = { setting: 'KEY_MANAGEMENT_KEY_PATH', path: '/repo/keys' } as const;
    expect(keyFolderFinding(folder, 'tracked-or-untracked').map((f) => f.severity)).toEqual(['error']);
    expect(keyFolderFinding(folder, 'inside-unknown').map((f) => f.severity)).toEqual(['warning']);
    expect(keyFolderFinding(folder, 'ignored')).toEqual([]);
    expect(keyFolderFinding(folder, 'outside')).toEqual([]);
  });
});

describe('untrustedProxyFindings', () => {
  it('should warn with the count and the last peer, and name KNOWN_PROXIES', () => {
    const [finding] = untrustedProxyFindings(loadAppConfig({}), [{ where: 'a', count: 2, lastPeer: '10.1.2.3' }, { where: 'b', count: 0 }]);
    expect(finding).toMatchObject({ id: 'forwarded-headers-from-untrusted-proxy', severity: 'warning', message: expect.stringMatching(/^2 request\(s\) on a .*10\.1\.2\.3/) });
    expect(finding.fix).toContain('KNOWN_PROXIES');
    expect(untrustedProxyFindings(loadAppConfig({}), [{ where: 'a', count: 0 }])).toEqual([]);
  });
});

describe('redisPersistenceFindings', () => {
  const none = { appendonly: 'no', save: '' };
  it('without AOF or RDB, should be an error for the key ring and a warning for the replay cache', () => {
    const redis = { REDIS_URL: 'redis://r:6379' };
    expect(redisPersistenceFindings(loadAppConfig({ ...redis, DATA_PROTECTION_KEY_STORE: 'redis' }), none).map((f) => [f.id, f.severity]))
      .toEqual([['redis-key-ring-not-persisted', 'error']]);
    expect(redisPersistenceFindings(loadAppConfig(redis), none).map((f) => [f.id, f.severity])).toEqual([['redis-replay-cache-not-persisted', 'warning']]);
  });

  it('without AOF or RDB, holding the operational store, should be an error naming OPERATIONAL_STORE', () => {
    const findings = redisPersistenceFindings(loadAppConfig({ REDIS_URL: 'redis://r:6379', OPERATIONAL_STORE: 'redis' }), none);
    expect(findings.map((f) => [f.id, f.severity])).toEqual([['redis-operational-store-not-persisted', 'error']]);
    expect(findings[0].fix).toContain('OPERATIONAL_STORE');
    expect(redisPersistenceFindings(loadAppConfig({ REDIS_URL: 'redis://r:6379', OPERATIONAL_STORE: 'redis', DATA_PROTECTION_KEY_STORE: 'redis' }), none)
      .map((f) => f.id)).toEqual(['redis-key-ring-not-persisted', 'redis-operational-store-not-persisted']);
    expect(redisPersistenceFindings(loadAppConfig({ REDIS_URL: 'redis://r:6379', OPERATIONAL_STORE: 'redis' }), { appendonly: 'yes', save: '' })).toEqual([]);
  });

  it('with AOF or a save schedule, should find nothing', () => {
    const config = loadAppConfig({ REDIS_URL: 'redis://r:6379' });
    expect(redisPersistenceFindings(config, { appendonly: 'yes', save: '' })).toEqual([]);
    expect(redisPersistenceFindings(config, { appendonly: 'no', save: '3600 1 300 100' })).toEqual([]);
  });
});

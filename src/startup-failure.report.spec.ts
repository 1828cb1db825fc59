import { StartupError } from './common/startup-error';
import { loadAppConfig } from './config/app-config';
import { ConfigError } from './config/config-error';
import { startupFailureOf } from './startup-failure.report';

describe('startupFailureOf', () => {
  it('a ConfigError, should give one line with every problem, the settings and the fix', () => {
    const report = startupFailureOf(new ConfigError(['PORT: bad', 'HOST: worse']), undefined);
    expect(report.message).toBe('start-up failed: Invalid configuration: PORT: bad; HOST: worse — fix: '
      + 'change the settings listed, in the environment or .env (docs/settings.md)');
    expect(report.fields).toEqual({ setting: 'PORT, HOST', fix: expect.any(String), problems: ['PORT: bad', 'HOST: worse'] });
  });

  it('a StartupError, should keep its setting and file', () => {
    const report = startupFailureOf(new StartupError('cannot open it', { setting: 'DATABASE_URL', file: 'x', fix: 'do y (docs/a.md)' }), undefined);
    expect(report).toEqual({ message: 'start-up failed: cannot open it — fix: do y (docs/a.md)', fields: { setting: 'DATABASE_URL', file: 'x', fix: 'do y (docs/a.md)' } });
  });

  it.each([
    ['SQLite', 'no such table: data_protection_keys'],
    ['PostgreSQL', 'relation "data_protection_keys" does not exist'],
  ])('a missing table (%s), should point to `npm run cli -- migrate`', (_db, text) => {
    const error = new Error('Data protection could not load its key ring', { cause: new Error(text) });
    const report = startupFailureOf(error, loadAppConfig({ DATABASE_MIGRATIONS_RUN: 'false' }));
    expect(report.fields.setting).toBe('DATABASE_MIGRATIONS_RUN');
    expect(report.message).toMatch(/no table data_protection_keys.*DATABASE_MIGRATIONS_RUN=false.*npm run cli -- migrate/);
  });

  it('a port in use, should name PORT', () => {
    const error = Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' });
    expect(startupFailureOf(error, loadAppConfig({ PORT: '5000' })).message).toMatch(/cannot listen on 0\.0\.0\.0:5000 .*another process.*PORT/);
  });

  it('anything else, should still be one line, with the way to see more', () => {
    const report = startupFailureOf(new Error('boom\nsecond line'), undefined);
    expect(report.message).toBe('start-up failed: boom second line — fix: start with LOG_LEVEL=debug to see where it failed (docs/settings.md)');
  });
});

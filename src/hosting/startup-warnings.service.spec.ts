import { Logger } from '@nestjs/common';
import { loadAppConfig } from '../config/app-config';
import { IdentityConfigurationHolder } from '../stores/config-file';
import { parseIdentityConfig } from '../stores/config-file/identity-config.loader';
import { StartupWarningsService } from './startup-warnings.service';

describe('StartupWarningsService', () => {
  afterEach(() => { jest.restoreAllMocks(); });

  it('when the configuration file is reloaded, should warn about the new version, and not after shutdown', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const config = loadAppConfig({ NODE_ENV: 'production', ISSUER_URI: 'https://id.example.test', CONFIG_FILE: 'identity.json' });
    const holder = new IdentityConfigurationHolder(await parseIdentityConfig('{}', 'identity.json'));
    const service = new StartupWarningsService(config, holder);
    service.onApplicationBootstrap();
    const demoUser = (): string[] => warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes('demo user'));
    expect(demoUser()).toEqual([]);

    holder.replace(await parseIdentityConfig(JSON.stringify({ users: [{ subjectId: '1', username: 'a', password: 'a' }] }), 'identity.json'));
    expect(demoUser()).toHaveLength(1);

    service.onModuleDestroy();
    holder.replace(await parseIdentityConfig(JSON.stringify({ users: [{ subjectId: '1', username: 'a', password: 'a' }] }), 'identity.json'));
    expect(demoUser()).toHaveLength(1);
  });
});

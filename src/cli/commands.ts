import type { CliCommand } from '../common/cli-command';
import { TOKEN_CLEANUP_COMMANDS } from '../token-cleanup/token-cleanup.cli';
import { DATABASE_COMMANDS } from '../database/database.cli';
import { KEYS_COMMANDS } from '../key-management/keys.cli';
import { DATA_PROTECTION_COMMANDS } from '../data-protection/data-protection.cli';
import { DEPLOYMENT_COMMANDS } from '../deployment/deployment.cli';
import { CONFIGURATION_STORE_COMMANDS } from '../stores/configuration-store.cli';

/**
 * Every admin command. Each feature exports its commands from `<feature>.cli.ts`; add one
 * import and one spread per feature here.
 */
export const CLI_COMMANDS: readonly CliCommand[] = [
  ...TOKEN_CLEANUP_COMMANDS,
  ...DATABASE_COMMANDS,
  ...KEYS_COMMANDS,
  ...DATA_PROTECTION_COMMANDS,
  ...DEPLOYMENT_COMMANDS,
  ...CONFIGURATION_STORE_COMMANDS,
];

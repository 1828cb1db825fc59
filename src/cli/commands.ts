import type { CliCommand } from './cli-command';

/**
 * Every admin command. Each feature exports its commands from `<feature>.cli.ts`; add one
 * import and one spread per feature here.
 */
export const CLI_COMMANDS: readonly CliCommand[] = [];

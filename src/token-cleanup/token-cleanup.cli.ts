import { JSON_OPTION, type CliCommand } from '../common/cli-command';
import { TokenCleanupService } from './token-cleanup.service';

/** `npm run cli -- cleanup`: remove expired grants, device codes and sessions now (docs/cli.md). */
export const TOKEN_CLEANUP_COMMANDS: readonly CliCommand[] = [
  {
    name: 'cleanup',
    description: 'remove expired grants, device codes and server-side sessions now',
    access: 'writes',
    options: [JSON_OPTION],
    // The service alone: TokenCleanupModule would also start its scheduler.
    providers: [TokenCleanupService],
    async run(app, args, out) {
      const result = await app.get(TokenCleanupService).removeExpired();
      if (args.json) {
        out.json(result);
      } else {
        out.line(`Removed ${result.persistedGrants} persisted grants, ${result.deviceCodes} device codes, `
          + `${result.serverSideSessions} server-side sessions, ${result.attemptCounters} attempt counters.`);
      }
      return 0;
    },
  },
];

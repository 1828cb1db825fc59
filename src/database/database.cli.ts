import { JSON_OPTION, type CliCommand } from '../common/cli-command';
import { DatabaseMigrator } from './database.migrator';

/**
 * `npm run cli -- migrate`: runs pending migrations. Starting the CLI already migrates when
 * DATABASE_MIGRATIONS_RUN is true, so what start-up applied is reported as well.
 */
export const migrateCommand: CliCommand = {
  name: 'migrate',
  description: 'run pending database migrations',
  access: 'writes',
  options: [JSON_OPTION],
  async run(app, args, out) {
    const migrator = app.get(DatabaseMigrator);
    const migrations = [...migrator.appliedAtStartup, ...(await migrator.runPending())];
    if (args.json) {
      out.json({ migrations });
    } else if (migrations.length === 0) {
      out.line('Database schema is up to date: no pending migrations.');
    } else {
      out.line(`Applied ${migrations.length} migration(s):`);
      for (const name of migrations) out.line(`  ${name}`);
    }
    return 0;
  },
};

export const DATABASE_COMMANDS: readonly CliCommand[] = [migrateCommand];

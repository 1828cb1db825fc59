import { JSON_OPTION, type CliCommand } from '../common/cli-command';
import { DataProtectionModule } from './data-protection.module';
import { KeyRingService } from './key-ring.service';

/** `npm run cli -- data-protection list [--json]` (docs/cli.md): the key ring's keys, never their material. */
export const DATA_PROTECTION_COMMANDS: readonly CliCommand[] = [
  {
    name: 'data-protection list',
    description: 'list the data-protection key ring: id, created, activation, expiration, revoked',
    access: 'read-only',
    options: [JSON_OPTION],
    imports: [DataProtectionModule],
    async run(app, args, out) {
      const ring = app.get(KeyRingService);
      const { keys, defaultKeyId } = await ring.listKeys();
      const sorted = [...keys].sort((a, b) => a.activationDate.getTime() - b.activationDate.getTime());
      if (args.json) {
        out.json({
          keys: sorted.map((k) => ({
            id: k.id,
            created: k.creationDate.toISOString(),
            activation: k.activationDate.toISOString(),
            expiration: k.expirationDate.toISOString(),
            revoked: k.revoked,
          })),
        });
        return 0;
      }
      out.line(`Key ring of "${ring.applicationName}" in ${ring.location}, encryption at rest: ${ring.encryption}`);
      const rows = [
        ['id', 'created', 'activation', 'expiration', 'revoked', 'default'],
        ...sorted.map((k) => [k.id, k.creationDate.toISOString(), k.activationDate.toISOString(), k.expirationDate.toISOString(),
          k.revoked ? 'yes' : 'no', k.id === defaultKeyId ? '*' : '']),
      ];
      const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
      for (const row of rows) out.line(row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd());
      return 0;
    },
  },
];

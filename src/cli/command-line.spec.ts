import { JSON_OPTION, type CliCommand } from '../common/cli-command';
import { commandUsage, parseCommandLine, usage } from './command-line';

function command(name: string, declaration: Partial<CliCommand> = {}): CliCommand {
  return { name, description: `does ${name}`, access: 'read-only', options: [JSON_OPTION], run: async () => 0, ...declaration };
}

const keysList = command('keys list');
const keysRotate = command('keys rotate', { access: 'writes' });
const migrate = command('migrate', { access: 'writes' });
const clientsShow = command('clients show', {
  arguments: [{ name: 'clientId', description: 'the client' }],
  options: [JSON_OPTION, { name: 'out', description: 'write to a file', value: 'FILE' }],
});
const COMMANDS = [migrate, keysList, keysRotate, clientsShow];

describe('parseCommandLine', () => {
  it('parseCommandLine, when given nothing, help, --help or -h, should ask for the whole help', () => {
    for (const argv of [[], ['help'], ['--help'], ['-h']]) expect(parseCommandLine(argv, COMMANDS)).toEqual({ kind: 'help' });
  });

  it('parseCommandLine, when given a command and --json, should run it with json set', () => {
    expect(parseCommandLine(['keys', 'list', '--json'], COMMANDS)).toEqual({
      kind: 'run', command: keysList, args: { argv: [], json: true, options: { json: true } },
    });
    expect(parseCommandLine(['keys', 'rotate'], COMMANDS)).toMatchObject({ kind: 'run', command: keysRotate, args: { json: false } });
  });

  it('parseCommandLine, when an optional argument is left out or given, should run; one more word should be refused', () => {
    const configImport = command('config import', { access: 'writes', arguments: [{ name: 'FILE', description: 'the file', optional: true }] });
    expect(parseCommandLine(['config', 'import'], [configImport])).toMatchObject({ kind: 'run', args: { argv: [] } });
    expect(parseCommandLine(['config', 'import', 'a.json'], [configImport])).toMatchObject({ kind: 'run', args: { argv: ['a.json'] } });
    expect(parseCommandLine(['config', 'import', 'a.json', 'b.json'], [configImport])).toMatchObject({ kind: 'error', message: 'unexpected argument "b.json" for "config import"' });
    expect(commandUsage(configImport)).toContain('config import [FILE]');
  });

  it('parseCommandLine, when given <command> --help, -h or help <command>, should ask for that command\'s help', () => {
    for (const argv of [['keys', 'list', '--help'], ['keys', 'list', '--json', '-h'], ['help', 'keys', 'list']]) {
      expect(parseCommandLine(argv, COMMANDS)).toEqual({ kind: 'command-help', command: keysList });
    }
  });

  it('parseCommandLine, when the command is unknown, should say so and name it', () => {
    expect(parseCommandLine(['bogus'], COMMANDS)).toEqual({ kind: 'error', message: 'unknown command "bogus"' });
    expect(parseCommandLine(['help', 'bogus'], COMMANDS)).toEqual({ kind: 'error', message: 'unknown command "bogus"' });
  });

  it('parseCommandLine, when the command is close to known ones, should suggest them', () => {
    expect(parseCommandLine(['migrat'], COMMANDS)).toMatchObject({ message: 'unknown command "migrat" (did you mean "migrate"?)' });
    expect(parseCommandLine(['keys', 'lst', '--json'], COMMANDS))
      .toMatchObject({ message: 'unknown command "keys lst" (did you mean "keys list" or "keys rotate"?)' });
    expect(parseCommandLine(['keys'], COMMANDS)).toMatchObject({ kind: 'error', message: expect.stringMatching(/^unknown command "keys" \(did you mean/) });
  });

  it('parseCommandLine, when an option is not declared by the command, should name the option and the command', () => {
    expect(parseCommandLine(['keys', 'list', '--jsn'], COMMANDS))
      .toEqual({ kind: 'error', message: 'unknown option "--jsn" for "keys list"', command: keysList });
    expect(parseCommandLine(['keys', 'list', '-j'], COMMANDS)).toMatchObject({ message: 'unknown option "-j" for "keys list"' });
    expect(parseCommandLine(['--jsn'], COMMANDS)).toEqual({ kind: 'error', message: 'unknown option "--jsn"' });
  });

  it('parseCommandLine, when a flag is given a value, should refuse it', () => {
    expect(parseCommandLine(['keys', 'list', '--json=yes'], COMMANDS))
      .toMatchObject({ kind: 'error', message: 'option "--json" of "keys list" takes no value' });
  });

  it('parseCommandLine, when a word is left over, should refuse it instead of ignoring it', () => {
    expect(parseCommandLine(['keys', 'list', 'now'], COMMANDS))
      .toMatchObject({ kind: 'error', message: 'unexpected argument "now" for "keys list"' });
  });

  it('parseCommandLine, when a command declares arguments and valued options, should read both forms', () => {
    expect(parseCommandLine(['clients', 'show', 'web', '--out', 'a.json'], COMMANDS))
      .toMatchObject({ kind: 'run', args: { argv: ['web'], options: { out: 'a.json' } } });
    expect(parseCommandLine(['clients', 'show', '--out=a.json', 'web', '--json'], COMMANDS))
      .toMatchObject({ kind: 'run', args: { argv: ['web'], json: true, options: { out: 'a.json', json: true } } });
    expect(parseCommandLine(['clients', 'show', 'web', '--out'], COMMANDS))
      .toMatchObject({ kind: 'error', message: 'option "--out" of "clients show" needs a value (FILE)' });
    expect(parseCommandLine(['clients', 'show'], COMMANDS)).toMatchObject({ kind: 'error', message: '"clients show" needs <clientId>' });
  });
});

describe('usage', () => {
  it('usage should list every command and mark those that write', () => {
    const text = usage(COMMANDS);
    expect(text).toMatch(/^ {2}keys list\s+does keys list$/m);
    expect(text).toMatch(/^ {2}keys rotate\s+does keys rotate \(writes\)$/m);
  });

  it('commandUsage should give the description, the options and whether the command writes', () => {
    expect(commandUsage(keysList)).toContain('Read-only: never migrates the database, creates keys or writes any file.');
    expect(commandUsage(keysList)).toMatch(/^ {2}--json\s+print only JSON/m);
    expect(commandUsage(keysRotate)).toContain('Writes: changes the database or the key stores.');
    expect(commandUsage(clientsShow)).toMatch(/^Usage: npm run -s cli -- clients show <clientId> \[options\]$/m);
    expect(commandUsage(clientsShow)).toMatch(/^ {2}--out FILE\s+write to a file$/m);
  });
});

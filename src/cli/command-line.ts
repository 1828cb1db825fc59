import type { CliArgs, CliCommand } from '../common/cli-command';

/** What the words after `npm run cli --` ask for. */
export type CommandLine =
  | { readonly kind: 'help' }
  | { readonly kind: 'command-help'; readonly command: CliCommand }
  | { readonly kind: 'run'; readonly command: CliCommand; readonly args: CliArgs }
  /** a mistake: `message` for stderr, then the help of `command` (or of the whole CLI) */
  | { readonly kind: 'error'; readonly message: string; readonly command?: CliCommand };

const HELP_WORDS = new Set(['help', '--help', '-h']);

/** The command whose name the leading words spell, longest name first ("keys list" before "keys"). */
function findCommand(words: readonly string[], commands: readonly CliCommand[]): CliCommand | undefined {
  return [...commands].sort((a, b) => b.name.length - a.name.length)
    .find((c) => c.name.split(' ').every((w, i) => words[i] === w));
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length];
}

/** Command names close to what was typed: a small edit away, or sharing its first word ("keys lst"). */
export function closeMatches(typed: string, commands: readonly CliCommand[]): string[] {
  const first = typed.split(' ')[0];
  return commands.map((c) => c.name).filter((name) => distance(typed, name) <= 2 || name.split(' ')[0] === first);
}

function unknownCommand(words: readonly string[], commands: readonly CliCommand[]): CommandLine {
  // The words that could be a command name: up to the first option, at most as many as the longest name.
  const longest = Math.max(...commands.map((c) => c.name.split(' ').length));
  const end = words.findIndex((w) => w.startsWith('-'));
  const typed = words.slice(0, Math.min(end === -1 ? words.length : end, longest)).join(' ');
  if (typed === '') return { kind: 'error', message: `unknown option "${words[0]}"` };
  const matches = closeMatches(typed, commands);
  const hint = matches.length > 0 ? ` (did you mean ${matches.map((m) => `"${m}"`).join(' or ')}?)` : '';
  return { kind: 'error', message: `unknown command "${typed}"${hint}` };
}

/**
 * Parses the CLI's words against the commands' declarations: the command, then its declared
 * options (`--json`, `--name VALUE`, `--name=VALUE`) and arguments in any order. Anything
 * undeclared is a mistake to report, never ignored: a mistyped `--jsn` must not silently
 * print text where a script expects JSON.
 */
export function parseCommandLine(argv: readonly string[], commands: readonly CliCommand[]): CommandLine {
  if (argv.length === 0 || HELP_WORDS.has(argv[0])) {
    const named = argv.length > 1 ? findCommand(argv.slice(1), commands) : undefined;
    if (named) return { kind: 'command-help', command: named };
    return argv.length > 1 ? unknownCommand(argv.slice(1), commands) : { kind: 'help' };
  }
  const command = findCommand(argv, commands);
  if (!command) return unknownCommand(argv, commands);
  const rest = argv.slice(command.name.split(' ').length);
  const options: Record<string, string | true> = {};
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i];
    if (HELP_WORDS.has(word) && word !== 'help') return { kind: 'command-help', command };
    if (!word.startsWith('-') || word === '-') {
      positional.push(word);
      continue;
    }
    const [flag, inline] = word.includes('=') ? [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)] : [word, undefined];
    const option = flag.startsWith('--') ? command.options.find((o) => o.name === flag.slice(2)) : undefined;
    if (!option) return { kind: 'error', message: `unknown option "${flag}" for "${command.name}"`, command };
    if (option.value === undefined) {
      if (inline !== undefined) return { kind: 'error', message: `option "--${option.name}" of "${command.name}" takes no value`, command };
      options[option.name] = true;
    } else {
      const value = inline ?? rest[i + 1];
      if (value === undefined || (inline === undefined && value.startsWith('--'))) {
        return { kind: 'error', message: `option "--${option.name}" of "${command.name}" needs a value (${option.value})`, command };
      }
      if (inline === undefined) i++;
      options[option.name] = value;
    }
  }
  const declared = command.arguments ?? [];
  if (positional.length > declared.length) {
    return { kind: 'error', message: `unexpected argument "${positional[declared.length]}" for "${command.name}"`, command };
  }
  if (positional.length < declared.filter((a) => !a.optional).length) {
    return { kind: 'error', message: `"${command.name}" needs <${declared[positional.length].name}>`, command };
  }
  return { kind: 'run', command, args: { argv: positional, json: options.json === true, options } };
}

function table(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
}

/** `npm run cli -- --help`: every command, and which ones write. */
export function usage(commands: readonly CliCommand[]): string {
  return [
    'Usage: npm run -s cli -- <command> [options]',
    '       npm run -s cli -- <command> --help',
    '',
    'Commands:',
    ...table(commands.map((c) => [c.name, `${c.description}${c.access === 'writes' ? ' (writes)' : ''}`])),
    '',
    'Read-only commands never migrate, create keys or write any file; commands marked (writes) change the database or key stores.',
  ].join('\n');
}

/** `npm run cli -- keys list --help`. */
export function commandUsage(command: CliCommand): string {
  const words = (command.arguments ?? []).map((a) => (a.optional ? ` [${a.name}]` : ` <${a.name}>`)).join('');
  const options: [string, string][] = [
    ...command.options.map((o): [string, string] => [`--${o.name}${o.value ? ` ${o.value}` : ''}`, o.description]),
    ['--help', 'show this help'],
  ];
  return [
    `Usage: npm run -s cli -- ${command.name}${words}${command.options.length > 0 ? ' [options]' : ''}`,
    '',
    `${command.description}.`,
    command.access === 'read-only'
      ? 'Read-only: never migrates the database, creates keys or writes any file.'
      : 'Writes: changes the database or the key stores.',
    ...(command.arguments && command.arguments.length > 0 ? ['', 'Arguments:', ...table(command.arguments.map((a) => [`<${a.name}>`, a.description]))] : []),
    '',
    'Options:',
    ...table(options),
  ].join('\n');
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { settingsTheServerReads } from '../support/settings-read';

const ROOT = join(__dirname, '../..');

/** The text of the `## heading` section of a Markdown file, up to the next `## `. */
function section(file: string, heading: string): string {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const start = text.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`${file} has no "## ${heading}" section`);
  const end = text.indexOf('\n## ', start + 1);
  return text.slice(start, end < 0 ? undefined : end);
}

function fencedBlocks(text: string, language: string): string[] {
  return [...text.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]);
}

/** Rows `| \`NAME\` | value | …` of the settings table: name → production value. */
function settingsTable(text: string): Record<string, string> {
  const rows: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const row = /^\| `([A-Z][A-Z0-9_]*)` \| (.*?) \|/.exec(line);
    if (row) rows[row[1]] = row[2];
  }
  return rows;
}

const readme = section('README.md', 'Production');
const guide = section('docs/deployment.md', 'Installing for production');
const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** The README's Production section and docs/deployment.md say the same thing, and only true things. */
describe('production install documentation (README.md, docs/deployment.md)', () => {
  it('README and deployment guide, should show the same install commands and systemd unit', () => {
    expect(fencedBlocks(readme, 'sh')[0]).toBe(fencedBlocks(guide, 'sh')[0]);
    expect(fencedBlocks(readme, 'ini')).toEqual(fencedBlocks(guide, 'ini'));
    expect(fencedBlocks(readme, 'ini')).toHaveLength(1);
  });

  it('README and deployment guide, should list the same settings to change, with the same values', () => {
    const inReadme = settingsTable(readme);
    expect(Object.keys(inReadme)).toEqual(expect.arrayContaining(['ISSUER_URI', 'DATABASE_URL', 'REDIS_URL', 'DATA_PROTECTION_MASTER_KEY', 'HOST', 'CONFIG_FILE']));
    expect(settingsTable(guide)).toEqual(inReadme);
  });

  it('every setting named, should be one the server reads', () => {
    const read = new Set(settingsTheServerReads());
    const named = new Set([...`${readme}\n${guide}`.matchAll(/`([A-Z][A-Z0-9_]{2,})(?:=[^`]*)?`/g)].map((m) => m[1]));
    expect([...named].filter((name) => !read.has(name))).toEqual([]);
  });

  it('every `npm run` script named, should exist in package.json, and ExecStart should run what start:prod runs', () => {
    const named = new Set([...`${readme}\n${guide}`.matchAll(/npm run (?:-s )?([a-z:]+)/g)].map((m) => m[1]));
    expect([...named].filter((name) => scripts[name] === undefined)).toEqual([]);
    expect(fencedBlocks(readme, 'ini')[0]).toContain(`ExecStart=/usr/bin/${scripts['start:prod']}`);
  });
});

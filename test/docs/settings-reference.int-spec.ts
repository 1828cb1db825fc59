import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parse } from 'dotenv';
import { loadAppConfig } from '../../src/config/app-config';
import { settingsTheServerReads } from '../support/settings-read';

const ROOT = join(__dirname, '../..');

interface DocumentedSetting {
  readonly name: string;
  /** the default cell as written: `` `5000` ``, `unset`, … */
  readonly defaultCell: string;
  readonly notYetImplemented: boolean;
}

/** Splits a Markdown table row on `|`, keeping `\|` (an escaped pipe inside a cell) as text. */
function cells(row: string): string[] {
  return row.trim().replace(/^\||\|$/g, '').split(/(?<!\\)\|/).map((cell) => cell.trim().replace(/\\\|/g, '|'));
}

/**
 * The settings docs/settings.md documents: table rows whose first cell is one `NAME`, and
 * headings that are one `NAME`. A row or section under the "Not yet implemented" heading, or a
 * row that says so, is a reserved name the code does not read yet.
 */
function documentedSettings(text: string): DocumentedSetting[] {
  const settings: DocumentedSetting[] = [];
  let section = '';
  for (const line of text.split('\n')) {
    const heading = /^(#{2,4})\s+(.*)$/.exec(line);
    if (heading) {
      const named = /^`([A-Z][A-Z0-9_]*)`$/.exec(heading[2].trim());
      if (named) settings.push({ name: named[1], defaultCell: '', notYetImplemented: /not yet implemented/i.test(section) });
      else if (heading[1] === '##') section = heading[2];
      continue;
    }
    if (!line.startsWith('|')) continue;
    const row = cells(line);
    const named = /^`([A-Z][A-Z0-9_]*)`$/.exec(row[0]);
    if (!named) continue;
    settings.push({
      name: named[1],
      defaultCell: row[1] ?? '',
      notYetImplemented: /not yet implemented/i.test(section) || /not yet implemented/i.test(line),
    });
  }
  return settings;
}

/** The default cell as the value a `.env` line would carry: `` `90d` `` → `90d`, `unset` → ``. */
function defaultValue(cell: string): string | undefined {
  if (/^(unset|empty)$/i.test(cell)) return '';
  const code = /^`([^`]*)`$/.exec(cell);
  return code ? code[1] : undefined;
}

/** Keeps docs/settings.md in step with the code, the way env-example.int-spec.ts keeps .env.example. */
describe('docs/settings.md', () => {
  const text = readFileSync(join(ROOT, 'docs/settings.md'), 'utf8');
  const documented = documentedSettings(text);
  const implemented = documented.filter((s) => !s.notYetImplemented);
  const reserved = documented.filter((s) => s.notYetImplemented);
  const read = settingsTheServerReads();
  const envExample = parse(readFileSync(join(ROOT, '.env.example'), 'utf8'));

  it('should document every variable the server reads', () => {
    const names = new Set(implemented.map((s) => s.name));
    expect(read.filter((name) => !names.has(name))).toEqual([]);
  });

  it('should document only variables the server reads, unless marked not yet implemented', () => {
    expect(implemented.map((s) => s.name).filter((name) => !read.includes(name))).toEqual([]);
  });

  it('should not call a variable "not yet implemented" once the server reads it', () => {
    expect(reserved.map((s) => s.name).filter((name) => read.includes(name))).toEqual([]);
  });

  it('should document each variable once', () => {
    const names = documented.map((s) => s.name);
    expect(names.filter((name, index) => names.indexOf(name) !== index)).toEqual([]);
  });

  it('should give each variable the default that .env.example gives it', () => {
    const mismatches = implemented
      .filter((s) => s.name in envExample)
      .map((s) => ({ name: s.name, documented: defaultValue(s.defaultCell), envExample: envExample[s.name] }))
      .filter((m) => m.documented !== m.envExample);
    expect(mismatches).toEqual([]);
  });

  it('used as an environment, the documented defaults should give exactly the defaults', () => {
    const env: Record<string, string> = {};
    for (const setting of implemented) {
      const value = defaultValue(setting.defaultCell);
      expect({ name: setting.name, value }).toEqual({ name: setting.name, value: expect.any(String) });
      if (value !== undefined) env[setting.name] = value;
    }
    expect(loadAppConfig(env)).toEqual(loadAppConfig({}));
  });
});

/** GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const match of markdown.matchAll(/^#{1,6}\s+(.+)$/gm)) {
    anchors.add(match[1].trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-'));
  }
  return anchors;
}

/** The README and docs/ are the whole user reference: every link stays inside the repository and resolves. */
describe('links in README.md and docs/', () => {
  const pages = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

  it.each(pages)('%s should link only to files and headings that exist in the repository', (page) => {
    const text = readFileSync(join(ROOT, page), 'utf8').replace(/```[\s\S]*?```/g, '');
    const broken: string[] = [];
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^https?:/.test(target)) continue;
      const [file, anchor] = target.split('#');
      const path = file === '' ? join(ROOT, page) : resolve(dirname(join(ROOT, page)), file);
      if (relative(ROOT, path).startsWith('..') || !existsSync(path)) {
        broken.push(target);
      } else if (anchor !== undefined && path.endsWith('.md') && !anchorsOf(readFileSync(path, 'utf8')).has(anchor)) {
        broken.push(target);
      }
    }
    expect(broken).toEqual([]);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');

/** A Markdown file of the repository, by its path from the root (README.md, docs/deployment.md). */
export function readDoc(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

/**
 * The fenced code block that directly follows the HTML comment `<!-- marker… -->` (the way the
 * docs mark an example that a test runs). Throws when the marker or its block is missing, so a
 * doc edit that drops the example fails the test instead of skipping it.
 */
export function markedBlock(markdown: string, marker: string): string {
  const start = markdown.indexOf(`<!-- ${marker}`);
  if (start < 0) throw new Error(`no <!-- ${marker} --> comment in the document`);
  const match = /^[^\n]*-->\n```[\w-]*\n([\s\S]*?)\n```$/m.exec(markdown.slice(start));
  if (!match || match.index !== 0) throw new Error(`the <!-- ${marker} --> comment is not directly followed by a fenced block`);
  return match[1];
}

/** The text of a section, from its heading line up to the next heading of the same or a higher level. */
export function section(markdown: string, heading: string): string {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => /^#{1,6} /.test(line) && line.replace(/^#+ /, '') === heading);
  if (start < 0) throw new Error(`no section "${heading}"`);
  const level = (/^#+/.exec(lines[start]) ?? [''])[0].length;
  const end = lines.findIndex((line, i) => i > start && new RegExp(`^#{1,${level}} `).test(line));
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

/** Every fenced block of one language in a piece of Markdown, in order. */
export function fencedBlocks(markdown: string, language: string): string[] {
  return [...markdown.matchAll(new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)\\n\`\`\`$`, 'gm'))].map((m) => m[1]);
}

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

/**
 * The text of a section, from its heading line up to the next heading of the same or a higher
 * level (lines inside fenced blocks, such as shell comments, are not headings).
 */
export function section(markdown: string, heading: string): string {
  const lines = markdown.split('\n');
  let fenced = false;
  const headingLevel = lines.map((line) => {
    if (line.startsWith('```')) fenced = !fenced;
    const hashes = fenced ? null : /^(#{1,6}) /.exec(line);
    return hashes ? hashes[1].length : 0;
  });
  const start = lines.findIndex((line, i) => headingLevel[i] > 0 && line.replace(/^#+ /, '') === heading);
  if (start < 0) throw new Error(`no section "${heading}"`);
  const end = headingLevel.findIndex((level, i) => i > start && level > 0 && level <= headingLevel[start]);
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

/** Every fenced block of one language in a piece of Markdown, in order. */
export function fencedBlocks(markdown: string, language: string): string[] {
  return [...markdown.matchAll(new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)\\n\`\`\`$`, 'gm'))].map((m) => m[1]);
}

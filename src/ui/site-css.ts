import { createHash } from 'node:crypto';

/** The stylesheet of the default pages, with the one brand colour worked in. */
export interface SiteStylesheet {
  readonly css: string;
  /** strong ETag and cache-busting version of exactly this text */
  readonly etag: string;
  /** the path pages link to: `/ui/site.css?v=…` (the version changes with the colour) */
  readonly href: string;
}

export const SITE_CSS_PATH = '/ui/site.css';

/**
 * Builds /ui/site.css for UI_PRIMARY_COLOR. Text on the colour is white or black, whichever
 * reads better (WCAG 2 contrast); links use the colour darkened until it reaches 4.5:1 on white,
 * so any brand colour still gives readable pages.
 */
export function buildSiteStylesheet(primaryColor: string): SiteStylesheet {
  const cached = built.get(primaryColor);
  if (cached) return cached;
  const sheet = build(primaryColor);
  built.set(primaryColor, sheet);
  return sheet;
}

const built = new Map<string, SiteStylesheet>();

function build(primaryColor: string): SiteStylesheet {
  const primary = expandHex(primaryColor);
  const onPrimary = contrast(primary, [255, 255, 255]) >= 4.5 ? '#ffffff' : '#000000';
  const link = toHex(darkenUntil(primary, [255, 255, 255], 4.5));
  const css = SITE_CSS
    .replace(/__PRIMARY__/g, toHex(primary))
    .replace(/__ON_PRIMARY__/g, onPrimary)
    .replace(/__LINK__/g, link);
  const hash = createHash('sha256').update(css).digest('base64url').slice(0, 16);
  return { css, etag: `"${hash}"`, href: `${SITE_CSS_PATH}?v=${hash}` };
}

type Rgb = [number, number, number];

function expandHex(hex: string): Rgb {
  const digits = hex.replace('#', '');
  const full = digits.length === 3 ? digits.split('').map((d) => d + d).join('') : digits;
  return [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16)) as Rgb;
}

function toHex(rgb: Rgb): string {
  return `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;
}

function luminance(rgb: Rgb): number {
  const [r, g, b] = rgb.map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG 2 contrast ratio of two colours (1 to 21). */
export function contrast(a: Rgb, b: Rgb): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (light + 0.05) / (dark + 0.05);
}

function darkenUntil(color: Rgb, background: Rgb, ratio: number): Rgb {
  let current = color;
  for (let i = 0; i < 40 && contrast(current, background) < ratio; i++) current = current.map((c) => c * 0.92) as Rgb;
  return current;
}

const SITE_CSS = `/* Default pages of the identity server: no fonts, no scripts, no external assets. */
:root {
  --primary: __PRIMARY__;
  --on-primary: __ON_PRIMARY__;
  --link: __LINK__;
  --text: #1b1f24;
  --muted: #515a67;
  --border: #7b8494;
  --line: #dde1e8;
  --page: #f3f5f9;
  --card: #ffffff;
  --danger: #b3261e;
  --danger-bg: #fdeceb;
  --success: #1d6b34;
  --success-bg: #e7f5eb;
  --focus: #1a1a1a;
  --radius: 10px;
}
*, *::before, *::after { box-sizing: border-box; }
html { font-size: 100%; -webkit-text-size-adjust: 100%; }
body {
  margin: 0; min-height: 100vh; display: flex; flex-direction: column; align-items: center;
  background: var(--page); color: var(--text);
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif;
  font-size: 1rem; line-height: 1.5;
}
.skip { position: absolute; left: -999px; top: 0; background: var(--card); padding: .5rem 1rem; }
.skip:focus { left: 1rem; top: 1rem; z-index: 10; }
.brand { display: flex; align-items: center; gap: .6rem; margin: 2.5rem 0 1.25rem; font-size: 1.2rem; font-weight: 600; color: var(--text); }
.brand img { height: 2.25rem; width: auto; max-width: 12rem; }
main {
  width: 100%; max-width: 30rem; background: var(--card); border: 1px solid var(--line); border-radius: var(--radius);
  box-shadow: 0 1px 2px rgba(16, 24, 40, .06), 0 8px 24px rgba(16, 24, 40, .06); padding: 2rem 2rem 1.75rem;
}
main.wide { max-width: 44rem; }
h1 { font-size: 1.5rem; line-height: 1.25; margin: 0 0 .5rem; }
h2 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
p { margin: .5rem 0 1rem; }
a { color: var(--link); text-underline-offset: .15em; }
.lead { color: var(--muted); margin-top: 0; }
.client { display: flex; align-items: center; gap: .75rem; margin: 0 0 1.25rem; }
.client img { width: 3rem; height: 3rem; object-fit: contain; border-radius: 8px; border: 1px solid var(--line); background: #fff; }
.client p { margin: 0; color: var(--muted); }
.client strong { color: var(--text); }
.field { margin: 0 0 1rem; }
label { display: block; font-weight: 600; margin-bottom: .35rem; }
input[type=text], input[type=password] {
  display: block; width: 100%; min-height: 2.75rem; padding: .5rem .75rem; font: inherit; color: var(--text);
  background: #fff; border: 1px solid var(--border); border-radius: 8px;
}
input[aria-invalid=true] { border-color: var(--danger); border-width: 2px; }
.field-error { color: var(--danger); font-size: .925rem; margin: .35rem 0 0; }
.check { display: flex; align-items: center; gap: .5rem; margin: 1rem 0; }
.check label { display: inline; font-weight: 400; margin: 0; }
.check input { width: 1.15rem; height: 1.15rem; accent-color: var(--primary); }
.actions { display: flex; flex-wrap: wrap; gap: .75rem; margin-top: 1.5rem; }
.button, button {
  display: inline-flex; align-items: center; justify-content: center; min-height: 2.75rem; padding: .5rem 1.25rem;
  font: inherit; font-weight: 600; text-decoration: none; cursor: pointer;
  border-radius: 8px; border: 1px solid var(--border); background: #fff; color: var(--text);
}
.button.primary, button.primary { background: var(--primary); border-color: var(--primary); color: var(--on-primary); }
.actions .primary { flex: 1 1 auto; }
.button.block { display: flex; width: 100%; margin-top: .75rem; }
button:hover, .button:hover { filter: brightness(.95); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
input:focus-visible { outline: 3px solid var(--primary); outline-offset: 1px; border-color: var(--focus); }
.alert { border-left: 4px solid var(--danger); background: var(--danger-bg); color: #7a1712; padding: .75rem 1rem; border-radius: 6px; margin: 0 0 1.25rem; }
.notice { border-left: 4px solid var(--success); background: var(--success-bg); color: #14502a; padding: .75rem 1rem; border-radius: 6px; margin: 0 0 1.25rem; }
.separator { display: flex; align-items: center; gap: .75rem; color: var(--muted); margin: 1.5rem 0 .5rem; }
.separator::before, .separator::after { content: ""; flex: 1; border-top: 1px solid var(--line); }
.scopes { list-style: none; padding: 0; margin: 0 0 1rem; border: 1px solid var(--line); border-radius: 8px; }
.scopes li { padding: .6rem .9rem; border-top: 1px solid var(--line); }
.scopes li:first-child { border-top: 0; }
.scopes .desc { display: block; color: var(--muted); font-size: .925rem; }
.code {
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 1.6rem; letter-spacing: .15em;
  text-align: center; padding: .75rem; border: 2px dashed var(--border); border-radius: 8px; margin: .25rem 0 1rem;
}
.grants { list-style: none; padding: 0; margin: 1rem 0 0; }
.grant { display: flex; flex-wrap: wrap; align-items: center; gap: 1rem; padding: 1rem 0; border-top: 1px solid var(--line); }
.grant .client { margin: 0; flex: 1 1 16rem; }
.grant ul { margin: .25rem 0 0; padding-left: 1.1rem; color: var(--muted); font-size: .925rem; }
dl.meta { display: grid; grid-template-columns: auto 1fr; gap: .25rem 1rem; margin: 1rem 0; font-size: .925rem; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
.help { color: var(--muted); font-size: .925rem; }
footer { color: var(--muted); font-size: .85rem; margin: 1.25rem 0 2rem; }
@media (max-width: 560px) {
  .brand { margin: 1.25rem 0 .75rem; }
  main, main.wide { border-radius: 0; border-left: 0; border-right: 0; box-shadow: none; padding: 1.5rem 1.25rem; }
  .actions { flex-direction: column; }
  .actions button, .actions .button { width: 100%; }
}
@media (prefers-reduced-motion: no-preference) { button, .button { transition: filter .15s; } }
`;

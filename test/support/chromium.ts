import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * The browser suites' shared parts: the system Chromium (the suites are skipped, with a note,
 * where it is missing), axe-core run inside a page, and the screenshot folder.
 */
export const CHROMIUM = '/usr/bin/chromium';
const chromiumInstalled = existsSync(CHROMIUM);

/** `describe` where /usr/bin/chromium exists, else `describe.skip` with a note naming the suite. */
export function describeIfChromium(suite: string): jest.Describe {
  if (chromiumInstalled) return describe;
  process.stdout.write(`\n[tests] ${CHROMIUM} missing (apt-get install chromium): ${suite} is skipped\n`);
  return describe.skip;
}

/** Where every browser suite writes its screenshots (test-output/screenshots/). */
export const SCREENSHOTS = join(__dirname, '..', '..', 'test-output', 'screenshots');

export async function launchChromium(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }

/** axe-core in the page: the serious and critical violations (none expected). */
export async function seriousViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol: the pages' CSP (no script) stays on for the real checks.
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(options: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run({ resultTypes: ['violations'] })).violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Waits until the element shows (10 s at most), then asserts it is visible. */
export async function expectVisible(locator: { isVisible(): Promise<boolean>; waitFor(options: { state: 'visible'; timeout: number }): Promise<void> }): Promise<void> {
  await locator.waitFor({ state: 'visible', timeout: 10_000 });
  expect(await locator.isVisible()).toBe(true);
}

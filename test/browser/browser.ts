// Shared set-up for the browser tests: the seeded app listening on 127.0.0.1, Debian's
// Chromium through playwright-core, axe checks that print violations readably, and
// screenshots for the README (written only with UPDATE_SCREENSHOTS=1, so CI leaves the tree clean).
import { expect } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { buildTestApp, type TestApp } from '../helpers.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

export interface Harness {
  built: TestApp;
  baseUrl: string;
  browser: Browser;
  close(): Promise<void>;
}

/** Start the seeded app on a free loopback port and launch headless Chromium (with extra command-line `args`). */
export async function startHarness(opts: { args?: string[] } = {}): Promise<Harness> {
  const built = await buildTestApp({ seed: true });
  try {
    await built.app.listen({ port: 0, host: '127.0.0.1' });
  } catch (e) {
    await built.close();
    throw e;
  }
  const { port } = built.app.server.address() as AddressInfo;
  return withChromium({ built, baseUrl: `http://127.0.0.1:${port}`, close: () => built.close() }, opts);
}

/** Headless Chromium beside an app already listening (`close` stops both). */
export async function withChromium(
  app: { built: TestApp; baseUrl: string; close(): Promise<void> },
  opts: { args?: string[] } = {},
): Promise<Harness> {
  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        ...(opts.args ?? []),
      ],
    });
  } catch (e) {
    await app.close();
    throw e;
  }
  return {
    built: app.built,
    browser,
    baseUrl: app.baseUrl,
    async close() {
      await browser.close().catch(() => {});
      await app.close();
    },
  };
}

/** A fresh context (own cookies) with one page, at a desktop size. */
export async function newPage(h: Harness): Promise<{ context: BrowserContext; page: Page }> {
  const context = await h.browser.newContext({ baseURL: h.baseUrl, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // A form answered with 400 or 401 is expected (the page with the error summary); a stylesheet,
  // script or image that fails to load, a CSP refusal or a script error is not.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console error: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && r.request().resourceType() !== 'document')
      problems.push(`${r.status()} for ${r.request().resourceType()} ${r.url()}`);
  });
  page.on('requestfailed', (r) => {
    // ERR_ABORTED is the browser dropping a request because the page navigated away (e.g. a
    // favicon still loading when a form redirects to another site): not a broken resource.
    if (r.resourceType() !== 'document' && r.failure()?.errorText !== 'net::ERR_ABORTED') {
      problems.push(`failed to load ${r.resourceType()} ${r.url()}: ${r.failure()?.errorText}`);
    }
  });
  (page as any).problems = problems;
  return { context, page };
}

/** Script errors, console errors (CSP refusals) and sub-resources that failed to load on this page. */
export function pageProblems(page: Page): string[] {
  return (page as any).problems ?? [];
}

export interface AxeViolation {
  id: string;
  impact?: string | null;
  help: string;
  helpUrl: string;
  nodes: { target: unknown[]; html: string; failureSummary?: string }[];
}

/** Violations as text a person can act on: rule, impact, help, and each offending element. */
export function formatViolations(where: string, violations: AxeViolation[]): string {
  if (!violations.length) return '';
  const lines = [`${violations.length} accessibility violation(s) on ${where}:`];
  for (const v of violations) {
    lines.push(`\n- [${v.impact ?? 'unknown'}] ${v.id}: ${v.help}\n  ${v.helpUrl}`);
    for (const n of v.nodes.slice(0, 5)) {
      lines.push(`    at ${n.target.join(' ')}\n      ${n.html.replace(/\s+/g, ' ').slice(0, 200)}`);
      if (n.failureSummary) lines.push(...n.failureSummary.split('\n').map((s) => `      ${s}`));
    }
    if (v.nodes.length > 5) lines.push(`    … and ${v.nodes.length - 5} more`);
  }
  return lines.join('\n');
}

/** Run axe (WCAG 2.0–2.2 A/AA) on the page as it is now; returns the readable report ('' if clean). */
export async function axeReport(page: Page, where = page.url(), opts: { print?: boolean } = {}): Promise<string> {
  const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  const report = formatViolations(where, results.violations as AxeViolation[]);
  if (report && opts.print !== false) console.log(report);
  return report;
}

/**
 * Open each path in English and in Welsh (`lang=` appended): each answers `status(path)` (200 unless
 * given), has <html lang> of that language, and passes axe. Throws on the first page that does not.
 */
export async function expectBilingualAxe(page: Page, paths: string[], status: (path: string) => number = () => 200): Promise<void> {
  for (const path of paths) {
    for (const lang of ['en', 'cy']) {
      const url = `${path}${path.includes('?') ? '&' : '?'}lang=${lang}`;
      const res = await page.goto(url);
      expect(res?.status(), url).toBe(status(path));
      expect(await page.locator('html').getAttribute('lang'), url).toBe(lang);
      expect(await axeReport(page, url)).toBe('');
    }
  }
}

/** Full-page screenshot to docs/screenshots/<name>.png, only when UPDATE_SCREENSHOTS=1. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.UPDATE_SCREENSHOTS !== '1') return;
  const file = join(ROOT, 'docs', 'screenshots', `${name}.png`);
  mkdirSync(dirname(file), { recursive: true });
  await page.screenshot({ path: file, fullPage: true });
}

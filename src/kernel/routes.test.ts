// The route index (`cityscape routes`): it lists what the router really serves, names each
// route's module, and its authentication column tells the truth (a staff route without a
// session is sent to sign in; an API route without a key is refused).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../test/helpers.js';
import { executeIn } from '../main.js';
import type { RouteInfo } from './routes.js';

let built: TestApp;
let routes: RouteInfo[];
const run = (argv: string[]) => executeIn({ built, config: built.kernel.config, cwd: process.cwd(), appliedOnOpen: [] }, argv);

beforeAll(async () => {
  built = await buildTestApp();
  const r = await run(['routes', '--json']);
  expect(r.exitCode, r.stderr).toBe(0);
  routes = JSON.parse(r.stdout);
}, 120_000);
afterAll(() => built?.close());

describe('cityscape routes', () => {
  it('lists every route the router serves, each once, with its module', async () => {
    expect(routes.length).toBeGreaterThan(200);
    for (const r of routes) expect(built.app.hasRoute({ method: r.method as 'GET', url: r.path }), `${r.method} ${r.path}`).toBe(true);
    expect(new Set(routes.map((r) => `${r.method} ${r.path}`)).size).toBe(routes.length);
    // Every operation in the OpenAPI document is there, under the module that serves it.
    const doc = (await built.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    for (const [path, ops] of Object.entries<Record<string, unknown>>(doc.paths)) {
      for (const method of Object.keys(ops)) {
        const url = path.replace(/\{([^}]+)\}/g, ':$1');
        expect(
          routes.some((r) => r.method === method.toUpperCase() && r.path === url),
          `${method} ${path}`,
        ).toBe(true);
      }
    }
    const at = (method: string, path: string) => routes.find((r) => r.method === method && r.path === path);
    expect(at('POST', '/pay/v1/payments')).toEqual({
      method: 'POST',
      path: '/pay/v1/payments',
      module: 'payments',
      auth: 'Pay API key',
      schema: true,
    });
    expect(at('POST', '/pay/v1/auth')?.auth).toBe('one-time token');
    expect(at('POST', '/notify/v2/notifications/email')).toMatchObject({ module: 'notify', auth: 'Notify API key (JWT)' });
    expect(at('GET', '/health')).toEqual({ method: 'GET', path: '/health', module: 'kernel', auth: '-', schema: false });
    expect(new Set(routes.map((r) => r.module))).toEqual(new Set([...Object.keys(built.modules), 'kernel']));
  });

  it('says "staff session" only of routes that send a visitor without one to sign in', async () => {
    const staff = routes.filter((r) => r.auth === 'staff session');
    expect(staff.length).toBeGreaterThan(30);
    const plain = staff.filter((r) => r.method === 'GET' && !r.path.includes(':') && !r.path.includes('*'));
    expect(plain.length).toBeGreaterThan(5);
    for (const r of plain) {
      const res = await built.app.inject({ method: 'GET', url: r.path, headers: { accept: 'text/html' } });
      expect(res.statusCode, r.path).toBe(303);
      expect(res.headers.location, r.path).toMatch(/^\/admin\/sign-in/);
    }
  });

  it('says an API key is needed only where a request without one is refused', async () => {
    const keyed = routes.filter((r) => /API key|OS Places key/.test(r.auth) && !r.path.includes('*'));
    expect(new Set(keyed.map((r) => r.module))).toEqual(new Set(['payments', 'notify', 'addresses', 'consent']));
    for (const r of keyed) {
      const url = r.path.replace(/:[A-Za-z_]+/g, 'x');
      const res = await built.app.inject({ method: r.method as 'GET', url, headers: { accept: 'application/json' } });
      expect([401, 403], `${r.method} ${url}: ${res.statusCode}`).toContain(res.statusCode);
    }
  });

  it('prints a table, filters by module, and names the modules when asked for one that serves nothing', async () => {
    const table = await run(['routes', '--module', 'payments']);
    expect(table.exitCode).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^METHOD\s+PATH\s+MODULE\s+AUTH\s+SCHEMA$/);
    expect(lines).toContainEqual(expect.stringMatching(/^POST\s+\/pay\/v1\/payments\s+payments\s+Pay API key\s+yes$/));
    const count = routes.filter((r) => r.module === 'payments').length;
    expect(lines.at(-1)).toMatch(new RegExp(`^${count} routes in 1 module; \\d+ with a schema\\.$`));
    const unknown = await run(['routes', '--module', 'nope']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/No module "nope" serves routes\. Modules: .*payments/);
  });
});

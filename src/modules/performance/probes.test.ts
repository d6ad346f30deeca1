// Availability probes against real HTTP servers: a page that answers is up, a 503 and a closed
// port are down; the share shows on the service's figures. One process a minute does the round.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers.js';
import { cli, perfFixture } from './testing.js';
import { report } from './report.js';
import { staffStore } from './staff-store.js';

let t: TestApp;
let server: http.Server;
let base: string;
beforeAll(async () => {
  t = await buildTestApp();
  server = http.createServer((req, res) => {
    res.statusCode = req.url === '/broken' ? 503 : req.url === '/moved' ? 302 : 200;
    res.end('hello');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await t?.close();
});

describe('availability probes', () => {
  it('counts answers below 500 as up, and 5xx or no answer as down', async () => {
    const up = await perfFixture(t);
    const broken = await perfFixture(t);
    const gone = await perfFixture(t);
    const set = (slug: string, start_url: string) => t.modules.catalogue.service.updateService(cli, slug, { start_url });
    await set(up.service.slug, `${base}/moved`);
    await set(broken.service.slug, `${base}/broken`);
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await set(gone.service.slug, `http://127.0.0.1:${closedPort}/`);
    await t.modules.performance.probes.round();
    await t.modules.performance.probes.round();
    const share = async (id: string) => (await report(t.kernel.db, t.modules.performance.service, id, 'hour')).volumes.availability;
    expect(await share(up.service.id)).toBe(1);
    expect(await share(broken.service.id)).toBe(0);
    expect(await share(gone.service.id)).toBe(0);
    const page = await t.app.inject({
      method: 'GET',
      url: `/performance/services/${up.service.slug}?period=hour`,
      headers: { accept: 'text/html' },
    });
    expect(page.body).toContain('The start page answered 100% of the platform’s 2 checks.');
  });

  it('lets one process claim each round', async () => {
    expect(await staffStore.claimTick(t.kernel.db, 'test-round', 60_000)).toBe(true);
    expect(await staffStore.claimTick(t.kernel.db, 'test-round', 60_000)).toBe(false);
  });
});

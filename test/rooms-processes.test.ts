// One call across two Cityscape processes on one PostgreSQL: the host's socket on one process,
// the guest's on the other. Admission from the lobby, WebRTC signalling, the presenter's view,
// chat and removal all cross between them through LISTEN/NOTIFY. Skipped when no PostgreSQL
// is reachable (PGlite is one process by nature).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import { freshPostgres, buildTestApp, type TestApp } from './helpers.js';
import { startFixtureProcess, stopProcess } from './processes.js';
import { connect, invitedGuest, roomFixture, staffBrowser, type Client } from '../src/modules/rooms/testing.js';

const BASE = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const SECRET = 'rooms-two-processes-session-secret-0123456789';
const KEY = 'rooms-two-processes-encryption-key-0123456789';
let reachable = true;
try {
  const c = new pg.Client({ connectionString: BASE });
  await c.connect();
  await c.end();
} catch {
  reachable = false;
}

interface Proc {
  child: ChildProcess;
  base: string;
}

async function startProcess(databaseUrl: string): Promise<Proc> {
  const env = { DATABASE_URL: databaseUrl, SESSION_SECRET: SECRET, ENCRYPTION_KEY: KEY, CITYSCAPE_DATA_DIR: '/tmp/cityscape-rooms-mp' };
  const s = await startFixtureProcess(env);
  return { child: s.child, base: `http://127.0.0.1:${s.port}` };
}

const stop = (p: Proc | undefined) => stopProcess(p?.child);

describe.skipIf(!reachable)('a call across two processes', () => {
  let db: { url: string; drop(): Promise<void> };
  let t: TestApp;
  let a: Proc;
  let b: Proc;
  const clients: Client[] = [];

  beforeAll(async () => {
    db = await freshPostgres(BASE);
    // This process migrates and sets up the data (and plays the browsers' forms); the two others serve the sockets.
    t = await buildTestApp({ databaseUrl: db.url, sessionSecret: SECRET, encryptionKey: KEY });
    [a, b] = await Promise.all([startProcess(db.url), startProcess(db.url)]);
  }, 300_000);
  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all([stop(a), stop(b)]);
    await t?.close();
    await db?.drop();
  });

  it('admits, signals, shares the view and chat, and cuts off, between processes', { timeout: 120_000 }, async () => {
    const fx = await roomFixture(t);
    const host = await staffBrowser(t, fx.email);
    await host.get('/admin/rooms');
    const made = await host.post('/admin/rooms', { title: 'Two processes', services: [fx.service.slug] });
    const id = String(made.headers.location).split('/').pop()!;
    const guest = await invitedGuest(t, host, id, fx.service.id, 'Far Away');

    const h = await connect(a.base, id, host.jar);
    clients.push(h);
    const welcome = await h.next((m) => m.t === 'welcome');
    const lobby = await connect(b.base, id, guest.browser.jar);
    clients.push(lobby);
    await lobby.next((m) => m.t === 'lobby');
    h.send({ t: 'admit', id: guest.participant.id });
    await lobby.next((m) => m.t === 'admitted');

    const g = await connect(b.base, id, guest.browser.jar);
    clients.push(g);
    await g.next((m) => m.t === 'welcome');
    await h.next((m) => m.t === 'joined' && m.p.id === guest.participant.id);

    // A large offer (over NOTIFY's 8000-byte payload) crosses through the relay table.
    const sdp = `v=0\r\n${'a=candidate:x\r\n'.repeat(800)}`;
    h.send({ t: 'signal', to: guest.participant.id, data: { kind: 'offer', sdp } });
    expect((await g.next((m) => m.t === 'signal')).data.sdp).toBe(sdp);
    g.send({ t: 'signal', to: welcome.me.id, data: { kind: 'answer', sdp: 'v=0' } });
    expect((await h.next((m) => m.t === 'signal')).data.kind).toBe('answer');

    h.send({ t: 'view', view: { ...welcome.view, period: 'quarter', highlight: { service: fx.service.id, kpi: 'transactions' } } });
    const seen = await g.next((m) => m.t === 'view');
    expect(seen.view.period).toBe('quarter');
    expect(seen.figures.services[fx.service.id]).toBeDefined();

    g.send({ t: 'chat', text: 'Hello from the other process' });
    expect((await h.next((m) => m.t === 'chat')).text).toBe('Hello from the other process');

    h.send({ t: 'remove', id: guest.participant.id });
    expect((await g.closed).code).toBe(4403);
    await expect(connect(b.base, id, guest.browser.jar)).rejects.toMatchObject({ status: 403 });
  });
});

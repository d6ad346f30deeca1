// Rooms benchmark (`npm run bench:rooms [-- --quick]`), on PostgreSQL with two Cityscape
// processes (test/fixtures/cityscape-process.ts):
// 1. a presenter's view change reaching all 6 participants of a call, 3 on each process: from
//    the presenter's send to the last participant's receipt (target p99 < 300 ms), beside a
//    WebSocket ping → pong on the same sockets (the transport's floor), rounds interleaved;
// 2. idle participants held per process: 500 sockets (in calls of 5) connected to each process,
//    the growth of each process's resident memory (target < 100 MB), beside the same process's
//    memory with none. --quick holds 100 per process and reports the growth scaled to 500 (n/c).
// Exits non-zero on a miss.
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { buildApp, type BuiltApp } from '../src/app.js';
import { testConfig } from '../src/config.js';
import { freshPostgres } from '../test/helpers.js';
import { startFixtureProcess } from '../test/processes.js';
import { sha256, randomToken } from '../src/kernel/crypto.js';
import { store } from '../src/modules/rooms/store.js';
import { connect, roomFixture, type Client } from '../src/modules/rooms/testing.js';
import { below, fmt, interleave, load1, log, percentile, QUICK, report, run, type Check } from './lib.js';

const PG_BASE = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const ROUNDS = 4;
const CHANGES = QUICK ? 15 : 100; // per round
const IDLE = QUICK ? 100 : 500; // per process
const SECRET = 'rooms-bench-session-secret-0123456789abcdef';
const KEY = 'rooms-bench-encryption-key-0123456789abcdef';

interface Proc {
  child: ChildProcess;
  base: string;
}
async function startProcess(databaseUrl: string): Promise<Proc> {
  const env = { DATABASE_URL: databaseUrl, SESSION_SECRET: SECRET, ENCRYPTION_KEY: KEY, CITYSCAPE_DATA_DIR: '/tmp/cityscape-rooms-bench' };
  const s = await startFixtureProcess(env);
  return { child: s.child, base: `http://127.0.0.1:${s.port}` };
}
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A call about the service with `n` admitted guests (the first presents); each with its browser's secret. */
async function call(built: BuiltApp, slug: string, n: number) {
  const r = await built.modules.rooms.service.create({ kind: 'cli' }, { title: 'Bench call', services: [slug] });
  const people: Array<{ id: string; secret: string }> = [];
  for (let i = 0; i < n; i++) {
    const secret = randomToken(32);
    const p = await store.insertParticipant(built.kernel.db, {
      id: randomUUID(),
      room_id: r.id,
      kind: 'guest',
      staff_id: null,
      name: `Person ${i + 1}`,
      email: null,
      phone: null,
      role: i === 0 ? 'presenter' : 'participant',
      state: 'admitted',
      secret_hash: sha256(secret),
    });
    people.push({ id: p.id, secret });
  }
  return { room: r, people };
}
const jar = (roomId: string, secret: string) => ({ [`cs_room_${roomId}`]: secret });

run(async () => {
  const loadAtStart = load1();
  const db = await freshPostgres(PG_BASE);
  const built = await buildApp({
    config: testConfig({ databaseUrl: db.url, sessionSecret: SECRET, encryptionKey: KEY, logLevel: 'warn' }),
  });
  const procs: Proc[] = [];
  const clients: Client[] = [];
  try {
    const fx = await roomFixture(built);
    procs.push(...(await Promise.all([startProcess(db.url), startProcess(db.url)])));
    const [a, b] = procs;

    // 1. View change → all 6, across two processes.
    log('view changes across two processes…');
    const c = await call(built, fx.service.slug, 6);
    const sockets: Client[] = [];
    for (const [i, p] of c.people.entries()) {
      const s = await connect(i % 2 ? b.base : a.base, c.room.id, jar(c.room.id, p.secret));
      await s.next((m) => m.t === 'welcome');
      sockets.push(s);
    }
    clients.push(...sockets);
    const presenter = sockets[0];
    const view0 = presenter.messages.find((m) => m.t === 'welcome').view;
    const periods = ['day', 'week', 'month', 'quarter'];
    let k = 0;
    // The server closes a socket that sends more than 200 messages in a second (a flood, not a
    // call), so each side starts in a fresh second and sends at most 100 a second.
    let last = 0;
    const paced = {
      start: () => sleep(1100),
      next: async () => {
        const wait = last + 10 - performance.now();
        if (wait > 0) await sleep(wait);
        last = performance.now();
      },
    };
    const sides = await interleave(ROUNDS, {
      ping: async () => {
        const ms: number[] = [];
        await paced.start();
        for (let i = 0; i < CHANGES; i++) {
          await paced.next();
          const ref = `p${k++}`;
          const t0 = performance.now();
          await Promise.all(
            sockets.map((s) => {
              const got = s.next((m) => m.t === 'pong' && m.ref === ref);
              s.send({ t: 'ping', ref });
              return got;
            }),
          );
          ms.push(performance.now() - t0);
        }
        return ms;
      },
      view: async () => {
        const ms: number[] = [];
        await paced.start();
        for (let i = 0; i < CHANGES; i++) {
          await paced.next();
          const period = periods[k++ % periods.length];
          const compare = k % 2 === 0;
          for (const s of sockets) s.messages.length = 0; // only this change's messages count
          const t0 = performance.now();
          const all = Promise.all(
            sockets.map((s) => s.next((m) => m.t === 'view' && m.view.period === period && m.view.filters.compare === compare)),
          );
          presenter.send({ t: 'view', view: { ...view0, period, filters: { compare } } });
          await all;
          ms.push(performance.now() - t0);
        }
        return ms;
      },
    });
    const viewMs = sides.view.flat();
    const pingMs = sides.ping.flat();
    const viewP99 = percentile(viewMs, 99);
    const pingP99 = percentile(pingMs, 99);
    for (const s of sockets) s.close();

    // 2. Idle participants held per process.
    log(`${IDLE} idle participants on each process…`);
    await sleep(2000);
    const before = procs.map((p) => rssMb(p.child.pid!));
    const rooms = [];
    for (let i = 0; i < (IDLE * 2) / 5; i++) rooms.push(await call(built, fx.service.slug, 5));
    let n = 0;
    for (const r of rooms)
      for (const p of r.people) {
        const s = await connect(procs[n++ % 2].base, r.room.id, jar(r.room.id, p.secret));
        clients.push(s);
        await s.next((m) => m.t === 'welcome');
        s.messages.length = 0;
      }
    await sleep(3000);
    const after = procs.map((p) => rssMb(p.child.pid!));
    const growth = Math.max(...after.map((x, i) => x - before[i]));
    const scaled = (growth * 500) / IDLE;

    const checks: Check[] = [
      below('view change → all 6 participants, 2 processes, p99', viewP99, 300, (v) => `${fmt(v, 1)} ms`, {
        baseline: `ping → pong p99 ${fmt(pingP99, 1)} ms (${fmt(viewP99 / pingP99, 1)}×)`,
      }),
      below(
        `memory for 500 idle participants per process${QUICK ? ` (${IDLE} measured, scaled)` : ''}`,
        scaled,
        100,
        (v) => `${fmt(v, 1)} MB`,
        {
          baseline: `${before.map((x) => fmt(x, 0)).join(' / ')} MB before, ${after.map((x) => fmt(x, 0)).join(' / ')} MB after`,
          comparable: QUICK ? false : undefined,
        },
      ),
    ];
    return report('rooms', checks, {
      loadAtStart,
      notComparable: `${IDLE} sockets per process, not 500`,
      notes: [
        `view change p50 ${fmt(percentile(viewMs, 50), 1)} ms over ${viewMs.length} changes; ping p50 ${fmt(percentile(pingMs, 50), 1)} ms`,
        'every room message is a NOTIFY sent in the transaction that records it; both processes LISTEN and deliver to their own sockets',
      ],
    });
  } finally {
    for (const s of clients) s.close();
    for (const p of procs) p.child.kill('SIGTERM');
    await sleep(500);
    await built.close();
    await db.drop();
  }
});

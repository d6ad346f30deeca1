// Engagement benchmark (`npm run bench:engagement [-- --quick]`):
// 1. opinion groups (math.ts: PCA, k-means for k = 2…5 with silhouette, representative and
//    consensus statements) for 2,000 participants × 500 statements, about 60% of cells voted,
//    three planted opinion groups with noise — target under 2 s;
// 2. a consultation page with 1,000 comments served by the app, against a bare Fastify route
//    serving the same bytes, in alternating rounds with autocannon in its own process —
//    target: the app at least 15% of the bare route's requests per second.
// Reports through bench/lib.ts (so `npm run bench:all` sums it up); exits non-zero on a miss.
// PGlite by default; PostgreSQL with DATABASE_URL.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import Fastify from 'fastify';
import { emptyMatrix, lcg, opinionGroups } from '../src/modules/engagement/math.js';
import { buildTestApp } from '../test/helpers.js';
import { day, engagementFixture, openConsultation } from '../src/modules/engagement/testing.js';
import { atLeast, below, fmt, interleave, load1, median, pct, QUICK, ratio, report, run } from './lib.js';

const ROUNDS = QUICK ? 2 : 5;
const SECONDS = QUICK ? 2 : 5;
const PORT_APP = 3212;
const PORT_BARE = 3213;
const GROUPS_TARGET_MS = 2000;
const PAGE_TARGET = 0.15;

function plantedMatrix(P: number, S: number) {
  const rand = lcg(2026);
  const m = emptyMatrix(P, S);
  for (let p = 0; p < P; p++) {
    const g = p % 3;
    for (let s = 0; s < S; s++) {
      if (rand() > 0.6) continue;
      let v = s % 3 === g ? 1 : s % 7 === 0 ? 1 : -1;
      const r = rand();
      if (r < 0.1) v = -v;
      else if (r < 0.15) v = 0;
      m.cells[p * S + s] = v;
    }
  }
  return m;
}

function groupsBench() {
  const m = plantedMatrix(2000, 500);
  const times: number[] = [];
  let k = 0;
  for (let i = 0; i < (QUICK ? 1 : 3); i++) {
    const t0 = performance.now();
    const r = opinionGroups(m);
    times.push(performance.now() - t0);
    k = r.k;
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], k };
}

const autocannonBin = join(dirname(createRequire(import.meta.url).resolve('autocannon/package.json')), 'autocannon.js');
function load(url: string, seconds: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [autocannonBin, '-c', '16', '-d', String(seconds), '-j', url], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', () => {
      try {
        const r = JSON.parse(out);
        if (r.non2xx) reject(new Error(`${url}: ${r.non2xx} non-2xx responses`));
        resolve(r.requests.average as number);
      } catch (e) {
        reject(e);
      }
    });
  });
}

async function pageBench() {
  const log = (s: string) => process.env.BENCH_DEBUG && console.error(s);
  const built = await buildTestApp({ seed: false, logLevel: 'silent' } as never);
  const bare = Fastify();
  try {
    log('app built');
    const f = await engagementFixture(built);
    log('fixture');
    const c = await openConsultation(built, f.service.slug, { opens_on: day(-1), closes_on: day(30) });
    // 1,000 comments from 1,000 people (a tenth of them replies), written straight through the store's SQL.
    await built.kernel.db.query(
      `WITH p AS (
         INSERT INTO engagement.participants (consultation_id, service_id, person, pid)
         SELECT $1, $2, 'anon:bench' || g, g FROM generate_series(0, 999) g RETURNING id, pid)
       INSERT INTO engagement.comments (consultation_id, service_id, participant_id, body, body_hash, created_at)
       SELECT $1, $2, p.id, 'Comment number ' || p.pid || ': glass every fortnight would help our street, and the recycling centre should open later.',
              md5(p.pid::text), now() - make_interval(secs => 1000 - p.pid)
         FROM p`,
      [c.id, f.service.id],
    );
    await built.kernel.db.query(
      `UPDATE engagement.comments r SET parent_id = (SELECT id FROM engagement.comments WHERE consultation_id = $1 ORDER BY created_at LIMIT 1)
        WHERE r.consultation_id = $1 AND r.body LIKE 'Comment number %0:%' AND r.body NOT LIKE 'Comment number 0:%'`,
      [c.id],
    );
    built.modules.engagement.service.onChange(() => {});
    log('seeded');
    await built.app.listen({ port: PORT_APP, host: '127.0.0.1' });
    log('listening');
    const url = `http://127.0.0.1:${PORT_APP}/consultations/${c.id}`;
    const first = await fetch(url);
    const bytes = Buffer.from(await first.arrayBuffer());
    if (!first.ok || !bytes.toString().includes('Comment number 999'))
      throw new Error(`the consultation page did not render: ${first.status}`);
    bare.get('/page', (_req, reply) => reply.type('text/html; charset=utf-8').send(bytes));
    await bare.listen({ port: PORT_BARE, host: '127.0.0.1' });
    const bareUrl = `http://127.0.0.1:${PORT_BARE}/page`;
    log('bare listening');
    await load(url, 1);
    log('warm');
    await load(bareUrl, 1);
    // ABBA rounds, so load from elsewhere on the machine falls on both sides alike.
    const rounds = await interleave(ROUNDS, { app: () => load(url, SECONDS), bare: () => load(bareUrl, SECONDS) });
    return { app: median(rounds.app), bare: median(rounds.bare), kb: Math.round(bytes.length / 1024) };
  } finally {
    await bare.close();
    await built.close();
  }
}

async function main() {
  const loadAtStart = load1();
  const g = groupsBench();
  const p = await pageBench();
  return report(
    'engagement',
    [
      below(`opinion groups, 2,000 participants × 500 statements (k=${g.k})`, g.ms, GROUPS_TARGET_MS, (n) => `${fmt(n)} ms`),
      atLeast(
        `consultation page, 1,000 comments (${p.kb} KB), vs bare Fastify (same bytes)`,
        ratio(p.app, p.bare),
        PAGE_TARGET,
        (n) => pct(n),
        {
          baseline: `${fmt(p.bare)}/s bare; ${fmt(p.app)}/s app`,
        },
      ),
    ],
    {
      loadAtStart,
      notes: [
        `${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}; ${ROUNDS} alternating rounds of ${SECONDS} s a side (autocannon, 16 connections, its own process), medians`,
      ],
    },
  );
}

run(main);

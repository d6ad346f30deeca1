// Forms benchmark (`npm run bench:forms [-- --quick]`), in one run on PostgreSQL:
// 1. a form's question page (progress read, route, GOV.UK render) beside a bare Fastify route
//    serving the same bytes, both through app.inject with 16 in flight, rounds interleaved
//    (target ≥ 20% of the bare route's rate);
// 2. whole submissions: check your answers (GET), then send (POST: submission, delivery rows,
//    their jobs and the outbox event in one transaction), 16 people at once (target ≥ 300/s);
// 3. importing a 50-page XGovFormBuilder definition and saving it as a version (target < 1 s).
// Exits non-zero on a miss.
import Fastify from 'fastify';
import { buildApp, type BuiltApp } from '../src/app.js';
import { testConfig } from '../src/config.js';
import { freshPostgres } from '../test/helpers.js';
import { DEMO_FORMS } from '../src/modules/forms/demo.js';
import { importDefinition } from '../src/modules/forms/import.js';
import { atLeast, below, fmt, interleave, load1, log, pct, QUICK, ratio, report, run } from './lib.js';

const PG_BASE = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const ROUNDS = QUICK ? 2 : 4;
const SECONDS = QUICK ? 1 : 3;
const IN_FLIGHT = 16;
const slug = 'apply-for-carers-support';

/** Requests per second of `one` for `seconds`, `IN_FLIGHT` at a time. */
async function rate(seconds: number, one: () => Promise<void>): Promise<number> {
  const end = Date.now() + seconds * 1000;
  let n = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (Date.now() < end) {
        await one();
        n++;
      }
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

function cookieOf(res: { headers: Record<string, unknown> }, jar: Record<string, string>) {
  const set = res.headers['set-cookie'];
  for (const c of (Array.isArray(set) ? set : set ? [set] : []) as string[]) {
    const [pair] = c.split(';');
    const i = pair.indexOf('=');
    jar[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return Object.entries(jar)
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');
}

/** A person who has answered every page, ready to check and send: returns their cookie jar. */
async function ready(built: BuiltApp): Promise<Record<string, string>> {
  const forms = built.modules.forms;
  const f = (await forms.service.live(slug))!;
  const { token, progress } = await forms.service.start(f, { preview: false, accountId: null, lang: 'en' });
  progress.data.answers = { fullName: 'Sam Carer', dateOfBirth: '1980-03-27', help: ['break'], working: 'no', email: 'sam@example.org' };
  progress.data.repeats = { people: [{ personName: 'Alex', hours: 20 }] };
  progress.data.done = ['name', 'dob', 'people', 'help', 'working', 'contact'];
  await forms.service.saveProgress(progress);
  return { [`cs_form_${slug}`]: token };
}

async function main(): Promise<number> {
  const loadAtStart = load1();
  const pg = await freshPostgres(PG_BASE);
  const built = await buildApp({ config: testConfig({ databaseUrl: pg.url, logLevel: 'silent', rateLimitPerMinute: 100_000_000 }) });
  try {
    await built.modules.catalogue.seedDemo!();
    await built.app.ready();
    const s = await built.modules.catalogue.service.getService(slug);
    await built.modules.forms.service.save({ id: s.id, slug }, DEMO_FORMS[slug], { by: 'bench', live: true });
    await built.kernel.jobs.prepare('forms.deliver');

    // 1. A question page beside a bare Fastify route serving the same bytes.
    const jar = await ready(built);
    jar[`cs_form_${slug}`] = jar[`cs_form_${slug}`];
    const first = await built.app.inject({
      method: 'GET',
      url: `/forms/${slug}/name`,
      headers: { cookie: cookieOf({ headers: {} }, jar) },
    });
    if (first.statusCode !== 200) throw new Error(`the page answered ${first.statusCode}`);
    const cookie = cookieOf(first, jar);
    const bytes = first.body;
    const bare = Fastify();
    bare.get('/page', (_req, reply) => reply.type('text/html; charset=utf-8').send(bytes));
    await bare.ready();
    log(`page of ${bytes.length} bytes; rounds of ${SECONDS}s`);
    const pages = await interleave(ROUNDS, {
      forms: () =>
        rate(SECONDS, async () => void (await built.app.inject({ method: 'GET', url: `/forms/${slug}/name`, headers: { cookie } }))),
      bare: () => rate(SECONDS, async () => void (await bare.inject({ method: 'GET', url: '/page' }))),
    });
    const formsRate = Math.max(...pages.forms);
    const bareRate = Math.max(...pages.bare);
    log(`page: forms ${fmt(formsRate)}/s, bare ${fmt(bareRate)}/s`);

    // 2. Whole submissions: check answers, then send.
    const people = await Promise.all(Array.from({ length: QUICK ? 600 : 3000 }, () => ready(built)));
    let next = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let done = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < people.length) {
          const p = people[next++];
          const check = await built.app.inject({
            method: 'GET',
            url: `/forms/${slug}/check`,
            headers: { cookie: cookieOf({ headers: {} }, p) },
          });
          const c = cookieOf(check, p);
          const csrf = /name="_csrf" value="([^"]+)"/.exec(check.body)![1];
          const hash = /name="_answers" value="([^"]+)"/.exec(check.body)![1];
          const sent = await built.app.inject({
            method: 'POST',
            url: `/forms/${slug}/check`,
            headers: { cookie: c, 'content-type': 'application/x-www-form-urlencoded' },
            payload: new URLSearchParams({ _csrf: csrf, _v: '1', _answers: hash }).toString(),
          });
          if (sent.statusCode !== 303 || !String(sent.headers.location).endsWith('/confirmation'))
            throw new Error(`send answered ${sent.statusCode}`);
          done++;
        }
      }),
    );
    const perSecond = done / ((performance.now() - t0) / 1000);
    const jobs = await built.kernel.db.query<{ n: number }>("SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'forms.deliver'");
    const cpu = process.cpuUsage(cpu0);
    log(
      `submissions: ${done} in ${fmt((performance.now() - t0) / 1000, 1)}s; ${jobs.rows[0].n} delivery jobs queued; ` +
        `this process's CPU ${fmt((cpu.user + cpu.system) / 1000 / done, 2)} ms per submission (less load-sensitive than the rate)`,
    );

    // 3. Import a 50-page definition and save it as a version.
    const big = {
      startPage: '/p1',
      pages: Array.from({ length: 50 }, (_, i) => ({
        path: `/p${i + 1}`,
        title: `Page ${i + 1}`,
        section: 'main',
        components: [
          { type: 'Para', name: `para${i}`, content: `<p>About page ${i + 1}</p>` },
          { type: 'TextField', name: `name${i}`, title: `Name ${i}`, options: { required: true }, schema: { max: 100 } },
          { type: 'RadiosField', name: `choice${i}`, title: `Choice ${i}`, list: 'yesNo', options: {}, schema: {} },
          { type: 'DatePartsField', name: `date${i}`, title: `Date ${i}`, options: {}, schema: {} },
        ],
        next:
          i < 49
            ? [{ path: `/p${i + 2}` }, ...(i % 5 === 0 && i < 45 ? [{ path: `/p${i + 3}`, condition: `skip${i}` }] : [])]
            : [{ path: '/summary' }],
      })),
      lists: [
        {
          name: 'yesNo',
          title: 'Yes or no',
          type: 'string',
          items: [
            { text: 'Yes', value: 'yes' },
            { text: 'No', value: 'no' },
          ],
        },
      ],
      sections: [{ name: 'main', title: 'Main' }],
      conditions: Array.from({ length: 10 }, (_, k) => ({
        name: `skip${k * 5}`,
        displayName: `skip ${k * 5}`,
        value: {
          name: `skip ${k * 5}`,
          conditions: [
            {
              field: { name: `main.choice${k * 5}`, type: 'RadiosField', display: 'Choice' },
              operator: 'is',
              value: { type: 'Value', value: 'yes', display: 'Yes' },
            },
          ],
        },
      })),
      fees: [{ description: 'Fee', amount: 1000 }],
      outputs: [],
      version: 2,
    };
    const times: number[] = [];
    for (let i = 0; i < (QUICK ? 3 : 10); i++) {
      const t = performance.now();
      const r = importDefinition(JSON.parse(JSON.stringify(big)));
      await built.modules.forms.service.save({ id: s.id, slug }, r.definition, { by: 'bench', source: r.format, report: r.report });
      times.push(performance.now() - t);
    }
    const worst = Math.max(...times);

    return report(
      'forms',
      [
        atLeast('question page render, vs bare Fastify (same bytes)', ratio(formsRate, bareRate), 0.2, (n) => pct(n), {
          baseline: `${fmt(bareRate)}/s bare; ${fmt(formsRate)}/s forms`,
        }),
        atLeast('whole submissions per second (PostgreSQL)', perSecond, 300, (n) => `${fmt(n)}/s`),
        below('import and save a 50-page definition (slowest)', worst, 1000, (n) => `${fmt(n, 1)} ms`),
      ],
      { loadAtStart },
    );
  } finally {
    await built.close();
    await pg.drop();
  }
}

run(main);

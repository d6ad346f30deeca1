// Submitting with the progress as the request read it (the one-statement path): the same rows as
// the path that claims first; a progress changed since it was read is submitted as it now is;
// a replay (stale read of an already submitted progress) makes nothing new.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers.js';
import { starterDefinition } from './admin.js';

let t: TestApp;
let slug = '';

async function started(fullName: string) {
  const forms = t.modules.forms.service;
  const f = (await forms.live(slug))!;
  const { progress } = await forms.start(f, { preview: false, accountId: null, lang: 'en' });
  progress.data.answers = { fullName, email: `${fullName.toLowerCase()}@example.org` };
  progress.data.done = ['name', 'contact'];
  await forms.saveProgress(progress);
  return { f, progress };
}

async function written(submissionId: string) {
  const db = t.kernel.db;
  const deliveries = await t.modules.forms.service.deliveriesOf(submissionId);
  const events = await db.query<{ type: string; payload: Record<string, unknown> }>(
    'SELECT type, payload FROM kernel.events WHERE stream = $1',
    [`forms.submission:${submissionId}`],
  );
  const jobs = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'forms.deliver' AND data->>'deliveryId' = ANY($1::text[])",
    [deliveries.map((d) => d.id)],
  );
  return { deliveries: deliveries.map((d) => [d.kind, d.target, d.state]), events: events.rows, jobs: jobs.rows[0].n };
}

beforeAll(async () => {
  t = await buildTestApp({ seed: true });
  const s = (await t.modules.catalogue.service.listServices())[0];
  slug = s.slug;
  await t.modules.forms.service.save({ id: s.id, slug }, starterDefinition(s.name), { by: 'test', live: true });
});
afterAll(async () => {
  await t?.close();
});

describe('forms submit', () => {
  it('writes the same submission, deliveries, jobs and event with or without the read progress', async () => {
    const forms = t.modules.forms.service;
    const a = await started('Ann');
    const b = await started('Ann');
    const slow = await forms.submit(a.f, a.progress.id, 'en');
    const fast = await forms.submit(b.f, b.progress.id, 'en', b.progress);
    expect(fast.replayed).toBe(false);
    const strip = (s: typeof slow.submission) => ({ ...s, id: '', progress_id: '', reference: '', created_at: '' });
    expect(strip(fast.submission)).toEqual(strip(slow.submission));
    const stored = (await forms.submission(fast.submission.id))!;
    expect(stored.answers).toEqual(fast.submission.answers);
    expect(stored.reference).toBe(fast.submission.reference);
    const [ws, wf] = [await written(slow.submission.id), await written(fast.submission.id)];
    // Each progress has its own pseudonymous key; everything else is the same.
    expect(ws.events[0].payload.key).toBe(a.progress.key);
    expect(wf.events[0].payload.key).toBe(b.progress.key);
    ws.events[0].payload.key = wf.events[0].payload.key = '';
    expect(wf).toEqual(ws);
    expect(wf.events).toHaveLength(1);
    expect(wf.deliveries.length).toBeGreaterThan(0);
  });

  it('submits the answers as they are now when they changed after the read', async () => {
    const forms = t.modules.forms.service;
    const { f, progress } = await started('Before');
    const read = structuredClone(progress);
    progress.data.answers.fullName = 'After';
    await forms.saveProgress(progress);
    const r = await forms.submit(f, progress.id, 'en', read);
    expect(r.replayed).toBe(false);
    expect(r.submission.answers.find((a) => a.question === 'fullName')?.value).toBe('After');
    expect((await forms.submission(r.submission.id))!.answers.find((a) => a.question === 'fullName')?.value).toBe('After');
    expect((await written(r.submission.id)).events).toHaveLength(1);
  });

  it('answers a replay with the first submission and makes nothing new', async () => {
    const forms = t.modules.forms.service;
    const { f, progress } = await started('Once');
    const first = await forms.submit(f, progress.id, 'en', progress);
    const again = await forms.submit(f, progress.id, 'en', progress);
    expect(again.replayed).toBe(true);
    expect(again.submission.id).toBe(first.submission.id);
    const serviceId = progress.service_id;
    const n = await t.kernel.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM forms.submissions WHERE progress_id = $1 AND service_id = $2',
      [progress.id, serviceId],
    );
    expect(n.rows[0].n).toBe(1);
    expect((await written(first.submission.id)).events).toHaveLength(1);
  });
});

// The console's CSV of a form's submissions, as staff download it: one row per submission and
// a column per question; cells a spreadsheet would run as a formula (=cmd, +, -, @, a tab, and
// the same behind a control byte; NUL never gets in: the kernel refuses it) are defused, quotes, commas and line breaks kept
// whole; and one organisation's staff never get another's submissions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, cli, formBrowser, staffBrowser, type TestApp } from '../../../test/helpers.js';
import { parseCsv } from '../engagement/polis.js';
import { starterDefinition } from './admin.js';

const PASSWORD = 'a long enough password';
let t: TestApp;
const ours = { slug: '', org: '' };
const theirs = { slug: '', org: '' };
const HOSTILE = [
  "=cmd|' /C calc'!A0",
  '+1+1',
  '-2+3',
  '@SUM(A1:A2)',
  '\t=1+1',
  '\u0001=HYPERLINK("http://evil.example")',
  '\u001b[31m=1',
  'Jo "the boss", Smith\nsecond line',
  'Siân ŵ ŷ',
];

/** A submission on the service's live form, made as the runner makes one. */
async function submit(slug: string, fullName: string): Promise<string> {
  const forms = t.modules.forms.service;
  const f = (await forms.live(slug))!;
  const { progress } = await forms.start(f, { preview: false, accountId: null, lang: 'en' });
  progress.data.answers = { fullName, email: 'someone@example.org' };
  progress.data.done = ['name', 'contact'];
  await forms.saveProgress(progress);
  return (await forms.submit(f, progress.id, 'en')).submission.reference;
}

beforeAll(async () => {
  t = await buildTestApp({ seed: true });
  const c = t.modules.catalogue.service;
  const services = await c.listServices();
  const a = services[0];
  const b = services.find((s) => s.organisation.id !== a.organisation.id)!;
  Object.assign(ours, { slug: a.slug, org: a.organisation.slug });
  Object.assign(theirs, { slug: b.slug, org: b.organisation.slug });
  for (const s of [a, b])
    await t.modules.forms.service.save({ id: s.id, slug: s.slug }, starterDefinition(s.name), { by: 'test', live: true });
  await c.createStaff(cli, {
    email: 'team@example.org',
    password: PASSWORD,
    role: 'service_team',
    organisationSlug: ours.org,
  });
  await c.createStaff(cli, {
    email: 'other@example.org',
    password: PASSWORD,
    role: 'organisation_admin',
    organisationSlug: theirs.org,
  });
});
afterAll(async () => {
  await t?.close();
});

describe('submissions as CSV', () => {
  it('gives one row per submission, every hostile cell defused and every cell whole', async () => {
    const refs: string[] = [];
    for (const h of HOSTILE) refs.push(await submit(ours.slug, h));
    const b = await staffBrowser(t, 'team@example.org', PASSWORD);
    const res = await b.get(`/admin/forms/${ours.slug}/submissions.csv`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${ours.slug}-submissions.csv"`);
    // No control byte but tab and line breaks anywhere in the file.
    expect(res.body).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/);
    const [head, ...rows] = parseCsv(res.body).filter((r) => r.length > 1);
    expect(head.slice(0, 6)).toEqual(['reference', 'submitted_at', 'form_version', 'language', 'fee_pence', 'payment_id']);
    const name = head.indexOf('What is your name?');
    expect(name).toBeGreaterThan(5);
    expect(rows).toHaveLength(HOSTILE.length);
    const byRef = new Map(rows.map((r) => [r[0], r[name]]));
    expect([...byRef.keys()].sort()).toEqual([...refs].sort());
    const got = refs.map((r) => byRef.get(r)!);
    // Nothing a spreadsheet would run: every cell starts with something other than = + - @ or a tab.
    for (const cellText of rows.flat()) expect(cellText).not.toMatch(/^[=+\-@\t\r]/);
    expect(got).toEqual([
      "'=cmd|' /C calc'!A0",
      "'+1+1",
      "'-2+3",
      "'@SUM(A1:A2)",
      "'\t=1+1",
      '\'=HYPERLINK("http://evil.example")',
      '[31m=1',
      'Jo "the boss", Smith\nsecond line',
      'Siân ŵ ŷ',
    ]);
  });

  it("never gives one organisation's staff another's submissions", async () => {
    const mine = await submit(ours.slug, 'Ours Only');
    const other = await submit(theirs.slug, 'Theirs Only');
    const b = await staffBrowser(t, 'other@example.org', PASSWORD);
    const refused = await b.get(`/admin/forms/${ours.slug}/submissions.csv`);
    expect(refused.statusCode).toBe(403);
    expect(refused.body).not.toContain(mine);
    expect(refused.body).not.toContain('Ours Only');
    const own = await b.get(`/admin/forms/${theirs.slug}/submissions.csv`);
    expect(own.statusCode).toBe(200);
    expect(own.body).toContain(other);
    expect(own.body).not.toContain(mine);
    expect(own.body).not.toContain('Ours Only');
    const team = await (await staffBrowser(t, 'team@example.org', PASSWORD)).get(`/admin/forms/${ours.slug}/submissions.csv`);
    expect(team.body).toContain(mine);
    expect(team.body).not.toContain(other);
    // Signed out: sent to sign in, nothing given.
    const anon = await formBrowser(t).get(`/admin/forms/${ours.slug}/submissions.csv`);
    expect(anon.statusCode).toBe(303);
    expect(anon.body).not.toContain(mine);
  });
});

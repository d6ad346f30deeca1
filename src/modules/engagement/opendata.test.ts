// Open data through HTTP: the page (English and Welsh) offers every dataset as CSV and JSON
// under the Open Government Licence; each download has its content type, holds no account
// ids, emails or names, no text of comments or statements that moderators hid or are holding,
// and its CSV cannot run as a spreadsheet formula.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers.js';
import { cli, engagementFixture, openConsultation } from './testing.js';
import { parseCsv } from './polis.js';
import { DATASETS } from './opendata.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ seed: false });
});
afterAll(() => t.close());

const SECRET_ACCOUNT = 'acct:secret-account-7f3a';
const SECRET_EMAIL = 'private.person@example.org';

describe('open data', () => {
  it('offers anonymised consultations, responses, comments, statements and votes as CSV and JSON', async () => {
    const f = await engagementFixture(t);
    const svc = t.modules.engagement.service;
    const c = await openConsultation(t, f.service.slug);
    const [o1] = await svc.options(c.id);
    const who = { person: SECRET_ACCOUNT, email: SECRET_EMAIL };
    const other = { person: 'anon:secret-browser-hash', email: null };
    await svc.vote(c.id, who, o1.id, 'support');
    await svc.vote(c.id, other, o1.id, 'oppose');
    expect((await svc.comment(c.id, who, { body: '=HYPERLINK("http://evil.example","click")' })).ok).toBe(true);
    expect((await svc.comment(c.id, other, { body: 'Moderators will hide this unkind remark' })).ok).toBe(true);
    const hidden = (await svc.comments(c.id)).find((x) => x.body.includes('unkind'))!;
    await svc.moderate(cli, c.id, hidden.id, 'hide', 'Not about the question');

    // A conversation: one statement accepted, one held for a moderator (it has personal data).
    const conv = await openConsultation(t, f.service.slug, { mode: 'conversation', options: [] } as never);
    const convs = t.modules.engagement.conversations;
    expect((await convs.addStatement(conv.id, who, { body: 'Glass every fortnight is enough' })).ok).toBe(true);
    await convs.addStatement(conv.id, other, { body: `Email me at ${SECRET_EMAIL} about this`, confirmed: true });
    const accepted = (await t.app.inject({ url: `/engagement/open-data/statements.json` })).json().statements;
    expect(accepted.length).toBeGreaterThanOrEqual(2);

    for (const lang of ['', '?lang=cy']) {
      const page = await t.app.inject({ url: `/engagement/open-data${lang}` });
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain(lang ? 'Ymgynghoriadau fel data agored' : 'Consultations as open data');
      expect(page.body).toContain('rel="license" href="https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"');
      for (const d of DATASETS) {
        expect(page.body).toContain(`/engagement/open-data/${d}.csv`);
        expect(page.body).toContain(`/engagement/open-data/${d}.json`);
      }
    }
    expect((await t.app.inject({ url: '/consultations' })).body).toContain('href="/engagement/open-data"');

    const all: Record<string, { csv: string[][]; json: Array<Record<string, unknown>> }> = {};
    for (const d of DATASETS) {
      const csvRes = await t.app.inject({ url: `/engagement/open-data/${d}.csv` });
      expect(csvRes.statusCode).toBe(200);
      expect(csvRes.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(String(csvRes.headers['content-disposition'])).toContain(`engagement-${d}.csv`);
      const jsonRes = await t.app.inject({ url: `/engagement/open-data/${d}.json` });
      expect(jsonRes.statusCode).toBe(200);
      expect(jsonRes.headers['content-type']).toBe('application/json; charset=utf-8');
      const body = jsonRes.json();
      expect(body.licence).toContain('open-government-licence');
      for (const text of [csvRes.body, jsonRes.body]) {
        expect(text).not.toContain('secret-account');
        expect(text).not.toContain('secret-browser');
        expect(text).not.toContain(SECRET_EMAIL);
        expect(text).not.toContain('unkind remark');
        expect(text).not.toContain(f.email);
        expect(text).not.toContain('Cllr Jane Doe');
      }
      all[d] = { csv: parseCsv(csvRes.body), json: body[d] };
    }

    const mine = (rows: Array<Record<string, unknown>>, id = c.id) => rows.filter((r) => r.consultation_id === id);
    expect(all.consultations.json.find((r) => r.id === c.id)).toMatchObject({ participants: 2, title: c.title });
    const comments = mine(all.comments.json);
    expect(comments).toHaveLength(2);
    expect(comments.find((r) => r.id === hidden.id)).toMatchObject({
      body: null,
      status: 'hidden',
      hidden_reason: 'Not about the question',
    });
    // The formula is text in CSV: prefixed with an apostrophe, so a spreadsheet shows it.
    const header = all.comments.csv[0];
    const formula = all.comments.csv.find((r) => r[header.indexOf('body')]?.includes('HYPERLINK'))!;
    expect(formula[header.indexOf('body')].startsWith("'=")).toBe(true);
    const votes = mine(all.votes.json);
    expect(votes.map((v) => [v.kind, v.vote]).sort()).toEqual([
      ['option', 'oppose'],
      ['option', 'support'],
    ]);
    expect(votes.every((v) => typeof v.participant === 'number')).toBe(true);
    const statements = mine(all.statements.json, conv.id);
    expect(statements).toHaveLength(2);
    expect(statements.filter((s) => s.body === 'Glass every fortnight is enough')).toHaveLength(1);
    expect(statements.filter((s) => s.body === null)).toHaveLength(1);

    expect((await t.app.inject({ url: '/engagement/open-data/people.csv' })).statusCode).toBe(404);
    expect((await t.app.inject({ url: '/engagement/open-data/comments.xml' })).statusCode).toBe(404);
  });
});

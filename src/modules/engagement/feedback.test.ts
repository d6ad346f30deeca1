// "Is this page useful?" through HTTP: the bar is on citizen pages (not the staff console),
// Yes/No post with CSRF and thank the person, a problem report warns about personal data and
// re-renders with an error summary, answers are stored per page and service (and recorded in
// performance), and the explorer shows staff only their own services' feedback, filtered, as CSV.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, formBrowser, type TestApp } from '../../../test/helpers.js';
import { engagementFixture, staffBrowser } from './testing.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ seed: false });
});
afterAll(() => t.close());

describe('page feedback', () => {
  it('asks on every citizen page, stores answers per page and service, and staff explore their own', async () => {
    const f = await engagementFixture(t);
    const other = await engagementFixture(t);
    const b = formBrowser(t);

    const servicePage = `/services/${f.service.slug}`;
    const page = await b.get(servicePage);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Is this page useful?');
    expect(page.body).toContain(`name="page" value="${servicePage}"`);
    expect((await formBrowser(t).get('/consultations?lang=cy')).body).toContain('dudalen hon yn ddefnyddiol?');

    // Yes: thanked. No: thanked and asked what was wrong.
    let res = await b.post('/engagement/feedback', { page: servicePage, useful: 'yes' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/engagement/feedback/thanks?page=${encodeURIComponent(servicePage)}`);
    expect((await b.get(String(res.headers.location))).body).toContain('Thank you for your feedback');
    res = await b.post('/engagement/feedback', { page: servicePage, useful: 'no' });
    expect(String(res.headers.location)).toContain('/engagement/feedback/problem');
    const form = await b.get(String(res.headers.location));
    expect(form.body).toContain('Do not include personal information');
    expect(form.body).not.toContain('Is this page useful?');

    // The problem form: empty → error summary; a formula in the text stays text in CSV.
    res = await b.post('/engagement/feedback/problem', { page: servicePage, text: '  ' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('govuk-error-summary');
    res = await b.post('/engagement/feedback/problem', { page: servicePage, text: '=SUM(A1) the map does not load' });
    expect(res.statusCode).toBe(303);
    res = await b.post('/engagement/feedback/problem', { page: `/services/${other.service.slug}`, text: 'Other council page is wrong' });
    expect(res.statusCode).toBe(303);
    // Without CSRF nothing is stored; another origin is never a redirect target.
    expect((await b.post('/engagement/feedback', { page: servicePage, useful: 'yes' }, { csrf: false })).statusCode).toBe(403);
    res = await b.post('/engagement/feedback', { page: '//evil.example/x', useful: 'yes' });
    expect(res.headers.location).toBe('/engagement/feedback/thanks?page=%2F');

    const { rows } = await t.kernel.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM engagement.page_feedback WHERE service_id = $1',
      [f.service.id],
    );
    expect(rows[0].n).toBe(3);
    // Each answer on the service's page went to performance in the same transaction.
    const recorded = await t.kernel.db.query<{ value: number | null }>(
      `SELECT payload->>'value' AS value FROM kernel.events WHERE type = 'performance.recorded' AND payload->>'service_id' = $1 AND payload->>'type' = 'engagement.page_feedback'`,
      [f.service.id],
    );
    expect(recorded.rows.map((r) => r.value).sort()).toEqual(['0', '1', null].sort());

    // The staff console has no bar; the explorer shows this team's services only.
    const staff = await staffBrowser(t, f.email);
    const explorer = await staff.get('/admin/engagement/feedback');
    expect(explorer.statusCode).toBe(200);
    expect(explorer.body).not.toContain('Is this page useful?');
    expect(explorer.body).toContain('the map does not load');
    expect(explorer.body).not.toContain('Other council page is wrong');
    expect(explorer.body).toContain('3 answers: 1 useful, 1 not useful.');
    const filtered = await staff.get(`/admin/engagement/feedback?rating=yes&page=${encodeURIComponent(servicePage)}`);
    expect(filtered.body).toContain('1 answers');
    expect((await staff.get('/admin/engagement/feedback?text=MAP')).body).toContain('1 answers');
    expect((await staff.get('/admin/engagement/feedback?from=2999-01-01')).body).toContain('No feedback matches.');
    const csvRes = await staff.get('/admin/engagement/feedback?format=csv');
    expect(csvRes.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csvRes.body).toContain("'=SUM(A1) the map does not load");
    expect(csvRes.body).not.toContain('Other council');
    expect((await formBrowser(t).get('/admin/engagement/feedback')).statusCode).toBe(303);
  });
});

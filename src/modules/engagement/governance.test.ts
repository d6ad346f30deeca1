// Local government's voice in the shared platforms, through HTTP on a real database: staff vote
// on a platform's roadmap items for their organisation — one vote per organisation, which a
// colleague sees and changes (and never doubles, even at once); organisations ask for things;
// the platform's owner answers with a roadmap item or a decision in the catalogue; the public
// governance page and its open data show it all by kind of organisation, in English and Welsh.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildTestApp, formBrowser, type TestApp } from '../../../test/helpers.js';
import { cli, engagementFixture, PASSWORD, staffBrowser } from './testing.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ seed: true });
});
afterAll(() => t.close());

async function platformItem(slug: string, title: string) {
  const d = await t.modules.catalogue.service.getServiceDetail(slug);
  const item = d.roadmap.find((r) => r.title === title);
  if (!item) throw new Error(`no roadmap item ${title}`);
  return { service: d, item };
}

async function colleague(orgSlug: string, role: 'service_team' | 'organisation_admin' = 'service_team') {
  const email = `colleague.${Math.random().toString(36).slice(2)}@example.org`;
  await t.modules.catalogue.service.createStaff(cli, { email, password: PASSWORD, role, organisationSlug: orgSlug });
  return staffBrowser(t, email);
}

const votesOf = async (itemId: string, orgId: string) =>
  (
    await t.kernel.db.query<{ stance: string }>(
      'SELECT stance FROM engagement.platform_votes WHERE roadmap_item_id = $1 AND organisation_id = $2',
      [itemId, orgId],
    )
  ).rows;

describe('votes on a platform’s roadmap', () => {
  it('are one per organisation: a colleague sees the organisation’s vote and changes it, never adds one', async () => {
    const f = await engagementFixture(t);
    const { item } = await platformItem('cityscape-notify', 'Bilingual letters');
    const a = await staffBrowser(t, f.email);
    const b = await colleague(f.org.slug);
    let page = await a.get('/admin/platforms');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(f.org.name);
    let res = await a.post('/admin/platforms/vote', { platform: 'cityscape-notify', item: item.id, stance: 'support' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/admin/platforms?done=voted');

    page = await b.get('/admin/platforms');
    expect(page.body).toContain(`Your organisation’s vote: Support (by staff:${f.email})`);
    res = await b.post('/admin/platforms/vote', { platform: 'cityscape-notify', item: item.id, stance: 'oppose' });
    expect(res.statusCode).toBe(303);
    expect(await votesOf(item.id, f.org.id)).toEqual([{ stance: 'oppose' }]);
    page = await a.get('/admin/platforms');
    expect(page.body).toContain('Your organisation’s vote: Oppose');

    // Both at once, many times: still one vote for the organisation.
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        (i % 2 ? a : b).post('/admin/platforms/vote', {
          platform: 'cityscape-notify',
          item: item.id,
          stance: i % 3 ? 'support' : 'oppose',
        }),
      ),
    );
    const after = await votesOf(item.id, f.org.id);
    expect(after).toHaveLength(1);

    // Withdrawn by either.
    await b.post('/admin/platforms/vote', { platform: 'cityscape-notify', item: item.id, stance: 'none' });
    expect(await votesOf(item.id, f.org.id)).toEqual([]);
    await a.post('/admin/platforms/vote', { platform: 'cityscape-notify', item: item.id, stance: 'support' });

    // The public page counts it under the organisation's kind.
    const pub = await t.app.inject({ url: '/platforms/governance' });
    expect(pub.statusCode).toBe(200);
    expect(pub.body).toContain('Bilingual letters');
    expect(pub.body).toMatch(/Local authority: 1 for, 0 against/);
  });

  it('are refused without a CSRF token, and hostile input is never a 500', async () => {
    const f = await engagementFixture(t);
    const a = await staffBrowser(t, f.email);
    const { item } = await platformItem('cityscape-pay', 'Payment links for councils without developers');
    const res = await a.post('/admin/platforms/vote', { platform: 'cityscape-pay', item: item.id, stance: 'support' }, { csrf: false });
    expect(res.statusCode).toBe(403);
    expect(await votesOf(item.id, f.org.id)).toEqual([]);
    for (const fields of [
      { platform: 'cityscape-pay', item: '\u0000', stance: 'support' },
      { platform: 'cityscape-pay', item: '\ud800', stance: 'support' },
      { platform: '../../etc', item: item.id, stance: 'support' },
      { platform: 'cityscape-pay', item: item.id, stance: ['support', 'oppose'] },
      { platform: 'cityscape-pay', item: '9'.repeat(400), stance: 'oppose' },
    ]) {
      const r = await a.post('/admin/platforms/vote', fields);
      expect(r.statusCode, JSON.stringify(fields)).toBeLessThan(500);
    }
    for (const url of [
      '/platforms/governance/evil.csv',
      '/platforms/governance/requests.xml',
      '/admin/platforms/requests/%00',
      '/admin/platforms/requests/nope',
    ])
      expect((await a.get(url)).statusCode, url).toBeLessThan(500);
  });
});

describe('requests to a platform', () => {
  it('are published by kind of organisation, and answered by the owner with a roadmap item or a decision', async () => {
    const f = await engagementFixture(t);
    const council = await staffBrowser(t, f.email);
    let page = await council.get('/admin/platforms/propose?platform=cityscape-forms');
    expect(page.statusCode).toBe(200);
    let res = await council.post('/admin/platforms/propose', { platform: 'cityscape-forms', title: '', detail: '' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('Enter what you are asking for');
    res = await council.post('/admin/platforms/propose', { platform: 'nope', title: 'x'.repeat(201) });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('Select a platform');
    expect(res.body).toContain('200 characters or fewer');
    const hostile = `Upload <script>alert(1)</script> files ${Date.now()}`;
    res = await council.post('/admin/platforms/propose', { platform: 'cityscape-forms', title: hostile, detail: 'Residents send photos.' });
    expect(res.statusCode).toBe(303);
    let pub = await t.app.inject({ url: '/platforms/governance' });
    expect(pub.body).not.toContain('<script>alert(1)</script>');
    expect(pub.body).toContain('Upload &lt;script&gt;');
    const { rows } = await t.kernel.db.query<{ id: string }>('SELECT id FROM engagement.platform_requests WHERE title = $1', [hostile]);
    const id = rows[0]!.id;

    // Only the platform's owner answers.
    expect((await council.get(`/admin/platforms/requests/${id}`)).statusCode).toBe(403);
    const owner = await colleague('department-for-digital-government');
    page = await owner.get('/admin/platforms');
    expect(page.body).toContain(`/admin/platforms/requests/${id}`);
    res = await owner.post(`/admin/platforms/requests/${id}`, { outcome: '', reason: '' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('Select what you will do');
    res = await owner.post(`/admin/platforms/requests/${id}`, { outcome: 'planned', status: 'next', reason: 'Three councils need it.' });
    expect(res.statusCode).toBe(303);
    res = await owner.post(`/admin/platforms/requests/${id}`, { outcome: 'declined', reason: 'Again' });
    expect(res.statusCode).toBe(400);

    const forms = await t.modules.catalogue.service.getServiceDetail('cityscape-forms');
    expect(forms.roadmap.find((r) => r.title === hostile)?.status).toBe('next');
    expect(forms.decisions.find((d) => d.decision === `Added to the roadmap: ${hostile}`)?.reasoning).toBe('Three councils need it.');
    pub = await t.app.inject({ url: '/platforms/governance' });
    expect(pub.body).toContain('on the roadmap: Next');
    expect(pub.body).toContain('Added to the roadmap: Upload &lt;script&gt;');

    // Open data, and Welsh.
    const csvRes = await t.app.inject({ url: '/platforms/governance/requests.csv' });
    expect(csvRes.headers['content-type']).toContain('text/csv');
    expect(csvRes.body.split(/\r?\n/)[0]).toBe(
      'id,platform,organisation,organisation_kind,title,status,roadmap_item_id,roadmap_status,decision_id,answer,created_at,answered_at',
    );
    expect(csvRes.body).toContain(`${id},cityscape-forms,${f.org.slug},local_authority`);
    const json = (await t.app.inject({ url: '/platforms/governance/votes.json' })).json();
    expect(json.licence).toBe('OGL-UK-3.0');
    expect(json.rows.some((r: { organisation_kind: string }) => r.organisation_kind === 'local_authority')).toBe(true);
    const cy = await formBrowser(t).get('/platforms/governance?lang=cy');
    expect(cy.body).toContain('Platfformau a rennir: pwy ofynnodd am beth');
    expect(cy.body).toContain('Awdurdod lleol');
  });

  it('are answered once: two answers at once make one roadmap item, and a failure before the decision leaves none', async () => {
    const f = await engagementFixture(t);
    const { governance } = t.modules.engagement;
    const council = { kind: 'staff', id: 'x', email: f.email, role: 'service_team', organisationId: f.org.id } as const;
    const title = `Bulk upload ${Date.now()}`;
    const req = await governance.propose(council, 'cityscape-forms', { title, detail: 'Spreadsheets.' });
    const owner = await colleague('department-for-digital-government');
    const itemsNamed = async () => (await t.kernel.db.query('SELECT 1 FROM catalogue.roadmap_items WHERE title = $1', [title])).rows.length;

    // The decision fails after the roadmap item is written: neither stays, and the request is still open.
    const spy = vi.spyOn(t.modules.catalogue.service, 'addDecision').mockRejectedValueOnce(new Error('the log is unavailable'));
    try {
      await expect(governance.answer(cli, req.id, { outcome: 'planned', status: 'now', reason: 'Soon.' })).rejects.toThrow('unavailable');
    } finally {
      spy.mockRestore();
    }
    expect(await itemsNamed()).toBe(0);
    expect((await governance.request(req.id)).status).toBe('open');

    const answers = await Promise.all(
      [1, 2].map(() => owner.post(`/admin/platforms/requests/${req.id}`, { outcome: 'planned', status: 'next', reason: 'Needed.' })),
    );
    expect(answers.map((r) => r.statusCode).sort()).toEqual([303, 400]);
    expect(answers.find((r) => r.statusCode === 400)?.body).toContain('answered');
    expect(await itemsNamed()).toBe(1);
    const answered = await governance.request(req.id);
    expect(answered.status).toBe('planned');
    expect(answered.roadmap_item_id).not.toBeNull();
    await expect(governance.answer(cli, req.id, { outcome: 'declined', status: 'now', reason: 'Later.' })).rejects.toThrow('answered');
    expect(await itemsNamed()).toBe(1);
  });
});

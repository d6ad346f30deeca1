// The catalogue's JSON API end to end: open reads, admin-key writes, validation, office-holder
// history, the satisfaction score as GOV.UK computed it, and keys that never cross platforms.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, cli, type TestApp } from './helpers.js';

let t: TestApp;
let admin: string;
const API = '/api/catalogue/v1';
const auth = () => ({ authorization: `Bearer ${admin}` });

beforeAll(async () => {
  t = await buildTestApp({ seed: true });
  admin = (await t.modules.catalogue.service.createApiKey(cli, { serviceSlug: null, platform: 'catalogue', type: 'admin' })).secret;
});
afterAll(async () => {
  await t?.close();
});

describe('catalogue API', () => {
  it('serves the demo catalogue as open data', async () => {
    const orgs = (await t.app.inject({ url: `${API}/organisations` })).json().organisations;
    const kinds = orgs.map((o: any) => o.kind);
    expect(kinds.filter((k: string) => k === 'ministerial_department').length).toBeGreaterThanOrEqual(3);
    expect(kinds.filter((k: string) => k === 'local_authority').length).toBeGreaterThanOrEqual(2);
    expect(kinds).toContain('supplier');
    const services = (await t.app.inject({ url: `${API}/services` })).json().services;
    expect(services.length).toBeGreaterThanOrEqual(10);
    const councils = (await t.app.inject({ url: `${API}/services?organisation_kind=local_authority` })).json().services;
    expect(councils.length).toBeGreaterThan(0);
    expect(councils.every((s: any) => s.organisation.kind === 'local_authority')).toBe(true);
    const detail = (await t.app.inject({ url: `${API}/services/apply-for-a-blue-badge` })).json();
    expect(detail.office_holder).toMatchObject({ is_demo: true });
    expect(detail.decisions.length).toBeGreaterThan(0);
    expect(detail.roadmap.length).toBeGreaterThan(0);
    expect(detail.satisfaction.responses).toBeGreaterThan(0);
    expect(detail.satisfaction.score).toBeGreaterThan(0);
    expect(detail.satisfaction.score).toBeLessThanOrEqual(1);
  });

  it('requires a catalogue admin key to write', async () => {
    const body = {
      slug: 'new-thing',
      name: 'New thing',
      summary: 'Do a new thing',
      phase: 'alpha',
      organisation_slug: 'riverside-city-council',
    };
    expect((await t.app.inject({ method: 'POST', url: `${API}/services`, payload: body })).statusCode).toBe(401);
    const pay = (await t.modules.catalogue.service.createApiKey(cli, { serviceSlug: 'pay-a-parking-fine', platform: 'pay', type: 'live' }))
      .secret;
    const wrong = await t.app.inject({
      method: 'POST',
      url: `${API}/services`,
      payload: body,
      headers: { authorization: `Bearer ${pay}` },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().code).toBe('invalid_api_key');
    const ok = await t.app.inject({ method: 'POST', url: `${API}/services`, payload: body, headers: auth() });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ slug: 'new-thing', phase: 'alpha', organisation: { slug: 'riverside-city-council' } });
    const again = await t.app.inject({ method: 'POST', url: `${API}/services`, payload: body, headers: auth() });
    expect(again.statusCode).toBe(409);
    const [entry] = await t.kernel.audit.list({ limit: 1 });
    expect(entry.action).toBe('service.create');
    expect(entry.actor).toMatch(/^apikey:/);
  });

  it('rejects bad input with the field at fault', async () => {
    const cases: Array<[object, string]> = [
      [{ slug: 'Bad Slug', name: 'x', summary: 'y', phase: 'alpha', organisation_slug: 'riverside-city-council' }, 'slug'],
      [{ slug: 'ok-slug', name: 'x', summary: 'y', phase: 'gamma', organisation_slug: 'riverside-city-council' }, 'phase'],
      [{ slug: 'ok-slug', name: 'x', summary: 'y', phase: 'alpha' }, 'organisation_slug'],
      [
        {
          slug: 'ok-slug',
          name: 'x',
          summary: 'y',
          phase: 'alpha',
          organisation_slug: 'riverside-city-council',
          start_url: 'javascript:alert(1)',
        },
        'start_url',
      ],
    ];
    for (const [payload, field] of cases) {
      const r = await t.app.inject({ method: 'POST', url: `${API}/services`, payload, headers: auth() });
      expect(r.statusCode, JSON.stringify(payload)).toBe(400);
      expect(r.json().errors.map((e: any) => e.field)).toContain(field);
    }
    const noOrg = await t.app.inject({
      method: 'POST',
      url: `${API}/services`,
      headers: auth(),
      payload: { slug: 'ok-slug', name: 'x', summary: 'y', phase: 'alpha', organisation_slug: 'nowhere' },
    });
    expect(noOrg.statusCode).toBe(404);
    expect((await t.app.inject({ url: `${API}/services?phase=gamma` })).statusCode).toBe(400);
  });

  it('stores a Welsh version of every citizen-facing field, shown on Welsh pages', async () => {
    const post = (url: string, payload: object, method: 'POST' | 'PUT' | 'PATCH' = 'POST') =>
      t.app.inject({ method, url: `${API}${url}`, payload, headers: auth() });
    expect(
      (
        await post(
          '/organisations/glanfor-county-council',
          { name: 'Glanfor County Council', kind: 'local_authority', summary: 'A council.', summary_cy: 'Cyngor.' },
          'PATCH',
        )
      ).json(),
    ).toMatchObject({ summary_cy: 'Cyngor.' });
    expect(
      (
        await post('/organisations/glanfor-county-council/teams', { slug: 'llyfrgelloedd', name: 'Libraries', name_cy: 'Llyfrgelloedd' })
      ).json(),
    ).toMatchObject({
      name_cy: 'Llyfrgelloedd',
    });
    const created = await post('/services', {
      slug: 'borrow-a-library-book',
      name: 'Borrow a library book',
      name_cy: 'Benthyg llyfr llyfrgell',
      summary: 'Borrow books from any Glanfor library.',
      summary_cy: 'Benthyg llyfrau o unrhyw un o lyfrgelloedd Glanfor.',
      description: 'Join the library to borrow up to 20 books.',
      description_cy: 'Ymunwch â’r llyfrgell i fenthyg hyd at 20 llyfr.',
      how_to_apply: 'Ask at any library desk.',
      how_to_apply_cy: 'Gofynnwch wrth ddesg unrhyw lyfrgell.',
      phase: 'beta',
      organisation_slug: 'glanfor-county-council',
      team_slug: 'llyfrgelloedd',
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      description_cy: 'Ymunwch â’r llyfrgell i fenthyg hyd at 20 llyfr.',
      how_to_apply: 'Ask at any library desk.',
      how_to_apply_cy: 'Gofynnwch wrth ddesg unrhyw lyfrgell.',
      team: { name_cy: 'Llyfrgelloedd' },
    });
    const slug = 'borrow-a-library-book';
    await post(
      `/services/${slug}/office-holder`,
      { name: 'Cllr Example', role: 'Cabinet Member for Culture', role_cy: 'Aelod Cabinet dros Ddiwylliant', in_post_since: '2025-01-01' },
      'PUT',
    );
    const decision = await post(`/services/${slug}/decisions`, {
      decided_on: '2025-02-01',
      decision: 'Stop charging late fees',
      decision_cy: 'Rhoi’r gorau i godi dirwyon hwyr',
      reasoning: 'Fees kept people away.',
      reasoning_cy: 'Roedd dirwyon yn cadw pobl draw.',
      decided_by: 'Cabinet',
      decided_by_cy: 'Y Cabinet',
    });
    expect(decision.json()).toMatchObject({ decision_cy: 'Rhoi’r gorau i godi dirwyon hwyr', decided_by_cy: 'Y Cabinet' });
    const item = await post(`/services/${slug}/roadmap`, {
      status: 'next',
      title: 'Renew online',
      title_cy: 'Adnewyddu ar-lein',
      description: 'Renew your loans online.',
      description_cy: 'Adnewyddu eich benthyciadau ar-lein.',
    });
    expect(item.json()).toMatchObject({ title_cy: 'Adnewyddu ar-lein' });
    // A blank Welsh version is no Welsh version (the English is shown).
    const blank = await post(`/services/${slug}/roadmap`, { status: 'later', title: 'Audiobooks', title_cy: '  ' });
    expect(blank.json().title_cy).toBeNull();

    const detail = (await t.app.inject({ url: `${API}/services/${slug}` })).json();
    expect(detail.office_holder.role_cy).toBe('Aelod Cabinet dros Ddiwylliant');
    expect(detail.decisions[0]).toMatchObject({ reasoning_cy: 'Roedd dirwyon yn cadw pobl draw.' });

    const page = (await t.app.inject({ url: `/services/${slug}?lang=cy` })).body;
    for (const welsh of [
      'Benthyg llyfr llyfrgell',
      'Ymunwch â’r llyfrgell i fenthyg hyd at 20 llyfr.',
      'Aelod Cabinet dros Ddiwylliant',
      'Rhoi’r gorau i godi dirwyon hwyr',
      'Roedd dirwyon yn cadw pobl draw.',
      'Y Cabinet',
      'Adnewyddu ar-lein',
      'Adnewyddu eich benthyciadau ar-lein.',
      'Llyfrgelloedd',
    ])
      expect(page, welsh).toContain(welsh);
    expect(page).toMatch(/<span class="govuk-!-font-weight-bold" lang="en">Audiobooks<\/span>/);
    expect((await t.app.inject({ url: `/services/${slug}/apply?lang=cy` })).body).toContain('Gofynnwch wrth ddesg unrhyw lyfrgell.');
    expect((await t.app.inject({ url: `/services/${slug}/apply?lang=en` })).body).toContain('Ask at any library desk.');
    expect((await t.app.inject({ url: '/organisations/glanfor-county-council?lang=cy' })).body).toContain('Cyngor.');
  });

  it('keeps office-holder history', async () => {
    const slug = 'pay-a-parking-fine';
    const before = (await t.app.inject({ url: `${API}/services/${slug}` })).json();
    const r = await t.app.inject({
      method: 'PUT',
      url: `${API}/services/${slug}/office-holder`,
      headers: auth(),
      payload: { name: 'Cllr Jo Example', role: 'Cabinet Member for Transport', in_post_since: '2099-01-01', contact: 'jo@example.org' },
    });
    expect(r.statusCode).toBe(200);
    const after = (await t.app.inject({ url: `${API}/services/${slug}` })).json();
    expect(after.office_holder).toMatchObject({ name: 'Cllr Jo Example', left_post: null });
    expect(after.previous_office_holders[0]).toMatchObject({ name: before.office_holder.name, left_post: '2099-01-01' });
    const earlier = await t.app.inject({
      method: 'PUT',
      url: `${API}/services/${slug}/office-holder`,
      headers: auth(),
      payload: { name: 'X', role: 'Y', in_post_since: '2000-01-01' },
    });
    expect(earlier.statusCode).toBe(400);
    expect(earlier.json().errors[0].field).toBe('in_post_since');
  });

  it('computes satisfaction as (mean rating − 1) / 4 over the last 30 days', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: `${API}/services`,
      headers: auth(),
      payload: { slug: 'score-me', name: 'Score me', summary: 's', phase: 'beta', organisation_slug: 'riverside-city-council' },
    });
    expect(created.statusCode).toBe(201);
    expect((await t.app.inject({ url: `${API}/services/score-me/satisfaction` })).json()).toEqual({ score: null, responses: 0, days: 30 });
    for (const rating of [5, 4, 2]) {
      expect((await t.app.inject({ method: 'POST', url: `${API}/services/score-me/feedback`, payload: { rating } })).statusCode).toBe(201);
    }
    // An old response outside the window must not count.
    await t.kernel.db.query(`INSERT INTO catalogue.feedback (service_id, rating, created_at) VALUES ($1, 1, now() - interval '45 days')`, [
      created.json().id,
    ]);
    const s = (await t.app.inject({ url: `${API}/services/score-me/satisfaction` })).json();
    expect(s.responses).toBe(3);
    expect(s.score).toBeCloseTo((11 / 3 - 1) / 4, 3);
    expect((await t.app.inject({ url: `${API}/services/score-me/satisfaction?days=90` })).json().responses).toBe(4);
  });

  it('stores API keys hashed, keeps them to their platform and service, and revokes them', async () => {
    const { key, secret } = await t.modules.catalogue.service.createApiKey(cli, {
      serviceSlug: 'tax-your-vehicle',
      platform: 'notify',
      type: 'team',
    });
    const service = (await t.app.inject({ url: `${API}/services/tax-your-vehicle` })).json();
    expect(secret).toMatch(new RegExp(`-${service.id}-[0-9a-f-]{36}$`));
    const { rows } = await t.kernel.db.query<Record<string, string | null>>('SELECT * FROM catalogue.api_keys WHERE id = $1', [key.id]);
    for (const value of Object.values(rows[0])) expect(String(value)).not.toContain(secret.slice(-36));
    const svc = t.modules.catalogue.service;
    expect(await svc.verifyApiKey(secret, 'notify')).toMatchObject({ serviceId: service.id, type: 'team', secret: secret.slice(-36) });
    expect(await svc.verifyApiKey(secret, 'pay')).toBeNull();
    const list = (await t.app.inject({ url: `${API}/services/tax-your-vehicle/api-keys`, headers: auth() })).json().api_keys;
    expect(list[0]).toMatchObject({ id: key.id, hint: secret.slice(-4) });
    expect(JSON.stringify(list)).not.toContain(secret.slice(-36));
    expect(list[0].last_used_at).not.toBeNull();
    expect((await t.app.inject({ method: 'DELETE', url: `${API}/api-keys/${key.id}`, headers: auth() })).json().revoked_at).not.toBeNull();
    expect(await svc.verifyApiKey(secret, 'notify')).toBeNull();
  });
});

// The consent staff console: a service team drafts a data agreement (facts from the exchange's
// catalogue, or typed in), submits it; a data protection officer — never the one who drafted
// it — approves it and it goes live as a signed revision; figures per agreement; DPOs are
// appointed by the organisation's administrator; other organisations' staff are refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, cli, formBrowser, type TestApp } from '../../../test/helpers.js';
import type { ExchangeView } from './exchange.js';

const PASSWORD = 'a long enough password';
const ORG = 'riverside-city-council';

describe('consent staff console', () => {
  let built: TestApp;
  let ip = 0;
  const staff: Record<string, string> = {};

  async function signIn(email: string) {
    ip += 1;
    const b = formBrowser(built, { ip: `10.7.0.${ip}` });
    await b.get('/admin/sign-in');
    const res = await b.post('/admin/sign-in', { email, password: PASSWORD });
    expect(res.statusCode, res.body).toBe(303);
    return b;
  }
  const errors = (html: string) => [...html.matchAll(/<a href="#[^"]+">([^<]+)<\/a>/g)].map((m) => m[1].trim());

  beforeAll(async () => {
    built = await buildTestApp({ seed: true });
    const c = built.modules.catalogue.service;
    for (const [who, role, org] of [
      ['team', 'service_team', ORG],
      ['admin', 'organisation_admin', ORG],
      ['dpo', 'service_team', ORG],
      ['other', 'service_team', 'department-for-work-and-pensions'],
    ] as const) {
      const email = `${who}@consent.example`;
      const orgSlug = org === ORG ? ORG : ((await c.listOrganisations()).find((o: { slug: string }) => o.slug !== ORG)!.slug as string);
      staff[who] = (await c.createStaff(cli, { email, password: PASSWORD, role, organisationSlug: orgSlug })).id;
    }
  });
  afterAll(async () => built?.close());

  it('drafts, submits and — after a DPO other than the drafter approves — publishes an agreement', async () => {
    const exchange: ExchangeView = {
      attributes: async () => [
        {
          id: 'dwp/benefits.pip_mobility',
          name: 'PIP mobility rate',
          nameCy: null,
          provider: 'UK/GOV/DWP',
          providerName: 'Department for Work and Pensions',
          service: 'UK/GOV/DWP/benefits/entitlement',
          dpvCategory: 'dpv-pd:HealthRecord',
          sensitivity: 'special',
        },
      ],
    };
    built.modules.consent.useExchange(exchange);
    const team = await signIn('team@consent.example');
    let res = await team.get('/admin/consent');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Apply for a Blue Badge');
    res = await team.get('/admin/consent/services/apply-for-a-blue-badge/new');
    expect(res.body).toContain('PIP mobility rate');
    res = await team.post('/admin/consent/services/apply-for-a-blue-badge/new', {
      purpose: '',
      dpvPurpose: 'dpv:ServiceProvision',
      lawfulBasis: 'consent',
      durationDays: 'soon',
    });
    expect(res.statusCode).toBe(400);
    expect(errors(res.body)).toEqual(
      expect.arrayContaining([
        'Enter what it is for',
        'Name at least one fact',
        'Enter a whole number of days from 1 to 36500, or leave it empty',
      ]),
    );
    res = await team.post('/admin/consent/services/apply-for-a-blue-badge/new', {
      purpose: 'Check your mobility benefits',
      dpvPurpose: 'dpv:ServiceProvision',
      lawfulBasis: 'consent',
      attributes: 'dwp/benefits.pip_mobility',
      extra: 'council/parking.permit | Parking permit',
      partial: 'yes',
      durationDays: '60',
      dpia: 'DPIA-2025-03',
    });
    expect(res.statusCode).toBe(303);
    const page = res.headers.location as string;
    const id = /agreements\/([0-9a-f-]{36})/.exec(page)![1];
    const draft = await built.modules.consent.service.approvals.load(id);
    expect(draft).toMatchObject({ approval: 'draft', active: false, revision_id: null });
    expect(draft.attributes.map((a) => a.id)).toEqual(['dwp/benefits.pip_mobility', 'council/parking.permit']);
    res = await team.post(`/admin/consent/agreements/${id}/submit`, {});
    expect(res.statusCode).toBe(303);

    // The organisation's administrator appoints two DPOs: the drafter and someone else.
    const admin = await signIn('admin@consent.example');
    res = await admin.get(`/admin/consent/organisations/${ORG}/dpos`);
    expect(res.statusCode).toBe(200);
    for (const who of ['team', 'dpo'])
      expect((await admin.post(`/admin/consent/organisations/${ORG}/dpos`, { staff: staff[who] })).statusCode).toBe(303);
    expect((await admin.post(`/admin/consent/organisations/${ORG}/dpos`, { staff: staff.other })).statusCode).toBe(400);

    // The drafter cannot approve their own draft.
    expect((await team.post(`/admin/consent/agreements/${id}/approve`, {})).statusCode).toBe(403);
    const dpo = await signIn('dpo@consent.example');
    res = await dpo.get('/admin/consent');
    expect(res.body).toContain('Waiting for your approval');
    res = await dpo.post(`/admin/consent/agreements/${id}/approve`, {});
    expect(res.statusCode).toBe(303);
    const live = await built.modules.consent.service.approvals.load(id);
    expect(live).toMatchObject({ approval: 'approved', active: true, lifecycle: 'complete', decided_by: 'staff:dpo@consent.example' });
    expect(live.revision_id).toBeTruthy();

    // Live: citizens can agree; the figures count it.
    const serviceId = live.service_id;
    const account = await built.modules.identity.accounts.createAccount('figures@example.org', 'correct horse 42 battery');
    await built.modules.consent.service.citizens.answer({ subject: account.id, agreementId: id, agree: true });
    expect(
      await built.modules.consent.decide({
        subject: account.id,
        consumerServiceId: serviceId,
        purpose: 'dpv:ServiceProvision',
        attributes: ['dwp/benefits.pip_mobility'],
      }),
    ).toMatchObject({ allow: true });
    res = await dpo.get(`/admin/consent/agreements/${id}`);
    expect(res.body).toMatch(/Given\s*<\/dt>\s*<dd class="govuk-summary-list__value">\s*1\s*</);

    // A change to a live agreement waits for approval; the live version stays as it was.
    res = await team.post(`/admin/consent/agreements/${id}/edit`, {
      purpose: 'Check your mobility benefits (2)',
      dpvPurpose: 'dpv:ServiceProvision',
      lawfulBasis: 'consent',
      attributes: 'dwp/benefits.pip_mobility',
      durationDays: '30',
    });
    expect(res.statusCode).toBe(303);
    expect((await built.modules.consent.service.approvals.load(id)).purpose).toBe('Check your mobility benefits');
    await team.post(`/admin/consent/agreements/${id}/submit`, {});
    await dpo.post(`/admin/consent/agreements/${id}/approve`, {});
    const changed = await built.modules.consent.service.approvals.load(id);
    expect(changed).toMatchObject({ purpose: 'Check your mobility benefits (2)', duration_days: 30, version: '2.0.0', pending: null });
    expect(changed.revision_id).not.toBe(live.revision_id);

    // A DPO can stop new consents.
    expect((await dpo.post(`/admin/consent/agreements/${id}/deactivate`, {})).statusCode).toBe(303);
    expect((await built.modules.consent.service.approvals.load(id)).active).toBe(false);
  });

  it('keeps other organisations’ staff out', async () => {
    const other = await signIn('other@consent.example');
    const { rows } = await built.kernel.db.query<{ id: string }>('SELECT id FROM consent.agreements LIMIT 1');
    expect((await other.get(`/admin/consent/agreements/${rows[0].id}`)).statusCode).toBe(403);
    expect((await other.get('/admin/consent/services/apply-for-a-blue-badge/new')).statusCode).toBe(403);
    expect((await other.get(`/admin/consent/organisations/${ORG}/dpos`)).statusCode).toBe(403);
    expect((await formBrowser(built, { ip: '10.7.9.9' }).get('/admin/consent')).headers.location).toBe(
      '/admin/sign-in?next=%2Fadmin%2Fconsent',
    );
  });
});

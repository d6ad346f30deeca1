// The demo consultations: seeded with the demo catalogue, an open one a new user can take part
// in and a closed one showing "you said, we did" linked to the decision in the service's log;
// seeding again adds nothing. With them, the shared platforms' governance (votes and requests
// from a council and a department, answered or not) and adoption (a year of key traffic, an exemption).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, formBrowser, type TestApp } from '../../../test/helpers.js';

describe('demo consultations', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ seed: true });
  });
  afterAll(() => t.close());

  it('shows an open consultation and a closed one with its outcome, once', async () => {
    expect(await t.modules.engagement.seedDemo()).toBe(true);
    expect(await t.modules.engagement.seedDemo()).toBe(false);
    const b = formBrowser(t);
    const list = await b.get('/consultations');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('Should glass be collected every fortnight?');
    expect(list.body).toContain('How should we tell you when a pothole will be fixed?');

    const [open, closed] = await Promise.all(
      ['check-your-bin-collection-day', 'report-a-pothole'].map(async (slug) => {
        const s = await t.modules.catalogue.service.getService(slug);
        return (await t.modules.engagement.service.list({ serviceIds: [s.id] }))[0];
      }),
    );
    expect(t.modules.engagement.service.statusOf(open)).toBe('open');
    expect(t.modules.engagement.service.statusOf(closed)).toBe('closed');

    let page = await b.get(`/consultations/${open.id}`);
    expect(page.body).toContain('Smaller boxes would be easier to carry');
    // A new person can take part straight away.
    const option = /action="(\/consultations\/[^"]+\/options\/[0-9a-f-]{36})"/.exec(page.body)![1];
    expect((await b.post(option, { stance: 'support' })).statusCode).toBe(303);

    page = await b.get(`/consultations/${closed.id}`);
    expect(page.body).toContain('You said, we did');
    expect(page.body).toContain('Publish expected repair times on the report page');
    const detail = await t.modules.catalogue.service.getServiceDetail('report-a-pothole');
    expect(closed.response_decision_id).toBe(
      detail.decisions.find((d) => d.decision === 'Publish expected repair times on the report page')!.id,
    );
    expect((await b.get('/consultations?lang=cy')).body).toContain('A ddylid casglu gwydr bob pythefnos?');
  });

  it('gives the platforms’ governance and adoption pages votes, answered requests, an exemption and a trend', async () => {
    const gov = t.modules.engagement.governance;
    const votes = await gov.votes();
    expect(new Set(votes.map((v) => v.organisation_kind))).toEqual(
      new Set(['local_authority', 'ministerial_department', 'arms_length_body']),
    );
    const requests = await gov.requests();
    expect(requests.map((r) => r.status).sort()).toEqual(['declined', 'open', 'planned']);
    const planned = requests.find((r) => r.status === 'planned')!;
    const pay = await t.modules.catalogue.service.getServiceDetail('cityscape-pay');
    expect(pay.roadmap.find((i) => i.id === planned.roadmap_item_id)?.title).toBe(planned.title);
    expect(pay.decisions.some((d) => d.id === planned.decision_id)).toBe(true);
    expect(requests.find((r) => r.status === 'declined')!.decision_id).not.toBeNull();

    const page = await formBrowser(t).get('/platforms/governance');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Refunds to the original card for parking fines');
    expect(page.body).toContain('Declined: Letters by recorded delivery');

    const json = (await t.app.inject({ url: '/platforms/adoption.json' })).json();
    const months = new Set(json.trend.filter((r: { services: number }) => r.services > 0).map((r: { month: string }) => r.month));
    expect(months.size).toBeGreaterThanOrEqual(10);
    const parking = json.rows.find(
      (r: { service: string; platform: string }) => r.service === 'pay-a-parking-fine' && r.platform === 'payments',
    );
    expect(parking).toMatchObject({ in_use: true });
    expect(parking.calls_30_days).toBeGreaterThan(0);
    const school = json.rows.find(
      (r: { service: string; platform: string }) => r.service === 'apply-for-a-school-place' && r.platform === 'exchange',
    );
    expect(school.exempt_until).toBeTruthy();
  });
});

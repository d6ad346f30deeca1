// The demo consultations: seeded with the demo catalogue, an open one a new user can take part
// in and a closed one showing "you said, we did" linked to the decision in the service's log;
// seeding again adds nothing.
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
});

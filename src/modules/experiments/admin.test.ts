// The staff console and an experiment's whole life: flags shown per environment, the kill
// switch, the document edited with errors at their JSON pointer, an experiment designed,
// started (a decision in the service's log), exposures logged once per person with their
// outbox events, results from performance's per-key metrics (with the SRM check), shipped
// (the flag serves the winner to everyone) and published on the public service page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, cli, formBrowser, type TestApp } from '../../../test/helpers.js';
import { api, experimentsKey } from './testing.js';

const PASSWORD = 'a long enough password';
const SLUG = 'apply-for-a-blue-badge';

describe('experiments staff console', () => {
  let built: TestApp;
  let serviceId: string;
  let key: string;
  let ip = 0;

  async function signIn(email: string) {
    ip += 1;
    const b = formBrowser(built, { ip: `10.9.0.${ip}` });
    await b.get('/admin/sign-in');
    const res = await b.post('/admin/sign-in', { email, password: PASSWORD });
    expect(res.statusCode, res.body).toBe(303);
    return b;
  }
  const summary = (html: string) => [...html.matchAll(/<a href="#[^"]+">([^<]+)<\/a>/g)].map((m) => m[1].trim());

  beforeAll(async () => {
    built = await buildTestApp({ seed: true });
    const c = built.modules.catalogue.service;
    const service = await c.getService(SLUG);
    serviceId = service.id;
    await c.createStaff(cli, {
      email: 'team@experiments.example',
      password: PASSWORD,
      role: 'service_team',
      organisationSlug: service.organisation.slug,
    });
    const other = (await c.listOrganisations()).find((o: { slug: string }) => o.slug !== service.organisation.slug)!;
    await c.createStaff(cli, {
      email: 'other@experiments.example',
      password: PASSWORD,
      role: 'service_team',
      organisationSlug: other.slug,
    });
    key = await experimentsKey(built, SLUG);
    const doc = {
      flags: {
        'start-button': {
          state: 'ENABLED',
          variants: { control: 'Apply online', short: 'Start' },
          defaultVariant: 'control',
          targeting: {
            fractional: [
              ['control', 50],
              ['short', 50],
            ],
          },
        },
        'new-map': { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'on' },
      },
    };
    expect((await api(built, key)('PUT', `/experiments/v1/services/${SLUG}/flags`, doc)).status).toBe(200);
  });
  afterAll(async () => built?.close());

  it('shows the flags, and the kill switch serves the default variant to everyone', async () => {
    const b = await signIn('team@experiments.example');
    expect((await b.get('/admin/experiments')).body).toContain(`/admin/experiments/services/${SLUG}`);
    const page = await b.get(`/admin/experiments/services/${SLUG}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('new-map');
    const off = await b.post(`/admin/experiments/services/${SLUG}/flags/new-map/state?environment=live`, { state: 'DISABLED' });
    expect(off.statusCode).toBe(303);
    expect(built.modules.experiments.evaluate('new-map', { targetingKey: 'k', serviceId })).toMatchObject({
      reason: 'DISABLED',
      value: true,
    });
    const history = await b.get(`/admin/experiments/services/${SLUG}`);
    expect(history.body).toContain('Switched off new-map');
    expect(history.body).toContain('staff:team@experiments.example');
    await b.post(`/admin/experiments/services/${SLUG}/flags/new-map/state?environment=live`, { state: 'ENABLED' });
    expect(built.modules.experiments.evaluate('new-map', { targetingKey: 'k', serviceId }).reason).toBe('STATIC');
    const noToken = await b.post(`/admin/experiments/services/${SLUG}/flags/new-map/state`, { state: 'DISABLED' }, { csrf: false });
    expect(noToken.statusCode).toBe(403);
  });

  it('edits the document and says where it is wrong', async () => {
    const b = await signIn('team@experiments.example');
    await b.get(`/admin/experiments/services/${SLUG}/document`);
    const notJson = await b.post(`/admin/experiments/services/${SLUG}/document`, { document: '{ nope' });
    expect(notJson.statusCode).toBe(400);
    expect(summary(notJson.body)).toEqual(['The document is not valid JSON']);
    const wrong = await b.post(`/admin/experiments/services/${SLUG}/document`, {
      document: JSON.stringify({ flags: { x: { state: 'ON', variants: { a: 1 }, defaultVariant: 'a' } } }),
    });
    expect(wrong.statusCode).toBe(400);
    expect(summary(wrong.body)[0]).toMatch(/^\/flags\/x\/state/);
    expect(wrong.body).toContain('&quot;ON&quot;'); // the text is kept for correcting
  });

  it('refuses another organisation’s staff', async () => {
    const b = await signIn('other@experiments.example');
    expect((await b.get(`/admin/experiments/services/${SLUG}`)).statusCode).toBe(403);
    expect((await b.get('/admin/experiments')).body).not.toContain(`/admin/experiments/services/${SLUG}"`);
  });

  it('designs, starts, measures, ships and publishes an experiment, each step in the decision log', async () => {
    const b = await signIn('team@experiments.example');
    await b.get(`/admin/experiments/services/${SLUG}/new`);
    const bad = await b.post(`/admin/experiments/services/${SLUG}/new`, { name: '', flagKey: '', controlVariant: 'x', mde: 'lots' });
    expect(bad.statusCode).toBe(400);
    expect(summary(bad.body)).toEqual(
      expect.arrayContaining([
        'Choose a flag',
        'Enter a name of up to 200 characters',
        'Choose a primary metric',
        'Enter a change between 0 and 500%',
      ]),
    );
    const made = await b.post(`/admin/experiments/services/${SLUG}/new`, {
      name: 'Shorter start button',
      flagKey: 'start-button',
      controlVariant: 'control',
      hypothesis: 'A shorter button gets more people to finish',
      primaryMetric: 'completion',
      guardrails: ['satisfaction'],
      mde: '10',
      baseline: '40',
    });
    expect(made.statusCode, made.body).toBe(303);
    const url = made.headers.location!.split('?')[0];
    const id = url.split('/').pop()!;
    const design = await b.get(url);
    expect(design.body).toContain('Shorter start button');
    expect(design.body).toContain('2387 per variant'); // scipy: 2386.06 people per variant for 40% → 44%

    expect((await b.post(`${url}/start`, { reason: '' })).statusCode).toBe(400);
    expect((await b.post(`${url}/start`, { reason: 'Ready after research' })).statusCode).toBe(303);

    // 400 people arrive; those shown "short" finish more often.
    const exposures = built.modules.experiments.exposures;
    const served: Record<string, string[]> = { control: [], short: [] };
    for (let i = 0; i < 400; i++) {
      const r = built.modules.experiments.evaluate('start-button', { targetingKey: `session-${i}`, serviceId });
      built.modules.experiments.evaluate('start-button', { targetingKey: `session-${i}`, serviceId }); // seen twice, logged once
      served[r.variant!].push(`session-${i}`);
    }
    await exposures.flush();
    const { rows } = await built.kernel.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM kernel.events WHERE type = 'experiments.exposure' AND payload->>'experiment_id' = $1",
      [id],
    );
    expect(rows[0].n).toBe(400);
    const perf = built.modules.performance;
    for (const [variant, keys] of Object.entries(served))
      for (const [i, k] of keys.entries())
        if (i % 10 < (variant === 'short' ? 8 : 3)) await perf.record(null, { serviceId, type: 'completion', key: k });

    const results = await b.get(url);
    expect(results.body).toContain('People in each variant');
    expect(results.body).toContain(String(served.short.length));
    expect(results.body).toContain('Better than control');
    expect(results.body).not.toContain('The split is not as planned');

    const ship = await b.post(`${url}/ship`, { reason: 'Clearly better', variant: 'short' });
    expect(ship.statusCode).toBe(303);
    expect(built.modules.experiments.evaluate('start-button', { targetingKey: 'anyone', serviceId })).toEqual({
      value: 'Start',
      variant: 'short',
      reason: 'STATIC',
    });
    expect((await b.post(`${url}/publish`, { published: 'yes' })).statusCode).toBe(303);

    const detail = await built.modules.catalogue.service.getServiceDetail(SLUG);
    const decisions = (detail as any).decisions.map((d: { decision: string; evidence_url: string | null }) => d);
    expect(decisions.some((d: any) => d.decision.startsWith('Started the experiment “Shorter start button”'))).toBe(true);
    const shipped = decisions.find((d: any) => d.decision.startsWith('Shipped “short”'));
    expect(shipped.evidence_url).toMatch(new RegExp(`/admin/experiments/${id}$`));
    const publicPage = await built.app.inject({ method: 'GET', url: `/services/${SLUG}`, headers: { accept: 'text/html' } });
    expect(publicPage.body).toContain('Tested changes');
    expect(publicPage.body).toContain('We now show everyone “short”.');
  });
});

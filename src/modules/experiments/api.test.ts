// The flag management API through HTTP: keys (bearer or X-API-Key, live/test/team), whole
// documents in and out, refusals with the JSON pointer at fault, history, tenant isolation,
// in-process evaluation, and a change reaching a second process through LISTEN/NOTIFY.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers.js';
import { api, experimentsKey, sampleFlags, secondApp } from './testing.js';

const SLUG = 'apply-for-a-blue-badge';
const URL = `/experiments/v1/services/${SLUG}/flags`;

describe('flag documents', () => {
  let built: TestApp;
  let live: string;

  beforeAll(async () => {
    built = await buildTestApp({ seed: true });
    live = await experimentsKey(built, SLUG);
  });
  afterAll(async () => built?.close());

  it('needs an experiments key of the service itself', async () => {
    expect((await api(built, null)('GET', URL)).status).toBe(401);
    expect((await api(built, 'cs_experiments_live_nonsense')('GET', URL)).status).toBe(401);
    const payKey = (
      await built.modules.catalogue.service.createApiKey({ kind: 'cli' }, { serviceSlug: SLUG, platform: 'pay', type: 'live' })
    ).secret;
    expect((await api(built, payKey)('GET', URL)).status).toBe(401);
    const other = await experimentsKey(built, 'pay-a-parking-fine');
    const r = await api(built, other)('GET', URL);
    expect(r.status).toBe(404);
    expect((await api(built, other)('PUT', URL, sampleFlags())).status).toBe(404);
  });

  it('stores a whole document and gives it back, with an ETag and its history', async () => {
    const put = await api(built, live)('PUT', URL, sampleFlags());
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({
      service: SLUG,
      environment: 'live',
      version: 1,
      flags: ['start-button', 'staff-banner', 'max-uploads'],
    });
    const got = await api(built, live, 'x-api-key')('GET', URL);
    expect(got.status).toBe(200);
    expect(got.json).toEqual(sampleFlags());
    expect(got.headers.etag).toBe(put.json.etag);
    await api(built, live)('PUT', URL, sampleFlags('Apply now'));
    const revs = await api(built, live)('GET', `${URL}/revisions`);
    expect(revs.json.revisions.map((r: { version: number }) => r.version)).toEqual([2, 1]);
    expect(revs.json.revisions[0].changed_by).toMatch(/^apikey:/);
  });

  it('keeps test and live apart: a test key sees only the test document', async () => {
    const test = await experimentsKey(built, SLUG, 'test');
    expect((await api(built, test)('GET', URL)).json).toEqual({ flags: {} });
    await api(built, test)('PUT', URL, { flags: { beta: { state: 'ENABLED', variants: { on: true }, defaultVariant: 'on' } } });
    expect(Object.keys((await api(built, test)('GET', URL)).json.flags)).toEqual(['beta']);
    expect(Object.keys((await api(built, live)('GET', URL)).json.flags)).toContain('start-button');
    const team = await experimentsKey(built, SLUG, 'team');
    expect(Object.keys((await api(built, team)('GET', `${URL}?environment=test`)).json.flags)).toEqual(['beta']);
  });

  it('refuses a wrong document with the path of what is wrong, and keeps the old one', async () => {
    const bad = sampleFlags();
    (bad.flags['max-uploads'] as any).defaultVariant = 'lots';
    const r = await api(built, live)('PUT', URL, bad);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 'invalid_flag_document', errors: [{ field: '/flags/max-uploads/defaultVariant' }] });
    const bad2 = {
      flags: {
        x: {
          state: 'ENABLED',
          variants: { a: 1 },
          defaultVariant: 'a',
          targeting: {
            fractional: [
              ['a', 50],
              ['b', 50],
            ],
          },
        },
      },
    };
    expect((await api(built, live)('PUT', URL, bad2)).json.errors[0].field).toBe('/flags/x/targeting/fractional/1/0');
    expect((await api(built, live)('PUT', URL, '{"flags": ')).status).toBe(400);
    expect((await api(built, live)('PUT', URL, [1, 2])).status).toBe(400);
    expect((await api(built, live)('GET', URL)).json.flags['max-uploads'].defaultVariant).toBe('few');
  });

  it('evaluates in process for other modules (experiments.evaluate)', async () => {
    const service = await built.modules.catalogue.service.getService(SLUG);
    const { evaluate } = built.modules.experiments;
    const r = evaluate('start-button', { targetingKey: 'session-1', serviceId: service.id });
    expect(r.reason).toBe('SPLIT');
    expect(['Apply now', 'Start', 'Start your application now']).toContain(r.value);
    expect(evaluate('start-button', { targetingKey: 'session-1', serviceId: service.id })).toEqual(r);
    expect(evaluate('staff-banner', { targetingKey: 'k', serviceId: service.id, email: 'a@cardiff.gov.uk' })).toMatchObject({
      value: true,
    });
    expect(evaluate('max-uploads', { targetingKey: 'k', serviceId: service.id })).toEqual({ value: 3, variant: 'few', reason: 'STATIC' });
    expect(evaluate('nope', { targetingKey: 'k', serviceId: service.id })).toMatchObject({ value: null, errorCode: 'FLAG_NOT_FOUND' });
    const other = await built.modules.catalogue.service.getService('pay-a-parking-fine');
    expect(evaluate('max-uploads', { targetingKey: 'k', serviceId: other.id }).errorCode).toBe('FLAG_NOT_FOUND');
  });

  it('reaches another process through LISTEN/NOTIFY', async () => {
    const second = await secondApp(built);
    try {
      const service = await built.modules.catalogue.service.getService(SLUG);
      const ctx = { targetingKey: 'k', serviceId: service.id };
      expect(second.modules.experiments.evaluate('max-uploads', ctx).value).toBe(3);
      const doc = sampleFlags('Apply now');
      doc.flags['max-uploads'].defaultVariant = 'many';
      await api(built, live)('PUT', URL, doc);
      const until = Date.now() + 10_000;
      while (second.modules.experiments.evaluate('max-uploads', ctx).value !== 10 && Date.now() < until)
        await new Promise((r) => setTimeout(r, 10));
      expect(second.modules.experiments.evaluate('max-uploads', ctx).value).toBe(10);
    } finally {
      await second.close();
    }
  });
});

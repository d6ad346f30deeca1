// OFREP through HTTP: responses validated against the spec's own schemas, reasons and error
// codes, bulk ETag/If-None-Match → 304, the event stream, keys (bearer, X-API-Key, another
// service's, revoked), and the official server provider (@openfeature/ofrep-provider with the
// server SDK) talking to a listening app with only its base URL and key set.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { parse } from 'yaml';
import { Ajv } from 'ajv';
import { OpenFeature } from '@openfeature/server-sdk';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { buildTestApp, type TestApp } from '../../../test/helpers.js';
import { api, experimentsKey, sampleFlags } from './testing.js';

const spec = parse(readFileSync(new URL('../../../specs/ofrep/openapi.yaml', import.meta.url), 'utf8'));
// Two quirks of the spec's schemas (specs/README.md): its value `oneOf` can never pass (the empty
// codeDefaultFlag matches every object, and an integer is also a float), so it is read as anyOf;
// and its reason enum lacks OpenFeature's DEFAULT, which flagd and the providers use.
const success = spec.components.schemas.evaluationSuccess;
success.allOf[1] = { anyOf: success.allOf[1].oneOf };
success.allOf[0].properties.reason.enum.push('DEFAULT');
const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
for (const [name, schema] of Object.entries(spec.components.schemas)) ajv.addSchema(schema as object, `#/components/schemas/${name}`);
function conforms(name: string, value: unknown) {
  const v = ajv.getSchema(`#/components/schemas/${name}`)!;
  expect(v(value), `${name}: ${JSON.stringify(v.errors)}`).toBe(true);
}

const SLUG = 'apply-for-a-blue-badge';
const PORT = 3191;

describe('OFREP', () => {
  let built: TestApp;
  let key: string;
  let call: ReturnType<typeof api>;

  beforeAll(async () => {
    built = await buildTestApp({ seed: true });
    key = await experimentsKey(built, SLUG);
    call = api(built, key);
    const doc = sampleFlags();
    doc.flags['kill-me'] = { state: 'DISABLED', variants: { on: true, off: false }, defaultVariant: 'off' };
    doc.flags['broken'] = { state: 'ENABLED', variants: { a: 'A' }, defaultVariant: 'a', targeting: { if: [true, 'zzz', null] } };
    doc.flags['config'] = {
      state: 'ENABLED',
      variants: { small: { rows: 5 }, large: { rows: 50 } },
      defaultVariant: 'small',
      metadata: { owner: 'ana' },
    };
    expect((await call('PUT', `/experiments/v1/services/${SLUG}/flags`, doc)).status).toBe(200);
  });
  afterAll(async () => built?.close());

  it('evaluates one flag with the spec’s reasons and shapes', async () => {
    const split = await call('POST', '/ofrep/v1/evaluate/flags/start-button', { context: { targetingKey: 'user-1' } });
    expect(split.status).toBe(200);
    expect(split.json).toMatchObject({ key: 'start-button', reason: 'SPLIT', metadata: { flagSetId: 'blue-badge' } });
    conforms('serverEvaluationSuccess' in spec.components.schemas ? 'serverEvaluationSuccess' : 'evaluationSuccess', split.json);
    const match = await call('POST', '/ofrep/v1/evaluate/flags/staff-banner', {
      context: { targetingKey: 'u', email: 'x@cardiff.gov.uk' },
    });
    expect(match.json).toMatchObject({ value: true, variant: 'on', reason: 'TARGETING_MATCH' });
    conforms('evaluationSuccess', match.json);
    const stat = await call('POST', '/ofrep/v1/evaluate/flags/max-uploads', { context: {} });
    expect(stat.json).toEqual({ key: 'max-uploads', value: 3, variant: 'few', reason: 'STATIC', metadata: { flagSetId: 'blue-badge' } });
    expect((await call('POST', '/ofrep/v1/evaluate/flags/staff-banner', { context: { targetingKey: 'u' } })).json.reason).toBe('DEFAULT');
    const killed = await call('POST', '/ofrep/v1/evaluate/flags/kill-me', { context: { targetingKey: 'u' } });
    expect(killed.json).toMatchObject({ value: false, reason: 'DISABLED' });
    conforms('evaluationSuccess', killed.json);
    expect((await call('POST', '/ofrep/v1/evaluate/flags/config', { context: {} })).json).toMatchObject({
      value: { rows: 5 },
      metadata: { owner: 'ana' },
    });
  });

  it('answers failures with the spec’s error codes and statuses', async () => {
    const missing = await call('POST', '/ofrep/v1/evaluate/flags/nope', { context: { targetingKey: 'u' } });
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ key: 'nope', errorCode: 'FLAG_NOT_FOUND' });
    conforms('flagNotFound', missing.json);
    const noKey = await call('POST', '/ofrep/v1/evaluate/flags/start-button', { context: {} });
    expect(noKey.status).toBe(400);
    expect(noKey.json).toMatchObject({ key: 'start-button', errorCode: 'TARGETING_KEY_MISSING' });
    conforms('evaluationFailure', noKey.json);
    const broken = await call('POST', '/ofrep/v1/evaluate/flags/broken', { context: { targetingKey: 'u' } });
    expect(broken.json).toMatchObject({ errorCode: 'GENERAL' });
    const badCtx = await call('POST', '/ofrep/v1/evaluate/flags/max-uploads', { context: 'me' });
    expect(badCtx.status).toBe(400);
    expect(badCtx.json.errorCode).toBe('INVALID_CONTEXT');
    expect((await call('POST', '/ofrep/v1/evaluate/flags/max-uploads', { context: { targetingKey: 7 } })).json.errorCode).toBe(
      'INVALID_CONTEXT',
    );
    const parse = await call('POST', '/ofrep/v1/evaluate/flags/max-uploads', '{"context": {');
    expect(parse.status).toBe(400);
    expect(parse.json.errorCode).toBe('PARSE_ERROR');
    conforms('bulkEvaluationFailure', (await call('POST', '/ofrep/v1/evaluate/flags', { context: [1] })).json);
  });

  it('needs the service’s own live key; another service’s key sees none of its flags', async () => {
    expect((await api(built, null)('POST', '/ofrep/v1/evaluate/flags/max-uploads', { context: {} })).status).toBe(401);
    expect((await api(built, key, 'x-api-key')('POST', '/ofrep/v1/evaluate/flags/max-uploads', { context: {} })).json.value).toBe(3);
    const other = api(built, await experimentsKey(built, 'pay-a-parking-fine'));
    expect((await other('POST', '/ofrep/v1/evaluate/flags/max-uploads', { context: {} })).status).toBe(404);
    expect((await other('POST', '/ofrep/v1/evaluate/flags', { context: {} })).json.flags).toEqual([]);
    const spare = await built.modules.catalogue.service.createApiKey(
      { kind: 'cli' },
      { serviceSlug: SLUG, platform: 'experiments', type: 'live' },
    );
    expect((await api(built, spare.secret)('POST', '/ofrep/v1/evaluate/flags/max-uploads', { context: {} })).status).toBe(200);
    await built.modules.catalogue.service.revokeApiKey({ kind: 'cli' }, spare.key.id);
    const revoked = await api(built, spare.secret)('POST', '/ofrep/v1/evaluate/flags/max-uploads', { context: {} });
    expect(revoked.status).toBe(401);
    expect(revoked.json).toHaveProperty('errorDetails');
  });

  it('bulk: every flag, an ETag, 304 on If-None-Match, a new ETag after a change or for another context', async () => {
    const first = await call('POST', '/ofrep/v1/evaluate/flags', { context: { targetingKey: 'user-9' } });
    expect(first.status).toBe(200);
    conforms('bulkEvaluationSuccess', first.json);
    expect(first.json.flags.map((f: { key: string }) => f.key).sort()).toEqual([
      'broken',
      'config',
      'kill-me',
      'max-uploads',
      'staff-banner',
      'start-button',
    ]);
    expect(first.json.eventStreams[0]).toMatchObject({
      type: 'sse',
      endpoint: { requestUri: expect.stringMatching(/^\/ofrep\/v1\/events\?channel=/) },
    });
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"/);
    const same = await call('POST', '/ofrep/v1/evaluate/flags', { context: { targetingKey: 'user-9' } }, { 'if-none-match': etag });
    expect(same.status).toBe(304);
    expect(same.body).toBe('');
    const otherCtx = await call('POST', '/ofrep/v1/evaluate/flags', { context: { targetingKey: 'user-10' } }, { 'if-none-match': etag });
    expect(otherCtx.status).toBe(200);
    const doc = (await call('GET', `/experiments/v1/services/${SLUG}/flags`)).json;
    doc.flags['max-uploads'].defaultVariant = 'many';
    await call('PUT', `/experiments/v1/services/${SLUG}/flags`, doc);
    const changed = await call('POST', '/ofrep/v1/evaluate/flags', { context: { targetingKey: 'user-9' } }, { 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.json.flags.find((f: { key: string }) => f.key === 'max-uploads').value).toBe(10);
  });

  it('configuration, and CORS for browsers', async () => {
    const conf = await call('GET', '/ofrep/v1/configuration');
    expect(conf.json.capabilities.flagEvaluation.supportedTypes).toContain('boolean');
    const pre = await built.app.inject({
      method: 'OPTIONS',
      url: '/ofrep/v1/evaluate/flags',
      headers: { origin: 'https://example.org', 'access-control-request-method': 'POST' },
    });
    expect(pre.statusCode).toBe(204);
    expect(pre.headers['access-control-allow-headers']).toMatch(/X-API-Key/);
  });

  describe('over a real socket', () => {
    beforeAll(async () => {
      await built.app.listen({ port: PORT, host: '127.0.0.1' });
    });

    it('streams refetchEvaluation when the flags change (event-streams.yaml)', async () => {
      const bulk = await call('POST', '/ofrep/v1/evaluate/flags', { context: { targetingKey: 'u' } });
      const uri = bulk.json.eventStreams[0].endpoint.requestUri as string;
      const received: string[] = [];
      const req = http.get(`http://127.0.0.1:${PORT}${uri}`);
      const res = await new Promise<http.IncomingMessage>((resolve) => req.on('response', resolve));
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/text\/event-stream/);
      res.setEncoding('utf8');
      res.on('data', (d: string) => received.push(d));
      const doc = (await call('GET', `/experiments/v1/services/${SLUG}/flags`)).json;
      doc.flags['max-uploads'].defaultVariant = 'few';
      const saved = await call('PUT', `/experiments/v1/services/${SLUG}/flags`, doc);
      const until = Date.now() + 5000;
      while (!received.join('').includes('refetchEvaluation') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      req.destroy();
      const event = received
        .join('')
        .split('\n\n')
        .find((e) => e.includes('refetchEvaluation'))!;
      expect(event).toContain(`id: ${saved.json.version}`);
      const data = JSON.parse(/data: (.*)/.exec(event)![1]);
      expect(data).toMatchObject({ type: 'refetchEvaluation', etag: saved.json.etag });
      conforms('sseEventData', data);
      const bad = await call('GET', '/ofrep/v1/events?channel=forged.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
      expect(bad.status).toBe(401);
    });

    it('works with the official server provider given only the base URL and key', async () => {
      const provider = new OFREPProvider({ baseUrl: `http://127.0.0.1:${PORT}`, headers: [['Authorization', `Bearer ${key}`]] });
      await OpenFeature.setProviderAndWait(provider);
      const client = OpenFeature.getClient();
      const details = await client.getStringDetails('start-button', 'fallback', { targetingKey: 'user-1' });
      const direct = await call('POST', '/ofrep/v1/evaluate/flags/start-button', { context: { targetingKey: 'user-1' } });
      expect(details).toMatchObject({ value: direct.json.value, variant: direct.json.variant, reason: 'SPLIT' });
      expect(await client.getBooleanValue('staff-banner', false, { targetingKey: 'u', email: 'a@newport.gov.uk' })).toBe(true);
      expect(await client.getNumberValue('max-uploads', 1, { targetingKey: 'u' })).toBe(3);
      expect(await client.getObjectValue('config', {}, { targetingKey: 'u' })).toEqual({ rows: 5 });
      const missing = await client.getBooleanDetails('nope', false, { targetingKey: 'u' });
      expect(missing).toMatchObject({ value: false, errorCode: 'FLAG_NOT_FOUND' });
      const mismatch = await client.getBooleanDetails('start-button', false, { targetingKey: 'u' });
      expect(mismatch).toMatchObject({ value: false, errorCode: 'TYPE_MISMATCH' });
      const noKey = await client.getStringDetails('start-button', 'fallback', {});
      expect(noKey).toMatchObject({ value: 'fallback', errorCode: 'TARGETING_KEY_MISSING' });
      await OpenFeature.close();
    });
  });
});

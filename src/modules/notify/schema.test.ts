// The v2 API's schemas (schema.ts) type the handlers, but Notify's rules (validate.ts) check the
// requests: what a rule lets through must be what its schema describes, or a handler's types
// would lie. Each rule meets valid and hostile requests; every one it accepts must pass its
// schema. /openapi.json documents each route's request from the same schemas.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatRegistry, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { buildTestApp, type TestApp } from '../../../test/helpers.js';
import {
  EmailBody,
  IdParams,
  LetterBody,
  NotificationsQuery,
  PreviewBody,
  ReceivedTextsQuery,
  SmsBody,
  TemplatesQuery,
  VersionParams,
} from './schema.js';
import {
  emailRequest,
  idParams,
  letterRequest,
  notificationsQuery,
  olderThanQuery,
  previewRequest,
  smsRequest,
  templatesQuery,
  versionParams,
  UUID,
} from './validate.js';

FormatRegistry.Set('uuid', (v) => UUID.test(v));
FormatRegistry.Set('email', (v) => v.includes('@'));

const ID = '3d1ce039-5476-414c-99b2-fac1e6add62c';
const HOSTILE: unknown[] = [null, 1, true, 'x', [], ['x'], {}, { a: 1 }, '', ID, 'a\u0000b', 'Infinity'];
/** Every request made from a valid one by replacing, removing or adding one property. */
function variants(valid: Record<string, unknown>, extraKeys: string[] = []): unknown[] {
  const out: unknown[] = [valid, null, 'x', [], {}];
  for (const k of [...Object.keys(valid), ...extraKeys, 'unexpected']) {
    const { [k]: _gone, ...without } = valid;
    out.push(without);
    for (const v of HOSTILE) out.push({ ...valid, [k]: v });
  }
  return out;
}

/** Runs a rule; what it accepts (its result) must pass the schema. */
function agree(schema: TSchema, rule: (x: any) => unknown, inputs: unknown[]) {
  let accepted = 0;
  for (const input of inputs) {
    let value: unknown;
    try {
      value = rule(structuredClone(input));
    } catch (err) {
      expect((err as { code?: string }).code, JSON.stringify(input)).toMatch(/ValidationError|BadRequestError|NoResultFound/);
      continue;
    }
    accepted++;
    expect(Value.Errors(schema, value).First()?.message, `${JSON.stringify(input)} → ${JSON.stringify(value)}`).toBeUndefined();
  }
  expect(accepted).toBeGreaterThan(0);
}

describe("the v2 API's schemas and Notify's rules", () => {
  it('accept only requests the schemas describe', () => {
    const email = { email_address: 'someone@example.com', template_id: ID, personalisation: { name: 'A' }, reference: 'r' };
    agree(
      EmailBody,
      emailRequest,
      variants(email, ['email_reply_to_id', 'one_click_unsubscribe_url', 'sanitise_content_for', 'scheduled_for']),
    );
    const sms = { phone_number: '07700900123', template_id: ID, personalisation: {}, reference: 'r' };
    agree(SmsBody, smsRequest, variants(sms, ['sms_sender_id', 'scheduled_for']));
    const letter = { template_id: ID, personalisation: { address_line_1: 'A', address_line_2: 'B', postcode: 'SW1A 1AA' } };
    agree(LetterBody, (b) => letterRequest(b).req, [
      ...variants(letter, ['reference', 'scheduled_for']),
      { ...letter, personalisation: { address_line_2: 'B' } },
      { ...letter, personalisation: { address_line_1: 1 } },
      ...variants({ reference: 'r', content: 'JVBERi0=', postage: 'second' }),
    ]);
    agree(PreviewBody, previewRequest, [...variants({ personalisation: { a: 1 } }), undefined, '']);
    const list = { template_type: ['sms', 'email'], status: 'delivered', reference: 'r', older_than: ID, include_jobs: 'true' };
    agree(NotificationsQuery, notificationsQuery, [...variants(list).filter((v) => v && typeof v === 'object'), { reference: ['a', 'b'] }]);
    agree(TemplatesQuery, templatesQuery, [
      ...variants({ type: 'letter' }).filter((v) => v && typeof v === 'object'),
      { type: ['sms', 'x'] },
    ]);
    agree(ReceivedTextsQuery, olderThanQuery, [
      ...variants({ older_than: ID }).filter((v) => v && typeof v === 'object'),
      { older_than: [ID, 'x'] },
    ]);
    agree(IdParams, idParams(), [{ id: ID }, { id: ID.toUpperCase() }, { id: 'x' }, { id: '' }]);
    agree(VersionParams, versionParams, [
      { id: ID, version: '3' },
      { id: ID, version: '1e3' },
      { id: 'x', version: '1' },
      { id: ID, version: '9'.repeat(10) },
    ]);
  });
});

describe('/openapi.json', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it("documents each v2 route's request from its schema", async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const email = doc.paths['/notify/v2/notifications/email'].post.requestBody.content['application/json'].schema;
    expect(email.required).toEqual(['email_address', 'template_id']);
    expect(email.properties.reference.maxLength).toBe(1000);
    const list = doc.paths['/notify/v2/notifications'].get.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`);
    expect(list).toEqual(expect.arrayContaining(['query:template_type', 'query:status', 'query:reference', 'query:older_than']));
    const version = doc.paths['/notify/v2/template/{id}/version/{version}'].get.parameters.map((p: { name: string }) => p.name);
    expect(version).toEqual(['id', 'version']);
    expect(doc.paths['/notify/v2/template/{id}/preview'].post.requestBody).toBeDefined();
  });
});

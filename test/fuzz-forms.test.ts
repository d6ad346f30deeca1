// The citizen-facing HTML forms, fuzzed as a browser would post them: from a set of citizen
// pages (and the pages they link to under the same path), every <form method="post"> is
// posted with its own hidden fields and CSRF token, one field at a time set to a hostile value
// (NUL, 400 digits, Infinity, an impossible date, 100 KB, a repeated field…), as a signed-in
// citizen who has proved their identity and as a visitor. No answer may be a 5xx.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, type HTMLElement } from 'node-html-parser';
import { startApp, signedInCitizen, Browser, type Running } from '../src/modules/identity/testing.js';
import { cli } from './helpers.js';

const VALUES: Array<[string, string | string[]]> = [
  ['NUL', 'a\u0000b'],
  ['400 digits', '9'.repeat(400)],
  ['Infinity', 'Infinity'],
  ['-1', '-1'],
  ['1e308', '1e308'],
  ['impossible date', '2026-02-30'],
  ['empty', ''],
  ['100 KB', 'x'.repeat(100_000)],
  ['markup', '<script>alert(1)</script>'],
  ['repeated', ['1', '2']],
];
// Forms that end the session or undo the journey would stop the walk; they carry no free input.
const SKIP = /sign-out|disconnect|\/cancel$/;

let run: Running;
let citizen: Browser;
let payPage: string;
beforeAll(async () => {
  run = await startApp();
  citizen = (await signedInCitizen(run, { prove: true, back: '/your-data' })).browser;
  const key = (
    await run.built.modules.catalogue.service.createApiKey(cli, { serviceSlug: 'apply-for-a-blue-badge', platform: 'pay', type: 'test' })
  ).secret;
  const res = await fetch(`${run.baseUrl}/pay/v1/payments`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ amount: 1000, reference: 'FUZZ', description: 'Fuzzing', return_url: 'https://service.example.gov.uk/done' }),
  });
  payPage = (await res.json())._links.next_url.href;
}, 180_000);
afterAll(() => run?.close());

interface Form {
  page: string;
  action: string;
  fields: Array<[string, string]>;
  free: string[];
}

function formsOf(html: string, page: string): Form[] {
  return parse(html)
    .querySelectorAll('form')
    .filter((f: HTMLElement) => (f.getAttribute('method') ?? '').toLowerCase() === 'post')
    .map((f: HTMLElement) => {
      const fields: Array<[string, string]> = [];
      const free: string[] = [];
      const seen = new Set<string>();
      for (const el of f.querySelectorAll('input, textarea, select')) {
        const name = el.getAttribute('name');
        if (!name) continue;
        const type = (el.getAttribute('type') ?? el.tagName).toLowerCase();
        if ((type === 'radio' || type === 'checkbox') && seen.has(name)) continue;
        seen.add(name);
        const value =
          el.tagName === 'SELECT' ? (el.querySelector('option')?.getAttribute('value') ?? '') : (el.getAttribute('value') ?? el.text);
        fields.push([name, value]);
        if (name !== '_csrf') free.push(name);
      }
      return { page, action: new URL(f.getAttribute('action') || page, new URL(page, run.baseUrl)).pathname, fields, free };
    });
}

async function post(b: Browser, form: Form, name: string, value: string | string[]) {
  const body = new URLSearchParams();
  for (const [k, v] of form.fields) if (k !== name) body.append(k, v);
  for (const v of Array.isArray(value) ? value : [value]) body.append(name, v);
  const res = await fetch(new URL(form.action, run.baseUrl), {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: b.cookiesFor(form.action), accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
    body: body.toString(),
  });
  await res.arrayBuffer();
  return res.status;
}

async function walk(b: Browser, starts: string[], failures: string[]) {
  const pages = new Set<string>();
  for (const start of starts) {
    pages.add(start);
    const first = await b.go(start);
    const prefix = new URL(first.url).pathname.split('/').slice(0, 2).join('/');
    for (const a of parse(first.body).querySelectorAll('a[href]')) {
      const href = a.getAttribute('href') ?? '';
      if (href.startsWith(prefix + '/') && !SKIP.test(href) && pages.size < 40) pages.add(href.replace(/&amp;/g, '&'));
    }
  }
  let posted = 0;
  const done = new Set<string>();
  for (const page of pages) {
    const html = (await b.go(page)).body;
    for (const form of formsOf(html, page)) {
      if (SKIP.test(form.action) || done.has(form.action)) continue;
      done.add(form.action);
      for (const name of form.free) {
        for (const [label, value] of VALUES) {
          // Each post takes a fresh copy of the page's form (a successful post may change the next one's token or state).
          const fresh = formsOf((await b.go(page)).body, page).find((f) => f.action === form.action) ?? form;
          const status = await post(b, fresh, name, value);
          posted++;
          if (status >= 500) failures.push(`POST ${form.action} (from ${page}) — ${name} = ${label}: ${status}`);
        }
      }
    }
  }
  return { pages: pages.size, forms: [...done], posted };
}

describe('fuzzing the citizen-facing forms', () => {
  it('never answers 5xx, signed in or not', async () => {
    const failures: string[] = [];
    const visitor = new Browser(run.baseUrl);
    const anon = await walk(
      visitor,
      ['/services/apply-for-a-blue-badge', '/identity/sign-in', '/identity/create-account', '/identity/forgotten-password', payPage],
      failures,
    );
    const signedIn = await walk(citizen, ['/your-data', '/your-data/permissions', '/identity/account', '/consultations'], failures);
    console.log(`form fuzz: visitor ${JSON.stringify(anon)}, citizen ${JSON.stringify(signedIn)}, ${failures.length} 5xx`);
    expect(anon.forms.length + signedIn.forms.length).toBeGreaterThan(5);
    expect(failures).toEqual([]);
  }, 600_000);
});

// The find-an-address journey without JavaScript: postcode → choose → confirmation, the
// manual route, error messages in GOV.UK's shape, and Welsh addresses on Welsh pages.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, cookieHeader, formSession, type TestApp } from '../../../test/helpers.js';
import { generateStreets, type GenAddress } from './generator.js';

let t: TestApp;
const P = '/addresses/find-an-address';
const demo: GenAddress[] = [];
beforeAll(async () => {
  t = await buildTestApp();
  await t.modules.addresses.seedDemo!();
  for (const { addresses } of generateStreets({ count: 2000, seed: 1 })) demo.push(...addresses);
});
afterAll(async () => {
  await t?.close();
});

async function start() {
  const page = await t.app.inject({ url: P });
  expect(page.statusCode).toBe(200);
  return formSession(page);
}
const post = (url: string, s: { cookies: Record<string, string>; csrf: string }, form: Record<string, string>) =>
  t.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeader(s.cookies) },
    payload: new URLSearchParams({ _csrf: s.csrf, ...form }).toString(),
  });

describe('find an address', () => {
  it('goes from postcode to a list to the chosen address', async () => {
    const a = demo.find((x) => x.postal === 'D' && x.buildingNumber && !x.subBuilding && !x.street.town.cy)!;
    const s = await start();
    const r = await post(P, s, { postcode: a.postcode.replace(' ', '').toLowerCase() });
    expect(r.statusCode).toBe(303);
    expect(r.headers.location).toBe(`${P}/select?postcode=${encodeURIComponent(a.postcode).replace(/%20/g, '+')}`);
    const list = await t.app.inject({ url: r.headers.location as string, headers: { cookie: cookieHeader(s.cookies) } });
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain(`value="${a.uprn}"`);
    expect(list.body).toMatch(/\d+ addresses found/);
    expect(list.body).toContain('I cannot find my address in the list');
    const s2 = formSession(list, s.cookies);
    const none = await post(`${P}/select`, s2, { postcode: a.postcode });
    expect(none.statusCode).toBe(400);
    expect(none.body).toContain('There is a problem');
    expect(none.body).toContain('href="#uprn"');
    const chosen = await post(`${P}/select`, s2, { postcode: a.postcode, uprn: String(a.uprn) });
    expect(chosen.statusCode).toBe(303);
    const done = await t.app.inject({ url: chosen.headers.location as string });
    expect(done.body).toContain(`<span id="chosen-uprn">${a.uprn}</span>`);
    expect(done.body).toContain(a.postcode);
  });

  it('narrows the list by building number or name', async () => {
    const a = demo.find((x) => x.postal === 'D' && x.subBuilding && x.buildingNumber)!;
    const list = await t.app.inject({
      url: `${P}/select?postcode=${encodeURIComponent(a.postcode)}&filter=${encodeURIComponent(a.subBuilding!.toLowerCase())}`,
    });
    expect(list.body).toContain(`value="${a.uprn}"`);
    expect((list.body.match(/name="uprn"/g) ?? []).length).toBeLessThan(10);
  });

  it('explains postcode mistakes with GOV.UK error messages', async () => {
    const s = await start();
    const empty = await post(P, s, { postcode: '' });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('Enter a postcode');
    const bad = await post(P, s, { postcode: 'BANANA' });
    expect(bad.body).toContain('Enter a full UK postcode');
    expect(bad.body).toContain('value="BANANA"');
  });

  it('takes an address entered by hand', async () => {
    const page = await t.app.inject({ url: `${P}/manual?postcode=AB1%202CD` });
    const s = formSession(page);
    expect(page.body).toContain('value="AB1 2CD"');
    const missing = await post(`${P}/manual`, s, { line1: '', town: '', postcode: 'nope' });
    expect(missing.statusCode).toBe(400);
    for (const text of ['Enter address line 1', 'Enter town or city', 'Enter a full UK postcode']) expect(missing.body).toContain(text);
    const ok = await post(`${P}/manual`, s, { line1: '1 New Build Lane', line2: '', town: 'Newtown', county: '', postcode: 'ab12cd' });
    expect(ok.statusCode).toBe(303);
    const done = await t.app.inject({ url: ok.headers.location as string });
    expect(done.body).toContain('1 New Build Lane<br>Newtown<br>AB1 2CD');
    expect(done.body).not.toContain('chosen-uprn');
  });

  it('shows Welsh addresses on Welsh pages', async () => {
    const a = demo.find((x) => x.postal === 'D' && x.street.nameCy && x.buildingNumber)!;
    const cy = await t.app.inject({ url: `${P}/select?postcode=${encodeURIComponent(a.postcode)}&lang=cy` });
    expect(cy.body).toContain('Dewiswch eich cyfeiriad');
    expect(cy.body.toUpperCase()).toContain(a.street.town.cy!);
  });
});

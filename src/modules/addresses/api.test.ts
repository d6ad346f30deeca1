// The OS Places-compatible API through HTTP, on the generated demo data (seed 1): every
// resource and parameter, OS's header and error shapes, API keys, and free-text quality.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, cli, type TestApp } from '../../../test/helpers.js';
import { loadEvalSet } from './eval.js';
import { generateStreets, type GenAddress } from './generator.js';

let t: TestApp;
let key = '';
let notifyKey = '';
const P = '/addresses/search/places/v1';
const demo: GenAddress[] = [];

beforeAll(async () => {
  t = await buildTestApp({ seed: true });
  await t.modules.addresses.seedDemo!();
  const catalogue = t.modules.catalogue.service;
  key = (await catalogue.createApiKey(cli, { serviceSlug: 'apply-for-a-blue-badge', platform: 'addresses', type: 'test' })).secret;
  notifyKey = (await catalogue.createApiKey(cli, { serviceSlug: 'apply-for-a-blue-badge', platform: 'notify', type: 'test' })).secret;
  for (const { addresses } of generateStreets({ count: 2000, seed: 1 })) demo.push(...addresses);
});
afterAll(async () => {
  await t?.close();
});

async function get(path: string, params: Record<string, string | string[]> = {}, headers: Record<string, string> = {}) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries({ key, ...params })) for (const x of Array.isArray(v) ? v : [v]) if (x !== '') qs.append(k, x);
  const res = await t.app.inject({ method: 'GET', url: `${P}/${path}?${qs}`, headers });
  return { status: res.statusCode, body: res.headers['content-type']?.toString().includes('json') ? res.json() : res.body, res };
}
const first = () => demo.find((a) => a.postal === 'D' && a.buildingNumber && !a.subBuilding)!;
const welsh = () => demo.find((a) => a.postal === 'D' && a.street.town.cy && a.street.nameCy && a.buildingNumber)!;
const flat = () => demo.find((a) => a.subBuilding && a.buildingNumber)!;

describe('postcode', () => {
  it('returns the addresses at a full postcode with OS header and DPA fields', async () => {
    const a = first();
    const r = await get('postcode', { postcode: a.postcode });
    expect(r.status).toBe(200);
    expect(r.body.header).toMatchObject({
      query: `postcode=${a.postcode}`,
      offset: 0,
      format: 'JSON',
      dataset: 'DPA',
      lr: 'EN,CY',
      maxresults: 100,
      output_srs: 'EPSG:27700',
    });
    expect(r.body.header.uri).toContain('/addresses/search/places/v1/postcode?');
    expect(r.body.header.uri).not.toContain('key=');
    expect(typeof r.body.header.epoch).toBe('string');
    expect(r.body.header.totalresults).toBe(r.body.results.length);
    const dpa = r.body.results.find((x: any) => x.DPA.UPRN === String(a.uprn)).DPA;
    expect(dpa).toMatchObject({
      UDPRN: String(a.udprn),
      BUILDING_NUMBER: String(a.buildingNumber),
      THOROUGHFARE_NAME: a.street.name,
      POST_TOWN: a.street.town.name,
      POSTCODE: a.postcode,
      X_COORDINATE: a.x,
      Y_COORDINATE: a.y,
      STATUS: 'APPROVED',
      LOGICAL_STATUS_CODE: '1',
      LOCAL_CUSTODIAN_CODE: a.street.town.custodian,
      COUNTRY_CODE: a.street.town.country,
      LANGUAGE: 'EN',
    });
    expect(dpa.ADDRESS).toContain(`${a.buildingNumber}, ${a.street.name}`);
    expect(dpa.CLASSIFICATION_CODE_DESCRIPTION).toBeTruthy();
    expect(dpa.LAT).toBeUndefined();
  });
  it('accepts lower case, no space, and partial postcodes (district, sector)', async () => {
    const a = first();
    const full = await get('postcode', { postcode: a.postcode });
    expect((await get('postcode', { postcode: a.postcode.replace(' ', '').toLowerCase() })).body.header.totalresults).toBe(
      full.body.header.totalresults,
    );
    const outward = a.postcode.split(' ')[0];
    const district = await get('postcode', { postcode: outward, maxresults: '100' });
    expect(district.body.header.totalresults).toBeGreaterThan(full.body.header.totalresults);
    expect(district.body.results.every((x: any) => x.DPA.POSTCODE.startsWith(outward + ' '))).toBe(true);
    const sector = await get('postcode', { postcode: `${outward} ${a.postcode.split(' ')[1][0]}` });
    expect(sector.status).toBe(200);
    expect(sector.body.header.totalresults).toBeGreaterThanOrEqual(full.body.header.totalresults);
  });
  it('pages with maxresults and offset', async () => {
    const outward = first().postcode.split(' ')[0];
    const all = await get('postcode', { postcode: outward, maxresults: '20' });
    const next = await get('postcode', { postcode: outward, maxresults: '5', offset: '5' });
    expect(next.body.results.map((x: any) => x.DPA.UDPRN)).toEqual(all.body.results.slice(5, 10).map((x: any) => x.DPA.UDPRN));
    expect(next.body.header).toMatchObject({ offset: 5, maxresults: 5, totalresults: all.body.header.totalresults });
  });
  it('returns LPI records, both datasets, Welsh forms with lr=CY', async () => {
    const a = welsh();
    const lpi = await get('postcode', { postcode: a.postcode, dataset: 'LPI' });
    expect(lpi.body.header.dataset).toBe('LPI');
    const rec = lpi.body.results.find((x: any) => x.LPI.UPRN === String(a.uprn) && x.LPI.LANGUAGE === 'EN').LPI;
    expect(rec).toMatchObject({
      USRN: String(a.usrn),
      PAO_START_NUMBER: String(a.paoNumber),
      STREET_DESCRIPTION: a.street.name,
      POSTCODE_LOCATOR: a.postcode,
      LPI_LOGICAL_STATUS_CODE: '1',
    });
    expect(rec.LPI_KEY).toHaveLength(14);
    const both = await get('postcode', { postcode: a.postcode, dataset: 'DPA,LPI' });
    expect(both.body.results.some((x: any) => x.DPA) && both.body.results.some((x: any) => x.LPI)).toBe(true);
    const cy = await get('postcode', { postcode: a.postcode, lr: 'CY' });
    const dpa = cy.body.results.find((x: any) => x.DPA.UPRN === String(a.uprn)).DPA;
    expect(dpa).toMatchObject({ LANGUAGE: 'CY', THOROUGHFARE_NAME: a.street.nameCy, POST_TOWN: a.street.town.cy });
  });
  it('gives latitude and longitude for output_srs EPSG:4326 and EPSG:4258', async () => {
    const a = first();
    for (const srs of ['EPSG:4326', 'EPSG:4258']) {
      const r = await get('postcode', { postcode: a.postcode, output_srs: srs });
      const dpa = r.body.results.find((x: any) => x.DPA.UPRN === String(a.uprn)).DPA;
      expect(r.body.header.output_srs).toBe(srs);
      expect(dpa.LAT).toBeCloseTo(a.lat, 6);
      expect(dpa.LNG).toBeCloseTo(a.lng, 6);
      expect(dpa.X_COORDINATE).toBe(dpa.LNG);
    }
  });
  it('filters with fq on classification (wildcards) and logical status', async () => {
    const outward = flat().postcode.split(' ')[0];
    const flats = await get('postcode', { postcode: outward, fq: 'CLASSIFICATION_CODE:RD06' });
    expect(flats.body.results.length).toBeGreaterThan(0);
    expect(flats.body.results.every((x: any) => x.DPA.CLASSIFICATION_CODE === 'RD06')).toBe(true);
    const residential = await get('postcode', { postcode: outward, fq: 'CLASSIFICATION_CODE:R*' });
    expect(residential.body.header.totalresults).toBeGreaterThanOrEqual(flats.body.header.totalresults);
    const twoFilters = await get('postcode', {
      postcode: outward,
      fq: ['CLASSIFICATION_CODE:RD06 CLASSIFICATION_CODE:RD04', 'LOGICAL_STATUS_CODE:1'],
    });
    expect(twoFilters.body.results.every((x: any) => ['RD06', 'RD04'].includes(x.DPA.CLASSIFICATION_CODE))).toBe(true);
    const none = await get('postcode', { postcode: outward, fq: 'LOGICAL_STATUS_CODE:8' });
    expect(none.body.header.totalresults).toBe(0);
    expect(none.body.results).toBeUndefined();
  });
  it('answers in XML with format=XML', async () => {
    const r = await get('postcode', { postcode: first().postcode, format: 'XML' });
    expect(r.res.headers['content-type']).toContain('application/xml');
    expect(r.body).toMatch(/^<\?xml[^>]*>\n<AddressAPI><header><uri>/);
    expect(r.body).toContain('<DPA><UPRN>');
  });
  it('rejects invalid postcodes and parameters with OS error bodies', async () => {
    for (const [params, text] of [
      [{ postcode: 'NOT A POSTCODE' }, 'Requested postcode must contain a minimum of the sector plus 1 digit of the district'],
      [{ postcode: 'SO16 0AS', maxresults: '500' }, 'maxresults'],
      [{ postcode: 'SO16 0AS', maxresults: 'lots' }, 'maxresults'],
      [{ postcode: 'SO16 0AS', offset: '-1' }, 'offset'],
      [{ postcode: 'SO16 0AS', dataset: 'ABC' }, 'dataset'],
      [{ postcode: 'SO16 0AS', output_srs: 'EPSG:3857x' }, 'output_srs'],
      [{ postcode: 'SO16 0AS', lr: 'FR' }, 'lr'],
      [{ postcode: 'SO16 0AS', fq: 'COLOUR:BLUE' }, 'fq'],
      [{ postcode: 'SO16 0AS', format: 'CSV' }, 'format'],
      [{}, 'postcode'],
    ] as Array<[Record<string, string>, string]>) {
      const r = await get('postcode', params);
      expect(r.status, JSON.stringify(params)).toBe(400);
      expect(Object.keys(r.body)).toEqual(['error']);
      expect(r.body.error.statuscode).toBe(400);
      expect(r.body.error.message).toContain(text);
    }
  });
});

describe('find', () => {
  it('ranks the exact address first with MATCH 1.0 and EXACT', async () => {
    const a = flat();
    const r = await get('find', {
      query: `${a.subBuilding}, ${a.buildingName}, ${a.buildingNumber}, ${a.street.name}, ${a.street.town.name}, ${a.postcode}`,
      maxresults: '5',
    });
    expect(r.status).toBe(200);
    expect(r.body.header).toMatchObject({ matchprecision: 1, maxresults: 5 });
    expect(r.body.results[0].DPA).toMatchObject({ UPRN: String(a.uprn), MATCH: 1, MATCH_DESCRIPTION: 'EXACT' });
    expect(r.body.results[1].DPA.MATCH).toBeLessThan(1);
  });
  it('copes with flat forms, abbreviations, case and typos', async () => {
    const a = flat();
    const n = /\d+/.exec(a.subBuilding!)![0];
    const abbreviated = a.street.name
      .replace(/ ROAD$/, ' rd')
      .replace(/ STREET$/, ' st')
      .replace(/ AVENUE$/, ' ave')
      .toLowerCase();
    for (const query of [
      `${n}/${a.buildingNumber} ${abbreviated} ${a.street.town.name.toLowerCase()}`,
      `Flat ${n}, ${a.buildingNumber} ${abbreviated}, ${a.postcode.replace(' ', '')}`,
    ]) {
      const r = await get('find', { query, maxresults: '3' });
      expect(r.body.results[0].DPA.UPRN, query).toBe(String(a.uprn));
    }
  });
  it('finds a street named word for word, misspelt, or misspelt after a building name', async () => {
    const a = first();
    const typo = a.street.name.replace(/^([A-Z])([A-Z])/, '$2$1');
    for (const query of [
      `${a.buildingNumber} ${a.street.name} ${a.street.town.name}`,
      `${a.buildingNumber} ${typo}, ${a.street.town.name}`,
      `Nowhere House, ${a.buildingNumber} ${typo}, ${a.street.town.name}`,
    ]) {
      const r = await get('find', { query, maxresults: '3' });
      expect(r.body.results[0].DPA.UPRN, query).toBe(String(a.uprn));
    }
  });
  it('applies minmatch and matchprecision, and offers LPI results', async () => {
    const a = first();
    const r = await get('find', {
      query: `${a.buildingNumber} ${a.street.name} ${a.street.town.name}`,
      minmatch: '0.9',
      matchprecision: '3',
    });
    expect(r.body.results.every((x: any) => x.DPA.MATCH >= 0.9)).toBe(true);
    expect(r.body.header.matchprecision).toBe(3);
    const lpi = await get('find', { query: `${a.buildingNumber} ${a.street.name} ${a.street.town.name}`, dataset: 'LPI', maxresults: '1' });
    expect(lpi.body.results[0].LPI.UPRN).toBe(String(a.uprn));
    expect((await get('find', { query: 'x', minmatch: '2' })).status).toBe(400);
    expect((await get('find', {})).status).toBe(400);
  });
  it('finds the labelled evaluation set: recall@1 ≥ 0.95', async () => {
    const cases = loadEvalSet();
    let at1 = 0,
      at5 = 0;
    for (const c of cases) {
      const page = await t.modules.addresses.service.find(c.query, {
        filters: {
          datasets: ['DPA'],
          langs: ['EN', 'CY'],
          classPatterns: null,
          logicalStatus: null,
          lpiLogicalStatus: null,
          countries: null,
        },
        offset: 0,
        maxresults: 5,
        outputSrs: 'EPSG:27700',
        matchprecision: 1,
      });
      const uprns = page.results.map((x: any) => x.DPA.UPRN);
      if (uprns[0] === c.uprn) at1++;
      if (uprns.includes(c.uprn)) at5++;
    }
    expect(at1 / cases.length).toBeGreaterThanOrEqual(0.95);
    expect(at5 / cases.length).toBeGreaterThanOrEqual(at1 / cases.length);
  });
});

describe('uprn, nearest, bbox, radius', () => {
  it('returns a UPRN; 404 when unknown; 400 when not a number', async () => {
    const a = first();
    const r = await get('uprn', { uprn: String(a.uprn), dataset: 'DPA,LPI' });
    expect(r.status).toBe(200);
    expect(r.body.results.map((x: any) => Object.keys(x)[0]).sort()).toEqual(['DPA', 'LPI']);
    const missing = await get('uprn', { uprn: '999999999999' });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: { statuscode: 404, message: 'No address has the UPRN 999999999999' } });
    expect((await get('uprn', { uprn: 'abc' })).status).toBe(400);
  });
  it('finds the nearest address to a point, in BNG or latitude/longitude', async () => {
    const a = first();
    const r = await get('nearest', { point: `${a.x + 0.5},${a.y}` });
    expect(r.body.results).toHaveLength(1);
    expect(r.body.results[0].DPA.UPRN).toBe(String(a.uprn));
    const ll = await get('nearest', { point: `${a.lat},${a.lng}`, srs: 'EPSG:4326', output_srs: 'EPSG:4326' });
    expect(ll.body.results[0].DPA.UPRN).toBe(String(a.uprn));
    expect((await get('nearest', { point: '900000,100' })).body.error.message).toContain('outside the British National Grid');
    expect((await get('nearest', { point: '10,70', srs: 'WGS84' })).status).toBe(400);
    expect((await get('nearest', { point: 'a,b' })).status).toBe(400);
  });
  it('returns addresses in a bounding box and within a radius, ordered by distance', async () => {
    const a = first();
    const box = await get('bbox', { bbox: `${a.x - 50},${a.y - 50},${a.x + 50},${a.y + 50}` });
    expect(box.status).toBe(200);
    expect(box.body.results.map((x: any) => x.DPA.UPRN)).toContain(String(a.uprn));
    expect(box.body.results.every((x: any) => Math.abs(x.DPA.X_COORDINATE - a.x) <= 50 && Math.abs(x.DPA.Y_COORDINATE - a.y) <= 50)).toBe(
      true,
    );
    expect((await get('bbox', { bbox: `${a.x},${a.y},${a.x + 2000},${a.y + 2000}` })).body.error.message).toContain('larger than 1 km²');
    const rad = await get('radius', { point: `${a.x},${a.y}`, radius: '30' });
    expect(rad.body.results[0].DPA.UPRN).toBe(String(a.uprn));
    expect(rad.body.header.query).toBe(`point=${a.x},${a.y}&radius=30`);
    expect((await get('radius', { point: `${a.x},${a.y}`, radius: '5000' })).body.error.message).toContain('radius');
  });
});

describe('API keys and error shapes', () => {
  it('needs an addresses key, as the key parameter or header; refuses other platforms’ keys', async () => {
    const pc = first().postcode;
    const none = await t.app.inject({ url: `${P}/postcode?postcode=${encodeURIComponent(pc)}` });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toEqual({ error: { statuscode: 401, message: expect.stringContaining('Missing API key') } });
    expect((await get('postcode', { postcode: pc, key: 'wrong' })).body.error.statuscode).toBe(401);
    const other = await get('postcode', { postcode: pc, key: notifyKey });
    expect(other.status).toBe(401);
    expect(other.body.error.message).toContain('not a key for the addresses platform');
    const header = await t.app.inject({ url: `${P}/postcode?postcode=${encodeURIComponent(pc)}`, headers: { key } });
    expect(header.statusCode).toBe(200);
  });
  it('answers unknown paths under the prefix in OS shape', async () => {
    const r = await get('nowhere');
    expect(r.status).toBe(404);
    expect(r.body.error.statuscode).toBe(404);
  });
});

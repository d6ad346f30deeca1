// Importing AddressBase Premium: a generated CSV full supply, a change-only update (insert,
// update, delete), GML 3.2 (full and change-only), and malformed files that must be reported
// with line numbers and leave the data exactly as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTestApp, type TestApp } from '../../../test/helpers.js';
import { generateStreets, type GenAddress } from './generator.js';
import { writeAbpCsv, writeAbpGml } from './generator-write.js';
import { filters } from './service.js';
import { AbpFormatError } from './abp.js';

let t: TestApp;
let dir: string;
const base: GenAddress[] = [];
const opts = (datasets = ['DPA']) => ({ filters: filters(datasets), offset: 0, maxresults: 100, outputSrs: 'EPSG:27700' as const });
const count = async () => Number((await t.kernel.db.query('SELECT count(*) AS n FROM addresses.place')).rows[0].n);

beforeAll(async () => {
  t = await buildTestApp();
  dir = mkdtempSync(join(tmpdir(), 'abp-'));
  for (const { addresses } of generateStreets({ count: 300, seed: 7 })) base.push(...addresses);
});
afterAll(async () => {
  await t?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const file = (name: string, lines: string[]) => {
  const p = join(dir, name);
  writeFileSync(p, lines.join('\r\n') + '\r\n');
  return p;
};
const HEADER = '10,"ORDNANCE SURVEY",7655,2024-02-01,1,2024-02-01,10:00:00,"1.0","C"';
const TRAILER = (n: number) => `99,0,${n},2024-02-01,10:00:00`;

describe('CSV', () => {
  it('imports a full supply, reporting progress', async () => {
    const path = join(dir, 'full.csv');
    await writeAbpCsv(path, { count: 300, seed: 7 });
    const seen: string[] = [];
    const r = await t.modules.addresses.importAddresses([path], { onProgress: (p) => seen.push(p.phase) });
    expect(r.files).toBe(1);
    expect(r.byType).toMatchObject({
      BLPU: base.length,
      Street: expect.any(Number),
      LPI: expect.any(Number),
      'Delivery Point Address': 300,
      Classification: base.length,
    });
    expect(seen).toContain('reading');
    expect(seen[seen.length - 1]).toBe('done');
    const a = base.find((x) => x.postal === 'D' && x.buildingNumber)!;
    const page = await t.modules.addresses.service.uprn(String(a.uprn), opts(['DPA', 'LPI']));
    expect(page.results.length).toBeGreaterThanOrEqual(2);
  });

  it('applies a change-only update: insert, update and delete', async () => {
    const [upd, del] = base.filter((x) => x.postal === 'D' && x.buildingNumber && !x.subBuilding && !x.parentUprn);
    const s = upd.street;
    const path = file('cou.csv', [
      HEADER,
      `21,"I",1,90000001,1,2,2024-01-01,,${s.x1},${s.y1},,,1,${s.town.custodian},"E",2024-01-01,,2024-02-01,2024-01-01,"D","${upd.postcode}",0`,
      `24,"I",2,90000001,"9999L000000001","ENG",1,2024-01-01,,2024-02-01,2024-01-01,,"",,"","",999,"",,"","",${s.usrn},"1","","","Y"`,
      `28,"I",3,90000001,99000001,"NEW ORGANISATION LTD","","","",999,"","${s.name}","","","${s.town.name}","${upd.postcode}","S","1A","","","","","","",2024-02-01,2024-01-01,,2024-02-01,2024-01-01`,
      `32,"I",4,90000001,"9999C000000001","CO01","AddressBase Premium Classification Scheme",1.0,2024-01-01,,2024-02-01,2024-01-01`,
      `28,"U",5,${upd.uprn},${upd.udprn},"RENAMED LTD","","","",${upd.buildingNumber},"","${s.name}","","","${s.town.name}","${upd.postcode}","S","1A","","","","","","",2024-02-01,2024-01-01,,2024-02-01,2024-01-01`,
      `21,"D",6,${del.uprn},1,2,2024-01-01,,0,0,,,1,1,"E",2024-01-01,,2024-02-01,2024-01-01,"D","",0`,
      TRAILER(6),
    ]);
    await t.modules.addresses.importAddresses([path]);
    const svc = t.modules.addresses.service;
    const inserted = await svc.uprn('90000001', opts());
    expect((inserted.results[0] as any).DPA).toMatchObject({
      ORGANISATION_NAME: 'NEW ORGANISATION LTD',
      BUILDING_NUMBER: '999',
      CLASSIFICATION_CODE: 'CO01',
      POSTCODE: upd.postcode,
    });
    expect((inserted.results[0] as any).DPA.LAT).toBeUndefined();
    const updated = await svc.uprn(String(upd.uprn), opts());
    expect((updated.results[0] as any).DPA.ORGANISATION_NAME).toBe('RENAMED LTD');
    expect((updated.results[0] as any).DPA.ADDRESS).toMatch(/^RENAMED LTD, /);
    await expect(svc.uprn(String(del.uprn), opts())).rejects.toMatchObject({ status: 404 });
    const found = await svc.find(`Renamed Ltd ${upd.buildingNumber} ${s.name}`, { ...opts(), maxresults: 1, matchprecision: 1 });
    expect((found.results[0] as any).DPA.UPRN).toBe(String(upd.uprn));
  });

  it('rejects a malformed file with line numbers and changes nothing', async () => {
    const before = await count();
    const victim = base.filter((x) => x.postal === 'D' && x.buildingNumber && !x.org).at(-1)!;
    const path = file('bad.csv', [
      HEADER,
      `28,"U",1,${victim.uprn},${victim.udprn},"SHOULD NOT APPEAR","","","",1,"","X","","","Y","AB1 2CD","S","1A","","","","","","",2024-02-01,2024-01-01,,2024-02-01,2024-01-01`,
      `21,"I",2,90000002,1,2,not-a-date,,100,100,,,1,1,"E",2024-01-01,,2024-02-01,2024-01-01,"D","AB1 2CD",0`,
      `24,"I",3,90000002,"too","few","fields"`,
      `77,"I",4,1`,
      TRAILER(4),
    ]);
    const err = await t.modules.addresses.importAddresses([path]).catch((e) => e);
    expect(err).toBeInstanceOf(AbpFormatError);
    expect(err.problems.map((p: any) => p.line)).toEqual([3, 4, 5]);
    expect(err.message).toContain('line 3: BLPU_STATE_DATE "not-a-date" is not a date');
    expect(err.message).toContain('line 4: LPI record (type 24) has 7 fields, expected 26');
    expect(err.message).toContain('line 5: unknown record type "77"');
    expect(await count()).toBe(before);
    const still = await t.modules.addresses.service.uprn(String(victim.uprn), opts());
    expect((still.results[0] as any).DPA.ORGANISATION_NAME).toBeUndefined();
  });

  it('rolls back every file when a later file is truncated', async () => {
    const before = await count();
    const late = base.filter((x) => x.postal === 'D').at(-2)!;
    const good = file('good.csv', [
      HEADER,
      `32,"U",1,${late.uprn},"9999C000000009","CR08","AddressBase Premium Classification Scheme",1.0,2024-01-01,,2024-02-01,2024-01-01`,
      TRAILER(1),
    ]);
    const truncated = file('truncated.csv', [
      HEADER,
      `32,"U",1,${late.uprn},"9999C000000010","CR08","AddressBase Premium Classification Scheme",1.0,2024-01-01,,2024-02-01,2024-01-01`,
    ]);
    await expect(t.modules.addresses.importAddresses([good, truncated])).rejects.toThrow(/truncated\.csv .*no trailer record/);
    expect(await count()).toBe(before);
    const page = await t.modules.addresses.service.uprn(String(late.uprn), opts(['DPA', 'LPI']));
    expect(page.results.length).toBeGreaterThan(0);
    expect(page.results.map((x: any) => (Object.values(x)[0] as any).CLASSIFICATION_CODE)).not.toContain('CR08');
  });
});

describe('GML', () => {
  it('imports a GML 3.2 full supply with Welsh forms, replacing what was there', async () => {
    const path = join(dir, 'full.gml');
    await writeAbpGml(path, { count: 400, seed: 3 });
    const r = await t.modules.addresses.importAddresses([path], { replace: true });
    expect(r.byType['Delivery Point Address']).toBe(400);
    const gen: GenAddress[] = [];
    for (const { addresses } of generateStreets({ count: 400, seed: 3 })) gen.push(...addresses);
    const a = gen.find((x) => x.postal === 'D' && x.street.town.cy && x.street.nameCy)!;
    const page = await t.modules.addresses.service.uprn(String(a.uprn), opts(['DPA', 'LPI']));
    const kinds = page.results.map((x: any) => `${Object.keys(x)[0]}:${(Object.values(x)[0] as any).LANGUAGE}`).sort();
    expect(kinds).toEqual(['DPA:CY', 'DPA:EN', 'LPI:CY', 'LPI:EN']);
    const cy = page.results.find((x: any) => x.DPA?.LANGUAGE === 'CY') as any;
    expect(cy.DPA).toMatchObject({ THOROUGHFARE_NAME: a.street.nameCy, POST_TOWN: a.street.town.cy, X_COORDINATE: a.x, Y_COORDINATE: a.y });
    expect(
      await t.modules.addresses.service
        .uprn(String(base.find((x) => x.uprn > gen[gen.length - 1].uprn)?.uprn ?? 99999999999), opts())
        .catch((e) => e.status),
    ).toBe(404);
  });

  it('applies GML change-only updates (update replaces nested records; delete removes the feature)', async () => {
    const gen: GenAddress[] = [];
    for (const { addresses } of generateStreets({ count: 400, seed: 3 })) gen.push(...addresses);
    const [upd, del] = gen.filter((x) => x.postal === 'D' && x.buildingNumber && !x.street.town.cy);
    const path = file('cou.gml', [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<abpr:AddressBaseSupplySet xmlns:gml="http://www.opengis.net/gml/3.2" xmlns:abpr="http://namespaces.geoplace.co.uk/addressbasepremium/2.1" gml:id="FC1">',
      `<abpr:basicLandPropertyUnitMember><abpr:BasicLandPropertyUnit gml:id="uk.addressbase.uprn.${upd.uprn}"><abpr:changeType>U</abpr:changeType>`,
      `<abpr:uprn>${upd.uprn}</abpr:uprn><abpr:logicalStatus>1</abpr:logicalStatus><abpr:blpuState>2</abpr:blpuState>`,
      `<abpr:position><gml:Point srsName="urn:ogc:def:crs:EPSG::27700"><gml:pos>${upd.x} ${upd.y}</gml:pos></gml:Point></abpr:position>`,
      `<abpr:localCustodianCode>${upd.street.town.custodian}</abpr:localCustodianCode><abpr:country>E</abpr:country><abpr:addressbasePostal>D</abpr:addressbasePostal><abpr:postcodeLocator>${upd.postcode}</abpr:postcodeLocator>`,
      `<abpr:deliveryPointAddressMember><abpr:DeliveryPointAddress><abpr:udprn>${upd.udprn}</abpr:udprn><abpr:buildingName>THE NEW NAME</abpr:buildingName><abpr:buildingNumber>${upd.buildingNumber}</abpr:buildingNumber>`,
      `<abpr:thoroughfare xml:lang="en">${upd.street.name}</abpr:thoroughfare><abpr:postTown xml:lang="en">${upd.street.town.name}</abpr:postTown><abpr:postcode>${upd.postcode}</abpr:postcode></abpr:DeliveryPointAddress></abpr:deliveryPointAddressMember>`,
      '</abpr:BasicLandPropertyUnit></abpr:basicLandPropertyUnitMember>',
      `<abpr:basicLandPropertyUnitMember><abpr:BasicLandPropertyUnit gml:id="uk.addressbase.uprn.${del.uprn}"><abpr:changeType>D</abpr:changeType><abpr:uprn>${del.uprn}</abpr:uprn></abpr:BasicLandPropertyUnit></abpr:basicLandPropertyUnitMember>`,
      '</abpr:AddressBaseSupplySet>',
    ]);
    await t.modules.addresses.importAddresses([path]);
    const page = await t.modules.addresses.service.uprn(String(upd.uprn), opts(['DPA', 'LPI']));
    expect(page.results).toHaveLength(1); // the LPI and classification went with the update
    expect((page.results[0] as any).DPA).toMatchObject({
      BUILDING_NAME: 'THE NEW NAME',
      ADDRESS: expect.stringMatching(/^THE NEW NAME, /),
    });
    await expect(t.modules.addresses.service.uprn(String(del.uprn), opts())).rejects.toMatchObject({ status: 404 });
  });

  it('reports malformed GML with its line number and changes nothing', async () => {
    const before = await count();
    const path = file('bad.gml', [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<abpr:AddressBaseSupplySet xmlns:abpr="x">',
      '<abpr:basicLandPropertyUnitMember><abpr:BasicLandPropertyUnit><abpr:changeType>I</abpr:changeType><abpr:uprn>5</abpr:uprn>',
      '<abpr:logicalStatus>one</abpr:logicalStatus></abpr:BasicLandPropertyUnit></abpr:basicLandPropertyUnitMember>',
      '<abpr:streetMember><abpr:Street></abpr:streetMember>',
      '</abpr:AddressBaseSupplySet>',
    ]);
    const err = await t.modules.addresses.importAddresses([path]).catch((e) => e);
    expect(err).toBeInstanceOf(AbpFormatError);
    expect(err.problems[0].line).toBe(3);
    expect(err.message).toContain('LOGICAL_STATUS "one" is not a number');
    const broken = file('broken.gml', [
      '<?xml version="1.0"?>',
      '<abpr:AddressBaseSupplySet xmlns:abpr="x">',
      '<abpr:streetMember><abpr:Street></abpr:streetMember>',
      '</abpr:AddressBaseSupplySet>',
    ]);
    const err2 = await t.modules.addresses.importAddresses([broken]).catch((e) => e);
    expect(err2).toBeInstanceOf(AbpFormatError);
    expect(err2.problems[0].line).toBe(3);
    expect(await count()).toBe(before);
  });
});

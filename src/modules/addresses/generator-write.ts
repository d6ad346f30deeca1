// Writes generated addresses as AddressBase Premium: CSV (header 10, streets 11/15, BLPU 21,
// cross references 23, LPIs 24, delivery points 28, organisations 31, classifications 32,
// metadata 29, trailer 99) or GML 3.2 (Street and BasicLandPropertyUnit features).
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { generateStreets, type GenAddress, type GenStreet } from './generator.js';
import { fromGrid } from './grid.js';

export interface GenerateOptions {
  count: number;
  seed?: number;
  processDate?: string;
}

const q = (v: string | null | undefined) => `"${(v ?? '').replace(/"/g, '""')}"`;
const n = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(v));
const ll = (v: number) => String(Math.round(v * 1e7) / 1e7);

function streetLines(s: GenStreet, date: string): string[] {
  const a = fromGrid(s.x1, s.y1),
    b = fromGrid(s.x2, s.y2);
  const lines = [
    `11,"I",0,${s.usrn},1,${s.town.custodian},2,${s.date},1,8,0,${s.date},,${date},${s.date},${s.x1},${s.y1},${ll(a.lat)},${ll(a.lng)},${s.x2},${s.y2},${ll(b.lat)},${ll(b.lng)},10`,
    `15,"I",0,${s.usrn},${q(s.name)},${q(s.locality)},${q(s.town.name)},${q(s.town.council.replace(/ CITY COUNCIL$/, ''))},"ENG",${s.date},,${date},${s.date}`,
  ];
  if (s.town.cy)
    lines.push(
      `15,"I",0,${s.usrn},${q(s.nameCy ?? s.name)},${q(s.locality)},${q(s.town.cy)},${q(s.town.cy)},"CYM",${s.date},,${date},${s.date}`,
    );
  return lines;
}

function addressLines(a: GenAddress, date: string, keys: { lpi: number }): string[] {
  const c = a.street.town.custodian;
  const key = (letter: string, i: number) => `${c}${letter}${String(i).padStart(9, '0')}`;
  const lines = [
    `21,"I",0,${a.uprn},${a.logicalStatus},2,${a.date},${n(a.parentUprn)},${a.x},${a.y},${a.lat},${a.lng},1,${c},${q(a.street.town.country)},${a.date},,${date},${a.date},${q(a.postal)},${q(a.postcode)},${a.classification === 'PP' ? 3 : 0}`,
  ];
  if (a.toid)
    lines.push(
      `23,"I",0,${a.uprn},${q(key('X', a.uprn % 1e9))},"osgb1000${String(a.uprn).padStart(12, '0')}",1,"7666MT",${a.date},,${date},${a.date}`,
    );
  const lpi = (lang: string, street: GenStreet) =>
    `24,"I",0,${a.uprn},${q(key('L', ++keys.lpi))},${q(lang)},${a.logicalStatus},${a.date},,${date},${a.date},${n(a.saoNumber)},"",,"",${q(a.saoText)},${n(a.paoNumber)},${q(a.paoSuffix)},,"",${q(a.paoText)},${street.usrn},"1","","","Y"`;
  lines.push(lpi('ENG', a.street));
  if (a.street.town.cy) lines.push(lpi('CYM', a.street));
  if (a.postal === 'D' && a.logicalStatus === 1) {
    const s = a.street,
      cy = s.town.cy;
    lines.push(
      `28,"I",0,${a.uprn},${a.udprn},${q(a.org)},"",${q(a.subBuilding)},${q(a.buildingName)},${n(a.buildingNumber)},"",${q(s.name)},"",${q(s.locality)},${q(s.town.name)},${q(a.postcode)},"S","1A","",${q(cy ? (s.nameCy ?? s.name) : '')},"",${q(cy ? s.locality : '')},${q(cy)},"",${date},${a.date},,${date},${a.date}`,
    );
  }
  if (a.org) lines.push(`31,"I",0,${a.uprn},${q(key('O', a.uprn % 1e9))},${q(a.org)},"",${a.date},,${date},${a.date}`);
  lines.push(
    `32,"I",0,${a.uprn},${q(key('C', a.uprn % 1e9))},${q(a.classification)},"AddressBase Premium Classification Scheme",1.0,${a.date},,${date},${a.date}`,
  );
  return lines;
}

/** The CSV supply as lines (without line ends). */
export function* abpCsvLines(opts: GenerateOptions): Generator<string> {
  const date = opts.processDate ?? '2024-01-15';
  yield `10,"ORDNANCE SURVEY",7655,${date},1,${date},10:00:00,"1.0","F"`;
  let records = 0;
  const keys = { lpi: 0 };
  for (const { street, addresses } of generateStreets(opts)) {
    for (const l of streetLines(street, date)) {
      records++;
      yield l;
    }
    for (const a of addresses)
      for (const l of addressLines(a, date, keys)) {
        records++;
        yield l;
      }
  }
  yield `29,"AddressBase Premium","Generated demo data for England, Wales and Scotland","Demonstration only","Generated",${q('Cityscape')},"F","ORDNANCE SURVEY",0,7655,"British National Grid","METRE",${date},"AddressBase Premium Classification Scheme",${date},"ENG","UTF-8"`;
  yield `99,0,${records},${date},10:00:00`;
}

async function writeAll(out: string | Writable, chunks: Iterable<string>): Promise<void> {
  const stream = typeof out === 'string' ? createWriteStream(out) : out;
  let buf = '';
  for (const c of chunks) {
    buf += c;
    if (buf.length > 1 << 16) {
      if (!stream.write(buf)) await once(stream, 'drain');
      buf = '';
    }
  }
  if (buf) stream.write(buf);
  if (typeof out === 'string') {
    stream.end();
    await once(stream, 'finish');
  }
}

/** Writes a CSV supply of `count` generated addresses (CRLF line ends, as OS supplies). */
export async function writeAbpCsv(out: string | Writable, opts: GenerateOptions): Promise<void> {
  await writeAll(
    out,
    (function* () {
      for (const l of abpCsvLines(opts)) yield l + '\r\n';
    })(),
  );
}

const x = (v: string | number | null | undefined) =>
  String(v ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
const el = (name: string, v: string | number | null | undefined, lang?: string) =>
  v === null || v === undefined || v === '' ? '' : `<abpr:${name}${lang ? ` xml:lang="${lang}"` : ''}>${x(v)}</abpr:${name}>`;
const pos = (prop: string, srs: string, a: number, b: number) =>
  `<abpr:${prop}><gml:Point srsName="urn:ogc:def:crs:EPSG::${srs}"><gml:pos>${a} ${b}</gml:pos></gml:Point></abpr:${prop}>`;

/** The GML 3.2 supply as text chunks. */
export function* abpGmlChunks(opts: GenerateOptions): Generator<string> {
  const date = opts.processDate ?? '2024-01-15';
  yield `<?xml version="1.0" encoding="UTF-8"?>\n<abpr:AddressBaseSupplySet xmlns:gml="http://www.opengis.net/gml/3.2" xmlns:abpr="http://namespaces.geoplace.co.uk/addressbasepremium/2.1" gml:id="FC1">\n`;
  for (const { street: s, addresses } of generateStreets(opts)) {
    const descriptor = (lang: string, name: string, town: string) =>
      `<abpr:streetDescriptiveIdentifierMember><abpr:StreetDescriptiveIdentifier>${el('startDate', s.date)}${el('lastUpdateDate', date)}${el('entryDate', s.date)}${el('streetDescription', name, lang)}${el('locality', s.locality, lang)}${el('townName', town, lang)}${el('administrativeArea', town, lang)}</abpr:StreetDescriptiveIdentifier></abpr:streetDescriptiveIdentifierMember>`;
    yield `<abpr:streetMember><abpr:Street gml:id="uk.addressbase.usrn.${s.usrn}">${el('changeType', 'I')}${el('startDate', s.date)}${el('lastUpdateDate', date)}${el('entryDate', s.date)}${el('usrn', s.usrn)}${el('recordType', 1)}${el('swaOrgRefNaming', s.town.custodian)}${el('state', 2)}${el('streetClassification', 8)}${el('version', 0)}${pos('streetStart', '27700', s.x1, s.y1)}${pos('streetEnd', '27700', s.x2, s.y2)}${el('streetTolerance', 10)}${descriptor('en', s.name, s.town.name)}${s.town.cy ? descriptor('cy', s.nameCy ?? s.name, s.town.cy) : ''}</abpr:Street></abpr:streetMember>\n`;
    for (const a of addresses) {
      const c = a.street.town.custodian;
      const lpi = (lang: string, i: number) =>
        `<abpr:landPropertyIdentifierMember><abpr:LandPropertyIdentifier>${el('startDate', a.date)}${el('lastUpdateDate', date)}${el('entryDate', a.date)}${el('lpiKey', `${c}L${String(a.uprn % 1e8).padStart(8, '0')}${i}`)}${el('language', lang === 'cy' ? 'CYM' : 'ENG')}${el('logicalStatus', a.logicalStatus)}${el('saoStartNumber', a.saoNumber)}${el('saoText', a.saoText, lang)}${el('paoStartNumber', a.paoNumber)}${el('paoStartSuffix', a.paoSuffix)}${el('paoText', a.paoText, lang)}${el('usrn', a.usrn)}${el('usrnMatchIndicator', 1)}${el('officialFlag', 'Y')}</abpr:LandPropertyIdentifier></abpr:landPropertyIdentifierMember>`;
      const s2 = a.street,
        cy = s2.town.cy;
      const dpa =
        a.postal === 'D' && a.logicalStatus === 1
          ? `<abpr:deliveryPointAddressMember><abpr:DeliveryPointAddress>${el('startDate', a.date)}${el('lastUpdateDate', date)}${el('entryDate', a.date)}${el('udprn', a.udprn)}${el('organisationName', a.org)}${el('subBuildingName', a.subBuilding)}${el('buildingName', a.buildingName)}${el('buildingNumber', a.buildingNumber)}${el('thoroughfare', s2.name, 'en')}${cy ? el('thoroughfare', s2.nameCy ?? s2.name, 'cy') : ''}${el('dependentLocality', s2.locality, 'en')}${cy ? el('dependentLocality', s2.locality, 'cy') : ''}${el('postTown', s2.town.name, 'en')}${cy ? el('postTown', cy, 'cy') : ''}${el('postcode', a.postcode)}${el('postcodeType', 'S')}${el('deliveryPointSuffix', '1A')}${el('processDate', date)}</abpr:DeliveryPointAddress></abpr:deliveryPointAddressMember>`
          : '';
      yield `<abpr:basicLandPropertyUnitMember><abpr:BasicLandPropertyUnit gml:id="uk.addressbase.uprn.${a.uprn}">${el('changeType', 'I')}${el('startDate', a.date)}${el('lastUpdateDate', date)}${el('entryDate', a.date)}${el('uprn', a.uprn)}${el('logicalStatus', a.logicalStatus)}${el('blpuState', 2)}${el('blpuStateDate', a.date)}${el('parentUPRN', a.parentUprn)}${pos('position', '27700', a.x, a.y)}${pos('positionLatLong', '4258', a.lat, a.lng)}${el('rpc', 1)}${el('localCustodianCode', c)}${el('country', s2.town.country)}${el('addressbasePostal', a.postal)}${el('postcodeLocator', a.postcode)}${el('multiOccCount', 0)}${lpi('en', 1)}${cy ? lpi('cy', 2) : ''}${dpa}${a.org ? `<abpr:organisationMember><abpr:Organisation>${el('startDate', a.date)}${el('lastUpdateDate', date)}${el('entryDate', a.date)}${el('orgKey', `${c}O${String(a.uprn % 1e9).padStart(9, '0')}`)}${el('organisation', a.org)}</abpr:Organisation></abpr:organisationMember>` : ''}<abpr:classificationMember><abpr:Classification>${el('startDate', a.date)}${el('lastUpdateDate', date)}${el('entryDate', a.date)}${el('classKey', `${c}C${String(a.uprn % 1e9).padStart(9, '0')}`)}${el('classificationCode', a.classification)}${el('classScheme', 'AddressBase Premium Classification Scheme')}${el('schemeVersion', '1.0')}</abpr:Classification></abpr:classificationMember></abpr:BasicLandPropertyUnit></abpr:basicLandPropertyUnitMember>\n`;
    }
  }
  yield '</abpr:AddressBaseSupplySet>\n';
}

export async function writeAbpGml(out: string | Writable, opts: GenerateOptions): Promise<void> {
  await writeAll(out, abpGmlChunks(opts));
}

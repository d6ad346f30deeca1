// Streaming reader of AddressBase Premium GML 3.2 (abpr: namespace): Street features with
// their descriptors, and BasicLandPropertyUnit features with their LPIs, delivery point
// addresses, organisations, classifications, cross references and successors nested inside.
// Produces the same AbpRecord values as the CSV reader. In GML the change type sits on the
// top-level feature; an update or delete replaces the nested records, so those records carry
// `replaceChildren`.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { SaxesParser } from 'saxes';
import { AbpFormatError, checkValue, missingKey, RECORDS, type AbpRecord, type ChangeType } from './abp.js';
import type { FileInfo } from './abp-csv.js';

export type GmlRecord = AbpRecord & { replaceChildren?: boolean };

const FEATURES: Record<string, number> = {
  Street: 11,
  StreetDescriptiveIdentifier: 15,
  BasicLandPropertyUnit: 21,
  ApplicationCrossReference: 23,
  LandPropertyIdentifier: 24,
  DeliveryPointAddress: 28,
  SuccessorCrossReference: 30,
  Organisation: 31,
  Classification: 32,
};
/** Point properties → the columns their gml:pos fills. */
const POINTS: Record<string, [string, string]> = {
  position: ['xCoordinate', 'yCoordinate'],
  positionLatLong: ['latitude', 'longitude'],
  streetStart: ['streetStartX', 'streetStartY'],
  streetStartLatLong: ['streetStartLat', 'streetStartLong'],
  streetEnd: ['streetEndX', 'streetEndY'],
  streetEndLatLong: ['streetEndLat', 'streetEndLong'],
};
/** Delivery point fields that have a Welsh form when xml:lang="cy". */
const WELSH: Record<string, string> = {
  dependentThoroughfare: 'welshDependentThoroughfare',
  thoroughfare: 'welshThoroughfare',
  doubleDependentLocality: 'welshDoubleDependentLocality',
  dependentLocality: 'welshDependentLocality',
  postTown: 'welshPostTown',
};

interface Ctx {
  type: number;
  fields: Record<string, string>;
  lang?: string;
  line: number;
  children: Ctx[];
}

const local = (name: string) => name.slice(name.indexOf(':') + 1);

export async function readAbpGml(
  source: string | Readable,
  name: string,
  onRecord: (r: GmlRecord) => Promise<void> | void,
  onBytes?: (bytes: number) => void,
): Promise<FileInfo> {
  const stream = typeof source === 'string' ? createReadStream(source, { highWaterMark: 1 << 20 }) : source;
  const parser = new SaxesParser({ xmlns: false, position: true });
  const problems: Array<{ line: number; message: string }> = [];
  const info: FileInfo = { records: 0 };
  const ready: GmlRecord[] = [];
  const stack: Ctx[] = [];
  const path: string[] = [];
  let text = '';
  let textLang: string | undefined;
  let sawRoot = false;

  const emit = (ctx: Ctx, change: ChangeType, parent: Ctx | null, replaceChildren: boolean) => {
    const def = RECORDS[ctx.type];
    if (parent) {
      if (parent.fields.uprn && !ctx.fields.uprn) ctx.fields.uprn = parent.fields.uprn;
      if (parent.fields.usrn && !ctx.fields.usrn && ctx.type === 15) ctx.fields.usrn = parent.fields.usrn;
    }
    if (ctx.type === 15 || ctx.type === 24) ctx.fields.language = ctx.fields.language ?? (ctx.lang === 'cy' ? 'CYM' : 'ENG');
    const values = def.cols.map((c) => {
      const v = ctx.fields[c.gml];
      return v === undefined || v === '' ? null : v;
    });
    for (let i = 0; i < def.cols.length; i++) {
      const msg = checkValue(def.cols[i], values[i]);
      if (msg) {
        problems.push({ line: ctx.line, message: `${def.name}: ${msg}` });
        return;
      }
    }
    const missing = missingKey(def, values);
    if (missing) {
      problems.push({ line: ctx.line, message: missing });
      return;
    }
    info.records++;
    ready.push({ type: ctx.type, change, values, line: ctx.line, ...(replaceChildren ? { replaceChildren } : {}) });
  };

  parser.on('opentag', (tag) => {
    const n = local(tag.name);
    if (!sawRoot) {
      sawRoot = true;
      if (n !== 'AddressBaseSupplySet' && n !== 'FeatureCollection')
        problems.push({ line: parser.line, message: `the root element is ${n}, not AddressBaseSupplySet` });
    }
    path.push(n);
    text = '';
    textLang = (tag.attributes['xml:lang'] as string | undefined)?.toLowerCase();
    const type = FEATURES[n];
    if (type) {
      const ctx: Ctx = { type, fields: {}, line: parser.line, children: [] };
      const id = tag.attributes['gml:id'] as string | undefined;
      const m = id ? /\.(?:uprn|usrn)\.(\d+)$/.exec(id) : null;
      if (m) ctx.fields[type === 11 ? 'usrn' : 'uprn'] = m[1];
      stack.push(ctx);
    }
  });
  parser.on('text', (t) => {
    text += t;
  });
  parser.on('closetag', (tag) => {
    const n = local(tag.name);
    path.pop();
    const ctx = stack[stack.length - 1];
    if (FEATURES[n] && ctx && ctx.type === FEATURES[n]) {
      stack.pop();
      const parent = stack[stack.length - 1];
      if (parent) {
        parent.children.push(ctx);
      } else {
        const change = (ctx.fields.changeType ?? 'I') as ChangeType;
        if (change !== 'I' && change !== 'U' && change !== 'D') {
          problems.push({ line: ctx.line, message: `changeType "${change}" is not I, U or D` });
          return;
        }
        emit(ctx, change, null, change !== 'I');
        for (const child of ctx.children) emit(child, change === 'D' ? 'D' : 'U', ctx, false);
      }
      return;
    }
    if (!ctx) return;
    const value = text.trim();
    if (n === 'pos') {
      const prop = path
        .slice()
        .reverse()
        .find((p) => POINTS[p]);
      const target = prop ? POINTS[prop] : null;
      const parts = value.split(/\s+/);
      if (target && parts.length >= 2) {
        ctx.fields[target[0]] = parts[0];
        ctx.fields[target[1]] = parts[1];
      }
      return;
    }
    if (value === '' || path.some((p) => p === 'Point')) return;
    if (ctx.type === 28 && textLang === 'cy' && WELSH[n]) {
      ctx.fields[WELSH[n]] = value;
      return;
    }
    if (textLang && (ctx.type === 15 || ctx.type === 24)) ctx.lang = textLang;
    ctx.fields[n] = value;
  });
  parser.on('error', (err) => {
    problems.push({ line: parser.line, message: err.message.replace(/^[^:]*:\d+:\d+: /, '') });
    throw err;
  });

  try {
    const decoder = new TextDecoder('utf-8');
    for await (const chunk of stream) {
      onBytes?.(typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length);
      parser.write(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
      if (problems.length) break;
      for (const r of ready.splice(0)) await onRecord(r);
    }
    if (!problems.length) parser.close();
  } catch (err) {
    if (!problems.length) throw err;
  }
  if (!problems.length && !sawRoot) problems.push({ line: 1, message: 'the file has no XML content' });
  if (problems.length) throw new AbpFormatError(name, problems);
  for (const r of ready.splice(0)) await onRecord(r);
  return info;
}

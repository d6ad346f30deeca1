// Imports AddressBase Premium files (CSV or GML, full supply or change-only update) in ONE
// transaction: records are applied in batches (insert and update as upserts, delete by key),
// the UPRNs they touch are collected in a temporary table, and their `place` rows are rebuilt
// at the end. Any malformed record aborts the whole import and nothing changes.
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import type { Db, Queryable } from '../../kernel/db.js';
import { RECORDS, type AbpRecord, type RecordDef } from './abp.js';
import { readAbpCsv, type FileInfo } from './abp-csv.js';
import { readAbpGml, type GmlRecord } from './abp-gml.js';
import { buildPlaces, insertPlaces } from './places.js';

export interface ImportSource { name: string; path?: string; stream?: Readable; size?: number; format?: 'csv' | 'gml' }
export interface ImportProgress {
  phase: 'reading' | 'indexing' | 'done'; file: string; fileIndex: number; files: number;
  bytesRead: number; bytesTotal: number; records: number; places: number; uprnsDone: number; uprnsTotal: number;
}
export interface ImportOptions { onProgress?: (p: ImportProgress) => void; replace?: boolean }
export interface ImportResult { files: number; records: number; places: number; uprns: number; seconds: number; byType: Record<string, number> }

const SQL_TYPE = { bigint: 'bigint', int: 'int', float: 'float8', date: 'date', text: 'text' } as const;
const BATCH = 4000;
const PLACE_CHUNK = 4000;
const CHILD_TABLES = ['lpi', 'dpa', 'organisation', 'classification', 'xref', 'successor'];
const PLACE_INDEXES = [
  'CREATE INDEX place_postcode ON addresses.place (outward, inward, sort_key)',
  'CREATE INDEX place_uprn ON addresses.place (uprn)',
  'CREATE INDEX place_street ON addresses.place (street_key_id)',
  'CREATE INDEX place_pos ON addresses.place USING gist (pos)',
];

function upsertSql(def: RecordDef): string {
  const names = def.cols.map((c) => c.name);
  const nonKey = names.filter((n) => !def.key.includes(n));
  return `INSERT INTO addresses.${def.table} (${names.join(', ')})
    SELECT * FROM unnest(${def.cols.map((c, i) => `$${i + 1}::${SQL_TYPE[c.type]}[]`).join(', ')})
    ON CONFLICT (${def.key.join(', ')}) DO UPDATE SET ${nonKey.map((n) => `${n} = EXCLUDED.${n}`).join(', ')}`;
}
function deleteSql(def: RecordDef): string {
  const keyCols = def.key.map((k) => def.cols.find((c) => c.name === k)!);
  return `DELETE FROM addresses.${def.table} WHERE (${def.key.join(', ')}) IN
    (SELECT * FROM unnest(${keyCols.map((c, i) => `$${i + 1}::${SQL_TYPE[c.type]}[]`).join(', ')}))`;
}

/** Pending changes per record type, the last change per key winning (as the supply's order says). */
class Batch {
  ops = new Map<number, Map<string, { del: boolean; values: Array<string | null> }>>();
  uprns = new Set<string>();
  usrns = new Set<string>();
  size = 0;
  add(r: AbpRecord) {
    const def = RECORDS[r.type];
    const key = def.key.map((k) => r.values[def.cols.findIndex((c) => c.name === k)]).join('|');
    let m = this.ops.get(r.type);
    if (!m) { m = new Map(); this.ops.set(r.type, m); }
    m.set(key, { del: r.change === 'D', values: r.values });
    this.size++;
    if (def.cols[0].name === 'uprn') this.uprns.add(r.values[0]!);
    if (r.type === 11 || r.type === 15) this.usrns.add(r.values[0]!);
  }
  async flush(tx: Queryable) {
    for (const [type, m] of this.ops) {
      const def = RECORDS[type];
      const dels = [...m.values()].filter((o) => o.del);
      const ups = [...m.values()].filter((o) => !o.del);
      if (dels.length) {
        const idx = def.key.map((k) => def.cols.findIndex((c) => c.name === k));
        await tx.query(deleteSql(def), idx.map((i) => dels.map((o) => o.values[i])));
      }
      if (ups.length) await tx.query(upsertSql(def), def.cols.map((_, i) => ups.map((o) => o.values[i])));
    }
    if (this.uprns.size) await tx.query('INSERT INTO import_uprn SELECT unnest($1::bigint[]) ON CONFLICT DO NOTHING', [[...this.uprns]]);
    if (this.usrns.size) await tx.query('INSERT INTO import_usrn SELECT unnest($1::bigint[]) ON CONFLICT DO NOTHING', [[...this.usrns]]);
    this.ops.clear(); this.uprns.clear(); this.usrns.clear(); this.size = 0;
  }
}

const formatOf = (s: ImportSource) => s.format ?? (/\.(gml|xml)$/i.test(s.path ?? s.name) ? 'gml' : 'csv');

export async function importAbp(db: Db, sources: ImportSource[], opts: ImportOptions = {}): Promise<ImportResult> {
  const started = Date.now();
  const sizes = sources.map((s) => s.size ?? (s.path ? statSync(s.path).size : 0));
  const progress: ImportProgress = {
    phase: 'reading', file: '', fileIndex: 0, files: sources.length, bytesRead: 0, bytesTotal: sizes.reduce((a, b) => a + b, 0),
    records: 0, places: 0, uprnsDone: 0, uprnsTotal: 0,
  };
  let lastReport = 0;
  const report = (force = false) => {
    const now = Date.now();
    if (opts.onProgress && (force || now - lastReport > 250)) { lastReport = now; opts.onProgress({ ...progress }); }
  };
  const byType: Record<string, number> = {};

  return db.transaction(async (tx) => {
    await tx.exec(`CREATE TEMP TABLE import_uprn (uprn bigint PRIMARY KEY) ON COMMIT DROP;
      CREATE TEMP TABLE import_usrn (usrn bigint PRIMARY KEY) ON COMMIT DROP;`);
    if (opts.replace) {
      await tx.exec(`TRUNCATE addresses.street, addresses.street_descriptor, addresses.blpu, addresses.xref, addresses.lpi, addresses.dpa,
        addresses.successor, addresses.organisation, addresses.classification, addresses.place, addresses.street_key`);
    }
    const placeWasEmpty = (await tx.query<{ empty: boolean }>('SELECT NOT EXISTS (SELECT 1 FROM addresses.place) AS empty')).rows[0].empty;
    const batch = new Batch();
    const onRecord = async (r: GmlRecord) => {
      if (r.replaceChildren) {
        // A GML update or delete replaces the feature's nested records: clear them first, in order.
        await batch.flush(tx);
        if (r.type === 21) for (const t of CHILD_TABLES) await tx.query(`DELETE FROM addresses.${t} WHERE uprn = $1`, [r.values[0]]);
        if (r.type === 11) await tx.query('DELETE FROM addresses.street_descriptor WHERE usrn = $1', [r.values[0]]);
      }
      batch.add(r);
      progress.records++;
      byType[RECORDS[r.type].name] = (byType[RECORDS[r.type].name] ?? 0) + 1;
      if (batch.size >= BATCH) { await batch.flush(tx); report(); }
    };
    for (let i = 0; i < sources.length; i++) {
      const s = sources[i];
      progress.file = s.name; progress.fileIndex = i;
      const onBytes = (n: number) => { progress.bytesRead += n; };
      const input = s.stream ?? s.path!;
      const info: FileInfo = formatOf(s) === 'gml' ? await readAbpGml(input, s.name, onRecord, onBytes) : await readAbpCsv(input, s.name, onRecord, onBytes);
      await batch.flush(tx);
      await tx.query(`INSERT INTO addresses.supply (file_name, format, supply_type, records, custodian_name, process_date) VALUES ($1, $2, $3, $4, $5, $6)`,
        [basename(s.name), formatOf(s), info.fileType ?? null, info.records, info.custodianName ?? null, info.processDate ?? null]);
      report(true);
    }

    // Street changes alter the LPI addresses on them.
    await tx.exec(`INSERT INTO import_uprn SELECT DISTINCT l.uprn FROM addresses.lpi l JOIN import_usrn s ON s.usrn = l.usrn ON CONFLICT DO NOTHING`);
    const uprns = (await tx.query<{ uprn: number }>('SELECT uprn FROM import_uprn ORDER BY uprn')).rows.map((r) => Number(r.uprn));
    // Fresh statistics, so the rebuild's look-ups by UPRN use the indexes after a bulk load.
    if (uprns.length > 10_000) await tx.exec('ANALYZE addresses.blpu; ANALYZE addresses.dpa; ANALYZE addresses.lpi; ANALYZE addresses.classification; ANALYZE addresses.organisation; ANALYZE addresses.xref; ANALYZE addresses.street; ANALYZE addresses.street_descriptor;');
    progress.phase = 'indexing'; progress.uprnsTotal = uprns.length; report(true);
    const bulk = placeWasEmpty && uprns.length > 1000;
    if (bulk) await tx.exec('DROP INDEX addresses.place_postcode; DROP INDEX addresses.place_uprn; DROP INDEX addresses.place_street; DROP INDEX addresses.place_pos;');
    for (let i = 0; i < uprns.length; i += PLACE_CHUNK) {
      const chunk = uprns.slice(i, i + PLACE_CHUNK);
      if (!placeWasEmpty) await tx.query('DELETE FROM addresses.place WHERE uprn = ANY($1::bigint[])', [chunk]);
      const rows = await buildPlaces(tx, chunk);
      await insertPlaces(tx, rows);
      progress.places += rows.length; progress.uprnsDone += chunk.length;
      report();
    }
    if (bulk) { for (const sql of PLACE_INDEXES) await tx.exec(sql); }
    await tx.exec('ANALYZE addresses.place; ANALYZE addresses.street_key');
    progress.phase = 'done'; report(true);
    return { files: sources.length, records: progress.records, places: progress.places, uprns: uprns.length, seconds: (Date.now() - started) / 1000, byType };
  });
}

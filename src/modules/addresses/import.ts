// Imports AddressBase Premium files (CSV or GML, full supply or change-only update) in ONE
// transaction: records are applied in batches (insert and update as upserts, delete by key),
// and `place` rows are rebuilt at the end — for the UPRNs the records touched (collected in a
// temporary table), or, into an empty `place` (a first or replacing full supply), for every
// BLPU in UPRN ranges with the secondary indexes built afterwards. Reading overlaps writing and
// building overlaps PostgreSQL's work (see `serial`). Any malformed record aborts the whole
// import and nothing changes.
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import type { Db, Queryable } from '../../kernel/db.js';
import { RECORDS, type AbpRecord, type Col, type RecordDef } from './abp.js';
import { readAbpCsv, type FileInfo } from './abp-csv.js';
import { readAbpGml, type GmlRecord } from './abp-gml.js';
import { insertPlaces, placeRows, readPlaceData, type PlaceData, type UprnSelection } from './places.js';

export interface ImportSource {
  name: string;
  path?: string;
  stream?: Readable;
  size?: number;
  format?: 'csv' | 'gml';
}
export interface ImportProgress {
  phase: 'reading' | 'indexing' | 'done';
  file: string;
  fileIndex: number;
  files: number;
  bytesRead: number;
  bytesTotal: number;
  records: number;
  places: number;
  uprnsDone: number;
  uprnsTotal: number;
}
export interface ImportOptions {
  onProgress?: (p: ImportProgress) => void;
  replace?: boolean;
}
export interface ImportResult {
  files: number;
  records: number;
  places: number;
  uprns: number;
  seconds: number;
  byType: Record<string, number>;
}

const SQL_TYPE = { bigint: 'bigint', int: 'int', float: 'float8', date: 'date', text: 'text' } as const;
const BATCH = 5000;
const PLACE_CHUNK = 4000;
const CHILD_TABLES = ['lpi', 'dpa', 'organisation', 'classification', 'xref', 'successor'];
// The street keys' indexes other than its unique name (as in the migrations): a bulk load into
// an empty street_key builds them once at the end rather than key by key (trigram GIN and GiST
// upkeep was a tenth of a national import).
const STREET_KEY_INDEXES = [
  { name: 'street_key_trgm', sql: 'CREATE INDEX street_key_trgm ON addresses.street_key USING gist (name gist_trgm_ops)' },
  { name: 'street_key_street', sql: 'CREATE INDEX street_key_street ON addresses.street_key (street)' },
  {
    name: 'street_key_street_trgm',
    sql: 'CREATE INDEX street_key_street_trgm ON addresses.street_key USING gin (street gin_trgm_ops) WITH (fastupdate = off)',
  },
];
const PLACE_INDEXES = [
  'CREATE INDEX place_postcode ON addresses.place (outward, inward, sort_key)',
  'CREATE INDEX place_uprn ON addresses.place (uprn)',
  'CREATE INDEX place_street ON addresses.place (street_key_id)',
  'CREATE INDEX place_pos ON addresses.place USING gist (pos)',
];

// The raw tables' secondary indexes (as in 001_addresses.sql): a bulk load builds them once at the end.
const RAW_INDEXES = [
  { name: 'xref_uprn', on: 'xref (uprn)' },
  { name: 'lpi_uprn', on: 'lpi (uprn)' },
  { name: 'lpi_usrn', on: 'lpi (usrn)' },
  { name: 'dpa_uprn', on: 'dpa (uprn)' },
  { name: 'organisation_uprn', on: 'organisation (uprn)' },
  { name: 'classification_uprn', on: 'classification (uprn)' },
];

/**
 * A PostgreSQL array literal for one column of a batch, sent as one text parameter: cheaper
 * than the driver's general array encoding. Numbers and dates were checked by the reader, so
 * they need no quoting; text is quoted, and escaped only when it holds a quote or backslash.
 */
function arrayLiteral(values: Array<string | null>, numeric: boolean): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i) out += ',';
    const v = values[i];
    if (v === null) out += 'NULL';
    else if (numeric) out += v;
    else out += v.indexOf('"') < 0 && v.indexOf('\\') < 0 ? `"${v}"` : `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  }
  return out + '}';
}
const columnOf = (rows: Array<Array<string | null>>, i: number) => {
  const out = new Array<string | null>(rows.length);
  for (let r = 0; r < rows.length; r++) out[r] = rows[r][i];
  return out;
};
const arrays = (cols: Col[]) => cols.map((c, i) => `$${i + 1}::text::${SQL_TYPE[c.type]}[]`).join(', ');

function upsertSql(def: RecordDef): string {
  const names = def.cols.map((c) => c.name);
  const nonKey = names.filter((n) => !def.key.includes(n));
  return `INSERT INTO addresses.${def.table} (${names.join(', ')})
    SELECT * FROM unnest(${arrays(def.cols)})
    ON CONFLICT (${def.key.join(', ')}) DO UPDATE SET ${nonKey.map((n) => `${n} = EXCLUDED.${n}`).join(', ')}`;
}
function deleteSql(def: RecordDef): string {
  const keyCols = def.key.map((k) => def.cols.find((c) => c.name === k)!);
  return `DELETE FROM addresses.${def.table} WHERE (${def.key.join(', ')}) IN (SELECT * FROM unnest(${arrays(keyCols)}))`;
}
const KEY_INDEX = new Map(Object.values(RECORDS).map((def) => [def.type, def.key.map((k) => def.cols.findIndex((c) => c.name === k))]));
const NUMERIC = new Map(Object.values(RECORDS).map((def) => [def.type, def.cols.map((c) => c.type !== 'text')]));

/**
 * Pending changes per record type, the last change per key winning (as the supply's order
 * says). `track` collects the UPRNs and USRNs touched, for rebuilding their places; a full
 * supply into empty tables rebuilds everything and needs no list.
 */
class Batch {
  ops = new Map<number, Map<string, { del: boolean; values: Array<string | null> }>>();
  uprns = new Set<string>();
  usrns = new Set<string>();
  size = 0;
  constructor(private track: boolean) {}
  add(r: AbpRecord) {
    const idx = KEY_INDEX.get(r.type)!;
    const key = idx.length === 1 ? r.values[idx[0]]! : idx.map((i) => r.values[i]).join('|');
    let m = this.ops.get(r.type);
    if (!m) {
      m = new Map();
      this.ops.set(r.type, m);
    }
    m.set(key, { del: r.change === 'D', values: r.values });
    this.size++;
    if (this.track) {
      if (RECORDS[r.type].cols[0].name === 'uprn') this.uprns.add(r.values[0]!);
      if (r.type === 11 || r.type === 15) this.usrns.add(r.values[0]!);
    }
  }
  async flush(tx: Queryable) {
    for (const [type, m] of this.ops) {
      const def = RECORDS[type];
      const numeric = NUMERIC.get(type)!;
      const dels: Array<Array<string | null>> = [],
        ups: Array<Array<string | null>> = [];
      for (const o of m.values()) (o.del ? dels : ups).push(o.values);
      if (dels.length)
        await tx.query(
          deleteSql(def),
          KEY_INDEX.get(type)!.map((i) => arrayLiteral(columnOf(dels, i), numeric[i])),
        );
      if (ups.length)
        await tx.query(
          upsertSql(def),
          def.cols.map((_, i) => arrayLiteral(columnOf(ups, i), numeric[i])),
        );
    }
    if (this.uprns.size) await tx.query('INSERT INTO import_uprn SELECT unnest($1::bigint[]) ON CONFLICT DO NOTHING', [[...this.uprns]]);
    if (this.usrns.size) await tx.query('INSERT INTO import_usrn SELECT unnest($1::bigint[]) ON CONFLICT DO NOTHING', [[...this.usrns]]);
  }
}

/**
 * The transaction's statements, one after another: callers may queue the next while one runs
 * (so this process parses and builds while PostgreSQL writes), but each goes to the driver
 * only when the one before it has finished, as one connection needs.
 */
function serial(tx: Queryable): Queryable {
  let last: Promise<unknown> = Promise.resolve();
  const queue = <T>(run: () => Promise<T>): Promise<T> => {
    const p = last.then(run, run);
    last = p.catch(() => {});
    return p;
  };
  return {
    query: (sql, params) => queue(() => tx.query(sql, params)),
    exec: (sql) => queue(() => tx.exec(sql)),
    ...(tx.copyFrom && { copyFrom: (sql: string, data: string) => queue(() => tx.copyFrom!(sql, data)) }),
  };
}

const formatOf = (s: ImportSource) => s.format ?? (/\.(gml|xml)$/i.test(s.path ?? s.name) ? 'gml' : 'csv');

export async function importAbp(db: Db, sources: ImportSource[], opts: ImportOptions = {}): Promise<ImportResult> {
  const started = Date.now();
  const sizes = sources.map((s) => s.size ?? (s.path ? statSync(s.path).size : 0));
  const progress: ImportProgress = {
    phase: 'reading',
    file: '',
    fileIndex: 0,
    files: sources.length,
    bytesRead: 0,
    bytesTotal: sizes.reduce((a, b) => a + b, 0),
    records: 0,
    places: 0,
    uprnsDone: 0,
    uprnsTotal: 0,
  };
  let lastReport = 0;
  const report = (force = false) => {
    const now = Date.now();
    if (opts.onProgress && (force || now - lastReport > 250)) {
      lastReport = now;
      opts.onProgress({ ...progress });
    }
  };
  const byType: Record<string, number> = {};

  return db.transaction(async (conn) => {
    const tx = serial(conn);
    // One import at a time across processes: two would take the tables' locks in different orders.
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['cityscape.addresses.import']);
    // Index builds and sorts of a national supply want more than the default working memory.
    await tx.exec(`SET LOCAL maintenance_work_mem = '256MB'; SET LOCAL work_mem = '32MB'`);
    if (opts.replace) {
      await tx.exec(`TRUNCATE addresses.street, addresses.street_descriptor, addresses.blpu, addresses.xref, addresses.lpi, addresses.dpa,
        addresses.successor, addresses.organisation, addresses.classification, addresses.place, addresses.street_key`);
    }
    // Into an empty `place` (a first or replacing full supply) every BLPU is built, in UPRN
    // ranges, with the indexes made afterwards; otherwise the touched UPRNs are listed and rebuilt.
    const bulk = (await tx.query<{ empty: boolean }>('SELECT NOT EXISTS (SELECT 1 FROM addresses.place) AS empty')).rows[0].empty;
    let rawIndexes = !bulk;
    const ensureRawIndexes = async () => {
      if (rawIndexes) return;
      rawIndexes = true;
      for (const i of RAW_INDEXES) await tx.exec(`CREATE INDEX IF NOT EXISTS ${i.name} ON addresses.${i.on}`);
    };
    if (bulk) await tx.exec(RAW_INDEXES.map((i) => `DROP INDEX IF EXISTS addresses.${i.name};`).join(' '));
    if (!bulk) {
      await tx.exec(`CREATE TEMP TABLE import_uprn (uprn bigint PRIMARY KEY) ON COMMIT DROP;
        CREATE TEMP TABLE import_usrn (usrn bigint PRIMARY KEY) ON COMMIT DROP;`);
    }
    // Reading and writing overlap: while one batch is written, the next is read and parsed.
    let batch = new Batch(!bulk);
    let writing: Promise<void> = Promise.resolve();
    const write = async () => {
      await writing;
      const full = batch;
      batch = new Batch(!bulk);
      writing = full.flush(tx);
      writing.catch(() => {
        /* awaited (and thrown) by the next write */
      });
    };
    const onRecord = async (r: GmlRecord) => {
      if (r.replaceChildren) {
        // A GML update or delete replaces the feature's nested records: clear them first, in order.
        await write();
        await writing;
        await ensureRawIndexes();
        if (r.type === 21) for (const t of CHILD_TABLES) await tx.query(`DELETE FROM addresses.${t} WHERE uprn = $1`, [r.values[0]]);
        if (r.type === 11) await tx.query('DELETE FROM addresses.street_descriptor WHERE usrn = $1', [r.values[0]]);
      }
      batch.add(r);
      progress.records++;
      byType[RECORDS[r.type].name] = (byType[RECORDS[r.type].name] ?? 0) + 1;
      if (batch.size >= BATCH) {
        await write();
        report();
      }
    };
    try {
      for (let i = 0; i < sources.length; i++) {
        const s = sources[i];
        progress.file = s.name;
        progress.fileIndex = i;
        const onBytes = (n: number) => {
          progress.bytesRead += n;
        };
        const input = s.stream ?? s.path!;
        const info: FileInfo =
          formatOf(s) === 'gml' ? await readAbpGml(input, s.name, onRecord, onBytes) : await readAbpCsv(input, s.name, onRecord, onBytes);
        await write();
        await tx.query(
          `INSERT INTO addresses.supply (file_name, format, supply_type, records, custodian_name, process_date) VALUES ($1, $2, $3, $4, $5, $6)`,
          [basename(s.name), formatOf(s), info.fileType ?? null, info.records, info.custodianName ?? null, info.processDate ?? null],
        );
        report(true);
      }
      await writing;
    } finally {
      // Never leave a write running past the transaction (a failed import rolls back after it).
      await writing.catch(() => {});
    }

    progress.phase = 'indexing';
    let chunks: UprnSelection[];
    let streetKeysFresh = false;
    if (bulk) {
      await ensureRawIndexes();
      // Fresh statistics for the range reads below, and UPRN ranges of PLACE_CHUNK BLPUs each.
      await tx.exec(
        'ANALYZE addresses.blpu; ANALYZE addresses.dpa; ANALYZE addresses.lpi; ANALYZE addresses.classification; ANALYZE addresses.organisation; ANALYZE addresses.xref; ANALYZE addresses.street; ANALYZE addresses.street_descriptor;',
      );
      const { rows } = await tx.query<{ uprn: number; n: number }>(
        `SELECT uprn, n FROM (SELECT uprn, row_number() OVER (ORDER BY uprn) AS n, count(*) OVER () AS total FROM addresses.blpu) s
         WHERE n % ${PLACE_CHUNK} = 0 OR n = total ORDER BY uprn`,
      );
      chunks = rows.map((r, i) => ({ after: i ? Number(rows[i - 1].uprn) : -1, upTo: Number(r.uprn) }));
      progress.uprnsTotal = rows.length ? Number(rows[rows.length - 1].n) : 0;
      await tx.exec(
        'DROP INDEX addresses.place_postcode; DROP INDEX addresses.place_uprn; DROP INDEX addresses.place_street; DROP INDEX addresses.place_pos;',
      );
      streetKeysFresh = (await tx.query<{ empty: boolean }>('SELECT NOT EXISTS (SELECT 1 FROM addresses.street_key) AS empty')).rows[0]
        .empty;
      if (streetKeysFresh) await tx.exec(STREET_KEY_INDEXES.map((i) => `DROP INDEX IF EXISTS addresses.${i.name};`).join(' '));
    } else {
      // Street changes alter the LPI addresses on them.
      await tx.exec(
        `INSERT INTO import_uprn SELECT DISTINCT l.uprn FROM addresses.lpi l JOIN import_usrn s ON s.usrn = l.usrn ON CONFLICT DO NOTHING`,
      );
      const uprns = (await tx.query<{ uprn: number }>('SELECT uprn FROM import_uprn ORDER BY uprn')).rows.map((r) => Number(r.uprn));
      if (uprns.length > 10_000)
        await tx.exec(
          'ANALYZE addresses.blpu; ANALYZE addresses.dpa; ANALYZE addresses.lpi; ANALYZE addresses.classification; ANALYZE addresses.organisation; ANALYZE addresses.xref; ANALYZE addresses.street; ANALYZE addresses.street_descriptor;',
        );
      chunks = [];
      for (let i = 0; i < uprns.length; i += PLACE_CHUNK) chunks.push({ uprns: uprns.slice(i, i + PLACE_CHUNK) });
      progress.uprnsTotal = uprns.length;
    }
    report(true);

    // Three stages overlap: PostgreSQL writes chunk i-1 and reads chunk i+1 while chunk i is built here.
    const streetIds = new Map<string, number>();
    let inserting: Promise<void> = Promise.resolve();
    let next: Promise<PlaceData> | null = chunks.length ? readPlaceData(tx, chunks[0]) : null;
    try {
      for (let i = 0; i < chunks.length; i++) {
        const data = await next!;
        next = i + 1 < chunks.length ? readPlaceData(tx, chunks[i + 1]) : null;
        next?.catch(() => {
          /* awaited next time round */
        });
        const rows = placeRows(data);
        await inserting;
        const sel = chunks[i];
        inserting = (async () => {
          if ('uprns' in sel) await tx.query('DELETE FROM addresses.place WHERE uprn = ANY($1::bigint[])', [sel.uprns]);
          await insertPlaces(tx, rows, streetIds);
        })();
        inserting.catch(() => {
          /* awaited next time round */
        });
        progress.places += rows.length;
        progress.uprnsDone += 'uprns' in sel ? sel.uprns.length : data.blpus.length;
        report();
      }
      await inserting;
    } finally {
      await inserting.catch(() => {});
      await next?.catch(() => {});
    }
    if (bulk) {
      for (const sql of PLACE_INDEXES) await tx.exec(sql);
    }
    if (streetKeysFresh) for (const i of STREET_KEY_INDEXES) await tx.exec(i.sql);
    await tx.exec('ANALYZE addresses.place; ANALYZE addresses.street_key');
    progress.phase = 'done';
    report(true);
    return {
      files: sources.length,
      records: progress.records,
      places: progress.places,
      uprns: progress.uprnsDone,
      seconds: (Date.now() - started) / 1000,
      byType,
    };
  });
}

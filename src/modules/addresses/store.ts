// The SQL of the addresses module's reads. Every query reads `place` (one row per OS Places
// record) through an index: postcode, UPRN, street key, or the GiST index on position.
import type { Queryable } from '../../kernel/db.js';

export interface Filters {
  datasets: string[];
  langs: string[];
  classPatterns: string[] | null;
  logicalStatus: number[] | null;
  lpiLogicalStatus: number[] | null;
  countries: string[] | null;
}
export interface PlaceHit {
  id: string;
  uprn: number;
  x: number;
  y: number;
  lat: number | null;
  lng: number | null;
  doc: Record<string, any>;
  dist?: number;
  total?: number;
}
/** What free text is scored on; the OS fields are read afterwards, for the page of results only. */
export interface Candidate {
  id: string;
  norm: string;
  outward: string | null;
  inward: string | null;
  lang: string;
  /** The place's OS fields (JSON text, parsed only if it makes the page), when the candidates were few. */
  doc: string | null;
  uprn: number;
  x: number;
  y: number;
  lat: number | null;
  lng: number | null;
}
/**
 * Candidates come with what a result needs (coordinates and OS fields) when there are at most
 * this many — nearly always — so a look-up is one statement; past it only the scoring columns,
 * and the page's records are read by id.
 */
const WITH_DOCS = 100;
const candidates = (inner: string) =>
  `SELECT id, norm, outward, inward, lang, uprn, x, y, lat, lng, CASE WHEN count(*) OVER () <= ${WITH_DOCS} THEN doc END AS doc FROM (${inner}) c`;

/** The filter part of a WHERE clause; parameters start at $n. */
function where(f: Filters, start: number): { sql: string; params: unknown[] } {
  const parts = [`dataset = ANY($${start}::text[])`, `lang = ANY($${start + 1}::text[])`];
  const params: unknown[] = [f.datasets, f.langs];
  let i = start + 2;
  if (f.classPatterns) {
    parts.push(`classification_code LIKE ANY($${i++}::text[])`);
    params.push(f.classPatterns);
  }
  if (f.logicalStatus) {
    parts.push(`logical_status = ANY($${i++}::int[])`);
    params.push(f.logicalStatus);
  }
  if (f.lpiLogicalStatus) {
    parts.push(`(dataset <> 'LPI' OR lpi_logical_status = ANY($${i++}::int[]))`);
    params.push(f.lpiLogicalStatus);
  }
  if (f.countries) {
    parts.push(`country = ANY($${i++}::text[])`);
    params.push(f.countries);
  }
  return { sql: parts.join(' AND '), params };
}

const COLS = `id, uprn, pos[0] AS x, pos[1] AS y, lat, lng, doc`;
const toHit = (r: any): PlaceHit => ({
  id: r.id,
  uprn: Number(r.uprn),
  x: Number(r.x),
  y: Number(r.y),
  lat: r.lat,
  lng: r.lng,
  doc: r.doc,
  ...(r.dist !== undefined ? { dist: Number(r.dist) } : {}),
  ...(r.total !== undefined ? { total: Number(r.total) } : {}),
});

const CANDIDATE = 'p.id, p.norm, p.outward, p.inward, p.lang, p.uprn, p.pos[0] AS x, p.pos[1] AS y, p.lat, p.lng, p.doc::text AS doc';
const PREPARE = { prepare: true };
export const store = {
  async byPostcode(
    db: Queryable,
    pc: { outward: string; inward?: string; inwardPrefix?: string },
    f: Filters,
    offset: number,
    limit: number,
  ) {
    const w = where(f, 5);
    const inward = pc.inward !== undefined ? 'inward = $2' : `inward LIKE $2`;
    const { rows } = await db.query(
      `SELECT ${COLS}, count(*) OVER () AS total FROM addresses.place
       WHERE outward = $1 AND ${inward} AND ${w.sql}
       ORDER BY inward, sort_key, dataset, lang LIMIT $3 OFFSET $4`,
      [pc.outward, pc.inward ?? `${pc.inwardPrefix ?? ''}%`, limit, Math.max(0, Math.floor(offset)), ...w.params],
    );
    return { total: rows.length ? Number(rows[0].total) : await this.countPostcode(db, pc, f), hits: rows.map(toHit) };
  },
  async countPostcode(db: Queryable, pc: { outward: string; inward?: string; inwardPrefix?: string }, f: Filters): Promise<number> {
    const w = where(f, 3);
    const { rows } = await db.query(
      `SELECT count(*) AS n FROM addresses.place WHERE outward = $1 AND ${pc.inward !== undefined ? 'inward = $2' : 'inward LIKE $2'} AND ${w.sql}`,
      [pc.outward, pc.inward ?? `${pc.inwardPrefix ?? ''}%`, ...w.params],
    );
    return Number(rows[0].n);
  },
  async byUprn(db: Queryable, uprn: number, f: Filters): Promise<PlaceHit[]> {
    const w = where(f, 2);
    const { rows } = await db.query(`SELECT ${COLS} FROM addresses.place WHERE uprn = $1 AND ${w.sql} ORDER BY dataset, lang, id`, [
      uprn,
      ...w.params,
    ]);
    return rows.map(toHit);
  },
  async uprnExists(db: Queryable, uprn: number): Promise<boolean> {
    const { rows } = await db.query('SELECT 1 FROM addresses.place WHERE uprn = $1 LIMIT 1', [uprn]);
    return rows.length > 0;
  },
  async nearest(db: Queryable, x: number, y: number, radius: number, f: Filters): Promise<PlaceHit[]> {
    const w = where(f, 4);
    const { rows } = await db.query(
      `SELECT ${COLS}, pos <-> point($1, $2) AS dist FROM addresses.place
       WHERE pos <@ circle(point($1, $2), $3) AND ${w.sql} ORDER BY pos <-> point($1, $2), id LIMIT 1`,
      [x, y, radius, ...w.params],
    );
    return rows.map(toHit);
  },
  async within(
    db: Queryable,
    area: { box?: [number, number, number, number]; circle?: [number, number, number] },
    f: Filters,
    offset: number,
    limit: number,
  ) {
    const args: number[] = area.box ?? area.circle!;
    const w = where(f, args.length + 3);
    const shape = area.box ? `pos <@ box(point($1, $2), point($3, $4))` : `pos <@ circle(point($1, $2), $3)`;
    const order = area.box ? 'sort_key, id' : 'pos <-> point($1, $2), id';
    const { rows } = await db.query(
      `SELECT ${COLS}, count(*) OVER () AS total FROM addresses.place WHERE ${shape} AND ${w.sql}
       ORDER BY ${order} LIMIT $${args.length + 1} OFFSET $${args.length + 2}`,
      [...args, Math.floor(limit), Math.max(0, Math.floor(offset)), ...w.params],
    );
    if (!rows.length && offset > 0) {
      const wc = where(f, args.length + 1);
      const { rows: c } = await db.query(`SELECT count(*) AS n FROM addresses.place WHERE ${shape} AND ${wc.sql}`, [...args, ...wc.params]);
      return { total: Number(c[0].n), hits: [] };
    }
    return { total: rows.length ? Number(rows[0].total) : 0, hits: rows.map(toHit) };
  },
  /** Free-text candidates: every record at a postcode. */
  async candidatesAtPostcode(db: Queryable, outward: string, inward: string, f: Filters): Promise<Candidate[]> {
    const w = where(f, 3);
    const { rows } = await db.query<Candidate>(
      candidates(`SELECT ${CANDIDATE} FROM addresses.place p WHERE outward = $1 AND inward = $2 AND ${w.sql} LIMIT 2000`),
      [outward, inward, ...w.params],
      PREPARE,
    );
    return rows;
  },
  /**
   * Free-text candidates: records on the streets most like the words, with one of the numbers
   * if any were given, found one of three ways, cheapest first:
   * - `exact`: streets whose own name (without locality and town) is one of `names`, the runs
   *   of the query's words (a B-tree look-up: the words people type usually hold the name);
   * - `similar`: streets whose own name shares enough trigrams with the words (GIN index), for
   *   a misspelt street;
   * - `nearest`: every street key ranked by trigram distance (the slow way, as a last resort).
   * The chosen streets are ranked by trigram distance of their key (street, locality, town) to
   * the words. MATERIALIZED keeps the planner from ranking every key through the GiST index.
   */
  async candidatesOnStreets(
    db: Queryable,
    how: 'exact' | 'similar' | 'nearest',
    streetText: string,
    names: string[],
    nums: number[],
    f: Filters,
    streets: number,
  ): Promise<Candidate[]> {
    const w = where(f, how === 'exact' ? 4 : 3);
    const limit = Math.floor(streets);
    const s =
      how === 'nearest'
        ? `WITH s AS (SELECT id FROM addresses.street_key ORDER BY name <-> $1 LIMIT ${limit})`
        : `WITH m AS MATERIALIZED (SELECT id, name FROM addresses.street_key WHERE ${how === 'exact' ? 'street = ANY($3::text[])' : 'street % $1'}),
         s AS (SELECT id FROM m ORDER BY name <-> $1 LIMIT ${limit})`;
    const { rows } = await db.query<Candidate>(
      `${s} ${candidates(`SELECT ${CANDIDATE} FROM addresses.place p JOIN s ON p.street_key_id = s.id
       WHERE (cardinality($2::int[]) = 0 OR p.nums && $2::int[]) AND ${w.sql} LIMIT 3000`)}`,
      [streetText, nums, ...(how === 'exact' ? [names] : []), ...w.params],
      PREPARE,
    );
    return rows;
  },
  async byIds(db: Queryable, ids: string[]): Promise<PlaceHit[]> {
    const { rows } = await db.query(`SELECT ${COLS} FROM addresses.place WHERE id = ANY($1::text[])`, [ids], PREPARE);
    const m = new Map(rows.map((r: any) => [r.id, toHit(r)]));
    return ids.map((id) => m.get(id)).filter((h): h is PlaceHit => !!h);
  },
  async epoch(db: Queryable): Promise<{ epoch: number; lastUpdate: string | null }> {
    const { rows } = await db.query(`SELECT count(*) AS n, max(imported_at) AS last FROM addresses.supply`);
    const last = rows[0].last ? new Date(rows[0].last).toISOString().slice(0, 10) : null;
    return { epoch: Number(rows[0].n), lastUpdate: last };
  },
  async isEmpty(db: Queryable): Promise<boolean> {
    const { rows } = await db.query('SELECT NOT EXISTS (SELECT 1 FROM addresses.blpu) AS empty');
    return rows[0].empty;
  },
};

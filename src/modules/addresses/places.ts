// Builds `place` rows — one per OS Places result record — from the raw AddressBase tables
// for a set of UPRNs: the DPA (and its Welsh form when it has one) and every LPI, each with
// its ADDRESS line, postcode, coordinates, filters, normalised words for free-text scoring and
// the OS field values. Runs inside the import transaction, a chunk of UPRNs at a time.
import { copyText, type Queryable } from '../../kernel/db.js';
import { fromGrid } from './grid.js';
import { parsePostcode, words } from './text.js';

type Row = Record<string, any>;
const by = (rows: Row[]) => {
  const m = new Map<number, Row[]>();
  for (const r of rows) {
    const k = Number(r.uprn);
    const list = m.get(k);
    if (list) list.push(r);
    else m.set(k, [r]);
  }
  return m;
};
/** The record in force: no end date, the latest start date ('YYYY-MM-DD' compares as text). */
function current(rows: Row[] | undefined): Row | undefined {
  if (!rows) return undefined;
  let best: Row | undefined;
  for (const r of rows) if (!r.end_date && (!best || String(r.start_date ?? '') > String(best.start_date ?? ''))) best = r;
  return best;
}
const osDate = (d: string | null | undefined) => (d ? `${d.slice(8, 10)}/${d.slice(5, 7)}/${d.slice(0, 4)}` : undefined);
const str = (v: unknown) => (v === null || v === undefined || v === '' ? undefined : String(v));
const range = (start: unknown, ss: unknown, end: unknown, es: unknown) =>
  start == null ? undefined : `${start}${ss ?? ''}${end != null ? `-${end}${es ?? ''}` : ''}`;
const pad = (n: unknown) => (n == null ? '      ' : String(n).padStart(6, '0'));
const lpiLang = (l: string | null) => (l === 'CYM' ? 'CY' : 'EN');
const join = (parts: Array<string | undefined | null>, sep: string) => {
  let out = '';
  for (const p of parts) if (p) out = out ? out + sep + p : p;
  return out;
};

// Street, locality and town repeat for every address on a street: normalise each once.
const streetWords = new Map<string, string>();
function streetKey(text: string): string {
  let k = streetWords.get(text);
  if (k === undefined) {
    if (streetWords.size > 50_000) streetWords.clear();
    k = words(text).join(' ');
    streetWords.set(text, k);
  }
  return k;
}

export interface PlaceRow {
  id: string;
  uprn: number;
  dataset: 'DPA' | 'LPI';
  lang: 'EN' | 'CY';
  outward: string | null;
  inward: string | null;
  x: number;
  y: number;
  lat: number;
  lng: number;
  logical_status: number | null;
  lpi_logical_status: number | null;
  classification_code: string | null;
  country: string | null;
  /** The street key (street, locality and town words) and the street's own words, for free text. */
  street: string;
  street_name: string;
  street_key_id: number | null;
  nums: number[];
  norm: string;
  sort_key: string;
  doc: Row;
}

function numbers(ws: string[]): number[] {
  const out: number[] = [];
  for (const w of ws) {
    const c = w.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const n = parseInt(w, 10);
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

/** Which UPRNs to build: a list (a change-only update), or a range (a full supply, chunk by chunk). */
export type UprnSelection = { uprns: number[] } | { after: number; upTo: number };

export interface PlaceData {
  blpus: Row[];
  dpas: Row[];
  lpis: Row[];
  classes: Row[];
  orgs: Row[];
  toids: Row[];
}

/** The raw records of these UPRNs that their places are made from. */
export async function readPlaceData(tx: Queryable, sel: UprnSelection): Promise<PlaceData> {
  const list = 'uprns' in sel;
  const params = list ? [sel.uprns] : [sel.after, sel.upTo];
  const cond = (t: string) => (list ? `${t}.uprn = ANY($1::bigint[])` : `${t}.uprn > $1 AND ${t}.uprn <= $2`);
  const q = (sql: string) => tx.query<Row>(sql, params).then((r) => r.rows);
  // Queued one after another (inside a transaction they share one connection); only the
  // columns used, since turning rows into objects is much of the cost.
  const all = Promise.all([
    q(`SELECT uprn, logical_status, blpu_state, blpu_state_date, parent_uprn, x_coordinate, y_coordinate, latitude, longitude, rpc,
         local_custodian_code, country, last_update_date, entry_date, addressbase_postal, postcode_locator FROM addresses.blpu b WHERE ${cond('b')} ORDER BY uprn`),
    q(`SELECT uprn, udprn, organisation_name, department_name, sub_building_name, building_name, building_number, dependent_thoroughfare,
         thoroughfare, double_dependent_locality, dependent_locality, post_town, postcode, delivery_point_suffix, welsh_dependent_thoroughfare,
         welsh_thoroughfare, welsh_double_dependent_locality, welsh_dependent_locality, welsh_post_town, po_box_number
       FROM addresses.dpa d WHERE ${cond('d')} AND end_date IS NULL`),
    q(`SELECT l.uprn, l.lpi_key, l.language, l.logical_status, l.sao_start_number, l.sao_start_suffix, l.sao_end_number, l.sao_end_suffix, l.sao_text,
         l.pao_start_number, l.pao_start_suffix, l.pao_end_number, l.pao_end_suffix, l.pao_text, l.usrn, l.area_name, l.level,
         s.state AS street_state, s.street_classification,
         coalesce(d.street_description, e.street_description) AS street_description, coalesce(d.locality, e.locality) AS locality,
         coalesce(d.town_name, e.town_name) AS town_name, coalesce(d.administrative_area, e.administrative_area) AS administrative_area
       FROM addresses.lpi l
       LEFT JOIN addresses.street s ON s.usrn = l.usrn
       LEFT JOIN addresses.street_descriptor d ON d.usrn = l.usrn AND d.language = l.language
       LEFT JOIN addresses.street_descriptor e ON e.usrn = l.usrn AND e.language = 'ENG'
       WHERE ${cond('l')}`),
    q(`SELECT uprn, classification_code, start_date, end_date FROM addresses.classification c WHERE ${cond('c')}`),
    q(`SELECT uprn, organisation, legal_name, start_date, end_date FROM addresses.organisation o WHERE ${cond('o')}`),
    q(`SELECT uprn, cross_reference FROM addresses.xref x WHERE ${cond('x')} AND source = '7666MT' AND end_date IS NULL`),
  ]);
  const [blpus, dpas, lpis, classes, orgs, toids] = await all;
  return { blpus, dpas, lpis, classes, orgs, toids };
}

/** The place rows of these records (none for a UPRN whose BLPU is gone), in UPRN order. */
export function placeRows({ blpus, dpas, lpis, classes, orgs, toids }: PlaceData): PlaceRow[] {
  const dpaBy = by(dpas),
    lpiBy = by(lpis),
    classBy = by(classes),
    orgBy = by(orgs),
    toidBy = by(toids);
  const out: PlaceRow[] = [];
  for (const b of blpus) {
    const uprn = Number(b.uprn);
    const cls = current(classBy.get(uprn));
    const org = current(orgBy.get(uprn));
    const x = Number(b.x_coordinate),
      y = Number(b.y_coordinate);
    let lat = b.latitude == null ? NaN : Number(b.latitude),
      lng = b.longitude == null ? NaN : Number(b.longitude);
    if (!Number.isFinite(lat) || !Number.isFinite(lng)) ({ lat, lng } = fromGrid(x, y));
    const logicalStatus = b.logical_status == null ? null : Number(b.logical_status);
    const classification = cls?.classification_code ?? null,
      country = b.country ?? null;
    const UPRN = String(uprn),
      RPC = str(b.rpc),
      LOGICAL_STATUS_CODE = str(b.logical_status),
      CLASSIFICATION_CODE = str(cls?.classification_code);
    const LOCAL_CUSTODIAN_CODE = b.local_custodian_code == null ? undefined : Number(b.local_custodian_code);
    const COUNTRY_CODE = str(b.country),
      POSTAL_ADDRESS_CODE = str(b.addressbase_postal),
      BLPU_STATE_CODE = str(b.blpu_state);
    const TOPOGRAPHY_LAYER_TOID = str(toidBy.get(uprn)?.[0]?.cross_reference),
      PARENT_UPRN = str(b.parent_uprn);
    const LAST_UPDATE_DATE = osDate(b.last_update_date),
      ENTRY_DATE = osDate(b.entry_date),
      BLPU_STATE_DATE = osDate(b.blpu_state_date);
    for (const d of dpaBy.get(uprn) ?? []) {
      const welsh =
        d.welsh_thoroughfare ||
        d.welsh_post_town ||
        d.welsh_dependent_locality ||
        d.welsh_dependent_thoroughfare ||
        d.welsh_double_dependent_locality;
      for (let cyIdx = 0; cyIdx < (welsh ? 2 : 1); cyIdx++) {
        const lang = cyIdx ? 'CY' : 'EN';
        const cy = (f: string) => (cyIdx ? (d[`welsh_${f}`] ?? d[f]) : d[f]);
        const ORGANISATION_NAME = str(d.organisation_name),
          DEPARTMENT_NAME = str(d.department_name);
        const SUB_BUILDING_NAME = str(d.sub_building_name),
          BUILDING_NAME = str(d.building_name),
          BUILDING_NUMBER = str(d.building_number);
        const PO_BOX_NUMBER = str(d.po_box_number),
          DEPENDENT_THOROUGHFARE_NAME = str(cy('dependent_thoroughfare')),
          THOROUGHFARE_NAME = str(cy('thoroughfare'));
        const DOUBLE_DEPENDENT_LOCALITY = str(cy('double_dependent_locality')),
          DEPENDENT_LOCALITY = str(cy('dependent_locality'));
        const POST_TOWN = str(cy('post_town')),
          POSTCODE = str(d.postcode);
        const parts = [
          ORGANISATION_NAME,
          DEPARTMENT_NAME,
          SUB_BUILDING_NAME,
          BUILDING_NAME,
          BUILDING_NUMBER,
          PO_BOX_NUMBER && `PO BOX ${PO_BOX_NUMBER}`,
          DEPENDENT_THOROUGHFARE_NAME,
          THOROUGHFARE_NAME,
          DOUBLE_DEPENDENT_LOCALITY,
          DEPENDENT_LOCALITY,
          POST_TOWN,
        ];
        const lines = join(parts, ', ');
        const ws = words(join(parts, ' '));
        const pc = POSTCODE ? parsePostcode(POSTCODE) : null;
        out.push({
          id: `D:${d.udprn}:${lang}`,
          uprn,
          dataset: 'DPA',
          lang,
          outward: pc?.outward ?? null,
          inward: pc?.inward ?? null,
          x,
          y,
          lat,
          lng,
          logical_status: logicalStatus,
          lpi_logical_status: null,
          classification_code: classification,
          country,
          street: streetKey(join([DEPENDENT_THOROUGHFARE_NAME, THOROUGHFARE_NAME, DEPENDENT_LOCALITY, POST_TOWN], ' ')),
          street_name: streetKey(join([DEPENDENT_THOROUGHFARE_NAME, THOROUGHFARE_NAME], ' ')),
          street_key_id: null,
          nums: numbers(ws),
          norm: ws.join(' '),
          sort_key: `${THOROUGHFARE_NAME ?? ''}|${DEPENDENT_THOROUGHFARE_NAME ?? ''}|${pad(d.building_number)}|${BUILDING_NAME ?? ''}|${pad(/\d+/.exec(SUB_BUILDING_NAME ?? '')?.[0])}|${SUB_BUILDING_NAME ?? ''}|${ORGANISATION_NAME ?? ''}`,
          doc: {
            UPRN,
            UDPRN: String(d.udprn),
            ADDRESS: POSTCODE ? (lines ? `${lines}, ${POSTCODE}` : POSTCODE) : lines,
            ORGANISATION_NAME,
            DEPARTMENT_NAME,
            SUB_BUILDING_NAME,
            BUILDING_NAME,
            BUILDING_NUMBER,
            PO_BOX_NUMBER,
            DEPENDENT_THOROUGHFARE_NAME,
            THOROUGHFARE_NAME,
            DOUBLE_DEPENDENT_LOCALITY,
            DEPENDENT_LOCALITY,
            POST_TOWN,
            POSTCODE,
            RPC,
            LOGICAL_STATUS_CODE,
            CLASSIFICATION_CODE,
            LOCAL_CUSTODIAN_CODE,
            COUNTRY_CODE,
            POSTAL_ADDRESS_CODE,
            BLPU_STATE_CODE,
            TOPOGRAPHY_LAYER_TOID,
            PARENT_UPRN,
            LAST_UPDATE_DATE,
            ENTRY_DATE,
            BLPU_STATE_DATE,
            DELIVERY_POINT_SUFFIX: str(d.delivery_point_suffix),
            LANGUAGE: lang,
            LEGAL_NAME: str(org?.legal_name),
          },
        });
      }
    }
    for (const l of lpiBy.get(uprn) ?? []) {
      const lang = lpiLang(l.language);
      const sao = range(l.sao_start_number, l.sao_start_suffix, l.sao_end_number, l.sao_end_suffix);
      const pao = range(l.pao_start_number, l.pao_start_suffix, l.pao_end_number, l.pao_end_suffix);
      const street = str(l.street_description);
      const parts = [
        str(org?.organisation),
        join([l.sao_text, sao], ' '),
        str(l.pao_text),
        join([pao, street], ' '),
        str(l.locality),
        str(l.town_name),
      ];
      const lines = join(parts, ', ');
      const ws = words(join(parts, ' '));
      const postcode = str(b.postcode_locator);
      const pc = postcode ? parsePostcode(postcode) : null;
      out.push({
        id: `L:${l.lpi_key}`,
        uprn,
        dataset: 'LPI',
        lang,
        outward: pc?.outward ?? null,
        inward: pc?.inward ?? null,
        x,
        y,
        lat,
        lng,
        logical_status: logicalStatus,
        lpi_logical_status: l.logical_status == null ? null : Number(l.logical_status),
        classification_code: classification,
        country,
        street: streetKey(join([street, l.locality, l.town_name], ' ')),
        street_name: street ? streetKey(street) : '',
        street_key_id: null,
        nums: numbers(ws),
        norm: ws.join(' '),
        sort_key: `${street ?? ''}||${pad(l.pao_start_number)}|${l.pao_text ?? ''}|${pad(l.sao_start_number)}|${l.sao_text ?? ''}|${org?.organisation ?? ''}`,
        doc: {
          UPRN,
          ADDRESS: postcode ? (lines ? `${lines}, ${postcode}` : postcode) : lines,
          USRN: str(l.usrn),
          LPI_KEY: l.lpi_key,
          ORGANISATION: str(org?.organisation),
          SAO_START_NUMBER: str(l.sao_start_number),
          SAO_START_SUFFIX: str(l.sao_start_suffix),
          SAO_END_NUMBER: str(l.sao_end_number),
          SAO_END_SUFFIX: str(l.sao_end_suffix),
          SAO_TEXT: str(l.sao_text),
          PAO_START_NUMBER: str(l.pao_start_number),
          PAO_START_SUFFIX: str(l.pao_start_suffix),
          PAO_END_NUMBER: str(l.pao_end_number),
          PAO_END_SUFFIX: str(l.pao_end_suffix),
          PAO_TEXT: str(l.pao_text),
          STREET_DESCRIPTION: street,
          LOCALITY_NAME: str(l.locality),
          TOWN_NAME: str(l.town_name),
          ADMINISTRATIVE_AREA: str(l.administrative_area),
          AREA_NAME: str(l.area_name),
          LEVEL: str(l.level),
          POSTCODE_LOCATOR: postcode,
          RPC,
          LOGICAL_STATUS_CODE,
          CLASSIFICATION_CODE,
          LOCAL_CUSTODIAN_CODE,
          COUNTRY_CODE,
          POSTAL_ADDRESS_CODE,
          BLPU_STATE_CODE,
          TOPOGRAPHY_LAYER_TOID,
          PARENT_UPRN,
          LAST_UPDATE_DATE,
          ENTRY_DATE,
          BLPU_STATE_DATE,
          STREET_STATE_CODE: str(l.street_state),
          STREET_CLASSIFICATION_CODE: str(l.street_classification),
          LPI_LOGICAL_STATUS_CODE: str(l.logical_status),
          LANGUAGE: lang,
        },
      });
    }
  }
  return out;
}

/**
 * Writes place rows (replacing any for the same UPRNs is the caller's job), with their street
 * keys. `streetIds` caches the ids of street keys already seen in this import (street names
 * repeat chunk after chunk); keys not in it are added, or found, by one INSERT … ON CONFLICT,
 * whose arbiter is the unique B-tree on name. (A join on name would let the planner pick the
 * trigram GiST index, which also answers "=", at a cost that grows with the number of keys.)
 * The rows go as one JSON parameter: much cheaper to send than eighteen arrays, on both drivers.
 * Pass a fresh map per transaction: the ids of a rolled-back import must not be reused.
 */
export async function insertPlaces(tx: Queryable, rows: PlaceRow[], streetIds: Map<string, number>): Promise<void> {
  if (!rows.length) return;
  const fresh = new Map<string, string>();
  for (const r of rows) if (r.street && !streetIds.has(r.street) && !fresh.has(r.street)) fresh.set(r.street, r.street_name);
  if (fresh.size) {
    const { rows: ids } = await tx.query<{ id: number; name: string }>(
      `INSERT INTO addresses.street_key (name, street) SELECT * FROM unnest($1::text[], $2::text[])
       ON CONFLICT (name) DO UPDATE SET street = coalesce(addresses.street_key.street, EXCLUDED.street) RETURNING id, name`,
      [[...fresh.keys()], [...fresh.values()].map((v) => v || null)],
    );
    for (const r of ids) streetIds.set(r.name, Number(r.id));
  }
  for (const r of rows) {
    r.street_key_id = streetIds.get(r.street) ?? null;
    r.street = '';
    r.street_name = '';
  }
  if (tx.copyFrom) {
    // PostgreSQL: COPY, about a tenth of the server's work of the INSERT from JSON below.
    const data = copyText(
      rows.map((r) => [
        r.id,
        r.uprn,
        r.dataset,
        r.lang,
        r.outward,
        r.inward,
        `(${r.x},${r.y})`,
        r.lat,
        r.lng,
        r.logical_status,
        r.lpi_logical_status,
        r.classification_code,
        r.country,
        r.street_key_id,
        r.nums,
        r.norm,
        r.sort_key,
        r.doc,
      ]),
    );
    await tx.copyFrom(
      `COPY addresses.place (id, uprn, dataset, lang, outward, inward, pos, lat, lng, logical_status, lpi_logical_status,
         classification_code, country, street_key_id, nums, norm, sort_key, doc) FROM STDIN`,
      data,
    );
    return;
  }
  const json = JSON.stringify(rows);
  await tx.query(
    `INSERT INTO addresses.place (id, uprn, dataset, lang, outward, inward, pos, lat, lng, logical_status, lpi_logical_status,
       classification_code, country, street_key_id, nums, norm, sort_key, doc)
     SELECT id, uprn, dataset, lang, outward, inward, point(x, y), lat, lng, logical_status, lpi_logical_status,
       classification_code, country, street_key_id, nums, norm, sort_key, doc
     FROM json_to_recordset($1::json) AS t(id text, uprn bigint, dataset text, lang text, outward text, inward text, x float8, y float8,
       lat float8, lng float8, logical_status int, lpi_logical_status int, classification_code text, country text, street_key_id bigint,
       nums int[], norm text, sort_key text, doc json)`,
    [json],
  );
}

// Address look-up use cases: postcode, free text, UPRN, nearest, bounding box and radius,
// each returning OS Places records ({DPA}|{LPI} with OS's field names) in the requested
// spatial reference system. No HTTP here; the API and the find-an-address pages call these.
import type { Db } from '../../kernel/db.js';
import { BadRequest, HttpError } from '../../kernel/errors.js';
import {
  BLPU_STATE,
  classificationDescription,
  COUNTRY,
  CUSTODIANS,
  LOGICAL_STATUS,
  POSTAL_ADDRESS,
  STREET_CLASSIFICATION,
  STREET_STATE,
} from './codes.js';
import { fromGrid, type Srs } from './grid.js';
import { store, type Candidate, type Filters, type PlaceHit } from './store.js';
import { isNumeric, parsePostcodeQuery, scoreAddress, splitQuery, SUB_WORD } from './text.js';

export class UprnNotFound extends HttpError {
  constructor(uprn: string) {
    super(404, 'uprn_not_found', `No address has the UPRN ${uprn}`);
  }
}

export interface QueryOptions {
  filters: Filters;
  offset: number;
  maxresults: number;
  outputSrs: Srs;
}
export type OsRecord = { DPA: Record<string, unknown> } | { LPI: Record<string, unknown> };
export interface Page {
  total: number;
  results: OsRecord[];
}

const DPA_ORDER = `UPRN UDPRN ADDRESS PO_BOX_NUMBER ORGANISATION_NAME DEPARTMENT_NAME SUB_BUILDING_NAME BUILDING_NAME BUILDING_NUMBER
  DEPENDENT_THOROUGHFARE_NAME THOROUGHFARE_NAME DOUBLE_DEPENDENT_LOCALITY DEPENDENT_LOCALITY POST_TOWN POSTCODE RPC X_COORDINATE Y_COORDINATE
  LNG LAT STATUS LOGICAL_STATUS_CODE CLASSIFICATION_CODE CLASSIFICATION_CODE_DESCRIPTION LOCAL_CUSTODIAN_CODE LOCAL_CUSTODIAN_CODE_DESCRIPTION
  COUNTRY_CODE COUNTRY_CODE_DESCRIPTION POSTAL_ADDRESS_CODE POSTAL_ADDRESS_CODE_DESCRIPTION BLPU_STATE_CODE BLPU_STATE_CODE_DESCRIPTION
  TOPOGRAPHY_LAYER_TOID PARENT_UPRN LAST_UPDATE_DATE ENTRY_DATE LEGAL_NAME BLPU_STATE_DATE LANGUAGE MATCH MATCH_DESCRIPTION DELIVERY_POINT_SUFFIX`.split(
  /\s+/,
);
const LPI_ORDER =
  `UPRN ADDRESS USRN LPI_KEY ORGANISATION SAO_START_NUMBER SAO_START_SUFFIX SAO_END_NUMBER SAO_END_SUFFIX SAO_TEXT PAO_START_NUMBER
  PAO_START_SUFFIX PAO_END_NUMBER PAO_END_SUFFIX PAO_TEXT STREET_DESCRIPTION LOCALITY_NAME TOWN_NAME ADMINISTRATIVE_AREA AREA_NAME LEVEL
  POSTCODE_LOCATOR RPC X_COORDINATE Y_COORDINATE LNG LAT STATUS LOGICAL_STATUS_CODE CLASSIFICATION_CODE CLASSIFICATION_CODE_DESCRIPTION
  LOCAL_CUSTODIAN_CODE LOCAL_CUSTODIAN_CODE_DESCRIPTION COUNTRY_CODE COUNTRY_CODE_DESCRIPTION POSTAL_ADDRESS_CODE POSTAL_ADDRESS_CODE_DESCRIPTION
  BLPU_STATE_CODE BLPU_STATE_CODE_DESCRIPTION TOPOGRAPHY_LAYER_TOID PARENT_UPRN LAST_UPDATE_DATE ENTRY_DATE BLPU_STATE_DATE STREET_STATE_CODE
  STREET_STATE_CODE_DESCRIPTION STREET_CLASSIFICATION_CODE STREET_CLASSIFICATION_CODE_DESCRIPTION LPI_LOGICAL_STATUS_CODE
  LPI_LOGICAL_STATUS_CODE_DESCRIPTION LANGUAGE MATCH MATCH_DESCRIPTION`.split(/\s+/);

/** Every run of consecutive words ("HIGH STREET", "HIGH STREET BRISTOL", …): the names a street may be typed as. */
export function wordRuns(words: string[]): string[] {
  const ws = words.slice(0, 12),
    out = new Set<string>();
  for (let i = 0; i < ws.length; i++) for (let j = i + 1; j <= ws.length; j++) out.add(ws.slice(i, j).join(' '));
  return [...out];
}

export function matchDescription(score: number): string {
  return score >= 0.999 ? 'EXACT' : score >= 0.7 ? 'GOOD' : score >= 0.4 ? 'MEDIUM' : 'NO MATCH';
}
const truncate = (v: number, places: number) => Math.floor(v * 10 ** places + 1e-9) / 10 ** places;

/** One stored place as an OS Places record. */
export function present(hit: PlaceHit, srs: Srs, match?: { score: number; precision: number }): OsRecord {
  const d = hit.doc;
  const isDpa = 'UDPRN' in d;
  let lat = hit.lat,
    lng = hit.lng;
  if (lat == null || lng == null) ({ lat, lng } = fromGrid(hit.x, hit.y));
  const geo = srs !== 'EPSG:27700';
  const extra: Record<string, unknown> = {
    X_COORDINATE: geo ? Math.round(lng * 1e7) / 1e7 : Math.round(hit.x * 100) / 100,
    Y_COORDINATE: geo ? Math.round(lat * 1e7) / 1e7 : Math.round(hit.y * 100) / 100,
    ...(geo ? { LNG: Math.round(lng * 1e7) / 1e7, LAT: Math.round(lat * 1e7) / 1e7 } : {}),
    STATUS: LOGICAL_STATUS[isDpa ? d.LOGICAL_STATUS_CODE : (d.LPI_LOGICAL_STATUS_CODE ?? d.LOGICAL_STATUS_CODE)],
    CLASSIFICATION_CODE_DESCRIPTION: classificationDescription(d.CLASSIFICATION_CODE),
    LOCAL_CUSTODIAN_CODE_DESCRIPTION: d.LOCAL_CUSTODIAN_CODE !== undefined ? CUSTODIANS[String(d.LOCAL_CUSTODIAN_CODE)] : undefined,
    COUNTRY_CODE_DESCRIPTION: COUNTRY[d.COUNTRY_CODE],
    POSTAL_ADDRESS_CODE_DESCRIPTION: POSTAL_ADDRESS[d.POSTAL_ADDRESS_CODE],
    BLPU_STATE_CODE_DESCRIPTION: BLPU_STATE[d.BLPU_STATE_CODE],
    ...(isDpa
      ? {}
      : {
          STREET_STATE_CODE_DESCRIPTION: STREET_STATE[d.STREET_STATE_CODE],
          STREET_CLASSIFICATION_CODE_DESCRIPTION: STREET_CLASSIFICATION[d.STREET_CLASSIFICATION_CODE],
          LPI_LOGICAL_STATUS_CODE_DESCRIPTION: LOGICAL_STATUS[d.LPI_LOGICAL_STATUS_CODE],
        }),
    ...(match ? { MATCH: truncate(match.score, match.precision), MATCH_DESCRIPTION: matchDescription(match.score) } : {}),
  };
  const out: Record<string, unknown> = {};
  for (const k of isDpa ? DPA_ORDER : LPI_ORDER) {
    const v = k in extra ? extra[k] : d[k];
    if (v !== undefined && v !== null && v !== '') out[k] = v;
  }
  return isDpa ? { DPA: out } : { LPI: out };
}

export function createAddressService(db: Db) {
  let epochCache: { at: number; value: { epoch: number; lastUpdate: string | null } } | null = null;

  async function find(text: string, o: QueryOptions & { minmatch?: number; matchprecision: number }): Promise<Page> {
    const q = splitQuery(text);
    const scored = new Map<string, { c: Candidate; score: number }>();
    let best = 0;
    const score = (cands: Candidate[]) => {
      for (const c of cands) {
        if (scored.has(c.id)) continue;
        const s = scoreAddress(q, { words: c.norm.split(' '), postcode: c.outward ? `${c.outward}${c.inward}` : null });
        scored.set(c.id, { c, score: s });
        if (s > best) best = s;
      }
    };
    if (q.postcode) score(await store.candidatesAtPostcode(db, q.postcode.outward, q.postcode.inward, o.filters));
    const streetWords = q.words.filter((w) => !isNumeric(w) && !SUB_WORD(w));
    if (streetWords.length && (!q.postcode || best < 0.8)) {
      const nums = [...new Set(q.words.filter(isNumeric).map((w) => Number(/^\d+/.exec(w)![0])))];
      const text = streetWords.join(' ');
      const streets = nums.length ? 12 : 6;
      // First the streets named word for word in the query, then those spelt like it, and only
      // when neither gave a good match, every street by trigram distance (as before).
      score(await store.candidatesOnStreets(db, 'exact', text, wordRuns(streetWords), nums, o.filters, streets));
      if (best < 0.8) {
        // The street usually follows the house number: "Flat 2 Ash Court 10 High St, Bath".
        let last = q.words.length - 1;
        while (last >= 0 && !isNumeric(q.words[last])) last--;
        const tail = q.words.slice(last + 1).filter((w) => !SUB_WORD(w));
        score(await store.candidatesOnStreets(db, 'similar', tail.length ? tail.join(' ') : text, [], nums, o.filters, streets));
      }
      if (best < 0.8) {
        score(await store.candidatesOnStreets(db, 'nearest', text, [], nums, o.filters, streets));
        if (nums.length && best < 0.6) score(await store.candidatesOnStreets(db, 'nearest', text, [], [], o.filters, 4));
      }
    }
    const min = o.minmatch ?? 0.2;
    const ranked = [...scored.values()]
      .filter((s) => s.score >= min - 1e-9)
      .sort((a, b) => b.score - a.score || (a.c.lang === 'EN' ? 0 : 1) - (b.c.lang === 'EN' ? 0 : 1) || a.c.id.localeCompare(b.c.id));
    const page = ranked.slice(o.offset, o.offset + o.maxresults);
    // The candidates usually carry their records already; otherwise read the page's by id.
    const hits: PlaceHit[] = page.every((p) => p.c.doc !== null)
      ? page.map(({ c }) => ({
          id: c.id,
          uprn: Number(c.uprn),
          x: Number(c.x),
          y: Number(c.y),
          lat: c.lat,
          lng: c.lng,
          doc: JSON.parse(c.doc!),
        }))
      : await store.byIds(
          db,
          page.map((p) => p.c.id),
        );
    const byId = new Map(hits.map((h) => [h.id, h]));
    return {
      total: ranked.length,
      results: page
        .filter((p) => byId.has(p.c.id))
        .map((p) => present(byId.get(p.c.id)!, o.outputSrs, { score: p.score, precision: o.matchprecision })),
    };
  }

  return {
    async postcode(postcode: string, o: QueryOptions): Promise<Page> {
      const pc = parsePostcodeQuery(postcode);
      if (!pc)
        throw new BadRequest(
          `Requested postcode must contain a minimum of the sector plus 1 digit of the district e.g. SO1. Requested postcode was ${postcode}`,
          [],
          'invalid_postcode',
        );
      const r = await store.byPostcode(
        db,
        pc.kind === 'full' ? { outward: pc.outward, inward: pc.inward } : { outward: pc.outward, inwardPrefix: pc.inwardPrefix },
        o.filters,
        o.offset,
        o.maxresults,
      );
      return { total: r.total, results: r.hits.map((h) => present(h, o.outputSrs)) };
    },
    find,
    async uprn(uprn: string, o: QueryOptions): Promise<Page> {
      if (!/^\d{1,12}$/.test(uprn))
        throw new BadRequest(`Requested UPRN must be a whole number of up to 12 digits. Requested UPRN was ${uprn}`, [], 'invalid_uprn');
      const hits = await store.byUprn(db, Number(uprn), o.filters);
      if (!hits.length && !(await store.uprnExists(db, Number(uprn)))) throw new UprnNotFound(uprn);
      return { total: hits.length, results: hits.slice(o.offset, o.offset + o.maxresults).map((h) => present(h, o.outputSrs)) };
    },
    async nearest(x: number, y: number, radius: number, o: QueryOptions): Promise<Page> {
      const hits = await store.nearest(db, x, y, radius, o.filters);
      return { total: hits.length, results: hits.map((h) => present(h, o.outputSrs)) };
    },
    async bbox(box: [number, number, number, number], o: QueryOptions): Promise<Page> {
      const r = await store.within(db, { box }, o.filters, o.offset, o.maxresults);
      return { total: r.total, results: r.hits.map((h) => present(h, o.outputSrs)) };
    },
    async radius(x: number, y: number, radius: number, o: QueryOptions): Promise<Page> {
      const r = await store.within(db, { circle: [x, y, radius] }, o.filters, o.offset, o.maxresults);
      return { total: r.total, results: r.hits.map((h) => present(h, o.outputSrs)) };
    },
    /** The import count as OS's "epoch", cached for a minute (and reset by imports here). */
    async epoch() {
      if (!epochCache || Date.now() - epochCache.at > 60_000) epochCache = { at: Date.now(), value: await store.epoch(db) };
      return epochCache.value;
    },
    resetEpoch() {
      epochCache = null;
    },
    isEmpty: () => store.isEmpty(db),
  };
}
export type AddressService = ReturnType<typeof createAddressService>;

/** Default filters: every dataset and language asked for, nothing else. */
export function filters(datasets: string[] = ['DPA'], langs: string[] = ['EN', 'CY']): Filters {
  return { datasets, langs, classPatterns: null, logicalStatus: null, lpiLogicalStatus: null, countries: null };
}

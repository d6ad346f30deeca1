// Address text as people type it → comparable words: postcodes (full or partial, with or
// without the space), case and punctuation, abbreviations (rd, st, ave…), flat forms
// ("Flat 2, 10 High St", "2/10 High Street", "10a"), and a word-level score with small-typo
// tolerance. Used both when places are stored (norm column) and when free text is searched.

export interface Postcode {
  outward: string;
  inward: string;
}
export type PostcodeQuery = { kind: 'full'; outward: string; inward: string } | { kind: 'partial'; outward: string; inwardPrefix: string };

const OUTWARD = '[A-Z]{1,2}[0-9][A-Z0-9]?';
const FULL = new RegExp(`^(${OUTWARD}) ?([0-9][A-Z]{2})$`);
const PARTIAL = new RegExp(`^(${OUTWARD})(?: ?([0-9][A-Z]?))?$`);

/** "so16 0as", "SO160AS" → { outward: 'SO16', inward: '0AS' }; null when not a full postcode. */
export function parsePostcode(s: string): Postcode | null {
  const m = FULL.exec(s.toUpperCase().replace(/\s+/g, ' ').trim());
  return m ? { outward: m[1], inward: m[2] } : null;
}

export const formatPostcode = (p: Postcode) => `${p.outward} ${p.inward}`;

/** A postcode for the /postcode resource: full, or at least the district ("SO1", "SO16 0"). */
export function parsePostcodeQuery(s: string): PostcodeQuery | null {
  const t = s.toUpperCase().replace(/\s+/g, ' ').trim();
  const full = parsePostcode(t);
  if (full) return { kind: 'full', ...full };
  const m = PARTIAL.exec(t);
  if (m) return { kind: 'partial', outward: m[1], inwardPrefix: m[2] ?? '' };
  return null;
}

const ABBREVIATIONS: Record<string, string> = {
  RD: 'ROAD',
  ST: 'STREET',
  STR: 'STREET',
  AVE: 'AVENUE',
  AV: 'AVENUE',
  AVN: 'AVENUE',
  LN: 'LANE',
  DR: 'DRIVE',
  DRV: 'DRIVE',
  CL: 'CLOSE',
  CRES: 'CRESCENT',
  CRESC: 'CRESCENT',
  CRS: 'CRESCENT',
  GDNS: 'GARDENS',
  GDN: 'GARDEN',
  GRN: 'GREEN',
  GR: 'GROVE',
  GRO: 'GROVE',
  GRV: 'GROVE',
  PL: 'PLACE',
  SQ: 'SQUARE',
  TER: 'TERRACE',
  TERR: 'TERRACE',
  TCE: 'TERRACE',
  CT: 'COURT',
  CRT: 'COURT',
  PK: 'PARK',
  PDE: 'PARADE',
  HSE: 'HOUSE',
  HO: 'HOUSE',
  BLDG: 'BUILDING',
  BLDGS: 'BUILDINGS',
  MWS: 'MEWS',
  WLK: 'WALK',
  WY: 'WAY',
  HL: 'HILL',
  VW: 'VIEW',
  RI: 'RISE',
  CTR: 'CENTRE',
  CNR: 'CORNER',
  EST: 'ESTATE',
  FLT: 'FLAT',
  APT: 'FLAT',
  APARTMENT: 'FLAT',
  APPT: 'FLAT',
  NO: '',
  NUMBER: '',
  N: 'NORTH',
  S: 'SOUTH',
  E: 'EAST',
  W: 'WEST',
  GT: 'GREAT',
  LT: 'LITTLE',
  LWR: 'LOWER',
  UPR: 'UPPER',
  MT: 'MOUNT',
  '&': 'AND',
};

/** Words that say what kind of sub-building follows; "APARTMENT 3" and "FLAT 3" are the same address. */
const SUB_WORDS = new Set(['FLAT', 'UNIT', 'SUITE', 'ROOM', 'STUDIO', 'MAISONETTE']);

function fold(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toUpperCase();
}

/**
 * Words of an address, normalised. `2/10` becomes `FLAT 2 10`; `10-12` becomes `10 12`;
 * `10A` stays one word; abbreviations are expanded ("ST" to STREET, which also matches SAINT).
 */
export function words(text: string): string[] {
  let s = fold(text)
    .replace(/(\d+)\s*\/\s*(\d+[A-Z]?)/g, ' FLAT $1 $2 ')
    .replace(/(\d)\s*-\s*(\d)/g, '$1 $2')
    .replace(/'/g, '')
    .replace(/[^A-Z0-9&]+/g, ' ');
  s = s.replace(/\b(\d+) ([A-Z])\b(?= [A-Z]{2,})/g, (m, n, l) => (l === 'A' || l === 'B' || l === 'C' || l === 'D' ? `${n}${l}` : m));
  const out: string[] = [];
  for (const w of s.split(' ')) {
    if (!w) continue;
    const x = w in ABBREVIATIONS ? ABBREVIATIONS[w] : w;
    if (x) out.push(x);
  }
  return out;
}

/** Free text split into its postcode (if it has a full one) and its other words. */
export function splitQuery(text: string): { postcode: Postcode | null; words: string[] } {
  const up = fold(text);
  const m = new RegExp(`\\b(${OUTWARD}) ?([0-9][A-Z]{2})\\b`).exec(up);
  if (!m) return { postcode: null, words: words(text) };
  return { postcode: { outward: m[1], inward: m[2] }, words: words(up.slice(0, m.index) + ' ' + up.slice(m.index + m[0].length)) };
}

export const isNumeric = (w: string) => /^\d/.test(w);

/** Damerau-Levenshtein distance, stopping early past `max`. */
function distance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) rows.push([i]);
  for (let j = 1; j <= b.length; j++) rows[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    let best = Infinity;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, rows[i - 2][j - 2] + 1);
      rows[i][j] = v;
      if (v < best) best = v;
    }
    if (best > max) return max + 1;
  }
  return rows[a.length][b.length];
}

/** How well query word q matches address word c: 1 exact, less for typos and prefixes, 0 none. */
export function wordMatch(q: string, c: string): number {
  if (q === c) return 1;
  if (q === 'STREET' && c === 'SAINT') return 0.9;
  if (isNumeric(q) || isNumeric(c)) return 0;
  if (q.length >= 4 && c.startsWith(q)) return 0.75;
  const max = q.length >= 8 ? 2 : q.length >= 4 ? 1 : 0;
  if (max === 0) return 0;
  const d = distance(q, c, max);
  return d <= max ? 1 - 0.15 * d : 0;
}

export const SUB_WORD = (w: string) => SUB_WORDS.has(w);
const weight = (w: string) => (isNumeric(w) ? 2 : SUB_WORDS.has(w) ? 0.5 : 1);

/**
 * Score 0–1 of a stored address (its words and postcode) for a query. Half is how much of the
 * query the address explains, half how much of the address the query names, so an exact
 * address scores 1 and beats the same building's flats; word order breaks ties.
 */
export function scoreAddress(q: { postcode: Postcode | null; words: string[] }, c: { words: string[]; postcode: string | null }): number {
  let qTotal = 0,
    qGot = 0;
  const used = new Array<number>(c.words.length).fill(0);
  const at: number[] = [];
  for (const w of q.words) {
    const wt = weight(w);
    qTotal += wt;
    let best = 0,
      bestJ = -1;
    for (let j = 0; j < c.words.length; j++) {
      const m = wordMatch(w, c.words[j]);
      if (m > best || (m === best && m > 0 && used[j] === 0 && bestJ >= 0 && used[bestJ] > 0)) {
        best = m;
        bestJ = j;
        if (m === 1 && used[j] === 0) break;
      }
    }
    if (bestJ >= 0) {
      qGot += best * wt;
      used[bestJ] = Math.max(used[bestJ], best);
    }
    at.push(bestJ);
  }
  let cTotal = 0,
    cGot = 0;
  for (let j = 0; j < c.words.length; j++) {
    const wt = weight(c.words[j]);
    cTotal += wt;
    cGot += used[j] * wt;
  }
  const cPostcode = c.postcode ? c.postcode.replace(' ', '') : '';
  if (q.postcode) {
    qTotal += 3;
    cTotal += 3;
    if (cPostcode === q.postcode.outward + q.postcode.inward) {
      qGot += 3;
      cGot += 3;
    } else if (cPostcode.startsWith(q.postcode.outward)) {
      qGot += 1;
      cGot += 1;
    }
  }
  if (qTotal === 0) return 0;
  let pairs = 0,
    inOrder = 0;
  for (let i = 1; i < at.length; i++) {
    if (at[i - 1] >= 0 && at[i] >= 0) {
      pairs++;
      if (at[i] === at[i - 1] + 1) inOrder++;
    }
  }
  const order = pairs ? inOrder / pairs : 1;
  const score = 0.5 * (qGot / qTotal) + 0.5 * (cTotal ? cGot / cTotal : 0);
  return Math.max(0, Math.min(1, score * (0.97 + 0.03 * order)));
}

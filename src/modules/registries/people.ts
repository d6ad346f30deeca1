// Realistic generated people for the demo agencies (fictional; NINOs use the never-issued QQ
// prefix), from a seeded generator so every fresh database holds the same people, plus the
// named demo people who prove their identity in identity's demo: their passport and licence
// records here agree with identity's DEMO_RECORDS (a test checks this).
import type { Queryable } from '../../kernel/db.js';

export function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const GIVEN_F = [
  'Olivia',
  'Amelia',
  'Isla',
  'Ava',
  'Mia',
  'Grace',
  'Sophie',
  'Freya',
  'Aisha',
  'Priya',
  'Megan',
  'Cerys',
  'Ffion',
  'Siobhan',
  'Chloe',
  'Hannah',
  'Zara',
  'Nia',
  'Eleanor',
  'Margaret',
];
const GIVEN_M = [
  'Oliver',
  'George',
  'Harry',
  'Noah',
  'Jack',
  'Leo',
  'Arthur',
  'Mohammed',
  'Oscar',
  'Dylan',
  'Rhys',
  'Owen',
  'Callum',
  'Ravi',
  'Samuel',
  'Thomas',
  'Kwame',
  'Connor',
  'David',
  'Peter',
];
const FAMILY = [
  'Smith',
  'Jones',
  'Williams',
  'Taylor',
  'Brown',
  'Davies',
  'Evans',
  'Wilson',
  'Thomas',
  'Roberts',
  'Johnson',
  'Lewis',
  'Walker',
  'Robinson',
  'Wood',
  'Thompson',
  'White',
  'Watson',
  'Jackson',
  'Wright',
  'Green',
  'Harris',
  'Cooper',
  'King',
  'Lee',
  'Martin',
  'Clarke',
  'James',
  'Morgan',
  'Hughes',
  'Edwards',
  'Hill',
  'Moore',
  'Clark',
  'Harrison',
  'Scott',
  'Young',
  'Morris',
  'Hall',
  'Ward',
  'Khan',
  'Patel',
  'Begum',
  'Okafor',
  'Nowak',
  'Pritchard',
  'Llewelyn',
  'Price',
  'Jenkins',
  'Griffiths',
];
const STREETS = [
  'High Street',
  'Station Road',
  'Church Lane',
  'Mill Lane',
  'Park Avenue',
  'Victoria Road',
  'Heol y Castell',
  'Ffordd yr Orsaf',
  'Queens Road',
  'The Crescent',
  'Riverside Walk',
  'Civic Way',
];
const TOWNS: Array<[string, string, string | null]> = [
  ['Riverside', 'RV', 'RIVERSIDE'],
  ['Newtown', 'NT', 'RIVERSIDE'],
  ['Caerdydd', 'CF', 'GLANFOR'],
  ['Aberglan', 'AG', 'GLANFOR'],
  ['Oldbridge', 'OB', null],
];
const DISTRICTS: Record<string, string> = { RIVERSIDE: 'Riverside', GLANFOR: 'Glanfor', '': 'Oldbridge' };

export interface Person {
  id: string;
  nino: string;
  given_name: string;
  family_name: string;
  birth_date: string;
  sex: 'F' | 'M';
  address: Record<string, unknown>;
  postcode: string;
  council: string | null;
}

/** The named demo people (identity's DEMO_RECORDS): who they are at each agency. */
export const DEMO_PEOPLE = [
  {
    person: {
      id: 'P-DEMO-1',
      nino: 'QQ123456C',
      given_name: 'Alex',
      family_name: 'Morgan',
      birth_date: '1985-03-14',
      sex: 'F',
      postcode: 'NT1 1AA',
      council: 'RIVERSIDE',
      address: {
        uprn: 990000000101,
        buildingNumber: '10',
        streetName: 'Civic Way',
        addressLocality: 'Newtown',
        postalCode: 'NT1 1AA',
        addressCountry: 'GB',
        validFrom: '2019-04-01',
      },
    },
    passport: { number: '539184726', issue: '2023-06-30', expiry: '2033-06-30' },
    licence: null,
    awards: [
      { benefit: 'PIP', component: 'mobility', rate: 'enhanced', points: 12, start: '2021-09-01' },
      { benefit: 'PIP', component: 'daily_living', rate: 'standard', points: 9, start: '2021-09-01' },
    ],
    band: 'basic',
  },
  {
    person: {
      id: 'P-DEMO-2',
      nino: 'QQ654321A',
      given_name: 'Rhian',
      family_name: 'Evans',
      birth_date: '1972-11-02',
      sex: 'F',
      postcode: 'CF10 1AA',
      council: 'GLANFOR',
      address: {
        uprn: 990000000202,
        buildingName: 'Tŷ Gwyn',
        streetName: 'Heol y Castell',
        addressLocality: 'Caerdydd',
        postalCode: 'CF10 1AA',
        addressCountry: 'GB',
        validFrom: '2012-09-01',
      },
    },
    passport: { number: '648203915', issue: '2021-01-15', expiry: '2031-01-15' },
    licence: { number: 'EVANS711022RH9XY', issue: '2022-11-02', expiry: '2032-11-01' },
    awards: [{ benefit: 'UC', component: null, rate: null, points: null, start: '2024-02-12' }],
    band: 'nil',
  },
  {
    person: {
      id: 'P-DEMO-3',
      nino: 'QQ901200B',
      given_name: 'Sam',
      family_name: 'Taylor',
      birth_date: '1990-01-20',
      sex: 'M',
      postcode: 'OB2 4ZZ',
      council: null,
      address: {
        buildingNumber: '3',
        streetName: 'Mill Lane',
        addressLocality: 'Oldbridge',
        postalCode: 'OB2 4ZZ',
        addressCountry: 'GB',
        validFrom: '2021-02-01',
      },
    },
    passport: null,
    licence: { number: 'TAYLO901200S99AB', issue: '2020-01-20', expiry: '2030-01-19' },
    awards: [],
    band: 'higher',
  },
] as const;

const pad = (n: number, w: number) => String(n).padStart(w, '0');
const day = (d: Date) => d.toISOString().slice(0, 10);

/** DVLA's licence number shape: surname (5, padded with 9), decade, month (+50 for women), day, year, initials, check digits. */
export function licenceNumber(p: { family_name: string; given_name: string; birth_date: string; sex: string }, rnd: () => number) {
  const s = p.family_name
    .toUpperCase()
    .replace(/[^A-Z]/g, '')
    .padEnd(5, '9')
    .slice(0, 5);
  const [y, m, d] = p.birth_date.split('-');
  const month = Number(m) + (p.sex === 'F' ? 50 : 0);
  const letters = 'ABCDEFGHJKLMNPRSTUVWXYZ';
  return `${s}${y[2]}${pad(month, 2)}${d}${y[3]}${p.given_name[0].toUpperCase()}9${Math.floor(rnd() * 10)}${letters[Math.floor(rnd() * letters.length)]}${letters[Math.floor(rnd() * letters.length)]}`;
}

export function generatePeople(count: number, seed = 12): Array<{ person: Person; rnd: () => number }> {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const out: Array<{ person: Person; rnd: () => number }> = [];
  for (let i = 1; i <= count; i++) {
    const sex = rnd() < 0.5 ? 'F' : 'M';
    const born = new Date(Date.UTC(1935 + Math.floor(rnd() * 70), Math.floor(rnd() * 12), 1 + Math.floor(rnd() * 28)));
    const [town, area, council] = pick(TOWNS);
    const postcode = `${area}${1 + Math.floor(rnd() * 9)} ${Math.floor(rnd() * 10)}${pick('ABDEFGHJLNPQRSTUWXYZ'.split(''))}${pick('ABDEFGHJLNPQRSTUWXYZ'.split(''))}`;
    const person: Person = {
      id: `P${pad(i, 6)}`,
      nino: `QQ${pad(100000 + i, 6)}${'ABCD'[i % 4]}`,
      given_name: pick(sex === 'F' ? GIVEN_F : GIVEN_M),
      family_name: pick(FAMILY),
      birth_date: day(born),
      sex,
      address: {
        buildingNumber: String(1 + Math.floor(rnd() * 120)),
        streetName: pick(STREETS),
        addressLocality: town,
        postalCode: postcode,
        addressCountry: 'GB',
      },
      postcode,
      council,
    };
    out.push({ person, rnd });
  }
  return out;
}

/** Every agency's records for the demo and generated people, in a few multi-row inserts. */
export async function seedPeople(tx: Queryable, count = 2000): Promise<boolean> {
  const { rows } = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM registries.people');
  if (rows[0].n > 0) return false;
  const people: Person[] = [];
  const awards: unknown[][] = [];
  const licences: unknown[][] = [];
  const passports: unknown[][] = [];
  const income: unknown[][] = [];
  const tax: unknown[][] = [];
  const births: unknown[][] = [];
  const year = new Date().getUTCFullYear();
  const taxYear = `${year - 1}-${String(year).slice(2)}`;
  for (const d of DEMO_PEOPLE) {
    people.push(d.person as unknown as Person);
    if (d.passport) passports.push([d.passport.number, d.person.id, d.passport.issue, d.passport.expiry, 'valid']);
    if (d.licence) licences.push([d.licence.number, d.person.id, d.licence.issue, d.licence.expiry, 'valid', 'AM,B,BE,F,K,Q', 0]);
    for (const a of d.awards) awards.push([d.person.id, a.benefit, a.component, a.rate, a.points, a.start, null]);
    income.push([d.person.id, taxYear, d.band]);
    if (d.person.council)
      tax.push([
        d.person.council,
        `${d.person.council.slice(0, 3)}-DEMO-${d.person.id.slice(-1)}`,
        d.person.id,
        'C',
        false,
        d.band === 'nil',
      ]);
  }
  for (const { person: p, rnd } of generatePeople(count)) {
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
    people.push(p);
    const age = year - Number(p.birth_date.slice(0, 4));
    const r = rnd();
    if (r < 0.08) {
      const rate = rnd() < 0.5 ? 'enhanced' : 'standard';
      awards.push([
        p.id,
        'PIP',
        'mobility',
        rate,
        rate === 'enhanced' ? 12 : 8,
        day(new Date(Date.UTC(year - 1 - Math.floor(rnd() * 5), 3, 1))),
        null,
      ]);
    } else if (r < 0.1 && age > 66)
      awards.push([p.id, 'DLA', 'mobility', 'higher', null, day(new Date(Date.UTC(2005 + Math.floor(rnd() * 10), 0, 10))), null]);
    else if (r < 0.2 && age < 66) awards.push([p.id, 'UC', null, null, null, day(new Date(Date.UTC(year - 2, 6, 1))), null]);
    if (age >= 17 && rnd() < 0.75) {
      const issue = new Date(Date.UTC(year - Math.floor(rnd() * 9), Math.floor(rnd() * 12), 1 + Math.floor(rnd() * 28)));
      const expiry = new Date(issue.getTime() + 10 * 365.25 * 86_400_000);
      licences.push([
        licenceNumber(p, rnd),
        p.id,
        day(issue),
        day(expiry),
        rnd() < 0.97 ? 'valid' : 'revoked',
        rnd() < 0.1 ? 'AM,A,B,BE,F,K,Q' : 'AM,B,F,K,Q',
        rnd() < 0.15 ? 3 * (1 + Math.floor(rnd() * 3)) : 0,
      ]);
    }
    if (rnd() < 0.8) {
      const issue = new Date(Date.UTC(year - Math.floor(rnd() * 12), Math.floor(rnd() * 12), 1 + Math.floor(rnd() * 28)));
      const expiry = new Date(issue.getTime() + 10 * 365.25 * 86_400_000);
      passports.push([String(100000000 + Math.floor(rnd() * 899999999)), p.id, day(issue), day(expiry), rnd() < 0.98 ? 'valid' : 'lost']);
    }
    if (age >= 16)
      income.push([
        p.id,
        taxYear,
        age > 70 && rnd() < 0.5 ? 'nil' : rnd() < 0.1 ? 'starter' : rnd() < 0.75 ? 'basic' : rnd() < 0.95 ? 'higher' : 'additional',
      ]);
    if (p.council && age >= 18 && rnd() < 0.6)
      tax.push([
        p.council,
        `${p.council.slice(0, 3)}-${pad(Number(p.id.slice(1)), 7)}`,
        p.id,
        'ABCDEFGH'[Math.floor(rnd() * 8)],
        rnd() < 0.3,
        rnd() < 0.12,
      ]);
    births.push([
      `${DISTRICTS[p.council ?? '']?.slice(0, 3).toUpperCase() ?? 'OLD'}/${p.birth_date.slice(0, 4)}/${pad(Number(p.id.slice(1)), 6)}`,
      p.id,
      p.given_name,
      p.family_name,
      p.birth_date,
      `${DISTRICTS[p.council ?? '']} General Hospital`,
      DISTRICTS[p.council ?? ''],
      `${pick(GIVEN_F)} ${p.family_name}`,
      rnd() < 0.85 ? `${pick(GIVEN_M)} ${p.family_name}` : null,
    ]);
  }
  await insertRows(
    tx,
    'registries.people (id, nino, given_name, family_name, birth_date, sex, address, postcode, council)',
    ['text', 'text', 'text', 'text', 'date', 'text', 'jsonb', 'text', 'text'],
    people.map((p) => [p.id, p.nino, p.given_name, p.family_name, p.birth_date, p.sex, JSON.stringify(p.address), p.postcode, p.council]),
  );
  await insertRows(
    tx,
    'registries.dwp_awards (person_id, benefit, component, rate, points, start_date, end_date)',
    ['text', 'text', 'text', 'text', 'int', 'date', 'date'],
    awards,
  );
  await insertRows(
    tx,
    'registries.dvla_licences (licence_number, person_id, issue_date, expiry_date, status, categories, penalty_points)',
    ['text', 'text', 'date', 'date', 'text', 'text', 'int'],
    dedupe(licences),
  );
  await insertRows(
    tx,
    'registries.hmpo_passports (passport_number, person_id, issue_date, expiry_date, status)',
    ['text', 'text', 'date', 'date', 'text'],
    dedupe(passports),
  );
  await insertRows(tx, 'registries.hmrc_income (person_id, tax_year, band)', ['text', 'text', 'text'], income);
  await insertRows(
    tx,
    'registries.council_tax (council, account_ref, person_id, band, single_person_discount, council_tax_reduction)',
    ['text', 'text', 'text', 'text', 'bool', 'bool'],
    tax,
  );
  await insertRows(
    tx,
    'registries.births (entry_reference, person_id, given_name, family_name, birth_date, place_of_birth, district, mother_name, father_name)',
    ['text', 'text', 'text', 'text', 'date', 'text', 'text', 'text', 'text'],
    births,
  );
  return true;
}

const dedupe = (rows: unknown[][]) => [...new Map(rows.map((r) => [r[0], r])).values()];

async function insertRows(tx: Queryable, target: string, types: string[], rows: unknown[][]) {
  if (!rows.length) return;
  const cols = types.map((_, i) => rows.map((r) => r[i]));
  await tx.query(`INSERT INTO ${target} SELECT * FROM unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})`, cols);
}

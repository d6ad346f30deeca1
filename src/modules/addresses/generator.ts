// Deterministic generator of realistic AddressBase Premium data at any size: towns in England,
// Wales (with Welsh street, locality and town names) and Scotland; streets of terraces,
// houses with names, blocks of flats (with their parent building) and high streets with
// shops, pubs and offices; unique postcodes in units of 8–20; parent/child BLPUs; a few
// historic and non-postal records. The same seed gives the same data, and the first N
// addresses do not depend on how many are asked for (so evaluation sets stay valid).
import { fromGrid } from './grid.js';
import {
  BLOCK_TYPES,
  BUSINESSES,
  HOUSE_NAMES,
  LOCALITIES,
  PUBS,
  STEMS,
  SUFFIXES,
  SURNAMES,
  TOWNS,
  UNIT_LETTERS,
  WELSH_STEMS,
  type Town,
} from './generator-data.js';
import { registerCustodian } from './codes.js';

for (const t of TOWNS) registerCustodian(t.custodian, t.council);

export interface GenStreet {
  usrn: number;
  name: string;
  nameCy?: string;
  locality?: string;
  town: Town;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  date: string;
}
export interface GenAddress {
  seq: number;
  uprn: number;
  udprn: number | null;
  parentUprn: number | null;
  usrn: number;
  logicalStatus: number;
  classification: string;
  postal: 'D' | 'N';
  x: number;
  y: number;
  lat: number;
  lng: number;
  org?: string;
  subBuilding?: string;
  buildingName?: string;
  buildingNumber?: number;
  saoText?: string;
  saoNumber?: number;
  paoText?: string;
  paoNumber?: number;
  paoSuffix?: string;
  street: GenStreet;
  postcode: string;
  date: string;
  toid: boolean;
}

/** mulberry32: small, fast, good enough for test data. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)],
    chance: (p: number) => next() < p,
  };
}

const round2 = (v: number) => Math.round(v * 100) / 100;

/** Streets, each with its addresses, until `count` postal addresses have been made. */
export function* generateStreets(opts: { count: number; seed?: number }): Generator<{ street: GenStreet; addresses: GenAddress[] }> {
  const r = rng(opts.seed ?? 1);
  let made = 0,
    uprn = 10_000_000,
    udprn = 50_000_000,
    usrn = 20_000_000,
    seq = 0;
  const usedNames = new Map<Town, Set<string>>();
  const districts = new Map<string, number>(); // area → last district number
  const townDistrict = new Map<Town, { outward: string; units: number }>();
  const townLocalities = new Map<Town, string[]>(
    TOWNS.map((t, i) => [
      t,
      [LOCALITIES[i % LOCALITIES.length], LOCALITIES[(i * 7 + 3) % LOCALITIES.length], LOCALITIES[(i * 11 + 5) % LOCALITIES.length]],
    ]),
  );
  const nextPostcode = (town: Town): string => {
    let d = townDistrict.get(town);
    if (!d || d.units >= UNIT_LETTERS.length * UNIT_LETTERS.length * 9) {
      const n = (districts.get(town.area) ?? 0) + 1;
      districts.set(town.area, n);
      d = { outward: `${town.area}${n}`, units: 0 };
      townDistrict.set(town, d);
    }
    const u = d.units++;
    const sector = 1 + Math.floor(u / UNIT_LETTERS.length ** 2);
    const rest = u % UNIT_LETTERS.length ** 2;
    return `${d.outward} ${sector}${UNIT_LETTERS[Math.floor(rest / UNIT_LETTERS.length)]}${UNIT_LETTERS[rest % UNIT_LETTERS.length]}`;
  };

  while (made < opts.count) {
    const town = TOWNS[r.int(TOWNS.length)];
    const used = usedNames.get(town) ?? new Set<string>();
    usedNames.set(town, used);
    let stem = '',
      suffix: [string, string] = SUFFIXES[0],
      name = '';
    for (let tries = 0; tries < 100; tries++) {
      stem = r.pick(STEMS);
      suffix = r.pick(SUFFIXES);
      name = tries < 40 ? `${stem} ${suffix[0]}` : `${stem} ${r.pick(STEMS)} ${suffix[0]}`;
      if (!used.has(name)) break;
    }
    if (used.has(name)) name = `${name} ${used.size}`;
    used.add(name);
    const welsh = town.country === 'W';
    const cyStem = WELSH_STEMS[stem] ?? stem;
    const nameCy = welsh
      ? name === 'HIGH STREET'
        ? 'STRYD FAWR'
        : name.split(' ').length === 2
          ? `${suffix[1]} ${cyStem}`
          : undefined
      : undefined;
    const kind = name === 'HIGH STREET' || stem === 'MARKET' ? 'high' : r.pick(['terrace', 'houses', 'houses', 'flats', 'mixed'] as const);
    const angle = r.next() * Math.PI;
    const x1 = round2(town.x + (r.next() * 2 - 1) * 6000),
      y1 = round2(town.y + (r.next() * 2 - 1) * 6000);
    const n = 6 + r.int(kind === 'terrace' ? 60 : 35);
    const len = n * 7;
    const street: GenStreet = {
      usrn: ++usrn,
      name,
      nameCy,
      locality: r.chance(0.35) ? r.pick(townLocalities.get(town)!) : undefined,
      town,
      x1,
      y1,
      x2: round2(x1 + Math.cos(angle) * len),
      y2: round2(y1 + Math.sin(angle) * len),
      date: `${2000 + r.int(20)}-0${1 + r.int(9)}-1${r.int(10)}`,
    };
    const addresses: GenAddress[] = [];
    let postcode = nextPostcode(town),
      inUnit = 0,
      unitSize = 8 + r.int(13);
    const place = (i: number, side: number, extra: Partial<GenAddress>): GenAddress => {
      const t = i / (n + 1);
      const x = round2(x1 + (street.x2 - x1) * t + Math.sin(angle) * 12 * side),
        y = round2(y1 + (street.y2 - y1) * t - Math.cos(angle) * 12 * side);
      const ll = fromGrid(x, y);
      const postal = extra.postal ?? 'D';
      if (postal === 'D') {
        if (inUnit >= unitSize) {
          postcode = nextPostcode(town);
          inUnit = 0;
          unitSize = 8 + r.int(13);
        }
        inUnit++;
      }
      return {
        seq: seq++,
        uprn: ++uprn,
        udprn: postal === 'D' ? ++udprn : null,
        parentUprn: null,
        usrn: street.usrn,
        logicalStatus: 1,
        classification: 'RD04',
        postal,
        x,
        y,
        lat: Math.round(ll.lat * 1e7) / 1e7,
        lng: Math.round(ll.lng * 1e7) / 1e7,
        street,
        postcode,
        date: `${2001 + r.int(22)}-${String(1 + r.int(12)).padStart(2, '0')}-${String(1 + r.int(28)).padStart(2, '0')}`,
        toid: r.chance(0.5),
        ...extra,
      };
    };
    const push = (a: GenAddress) => {
      addresses.push(a);
      if (a.postal === 'D' && a.logicalStatus === 1) made++;
    };
    for (let num = 1; num <= n && made < opts.count; num++) {
      const side = num % 2 ? 1 : -1;
      const roll = r.next();
      if ((kind === 'flats' && roll < 0.45) || (kind === 'mixed' && roll < 0.12)) {
        const block = `${r.pick(STEMS)} ${r.pick(BLOCK_TYPES)}`;
        const parent = place(num, side, { postal: 'N', classification: 'PP', paoNumber: num, paoText: block });
        push(parent);
        const flats = 2 + r.int(11);
        for (let f = 1; f <= flats && made < opts.count; f++) {
          push(
            place(num, side, {
              parentUprn: parent.uprn,
              classification: 'RD06',
              subBuilding: `FLAT ${f}`,
              buildingName: block,
              buildingNumber: num,
              saoText: 'FLAT',
              saoNumber: f,
              paoNumber: num,
              paoText: block,
            }),
          );
        }
      } else if (kind === 'high' && roll < 0.6) {
        const [pattern, cls] = r.pick(BUSINESSES);
        const org = pattern.replace('{S}', r.pick(SURNAMES)).replace('{P}', r.pick(PUBS));
        push(place(num, side, { classification: cls, org, buildingNumber: num, paoNumber: num }));
        if (r.chance(0.4) && made < opts.count) {
          push(
            place(num, side, {
              classification: 'RD06',
              subBuilding: 'FLAT 1',
              buildingNumber: num,
              saoText: 'FLAT',
              saoNumber: 1,
              paoNumber: num,
            }),
          );
        }
      } else if (kind !== 'terrace' && roll < 0.12) {
        const house = r.pick(HOUSE_NAMES);
        push(place(num, side, { classification: 'RD02', buildingName: house, paoText: house }));
      } else {
        const cls = kind === 'terrace' ? 'RD04' : r.pick(['RD02', 'RD03', 'RD03']);
        const named = kind !== 'terrace' && roll < 0.2 ? r.pick(HOUSE_NAMES) : undefined;
        push(place(num, side, { classification: cls, buildingNumber: num, paoNumber: num, buildingName: named, paoText: named }));
        if (r.chance(0.04) && made < opts.count) {
          push(place(num, side, { classification: 'RD04', buildingName: `${num}A`, paoNumber: num, paoSuffix: 'A' }));
        }
      }
      if (r.chance(0.01))
        push(place(num, side, { postal: 'N', logicalStatus: 8, classification: 'RD04', paoText: `FORMER ${r.pick(HOUSE_NAMES)}` }));
    }
    if (r.chance(0.05) && made > 0)
      push(
        place(n, 0, {
          postal: 'N',
          classification: 'ZW99CH',
          paoText: `${r.pick(['ST MARYS', 'ST JOHNS', 'HOLY TRINITY', 'ST PETERS'])} CHURCH`,
        }),
      );
    yield { street, addresses };
  }
}

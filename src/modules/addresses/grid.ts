// British National Grid (EPSG:27700, OSGB36 on the Airy 1830 ellipsoid, transverse Mercator)
// ⇄ ETRS89/WGS84 latitude and longitude (EPSG:4258/EPSG:4326), with the formulas of OS's
// "A guide to coordinate systems in Great Britain" and OS's OSTN15 transformation: ETRS89 is
// projected with the National Grid's projection on its own ellipsoid, then shifted by OSTN15's
// kilometre grid of easting and northing shifts, interpolated bilinearly (ostn15.bin, packed
// by ostn15-pack.ts). That is OSTN15 itself, so it agrees with OS's test points to a millimetre
// or two. Outside OSTN15's rectangle (0–700 km east, 0–1250 km north) the 7-parameter Helmert
// transformation (a few metres) is used. Imported AddressBase records keep their supplied
// ETRS89 latitude and longitude.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync } from 'node:zlib';

const RAD = Math.PI / 180;
const SEC = RAD / 3600;

interface Ellipsoid {
  a: number;
  b: number;
}
const AIRY: Ellipsoid = { a: 6377563.396, b: 6356256.909 };
const GRS80: Ellipsoid = { a: 6378137.0, b: 6356752.31414 };

// National Grid projection constants.
const F0 = 0.9996012717;
const LAT0 = 49 * RAD;
const LON0 = -2 * RAD;
const E0 = 400000;
const N0 = -100000;

// ETRS89/WGS84 → OSGB36 Helmert parameters (metres, ppm, arc-seconds).
const HELMERT = { tx: -446.448, ty: 125.157, tz: -542.06, s: 20.4894, rx: -0.1502, ry: -0.247, rz: -0.8421 };

export interface LatLng {
  lat: number;
  lng: number;
}
export interface EastNorth {
  x: number;
  y: number;
}

function meridionalArc(e: Ellipsoid, lat: number): number {
  const n = (e.a - e.b) / (e.a + e.b);
  const n2 = n * n,
    n3 = n2 * n;
  const dl = lat - LAT0,
    sl = lat + LAT0;
  return (
    e.b *
    F0 *
    ((1 + n + 1.25 * n2 + 1.25 * n3) * dl -
      (3 * n + 3 * n2 + (21 / 8) * n3) * Math.sin(dl) * Math.cos(sl) +
      ((15 / 8) * n2 + (15 / 8) * n3) * Math.sin(2 * dl) * Math.cos(2 * sl) -
      (35 / 24) * n3 * Math.sin(3 * dl) * Math.cos(3 * sl))
  );
}

/** OSGB36 latitude/longitude (degrees) → National Grid easting/northing (metres). */
export function projectOsgb36(lat: number, lng: number): EastNorth {
  return project(AIRY, lat, lng);
}

/** National Grid easting/northing → OSGB36 latitude/longitude (degrees). */
export function unprojectOsgb36(x: number, y: number): LatLng {
  return unproject(AIRY, x, y);
}

/** The National Grid's transverse Mercator projection on ellipsoid `e` (GRS80 for OSTN15's ETRS89 side). */
function project(e: Ellipsoid, lat: number, lng: number): EastNorth {
  const phi = lat * RAD,
    lam = lng * RAD;
  const e2 = 1 - (e.b * e.b) / (e.a * e.a);
  const sin = Math.sin(phi),
    cos = Math.cos(phi),
    tan = Math.tan(phi);
  const nu = (e.a * F0) / Math.sqrt(1 - e2 * sin * sin);
  const rho = (e.a * F0 * (1 - e2)) / Math.pow(1 - e2 * sin * sin, 1.5);
  const eta2 = nu / rho - 1;
  const M = meridionalArc(e, phi);
  const t2 = tan * tan,
    t4 = t2 * t2;
  const I = M + N0;
  const II = (nu / 2) * sin * cos;
  const III = (nu / 24) * sin * cos ** 3 * (5 - t2 + 9 * eta2);
  const IIIA = (nu / 720) * sin * cos ** 5 * (61 - 58 * t2 + t4);
  const IV = nu * cos;
  const V = (nu / 6) * cos ** 3 * (nu / rho - t2);
  const VI = (nu / 120) * cos ** 5 * (5 - 18 * t2 + t4 + 14 * eta2 - 58 * t2 * eta2);
  const dl = lam - LON0;
  return {
    x: E0 + IV * dl + V * dl ** 3 + VI * dl ** 5,
    y: I + II * dl ** 2 + III * dl ** 4 + IIIA * dl ** 6,
  };
}

function unproject(e: Ellipsoid, x: number, y: number): LatLng {
  const e2 = 1 - (e.b * e.b) / (e.a * e.a);
  let phi = (y - N0) / (e.a * F0) + LAT0;
  let M = meridionalArc(e, phi);
  for (let i = 0; i < 20 && Math.abs(y - N0 - M) >= 0.00001; i++) {
    phi += (y - N0 - M) / (e.a * F0);
    M = meridionalArc(e, phi);
  }
  const sin = Math.sin(phi),
    cos = Math.cos(phi),
    tan = Math.tan(phi),
    sec = 1 / cos;
  const nu = (e.a * F0) / Math.sqrt(1 - e2 * sin * sin);
  const rho = (e.a * F0 * (1 - e2)) / Math.pow(1 - e2 * sin * sin, 1.5);
  const eta2 = nu / rho - 1;
  const t2 = tan * tan,
    t4 = t2 * t2,
    t6 = t4 * t2;
  const VII = tan / (2 * rho * nu);
  const VIII = (tan / (24 * rho * nu ** 3)) * (5 + 3 * t2 + eta2 - 9 * t2 * eta2);
  const IX = (tan / (720 * rho * nu ** 5)) * (61 + 90 * t2 + 45 * t4);
  const X = sec / nu;
  const XI = (sec / (6 * nu ** 3)) * (nu / rho + 2 * t2);
  const XII = (sec / (120 * nu ** 5)) * (5 + 28 * t2 + 24 * t4);
  const XIIA = (sec / (5040 * nu ** 7)) * (61 + 662 * t2 + 1320 * t4 + 720 * t6);
  const dE = x - E0;
  return {
    lat: (phi - VII * dE ** 2 + VIII * dE ** 4 - IX * dE ** 6) / RAD,
    lng: (LON0 + X * dE - XI * dE ** 3 + XII * dE ** 5 - XIIA * dE ** 7) / RAD,
  };
}

type Xyz = [number, number, number];

function toCartesian(e: Ellipsoid, lat: number, lng: number): Xyz {
  const phi = lat * RAD,
    lam = lng * RAD;
  const e2 = 1 - (e.b * e.b) / (e.a * e.a);
  const nu = e.a / Math.sqrt(1 - e2 * Math.sin(phi) ** 2);
  return [nu * Math.cos(phi) * Math.cos(lam), nu * Math.cos(phi) * Math.sin(lam), (1 - e2) * nu * Math.sin(phi)];
}

function fromCartesian(e: Ellipsoid, [x, y, z]: Xyz): LatLng {
  const e2 = 1 - (e.b * e.b) / (e.a * e.a);
  const p = Math.hypot(x, y);
  let phi = Math.atan2(z, p * (1 - e2));
  for (let i = 0; i < 10; i++) {
    const nu = e.a / Math.sqrt(1 - e2 * Math.sin(phi) ** 2);
    const next = Math.atan2(z + e2 * nu * Math.sin(phi), p);
    if (Math.abs(next - phi) < 1e-12) {
      phi = next;
      break;
    }
    phi = next;
  }
  return { lat: phi / RAD, lng: Math.atan2(y, x) / RAD };
}

function helmert([x, y, z]: Xyz, sign: 1 | -1): Xyz {
  const tx = sign * HELMERT.tx,
    ty = sign * HELMERT.ty,
    tz = sign * HELMERT.tz;
  const s = 1 + sign * HELMERT.s * 1e-6;
  const rx = sign * HELMERT.rx * SEC,
    ry = sign * HELMERT.ry * SEC,
    rz = sign * HELMERT.rz * SEC;
  return [tx + s * x - rz * y + ry * z, ty + rz * x + s * y - rx * z, tz - ry * x + rx * y + s * z];
}

/** ETRS89/WGS84 → National Grid by the Helmert transformation alone (a few metres; outside OSTN15). */
export function toGridHelmert(lat: number, lng: number): EastNorth {
  const osgb = fromCartesian(AIRY, helmert(toCartesian(GRS80, lat, lng), 1));
  return projectOsgb36(osgb.lat, osgb.lng);
}

/** National Grid → ETRS89/WGS84 by the Helmert transformation alone. */
export function fromGridHelmert(x: number, y: number): LatLng {
  const osgb = unprojectOsgb36(x, y);
  return fromCartesian(GRS80, helmert(toCartesian(AIRY, osgb.lat, osgb.lng), -1));
}

// OSTN15: shifts (mm) at every kilometre node from (0, 0) to (700 km, 1250 km), easting index fastest.
export const OSTN15_COLS = 701;
export const OSTN15_ROWS = 1251;
export interface Ostn15 {
  east: Int32Array;
  north: Int32Array;
}

/** Unpacks ostn15.bin (see ostn15-pack.ts): both grids as millimetre shifts. */
export function decodeOstn15(packed: Buffer): Ostn15 {
  const raw = brotliDecompressSync(packed);
  const n = OSTN15_COLS * OSTN15_ROWS;
  const grid = (offset: number, min: number) => {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const z = raw[offset + i] | (raw[offset + n + i] << 8);
      const d = (z >>> 1) ^ -(z & 1);
      const c = i % OSTN15_COLS;
      const pred =
        i >= OSTN15_COLS ? (c ? out[i - 1] + out[i - OSTN15_COLS] - out[i - OSTN15_COLS - 1] : out[i - OSTN15_COLS]) : c ? out[i - 1] : 0;
      out[i] = pred + d;
    }
    for (let i = 0; i < n; i++) out[i] += min;
    return out;
  };
  return { east: grid(8, raw.readInt32LE(0)), north: grid(8 + 2 * n, raw.readInt32LE(4)) };
}

let ostn15: Ostn15 | undefined;
const OSTN15_FILE = join(dirname(fileURLToPath(import.meta.url)), 'ostn15.bin');
const loadOstn15 = () => (ostn15 ??= decodeOstn15(readFileSync(OSTN15_FILE)));

/** OSTN15's easting and northing shifts (metres) at a point of the ETRS89 pseudo-grid; null outside the grid. */
function shifts(x: number, y: number): [number, number] | null {
  const ei = Math.floor(x / 1000),
    ni = Math.floor(y / 1000);
  if (ei < 0 || ni < 0 || ei >= OSTN15_COLS - 1 || ni >= OSTN15_ROWS - 1) return null;
  const g = loadOstn15();
  const t = (x - ei * 1000) / 1000,
    u = (y - ni * 1000) / 1000;
  const i0 = ni * OSTN15_COLS + ei,
    i1 = i0 + 1,
    i3 = i0 + OSTN15_COLS,
    i2 = i3 + 1;
  const w0 = (1 - t) * (1 - u),
    w1 = t * (1 - u),
    w2 = t * u,
    w3 = (1 - t) * u;
  return [
    (w0 * g.east[i0] + w1 * g.east[i1] + w2 * g.east[i2] + w3 * g.east[i3]) / 1000,
    (w0 * g.north[i0] + w1 * g.north[i1] + w2 * g.north[i2] + w3 * g.north[i3]) / 1000,
  ];
}

/** ETRS89/WGS84 latitude and longitude → National Grid easting and northing (OSTN15). */
export function toGrid(lat: number, lng: number): EastNorth {
  const p = project(GRS80, lat, lng);
  const s = shifts(p.x, p.y);
  return s ? { x: p.x + s[0], y: p.y + s[1] } : toGridHelmert(lat, lng);
}

/** National Grid easting and northing → ETRS89/WGS84 latitude and longitude (OSTN15, by iteration as OS describes). */
export function fromGrid(x: number, y: number): LatLng {
  let s = shifts(x, y);
  if (!s) return fromGridHelmert(x, y);
  let ex = x - s[0],
    ey = y - s[1];
  for (let i = 0; i < 20; i++) {
    s = shifts(ex, ey);
    if (!s) return fromGridHelmert(x, y);
    const nx = x - s[0],
      ny = y - s[1];
    const done = Math.abs(nx - ex) < 1e-5 && Math.abs(ny - ey) < 1e-5;
    ex = nx;
    ey = ny;
    if (done) break;
  }
  return unproject(GRS80, ex, ey);
}

/** The spatial reference systems the API accepts; BNG and WGS84 are OS's aliases. */
export const SRS = ['EPSG:27700', 'EPSG:4326', 'EPSG:4258', 'BNG', 'WGS84'] as const;
export type Srs = 'EPSG:27700' | 'EPSG:4326' | 'EPSG:4258';

export function canonicalSrs(v: string | undefined): Srs | null {
  const s = (v ?? '').trim().toUpperCase();
  if (s === '' || s === 'EPSG:27700' || s === 'BNG') return 'EPSG:27700';
  if (s === 'EPSG:4326' || s === 'WGS84') return 'EPSG:4326';
  if (s === 'EPSG:4258') return 'EPSG:4258';
  return null;
}

/** The extent of the National Grid, in metres. */
export const GRID_BOUNDS = { minX: 0, minY: 0, maxX: 700000, maxY: 1300000 };
export const inGrid = (p: EastNorth) =>
  p.x >= GRID_BOUNDS.minX && p.x <= GRID_BOUNDS.maxX && p.y >= GRID_BOUNDS.minY && p.y <= GRID_BOUNDS.maxY;

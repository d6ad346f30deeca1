// British National Grid (EPSG:27700, OSGB36 on the Airy 1830 ellipsoid, transverse Mercator)
// ⇄ ETRS89/WGS84 latitude and longitude (EPSG:4258/EPSG:4326), with the formulas of OS's
// "A guide to coordinate systems in Great Britain": the projection is exact to the millimetre;
// the datum change is the published 7-parameter Helmert transformation, good to a few metres
// (OSTN15 would be centimetres but needs OS's 15 MB grid). Records imported from AddressBase
// keep their supplied ETRS89 latitude and longitude, so results are as exact as the data.

const RAD = Math.PI / 180;
const SEC = RAD / 3600;

interface Ellipsoid { a: number; b: number }
const AIRY: Ellipsoid = { a: 6377563.396, b: 6356256.909 };
const GRS80: Ellipsoid = { a: 6378137.0, b: 6356752.314140 };

// National Grid projection constants.
const F0 = 0.9996012717;
const LAT0 = 49 * RAD;
const LON0 = -2 * RAD;
const E0 = 400000;
const N0 = -100000;

// ETRS89/WGS84 → OSGB36 Helmert parameters (metres, ppm, arc-seconds).
const HELMERT = { tx: -446.448, ty: 125.157, tz: -542.06, s: 20.4894, rx: -0.1502, ry: -0.247, rz: -0.8421 };

export interface LatLng { lat: number; lng: number }
export interface EastNorth { x: number; y: number }

function meridionalArc(e: Ellipsoid, lat: number): number {
  const n = (e.a - e.b) / (e.a + e.b);
  const n2 = n * n, n3 = n2 * n;
  const dl = lat - LAT0, sl = lat + LAT0;
  return e.b * F0 * (
    (1 + n + 1.25 * n2 + 1.25 * n3) * dl
    - (3 * n + 3 * n2 + (21 / 8) * n3) * Math.sin(dl) * Math.cos(sl)
    + ((15 / 8) * n2 + (15 / 8) * n3) * Math.sin(2 * dl) * Math.cos(2 * sl)
    - (35 / 24) * n3 * Math.sin(3 * dl) * Math.cos(3 * sl));
}

/** OSGB36 latitude/longitude (degrees) → National Grid easting/northing (metres). */
export function projectOsgb36(lat: number, lng: number): EastNorth {
  const e = AIRY;
  const phi = lat * RAD, lam = lng * RAD;
  const e2 = 1 - (e.b * e.b) / (e.a * e.a);
  const sin = Math.sin(phi), cos = Math.cos(phi), tan = Math.tan(phi);
  const nu = (e.a * F0) / Math.sqrt(1 - e2 * sin * sin);
  const rho = (e.a * F0 * (1 - e2)) / Math.pow(1 - e2 * sin * sin, 1.5);
  const eta2 = nu / rho - 1;
  const M = meridionalArc(e, phi);
  const t2 = tan * tan, t4 = t2 * t2;
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

/** National Grid easting/northing → OSGB36 latitude/longitude (degrees). */
export function unprojectOsgb36(x: number, y: number): LatLng {
  const e = AIRY;
  const e2 = 1 - (e.b * e.b) / (e.a * e.a);
  let phi = (y - N0) / (e.a * F0) + LAT0;
  let M = meridionalArc(e, phi);
  for (let i = 0; i < 20 && Math.abs(y - N0 - M) >= 0.00001; i++) {
    phi += (y - N0 - M) / (e.a * F0);
    M = meridionalArc(e, phi);
  }
  const sin = Math.sin(phi), cos = Math.cos(phi), tan = Math.tan(phi), sec = 1 / cos;
  const nu = (e.a * F0) / Math.sqrt(1 - e2 * sin * sin);
  const rho = (e.a * F0 * (1 - e2)) / Math.pow(1 - e2 * sin * sin, 1.5);
  const eta2 = nu / rho - 1;
  const t2 = tan * tan, t4 = t2 * t2, t6 = t4 * t2;
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
  const phi = lat * RAD, lam = lng * RAD;
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
    if (Math.abs(next - phi) < 1e-12) { phi = next; break; }
    phi = next;
  }
  return { lat: phi / RAD, lng: Math.atan2(y, x) / RAD };
}

function helmert([x, y, z]: Xyz, sign: 1 | -1): Xyz {
  const tx = sign * HELMERT.tx, ty = sign * HELMERT.ty, tz = sign * HELMERT.tz;
  const s = 1 + sign * HELMERT.s * 1e-6;
  const rx = sign * HELMERT.rx * SEC, ry = sign * HELMERT.ry * SEC, rz = sign * HELMERT.rz * SEC;
  return [tx + s * x - rz * y + ry * z, ty + rz * x + s * y - rx * z, tz - ry * x + rx * y + s * z];
}

/** ETRS89/WGS84 latitude and longitude → National Grid easting and northing. */
export function toGrid(lat: number, lng: number): EastNorth {
  const osgb = fromCartesian(AIRY, helmert(toCartesian(GRS80, lat, lng), 1));
  return projectOsgb36(osgb.lat, osgb.lng);
}

/** National Grid easting and northing → ETRS89/WGS84 latitude and longitude. */
export function fromGrid(x: number, y: number): LatLng {
  const osgb = unprojectOsgb36(x, y);
  return fromCartesian(GRS80, helmert(toCartesian(AIRY, osgb.lat, osgb.lng), -1));
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
export const inGrid = (p: EastNorth) => p.x >= GRID_BOUNDS.minX && p.x <= GRID_BOUNDS.maxX && p.y >= GRID_BOUNDS.minY && p.y <= GRID_BOUNDS.maxY;

// Grid conversion against Ordnance Survey's published reference points: the worked example
// of the National Grid projection (to the millimetre) and OS's OSTN15 test points TP01–TP12,
// TP20, TP30, TP40 (ETRS89 ⇄ National Grid: OSTN15 to a centimetre, the Helmert fallback ~1–5 m).
// The test points are OS's published answers, not used to make ostn15.bin (OS's shift grid).
import { describe, expect, it } from 'vitest';
import { fromGrid, fromGridHelmert, projectOsgb36, toGrid, toGridHelmert, unprojectOsgb36 } from './grid.js';

const dms = (d: number, m: number, s: number) => d + m / 60 + s / 3600;
// OS OSTN15 test points: ETRS89 latitude, longitude → OSGB36 National Grid easting, northing.
const TP: Array<[string, number, number, number, number]> = [
  ['TP01', 49.9222639373, -6.29977752014, 91492.146, 11318.804],
  ['TP02', 49.9600613782, -5.20304609998, 170370.718, 11572.405],
  ['TP03', 50.4388582561, -4.10864563561, 250359.811, 62016.569],
  ['TP04', 50.57563665, -1.2978227724, 449816.371, 75335.861],
  ['TP05', 50.9312793791, -1.450514337, 438710.92, 114792.25],
  ['TP06', 51.4007822014, -3.5512834924, 292184.87, 168003.465],
  ['TP07', 51.3744702555, 1.44454730409, 639821.835, 169565.858],
  ['TP08', 51.4275474302, -2.54407618349, 362269.991, 169978.69],
  ['TP09', 51.4893656495, -0.1199255718, 530624.974, 178388.464],
  ['TP10', 51.858908964, -4.3085247696, 241124.584, 220332.641],
  ['TP11', 51.8943663735, 0.89724327012, 599445.59, 225722.826],
  ['TP12', 52.2552938163, -2.15458614387, 389544.19, 261912.153],
  ['TP20', 53.8002151963, -1.66379168242, 422242.186, 433818.701],
  ['TP30', 57.4862500072, -4.21926398555, 267056.768, 846176.972],
  ['TP40', 60.1330809166, -2.07382822798, 395999.668, 1138728.951],
];

describe('British National Grid', () => {
  it('projects OS’s worked example exactly (52°39′27.2531″N 1°43′4.5177″E → 651409.903, 313177.270)', () => {
    const p = projectOsgb36(dms(52, 39, 27.2531), dms(1, 43, 4.5177));
    expect(p.x).toBeCloseTo(651409.903, 2);
    expect(p.y).toBeCloseTo(313177.27, 2);
    const back = unprojectOsgb36(651409.903, 313177.27);
    expect(back.lat).toBeCloseTo(dms(52, 39, 27.2531), 7);
    expect(back.lng).toBeCloseTo(dms(1, 43, 4.5177), 7);
  });
  it('converts ETRS89/WGS84 to the grid as OSTN15 does (OS’s test points, within 1 cm)', () => {
    for (const [, lat, lng, e, n] of TP) {
      const g = toGrid(lat, lng);
      expect(Math.hypot(g.x - e, g.y - n)).toBeLessThan(0.01);
    }
  });
  it('converts the grid to ETRS89/WGS84 as OSTN15 does (OS’s test points, within 1 cm)', () => {
    for (const [, lat, lng, e, n] of TP) {
      const ll = fromGrid(e, n);
      const dy = (ll.lat - lat) * 111_200,
        dx = (ll.lng - lng) * 111_200 * Math.cos((lat * Math.PI) / 180);
      expect(Math.hypot(dx, dy)).toBeLessThan(0.01);
    }
  });
  it('falls back to the Helmert transformation (a few metres) outside OSTN15’s grid', () => {
    const errors = TP.map(([, lat, lng, e, n]) => {
      const g = toGridHelmert(lat, lng);
      return Math.hypot(g.x - e, g.y - n);
    });
    expect(Math.max(...errors)).toBeLessThan(5);
    // West of the grid's origin (x < 0): Helmert, consistent both ways.
    const off = toGrid(50, -8.5);
    expect(off.x).toBeLessThan(0);
    expect(off).toEqual(toGridHelmert(50, -8.5));
    const back = fromGrid(off.x, off.y);
    expect(back).toEqual(fromGridHelmert(off.x, off.y));
    expect(back.lat).toBeCloseTo(50, 6);
  });
  it('converts the grid back to latitude and longitude consistently (round trip under 1 cm)', () => {
    for (const [, , , e, n] of TP) {
      const ll = fromGrid(e, n);
      const g = toGrid(ll.lat, ll.lng);
      expect(Math.hypot(g.x - e, g.y - n)).toBeLessThan(0.01);
    }
  });
});

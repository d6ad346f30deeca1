// Packs OSTN15's easting and northing shifts into ostn15.bin, the file grid.ts reads. Run once
// when OSTN15 changes: `npx tsx src/modules/addresses/ostn15-pack.ts EAST NORTH`.
//
// Source: OS's OSTN15 grid (OSTN15_OSGM15_DataFile.txt: 701 × 1251 nodes a kilometre apart,
// each with an easting and northing shift) as Debian ships it in libgeo-coordinates-osgb-perl
// 2.20 (`apt-get download libgeo-coordinates-osgb-perl`, then
// /usr/share/perl5/auto/share/dist/Geo-Coordinates-OSGB/ostn_east_shift_82140 and
// ostn_north_shift_-84180): unsigned 16-bit little-endian shifts in whole millimetres above
// the minimum in the file name, in OSTN15's point order (easting index fastest).
// OSTN15 © Crown copyright, Ordnance Survey and the Ministry of Defence 2016; OS publishes it
// under a BSD-style licence that allows it to be copied into software with that notice.
//
// ostn15.bin: brotli of both grids, each stored as the residual of a planar prediction from
// the west, south and south-west nodes (zigzag, low bytes then high bytes): 3.5 MB → ~0.36 MB.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants } from 'node:zlib';
import { decodeOstn15, OSTN15_COLS, OSTN15_ROWS } from './grid.js';

const here = dirname(fileURLToPath(import.meta.url));

function encode(values: Uint16Array): Buffer {
  const n = values.length,
    lo = Buffer.alloc(n),
    hi = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    const c = i % OSTN15_COLS,
      r = (i - c) / OSTN15_COLS;
    const pred =
      c && r ? values[i - 1] + values[i - OSTN15_COLS] - values[i - OSTN15_COLS - 1] : c ? values[i - 1] : r ? values[i - OSTN15_COLS] : 0;
    const d = values[i] - pred;
    if (d < -32768 || d > 32767) throw new Error(`residual ${d} at ${i} does not fit 16 bits`);
    const z = ((d << 1) ^ (d >> 31)) & 0xffff;
    lo[i] = z & 0xff;
    hi[i] = z >> 8;
  }
  return Buffer.concat([lo, hi]);
}

const [eastPath, northPath] = process.argv.slice(2);
if (!eastPath || !northPath) throw new Error('usage: ostn15-pack.ts ostn_east_shift_82140 ostn_north_shift_-84180');
const read = (p: string) => {
  const b = readFileSync(p);
  return new Uint16Array(b.buffer, b.byteOffset, b.length / 2).slice();
};
const east = read(eastPath),
  north = read(northPath);
if (east.length !== OSTN15_COLS * OSTN15_ROWS || north.length !== east.length) throw new Error('not OSTN15: wrong number of nodes');
const eastMin = Number(/_(-?\d+)$/.exec(basename(eastPath))![1]),
  northMin = Number(/_(-?\d+)$/.exec(basename(northPath))![1]);
const header = Buffer.alloc(8);
header.writeInt32LE(eastMin, 0);
header.writeInt32LE(northMin, 4);
const packed = brotliCompressSync(Buffer.concat([header, encode(east), encode(north)]), {
  params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_LGWIN]: 24 },
});
// Check the round trip before writing.
const back = decodeOstn15(packed);
for (let i = 0; i < east.length; i++) {
  if (back.east[i] !== east[i] + eastMin || back.north[i] !== north[i] + northMin) throw new Error(`round trip differs at node ${i}`);
}
writeFileSync(join(here, 'ostn15.bin'), packed);
console.log(`ostn15.bin: ${packed.length} bytes`);

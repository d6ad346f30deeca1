import { PGlite } from '@electric-sql/pglite';
import { openDb } from '../src/kernel/db.js';
import { migrate } from '../src/kernel/migrations.js';
import { buildTestApp } from '../test/helpers.js';
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
let c = cpu(), w = performance.now();
const lap = (s: string) => { const c2 = cpu(), w2 = performance.now(); console.log(s, 'cpu', Math.round(c2 - c), 'wall', Math.round(w2 - w)); c = c2; w = w2; };
const db = await openDb(undefined, 'memory://'); lap('open memory pglite');
await db.close(); lap('close');
const db2 = await openDb(undefined, 'memory://'); lap('open memory pglite 2');
await db2.close();
for (let i = 0; i < 3; i++) { c = cpu(); w = performance.now(); const a = await buildTestApp(); lap('buildTestApp'); await a.close(); lap('close'); }
c = cpu(); w = performance.now(); const a = await buildTestApp({ seed: true }); lap('buildTestApp seed'); await a.close();

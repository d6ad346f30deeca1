// The performance benchmark's other process: a Cityscape app on the same PostgreSQL database with
// no workers (it ingests nothing itself), serving live streams. Its figures move only through
// PostgreSQL LISTEN/NOTIFY from the process that ingests. Tells the parent its port over IPC.
import type { AddressInfo } from 'node:net';
import { buildApp } from '../src/app.js';
import { testConfig } from '../src/config.js';

const w = JSON.parse(process.env.BENCH_SERVER!) as { databaseUrl: string; port: number };
const built = await buildApp({
  config: testConfig({ databaseUrl: w.databaseUrl, logLevel: 'silent', workers: false, rateLimitPerMinute: 1_000_000_000 }),
});
await built.app.listen({ port: w.port, host: '127.0.0.1' });
await built.modules.performance.hub.ready();
process.on('disconnect', () => {
  void built.close().finally(() => process.exit(0));
});
process.send!({ port: (built.app.server.address() as AddressInfo).port });

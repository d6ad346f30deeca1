// The consent benchmark's other process: a Cityscape app on the same PostgreSQL database, with
// its own pool, LISTEN connection and decision cache. Over IPC it warms a citizen's decision
// ({ warm }) and then watches it ({ watch }): decide in a tight loop until the answer turns to
// "not allowed", replying with the wall-clock time (ms, sub-millisecond) it first saw that.
import { buildApp } from '../src/app.js';
import { testConfig } from '../src/config.js';

const w = JSON.parse(process.env.BENCH_WATCHER!) as { databaseUrl: string; serviceId: string; purpose: string; attributes: string[] };
const built = await buildApp({ config: testConfig({ databaseUrl: w.databaseUrl, logLevel: 'silent', workers: false }) });
await built.app.ready();
const consent = built.modules.consent;
const now = () => performance.timeOrigin + performance.now();
const ask = (subject: string) => consent.decide({ subject, consumerServiceId: w.serviceId, purpose: w.purpose, attributes: w.attributes });

process.on('message', async (m: { warm?: string; watch?: string; timeoutMs?: number }) => {
  if (m.warm) {
    const d = await ask(m.warm);
    process.send!({ allow: d.allow, peers: consent.service.ctx.decider.peerCount() });
    return;
  }
  if (m.watch) {
    const until = Date.now() + (m.timeoutMs ?? 5000);
    process.send!({ watching: true });
    for (;;) {
      const d = await ask(m.watch);
      if (!d.allow) return process.send!({ seenAt: now() });
      if (Date.now() > until) return process.send!({ seenAt: null });
      await new Promise((r) => setImmediate(r));
    }
  }
});
process.on('disconnect', () => {
  void built.close().finally(() => process.exit(0));
});
process.send!({ ready: true });

// Availability: the platform's own probe of each service's start page, every minute (by one
// process at a time). Up is any answer below 500 within 10 seconds, redirects included; down is
// a 5xx, a timeout or no answer. Only up/down, the status and the time taken are kept — never
// the page. A start page given as a path is probed on this site's public address.
import type { Logger } from 'pino';
import type { Db } from '../../kernel/db.js';
import type { CatalogueService } from '../catalogue/index.js';
import type { Measurement } from './measure.js';
import { writeMeasurements } from './ingest.js';
import { staffStore } from './staff-store.js';

const TIMEOUT_MS = 10_000;
const AT_ONCE = 10;

export async function probe(url: string): Promise<{ up: boolean; status: number; ms: number }> {
  const started = Date.now();
  try {
    const res = await fetch(url, {
      method: 'GET',
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
      headers: { 'user-agent': 'Cityscape-availability-probe/1' },
    });
    await res.body?.cancel().catch(() => {});
    return { up: res.status < 500, status: res.status, ms: Date.now() - started };
  } catch {
    return { up: false, status: 0, ms: Date.now() - started };
  }
}

export function createProbes(deps: { db: Db; log: Logger; catalogue: CatalogueService; publicUrl: string; everySeconds: number }) {
  const { db, log, catalogue, publicUrl, everySeconds } = deps;

  /** Probes every service with a start page once; returns how many were probed. */
  async function round(): Promise<number> {
    const targets = (await catalogue.listServices())
      .map((s) => {
        try {
          return s.start_url && /^(https?:\/\/|\/)/i.test(s.start_url)
            ? { id: s.id, url: new URL(s.start_url, publicUrl).toString() }
            : null;
        } catch {
          return null;
        }
      })
      .filter((x): x is { id: string; url: string } => x !== null);
    const rows: Measurement[] = [];
    for (let i = 0; i < targets.length; i += AT_ONCE) {
      const results = await Promise.all(targets.slice(i, i + AT_ONCE).map(async (x) => ({ ...x, ...(await probe(x.url)) })));
      for (const r of results)
        rows.push({
          serviceId: r.id,
          at: new Date(),
          type: 'availability.probe',
          dim: r.up ? 'up' : 'down',
          key: null,
          value: r.up ? 1 : 0,
          props: { status: r.status, ms: r.ms },
        });
    }
    if (rows.length) await db.transaction((tx) => writeMeasurements(tx, rows));
    return rows.length;
  }

  return {
    round,
    async tick(): Promise<void> {
      if (everySeconds > 0 && (await staffStore.claimTick(db, 'probes', everySeconds * 1000))) {
        await round().catch((err) => log.error({ err }, 'availability probes failed'));
      }
    },
  };
}

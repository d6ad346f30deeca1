// Live figures in every process. Each ingestion commit NOTIFYs the ids of the services whose
// figures moved; every process LISTENs, and for the services someone here is watching it
// recomputes today's figures (at most every 100 ms a service) and hands them to each watcher:
// SSE streams and in-process `live()` callbacks (rooms). Live users decay with no events at
// all, so watched services are also refreshed every 15 seconds.
import type { Db } from '../../kernel/db.js';
import type { Logger } from 'pino';
import { CHANGED_CHANNEL } from './ingest.js';
import { UUID } from './measure.js';

export interface LiveFigures {
  serviceId: string;
  figures: Record<string, number>;
  at: string;
}
type Watcher = (f: LiveFigures) => void;

export function createLiveHub(opts: {
  db: Db;
  log: Logger;
  compute: (serviceIds: string[]) => Promise<Map<string, Record<string, number>>>;
  coalesceMs?: number;
  refreshMs?: number;
}) {
  const { db, log, compute } = opts;
  const coalesceMs = opts.coalesceMs ?? 100;
  const refreshMs = opts.refreshMs ?? 15_000;
  const watchers = new Map<string, Set<Watcher>>();
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let refresher: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;
  let listening: Promise<(() => Promise<void>) | undefined> | null = null;
  let stopped = false;

  function onNotify(payload: string) {
    for (const id of payload.split(',')) if (watchers.has(id)) pending.add(id);
    if (pending.size) schedule();
  }

  function schedule() {
    if (timer || stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      void flush();
    }, coalesceMs);
  }

  async function flush(): Promise<void> {
    if (running) {
      await running;
      if (pending.size) schedule();
      return;
    }
    const ids = [...pending];
    pending.clear();
    if (!ids.length) return;
    running = (async () => {
      try {
        const figures = await compute(ids);
        const at = new Date().toISOString();
        for (const id of ids) {
          const f = figures.get(id);
          if (!f) continue;
          for (const w of watchers.get(id) ?? []) {
            try {
              w({ serviceId: id, figures: f, at });
            } catch (err) {
              log.warn({ err }, 'a live figures watcher failed');
            }
          }
        }
      } catch (err) {
        log.error({ err }, 'computing live figures failed');
      }
    })();
    await running;
    running = null;
    if (pending.size) schedule();
  }

  function ensureListening() {
    if (listening || stopped) return;
    listening = db.listen(CHANGED_CHANNEL, onNotify).catch((err) => {
      log.warn({ err }, 'live performance figures: LISTEN unavailable; refreshing on a timer only');
      return undefined;
    });
    refresher = setInterval(() => {
      for (const id of watchers.keys()) pending.add(id);
      schedule();
    }, refreshMs);
    refresher.unref();
  }

  return {
    /** Watch services' figures: `onFigures` gets them now and each time they change. Returns the unsubscribe function. */
    watch(serviceIds: string[], onFigures: Watcher): () => void {
      const ids = [...new Set(serviceIds.filter((id) => typeof id === 'string' && UUID.test(id)).map((id) => id.toLowerCase()))];
      ensureListening();
      for (const id of ids) {
        if (!watchers.has(id)) watchers.set(id, new Set());
        watchers.get(id)!.add(onFigures);
        pending.add(id);
      }
      schedule();
      return () => {
        for (const id of ids) {
          const set = watchers.get(id);
          set?.delete(onFigures);
          if (set && !set.size) watchers.delete(id);
        }
      };
    },
    /** Resolves once this process is LISTENing (tests, benches). */
    async ready(): Promise<void> {
      ensureListening();
      await listening;
    },
    watching: () => watchers.size,
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (refresher) clearInterval(refresher);
      watchers.clear();
      const unlisten = await listening;
      await unlisten?.();
      await running;
    },
  };
}
export type LiveHub = ReturnType<typeof createLiveHub>;

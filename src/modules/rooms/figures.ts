// The figures of a room's shared view, live: for each room someone here is in, this process
// watches its services through performance.live (fed by LISTEN/NOTIFY in every process) and,
// when they move or the view changes, computes the view's KPIs over its period once and sends
// them to this process's sockets in the room. Every process reads the same database, so everyone
// sees the same numbers.
import type { Logger } from 'pino';
import type { Kpis, LiveFigures } from '../performance/index.js';
import { PERIOD_MS, type SharedView } from './view.js';

export interface PerformanceLike {
  kpis(serviceId: string, range: { from: Date; to: Date }): Promise<Kpis>;
  live(serviceIds: string[], onFigures: (f: LiveFigures) => void): () => void;
}

export interface RoomFigures {
  period: SharedView['period'];
  at: string;
  services: Record<string, { current: Kpis; previous: Kpis | null }>;
}

export async function computeFigures(perf: PerformanceLike, view: SharedView, now = new Date()): Promise<RoomFigures> {
  const span = PERIOD_MS[view.period];
  const from = new Date(now.getTime() - span);
  const services: RoomFigures['services'] = {};
  await Promise.all(
    view.services.map(async (id) => {
      const [current, previous] = await Promise.all([
        perf.kpis(id, { from, to: now }),
        view.filters.compare ? perf.kpis(id, { from: new Date(from.getTime() - span), to: from }) : Promise.resolve(null),
      ]);
      services[id] = { current, previous };
    }),
  );
  return { period: view.period, at: now.toISOString(), services };
}

/** Per-process live figures for the rooms this process has people in. */
export function createFigureWatch(opts: { perf: PerformanceLike; log: Logger; coalesceMs?: number }) {
  const { perf, log } = opts;
  const coalesceMs = opts.coalesceMs ?? 250;
  const watched = new Map<
    string,
    { view: SharedView; unwatch: () => void; timer?: NodeJS.Timeout; send: (f: RoomFigures) => void; first: boolean }
  >();

  function subscribe(room: string) {
    const w = watched.get(room)!;
    w.unwatch();
    w.first = true;
    w.unwatch = perf.live(w.view.services, () => {
      // The first call answers the subscription itself: the view's figures were just sent.
      if (w.first) return void (w.first = false);
      schedule(room);
    });
  }
  function schedule(room: string) {
    const w = watched.get(room);
    if (!w || w.timer) return;
    w.timer = setTimeout(() => {
      w.timer = undefined;
      computeFigures(perf, w.view)
        .then((f) => watched.get(room) === w && w.send(f))
        .catch((err) => log.warn({ err, room }, 'rooms: figures could not be computed'));
    }, coalesceMs);
    w.timer.unref?.();
  }
  return {
    /** Start watching a room's figures (idempotent); `send` gets each new set. */
    watch(room: string, view: SharedView, send: (f: RoomFigures) => void) {
      if (watched.has(room)) return;
      watched.set(room, { view, unwatch: () => {}, send, first: true });
      subscribe(room);
    },
    /** The room's view changed (its message carried the figures): watch its services from now on. */
    changed(room: string, view: SharedView) {
      const w = watched.get(room);
      if (!w) return;
      w.view = view;
      subscribe(room);
    },
    unwatch(room: string) {
      const w = watched.get(room);
      if (!w) return;
      w.unwatch();
      if (w.timer) clearTimeout(w.timer);
      watched.delete(room);
    },
    stop() {
      for (const room of [...watched.keys()]) this.unwatch(room);
    },
  };
}

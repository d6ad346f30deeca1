// Fan-out of a room's messages to every Cityscape process: each message is a NOTIFY on one
// channel (sent inside the transaction that records it, so it goes out only if that commits);
// every process LISTENs and hands it to the sockets it holds for that room. Even a process's own
// messages take this path, so everyone sees them in the same order. A message too large for a
// NOTIFY payload waits in rooms.relay and the NOTIFY carries its id.
import type { Logger } from 'pino';
import type { Db, Queryable } from '../../kernel/db.js';
import { store } from './store.js';

export const CHANNEL = 'rooms';
/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more. */
const INLINE_MAX = 7000;

export interface Envelope {
  room: string;
  /** Only to this participant (a signalling message, an admission). */
  to?: string;
  /** To everyone but this participant (their own echo). */
  except?: string;
  /** Close this participant's sockets (removed, refused, the call ended: '*'). */
  kick?: { participant: string; code: number; reason: string; /** but not this connection */ keep?: string };
  msg?: Record<string, unknown>;
}

export interface Conn {
  cid?: string;
  room: string;
  participant: string;
  /** Waiting in the lobby: gets only messages addressed to it. */
  lobby: boolean;
  send(text: string): void;
  close(code: number, reason: string): void;
}

export function createHub(opts: { db: Db; log: Logger; onEnvelope?: (e: Envelope) => void }) {
  const { db, log } = opts;
  const rooms = new Map<string, Set<Conn>>();
  let listening: Promise<(() => Promise<void>) | undefined> | null = null;
  let stopped = false;
  const roomListeners = new Set<(e: Envelope) => void>();

  function deliver(e: Envelope) {
    for (const l of roomListeners) l(e);
    const conns = rooms.get(e.room);
    if (!conns) return;
    const text = e.msg ? JSON.stringify(e.msg) : '';
    for (const c of [...conns]) {
      if (e.msg) {
        const addressed = e.to === c.participant;
        if ((e.to && !addressed) || e.except === c.participant || (c.lobby && !addressed)) continue;
        c.send(text);
      }
      const k = e.kick;
      if (k && (k.participant === '*' || k.participant === c.participant) && (!k.keep || k.keep !== c.cid)) c.close(k.code, k.reason);
    }
  }

  async function onNotify(payload: string) {
    try {
      let body = payload;
      if (payload.startsWith('#')) {
        const [room, id] = payload.slice(1).split(':');
        if (!rooms.has(room)) return; // no one here for it
        body = (await store.relay(db, Number(id))) ?? '';
        if (!body) return;
      }
      deliver(JSON.parse(body) as Envelope);
    } catch (err) {
      log.warn({ err }, 'rooms: a message could not be delivered');
    }
  }

  function ensureListening() {
    if (listening || stopped) return listening;
    listening = db
      .listen(CHANNEL, (p) => void onNotify(p))
      .catch((err) => {
        log.error({ err }, 'rooms: LISTEN failed; calls will not work');
        return undefined;
      });
    return listening;
  }

  return {
    /** Send to a room's sockets in every process; with `tx`, only once it commits. */
    async publish(tx: Queryable | null, e: Envelope): Promise<void> {
      const q = tx ?? db;
      let payload = JSON.stringify(e);
      if (Buffer.byteLength(payload) > INLINE_MAX) payload = `#${e.room}:${await store.putRelay(q, e.room, payload)}`;
      await q.query(`SELECT pg_notify('${CHANNEL}', $1)`, [payload]);
    },
    /** Only to this process's sockets in the room (figures each process computes for its own). */
    deliverLocal(e: Envelope) {
      deliver(e);
    },
    add(c: Conn) {
      void ensureListening();
      if (!rooms.has(c.room)) rooms.set(c.room, new Set());
      rooms.get(c.room)!.add(c);
    },
    remove(c: Conn): boolean {
      const set = rooms.get(c.room);
      set?.delete(c);
      if (set && !set.size) {
        rooms.delete(c.room);
        return true; // no one left here in this room
      }
      return false;
    },
    /** Everything delivered to this process, before its sockets get it (the room's figures follow view changes). */
    onEnvelope(l: (e: Envelope) => void) {
      roomListeners.add(l);
    },
    local: (room: string) => rooms.get(room)?.size ?? 0,
    connections: () => [...rooms.values()].reduce((n, s) => n + s.size, 0),
    ready: async () => {
      await ensureListening();
    },
    async stop() {
      stopped = true;
      for (const set of rooms.values()) for (const c of set) c.close(1001, 'server shutting down');
      rooms.clear();
      const unlisten = await listening;
      await unlisten?.();
    },
  };
}
export type Hub = ReturnType<typeof createHub>;

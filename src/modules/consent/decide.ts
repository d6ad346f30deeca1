// consent.decide: may this service use these facts about this person for this purpose, now?
// Answered from a per-process cache of each citizen's consent records, loaded with one query
// and dropped whenever the citizen's consents change — here at once, and in every other
// process through PostgreSQL LISTEN/NOTIFY (channel consent_subjects, payload the account id).
// A load that raced with a change is not kept (epoch check), so a withdrawal cannot be
// undone by a stale read.
//
// "Effective for the very next request in every process": every process pings the others
// each second (consent_ping), so each knows who is listening; a writer that takes consent away
// waits (up to 1 s) until every live process has acknowledged dropping the citizen
// (consent_acks) before it answers. A process that stops hearing its own pings — its listening
// connection is gone — stops trusting its cache and reads the database on every decide.
import { randomUUID } from 'node:crypto';
import type { Db } from '../../kernel/db.js';
import { recordStore, SUBJECT_CHANNEL, type RecordStatus } from './store-records.js';
import { createCache } from '../../kernel/cache.js';

export interface DecideInput {
  subject: string;
  consumerServiceId: string;
  purpose: string;
  attributes: string[];
  at?: Date;
}
export type DecideReason = 'no_record' | 'withdrawn' | 'expired' | 'declined' | 'attributes_not_covered';
export interface Decision {
  allow: boolean;
  basis: 'consent' | null;
  recordId: string | null;
  allowedAttributes: string[];
  expiresAt: string | null;
  reason?: DecideReason;
}

interface Entry {
  id: string;
  serviceId: string;
  purpose: string;
  optIn: boolean;
  status: RecordStatus;
  attrs: Set<string>;
  expiresAt: number | null;
  updatedAt: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TTL_MS = 10 * 60_000; // a safety net only: changes arrive by NOTIFY
const PING_CHANNEL = 'consent_ping';
const ACK_CHANNEL = 'consent_acks';
const PING_MS = 1000;
const PEER_TIMEOUT_MS = 3500;
const MAX_SUBJECTS = 200_000;
const no = (reason: DecideReason, e?: Entry, allowed: string[] = []): Decision => ({
  allow: false,
  basis: null,
  recordId: e?.id ?? null,
  allowedAttributes: allowed,
  expiresAt: e?.expiresAt ? new Date(e.expiresAt).toISOString() : null,
  reason,
});

export function createDecider(db: Db) {
  // The kernel's bounded LRU; invalidation across processes stays this module's own (withdrawals
  // wait for every live process to confirm it dropped the subject: see invalidate and the pings).
  const cache = createCache<Entry[]>({ ttlMs: TTL_MS, max: MAX_SUBJECTS });
  const inflight = new Map<string, Promise<Entry[]>>();
  const listeners = new Set<(subject: string) => void>();
  const waiting = new Map<string, { pending: Set<string>; done: () => void }>();
  const me = randomUUID();
  const peers = new Map<string, number>(); // process id → when last heard
  let lastSelf = 0;
  let epoch = 0;
  let stops: Array<() => Promise<void>> = [];
  let pinger: NodeJS.Timeout | undefined;
  const safe = () => Date.now() - lastSelf < PEER_TIMEOUT_MS;
  const ping = () => void db.query(`SELECT pg_notify('${PING_CHANNEL}', $1)`, [me]).catch(() => {});

  function invalidate(subject: string) {
    epoch++;
    if (subject === '*') cache.clear();
    else cache.delete(subject);
    for (const l of listeners) {
      try {
        l(subject);
      } catch {
        /* a listener's failure is its own */
      }
    }
  }

  async function load(subject: string): Promise<Entry[]> {
    const started = epoch;
    const rows = await recordStore.decisionRows(db, subject);
    const entries = rows.map((r) => ({
      id: r.id,
      serviceId: r.service_id,
      purpose: r.dpv_purpose,
      optIn: r.opt_in,
      status: r.status,
      attrs: new Set(r.attributes),
      expiresAt: r.expires_at ? new Date(r.expires_at).getTime() : null,
      updatedAt: new Date(r.updated_at).getTime(),
    }));
    if (epoch === started && safe()) cache.set(subject, entries);
    return entries;
  }

  function entriesOf(subject: string): Entry[] | Promise<Entry[]> {
    const hit = cache.get(subject);
    if (hit && safe()) return hit;
    let p = inflight.get(subject);
    if (!p) {
      p = load(subject).finally(() => inflight.delete(subject));
      inflight.set(subject, p);
    }
    return p;
  }

  function answer(entries: Entry[], input: DecideInput): Decision {
    const at = input.at ? input.at.getTime() : Date.now();
    const candidates = entries.filter((e) => e.serviceId === input.consumerServiceId && e.purpose === input.purpose);
    if (!candidates.length) return no('no_record');
    const live = candidates.filter((e) => e.optIn && (e.expiresAt === null || e.expiresAt > at));
    if (!live.length) {
      const latest = candidates.reduce((a, b) => (b.updatedAt > a.updatedAt ? b : a));
      if (latest.status === 'withdrawn') return no('withdrawn', latest);
      if (latest.status === 'declined') return no('declined', latest);
      return no('expired', latest);
    }
    const wanted = [...new Set(input.attributes)];
    let best = live[0];
    let covered = wanted.filter((a) => best.attrs.has(a));
    for (const e of live.slice(1)) {
      const c = wanted.filter((a) => e.attrs.has(a));
      if (c.length > covered.length) [best, covered] = [e, c];
    }
    if (covered.length < wanted.length) return no('attributes_not_covered', best, covered);
    return {
      allow: true,
      basis: 'consent',
      recordId: best.id,
      allowedAttributes: covered,
      expiresAt: best.expiresAt ? new Date(best.expiresAt).toISOString() : null,
    };
  }

  return {
    async start(): Promise<void> {
      if (stops.length) return;
      stops = [
        await db.listen(SUBJECT_CHANNEL, (payload) => {
          const [subject, token] = payload.split(' ');
          invalidate(subject || '*');
          if (token) void db.query(`SELECT pg_notify('${ACK_CHANNEL}', $1)`, [`${token} ${me}`]).catch(() => {});
        }),
        await db.listen(ACK_CHANNEL, (payload) => {
          const [token, pid] = payload.split(' ');
          const w = waiting.get(token);
          if (!w) return;
          w.pending.delete(pid);
          if (!w.pending.size) w.done();
        }),
        await db.listen(PING_CHANNEL, (pid) => {
          const now = Date.now();
          peers.set(pid, now);
          if (pid === me) lastSelf = now;
          if (peers.size > 1000) for (const [p, at] of peers) if (now - at > PEER_TIMEOUT_MS) peers.delete(p);
        }),
      ];
      ping();
      pinger = setInterval(ping, PING_MS);
      pinger.unref();
    },
    async stop(): Promise<void> {
      clearInterval(pinger);
      for (const s of stops) await s();
      stops = [];
      lastSelf = 0;
    },

    async decide(input: DecideInput): Promise<Decision> {
      if (typeof input?.subject !== 'string' || !UUID.test(input.subject)) return no('no_record');
      if (!Array.isArray(input.attributes) || input.attributes.some((a) => typeof a !== 'string')) {
        throw new TypeError('consent.decide: attributes must be an array of attribute ids');
      }
      const e = entriesOf(input.subject.toLowerCase());
      return answer(Array.isArray(e) ? e : await e, input);
    },

    /** Drops a citizen's cached decisions in this process ('*' for everyone's). */
    invalidate,

    /**
     * For a writer that takes consent away: the NOTIFY payload to send in its transaction, and
     * `settled()` to await after commit — this process forgets at once, and the writer resumes
     * when every process heard from in the last few seconds has acknowledged, or after 1 s.
     */
    notice(subject: string) {
      const token = randomUUID();
      const now = Date.now();
      const pending = new Set([...peers].filter(([, at]) => now - at < PEER_TIMEOUT_MS).map(([p]) => p));
      let done!: () => void;
      const acked = new Promise<void>((resolve) => (done = resolve));
      if (!stops.length) pending.clear();
      waiting.set(token, { pending, done });
      return {
        payload: `${subject} ${token}`,
        async settled(): Promise<void> {
          invalidate(subject);
          let timer: NodeJS.Timeout | undefined;
          if (pending.size) await Promise.race([acked, new Promise<void>((r) => (timer = setTimeout(r, 1000)))]);
          clearTimeout(timer);
          waiting.delete(token);
        },
        cancel: () => waiting.delete(token),
      };
    },

    /** Processes heard from in the last few seconds (this one included). */
    peerCount: () => [...peers.values()].filter((at) => Date.now() - at < PEER_TIMEOUT_MS).length,

    onChange(listener: (subject: string) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
export type Decider = ReturnType<typeof createDecider>;

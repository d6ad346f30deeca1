// The access log: an append-only RFC 9162 Merkle tree in PostgreSQL. Appends are grouped: the
// requests waiting at one moment are written in one statement (one round trip, one commit),
// with every complete aligned subtree's hash and their outbox events; processes never write the
// same leaf index (it is the primary key: a process that lost the race reads the head again),
// and each request gets its leaf index and hash only once that statement has committed — so no
// data leaves before its entry is durable. Signed tree heads, inclusion and consistency proofs read O(log n) stored
// hashes; verify() recomputes everything from the entries.
import { createHash, type KeyObject, sign, verify as verifySig } from 'node:crypto';
import type { Db, Queryable } from '../../kernel/db.js';
import { EVENTS_CHANNEL } from '../../kernel/events.js';
import { canonicalJson } from './canonical.js';
import { consistencyRanges, decompose, foldRange, inclusionRanges, leafHash, nodeHash, type NodeRef } from './merkle.js';

const MAX_BATCH = 2000;

export interface LogEntry {
  v: 1;
  id: string; // random: two identical requests still make two leaves
  at: string;
  node: string;
  x_road_id: string;
  client: string;
  service: string;
  method: string;
  user_id: string | null;
  issue: string | null;
  represented_party: string | null;
  purpose: string | null;
  basis: string | null;
  subject: string | null;
  attributes: string[];
  outcome: 'released' | 'refused' | 'provider_error' | 'failed';
  status: number;
  error: string | null;
  request_sha256: string;
  response_sha256: string | null;
  visible_from: string | null;
}
export interface Appended {
  index: number;
  leafHash: Buffer;
}
export interface Sth {
  tree_size: number;
  timestamp: number;
  root_hash: string;
  signature: string;
  key_id: string;
}
interface Pending {
  entry: LogEntry;
  event?: { type: string; payload: Record<string, unknown> };
  resolve(a: Appended): void;
  reject(e: unknown): void;
}

/** RFC 9162 §4.10 TreeHead, TLS-encoded: the bytes a signed tree head signs. */
export function treeHeadBytes(timestamp: number, size: number, root: Buffer): Buffer {
  const b = Buffer.alloc(8 + 8 + 1 + root.length + 2);
  b.writeBigUInt64BE(BigInt(timestamp), 0);
  b.writeBigUInt64BE(BigInt(size), 8);
  b.writeUInt8(root.length, 16);
  root.copy(b, 17);
  b.writeUInt16BE(0, 17 + root.length); // no extensions
  return b;
}

export function verifySth(sth: Sth, key: KeyObject): boolean {
  try {
    return verifySig(
      null,
      treeHeadBytes(sth.timestamp, sth.tree_size, Buffer.from(sth.root_hash, 'base64')),
      key,
      Buffer.from(sth.signature, 'base64'),
    );
  } catch {
    return false;
  }
}

async function fetchNodes(db: Queryable, refs: NodeRef[]): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  if (!refs.length) return out;
  const { rows } = await db.query<{ level: number; idx: number; hash: Buffer }>(
    `SELECT n.level, n.idx, n.hash FROM exchange.log_nodes n
       JOIN unnest($1::smallint[], $2::bigint[]) AS w(level, idx) ON n.level = w.level AND n.idx = w.idx`,
    [refs.map((r) => r.level), refs.map((r) => r.index)],
  );
  for (const r of rows) out.set(`${r.level}/${Number(r.idx)}`, Buffer.from(r.hash));
  return out;
}

async function rangeRoots(db: Queryable, ranges: Array<[number, number]>): Promise<Buffer[]> {
  const parts = ranges.map(([a, b]) => decompose(a, b));
  const nodes = await fetchNodes(db, parts.flat());
  return parts.map((refs) =>
    foldRange(
      refs.map((r) => {
        const h = nodes.get(`${r.level}/${r.index}`);
        if (!h) throw new Error(`log node ${r.level}/${r.index} is missing`);
        return h;
      }),
    ),
  );
}

/** What this process believes the tree is: its size and the roots of its complete aligned subtrees, left to right. */
interface Head {
  size: number;
  frontier: Array<{ level: number; index: number; hash: Buffer }>;
}

// Every entry of a batch, its subtree hashes and its outbox event, in one statement (so one
// round trip and one commit), and one NOTIFY to the outbox's subscribers at that commit.
const APPEND = `WITH e AS (
    INSERT INTO exchange.log_entries (leaf_index, leaf_hash, entry, at, subject, client, service, outcome, x_road_id, visible_from)
    SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::timestamptz[])),
  n AS (INSERT INTO exchange.log_nodes (level, idx, hash) SELECT * FROM unnest($11::smallint[], $12::bigint[], $13::bytea[])),
  ev AS (INSERT INTO kernel.events (stream, type, payload) SELECT * FROM unnest($14::text[], $15::text[], $16::jsonb[]))
  SELECT CASE WHEN cardinality($14::text[]) > 0 THEN pg_notify('${EVENTS_CHANNEL}', '') END`;
const UNIQUE_VIOLATION = '23505';
const MAX_ATTEMPTS = 20;

export function createLog(deps: { db: Db; signer: () => Promise<{ kid: string; key: KeyObject }> }) {
  const { db } = deps;
  let queue: Pending[] = [];
  let flushing = false;
  let head: Head | null = null;

  async function readHead(): Promise<Head> {
    const n = await size();
    const refs = decompose(0, n);
    const have = await fetchNodes(db, refs);
    const frontier = refs.map((r) => ({ level: r.level, index: r.index, hash: have.get(`${r.level}/${r.index}`)! }));
    if (frontier.some((f) => !f.hash)) throw new Error('the log is missing a stored subtree hash');
    return { size: n, frontier };
  }

  /**
   * Appends optimistically from the head this process last saw: leaf indices are the primary
   * key, so when another process has appended since, the statement fails whole (nothing is
   * written), the head is read again and the batch is placed after it. One process appending
   * alone never reads the head back.
   */
  async function writeBatch(batch: Pending[]): Promise<Appended[]> {
    const texts = batch.map((p) => canonicalJson(p.entry));
    const leaves = texts.map((t) => leafHash(t));
    for (let attempt = 1; ; attempt++) {
      const h = head ?? (await readHead());
      const start = h.size;
      const stack = [...h.frontier];
      const levels: number[] = [];
      const idxs: number[] = [];
      const hashes: Buffer[] = [];
      const keep = (n: { level: number; index: number; hash: Buffer }) => {
        levels.push(n.level);
        idxs.push(n.index);
        hashes.push(n.hash);
      };
      leaves.forEach((leaf, i) => {
        let top = { level: 0, index: start + i, hash: leaf };
        keep(top);
        while (stack.length && stack[stack.length - 1].level === top.level) {
          const left = stack.pop()!;
          top = { level: top.level + 1, index: left.index / 2, hash: nodeHash(left.hash, top.hash) };
          keep(top);
        }
        stack.push(top);
      });
      const e = batch.map((p) => p.entry);
      const withEvents = batch.map((p, i) => ({ p, i })).filter((x) => x.p.event);
      try {
        await db.query(APPEND, [
          e.map((_, i) => start + i),
          leaves,
          texts,
          e.map((x) => x.at),
          e.map((x) => x.subject),
          e.map((x) => x.client),
          e.map((x) => x.service),
          e.map((x) => x.outcome),
          e.map((x) => x.x_road_id),
          e.map((x) => x.visible_from),
          levels,
          idxs,
          hashes,
          withEvents.map((x) => `exchange.log:${x.p.entry.id}`),
          withEvents.map((x) => x.p.event!.type),
          // No personal data: where the entry is.
          withEvents.map((x) => JSON.stringify({ ...x.p.event!.payload, leaf_index: start + x.i })),
        ]);
      } catch (err) {
        head = null;
        if ((err as { code?: string }).code === UNIQUE_VIOLATION && attempt < MAX_ATTEMPTS) continue;
        throw err;
      }
      head = { size: start + batch.length, frontier: stack };
      return batch.map((_, i) => ({ index: start + i, leafHash: leaves[i] }));
    }
  }

  async function flush() {
    if (flushing) return;
    flushing = true;
    try {
      while (queue.length) {
        const batch = queue.slice(0, MAX_BATCH);
        queue = queue.slice(batch.length);
        try {
          const done = await writeBatch(batch);
          batch.forEach((p, i) => p.resolve(done[i]));
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      flushing = false;
    }
  }

  async function size(q: Queryable = db): Promise<number> {
    const { rows } = await q.query<{ n: number }>('SELECT coalesce(max(leaf_index) + 1, 0)::bigint AS n FROM exchange.log_entries');
    return Number(rows[0].n);
  }
  const rootAt = async (n: number, q: Queryable = db) => (await rangeRoots(q, [[0, n]]))[0];

  let lastSth: Sth | null = null;

  return {
    /** Resolves once the entry (and its event) is committed: only then may data be returned. */
    append(entry: LogEntry, event?: Pending['event']): Promise<Appended> {
      return new Promise<Appended>((resolve, reject) => {
        queue.push({ entry, event, resolve, reject });
        void flush();
      });
    },
    /** Many entries at once in one transaction (benchmarks, imports). */
    appendMany: (entries: LogEntry[]) => writeBatch(entries.map((entry) => ({ entry, resolve() {}, reject() {} }))),
    size,
    rootAt,

    /** The latest signed tree head; a new one is signed when the tree has grown and the last is older than a second. */
    async sth(): Promise<Sth> {
      const n = await size();
      if (lastSth && (lastSth.tree_size === n || Date.now() - lastSth.timestamp < 1000) && lastSth.tree_size <= n) return lastSth;
      const stored = (
        await db.query<{ tree_size: number; root_hash: Buffer; timestamp: number; signature: Buffer; kid: string }>(
          'SELECT * FROM exchange.log_sths ORDER BY tree_size DESC LIMIT 1',
        )
      ).rows[0];
      if (stored && Number(stored.tree_size) === n) {
        lastSth = {
          tree_size: n,
          timestamp: Number(stored.timestamp),
          root_hash: Buffer.from(stored.root_hash).toString('base64'),
          signature: Buffer.from(stored.signature).toString('base64'),
          key_id: stored.kid,
        };
        return lastSth;
      }
      const root = await rootAt(n);
      const timestamp = Date.now();
      const { kid, key } = await deps.signer();
      const signature = sign(null, treeHeadBytes(timestamp, n, root), key);
      await db.query(
        `INSERT INTO exchange.log_sths (tree_size, root_hash, timestamp, signature, kid) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tree_size) DO NOTHING`,
        [n, root, timestamp, signature, kid],
      );
      lastSth = { tree_size: n, timestamp, root_hash: root.toString('base64'), signature: signature.toString('base64'), key_id: kid };
      return lastSth;
    },

    /** A leaf's index (null when absent) and the tree's size, in one round trip (an inclusion proof's first step). */
    async locate(hash: Buffer): Promise<{ index: number | null; size: number }> {
      const { rows } = await db.query<{ i: number | null; n: number }>(
        `SELECT (SELECT leaf_index FROM exchange.log_entries WHERE leaf_hash = $1) AS i,
                (SELECT coalesce(max(leaf_index) + 1, 0) FROM exchange.log_entries)::bigint AS n`,
        [hash],
      );
      return { index: rows[0].i === null ? null : Number(rows[0].i), size: Number(rows[0].n) };
    },
    async inclusion(index: number, treeSize: number): Promise<Buffer[]> {
      return rangeRoots(db, inclusionRanges(index, treeSize));
    },
    async consistency(first: number, second: number): Promise<Buffer[]> {
      if (first === 0 || first === second) return [];
      return rangeRoots(db, consistencyRanges(first, second));
    },
    async sths(): Promise<Sth[]> {
      const { rows } = await db.query<{ tree_size: number; root_hash: Buffer; timestamp: number; signature: Buffer; kid: string }>(
        'SELECT * FROM exchange.log_sths ORDER BY tree_size',
      );
      return rows.map((r) => ({
        tree_size: Number(r.tree_size),
        timestamp: Number(r.timestamp),
        root_hash: Buffer.from(r.root_hash).toString('base64'),
        signature: Buffer.from(r.signature).toString('base64'),
        key_id: r.kid,
      }));
    },
  };
}
export type AccessLog = ReturnType<typeof createLog>;

export const sha256hex = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

// Append-only audit log of staff actions: who, what, when, before and after. Written in the
// same transaction as the change it describes. A hash chain makes it tamper-evident: the
// database (migrations/002_audit_chain.sql) gives each entry its id in chain order and the
// SHA-256 of the previous entry's hash and its own canonical content; `verify` recomputes
// every hash here, outside the database, so a row changed, removed or added behind the
// application's back (by a table owner who disabled the triggers) is found and named.
import { createHash } from 'node:crypto';
import type { Db, Queryable } from './db.js';

export interface AuditEntry {
  actor: string;
  action: string;
  subject: string;
  organisationId?: string | null;
  before?: unknown;
  after?: unknown;
}

export interface AuditRow {
  id: number;
  at: Date;
  actor: string;
  action: string;
  subject: string;
  organisation_id: string | null;
  before: unknown;
  after: unknown;
}

/** The outcome of checking the chain: intact (with its length and head), or where it first breaks. */
export type AuditVerification = { ok: true; entries: number; head: string } | AuditBreak;
export interface AuditBreak {
  ok: false;
  entries: number;
  /** The first entry that does not fit (for 'tail', the last one written). */
  badId: number;
  /**
   * changed: its content no longer matches its hash; gap: it does not follow `afterId`; start: it
   * does not start the chain; tail: entries after `afterId` are gone; head: kernel.audit_head is missing.
   */
  kind: 'changed' | 'gap' | 'start' | 'tail' | 'head';
  afterId: number;
  /** In English, for the command line and logs. */
  problem: string;
}

export const GENESIS = '0'.repeat(64);
const BATCH = 2000;

/** The canonical content, as kernel.audit_canonical builds it: each field length-prefixed (bytes), NULL as '~'. */
const field = (v: string | null) => (v === null ? '~,' : `${Buffer.byteLength(v, 'utf8')}:${v},`);
export const entryHash = (prev: string, fields: Array<string | null>) =>
  createHash('sha256')
    .update(prev + fields.map(field).join(''), 'utf8')
    .digest('hex');

interface ChainRow {
  id: number;
  prev_hash: string | null;
  hash: string | null;
  f: Array<string | null>;
}

export function createAudit(db: Db) {
  return {
    async record(tx: Queryable, e: AuditEntry): Promise<void> {
      await tx.query(
        'INSERT INTO kernel.audit_log (actor, action, subject, organisation_id, before, after) VALUES ($1, $2, $3, $4, $5, $6)',
        [
          e.actor,
          e.action,
          e.subject,
          e.organisationId ?? null,
          e.before === undefined ? null : JSON.stringify(e.before),
          e.after === undefined ? null : JSON.stringify(e.after),
        ],
      );
    },
    /** Newest first; `organisationId` limits the view to one organisation's entries. */
    async list(opts: { organisationId?: string | null; limit?: number; offset?: number } = {}): Promise<AuditRow[]> {
      const { rows } = await db.query<AuditRow>(
        `SELECT id, at, actor, action, subject, organisation_id, before, after FROM kernel.audit_log
          WHERE ($1::uuid IS NULL OR organisation_id = $1) ORDER BY id DESC LIMIT $2 OFFSET $3`,
        [opts.organisationId ?? null, opts.limit ?? 50, opts.offset ?? 0],
      );
      return rows;
    },
    /**
     * Walks the whole chain in id order, recomputing each hash from the row's content, and stops
     * at the first entry that does not fit: its content changed, the entry before it was changed
     * or removed, or entries after the last one were removed (the head remembers the last).
     */
    async verify(): Promise<AuditVerification> {
      let prev = GENESIS;
      let prevId = 0;
      let entries = 0;
      const broken = (kind: AuditBreak['kind'], badId: number, afterId: number, problem: string): AuditBreak => ({
        ok: false,
        entries,
        badId,
        kind,
        afterId,
        problem,
      });
      for (;;) {
        const { rows } = await db.query<ChainRow>(
          `SELECT id, prev_hash, hash,
                  ARRAY[id::text, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), actor, action, subject,
                        organisation_id::text, before::text, after::text] AS f
             FROM kernel.audit_log WHERE id > $1 ORDER BY id LIMIT ${BATCH}`,
          [prevId],
        );
        for (const r of rows) {
          if (r.prev_hash !== prev) {
            return prevId === 0
              ? broken('start', r.id, 0, `entry ${r.id} does not start the chain: the entries before it were removed or changed`)
              : broken(
                  'gap',
                  r.id,
                  prevId,
                  `entry ${r.id} does not follow entry ${prevId}: an entry between them was removed, or one of them was changed`,
                );
          }
          if (r.hash !== entryHash(prev, r.f)) {
            return broken('changed', r.id, prevId, `entry ${r.id} was changed after it was written (its hash does not match its content)`);
          }
          prev = r.hash;
          prevId = r.id;
          entries += 1;
        }
        if (rows.length < BATCH) break;
      }
      const { rows: head } = await db.query<{ last_id: number; hash: string }>('SELECT last_id, hash FROM kernel.audit_head');
      if (!head[0]) return broken('head', prevId, prevId, 'the chain head (kernel.audit_head) is missing');
      if (head[0].last_id !== prevId || head[0].hash !== prev) {
        return broken(
          'tail',
          head[0].last_id,
          prevId,
          `the log ends at entry ${prevId}, but entry ${head[0].last_id} was the last written: entries after ${prevId} were removed, or the head was changed`,
        );
      }
      return { ok: true, entries, head: prev };
    },
  };
}
export type Audit = ReturnType<typeof createAudit>;

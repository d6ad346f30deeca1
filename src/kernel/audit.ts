// Append-only audit log of staff actions: who, what, when, before and after.
// Written in the same transaction as the change it describes.
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
  };
}
export type Audit = ReturnType<typeof createAudit>;

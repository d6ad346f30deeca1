// The SQL for forms' tables: forms and their versions, progress, submissions, files, deliveries.
import type { Queryable } from '../../kernel/db.js';
import { EVENTS_CHANNEL } from '../../kernel/events.js';
import type { Definition } from './definition.js';
import type { Progress, SubmittedAnswer } from './engine.js';

export interface FormRow {
  id: string;
  service_id: string;
  slug: string;
  live_version: number | null;
  draft_version: number | null;
  preview_token: string;
  created_at: string;
  updated_at: string;
}
export interface VersionRow {
  form_id: string;
  version: number;
  definition: Definition;
  source: string;
  report: string[];
  created_by: string;
  created_at: string;
}
export interface ProgressRow {
  id: string;
  service_id: string;
  form_id: string;
  version: number;
  key: string;
  preview: boolean;
  account_id: string | null;
  data: Progress;
  expires_at: string;
  submission_id: string | null;
}
export interface SubmissionRow {
  id: string;
  service_id: string;
  form_id: string;
  version: number;
  progress_id: string;
  reference: string;
  language: string;
  answers: SubmittedAnswer[];
  fee: number | null;
  payment_id: string | null;
  account_id: string | null;
  preview: boolean;
  created_at: string;
}
export interface DeliveryRow {
  id: string;
  service_id: string;
  submission_id: string;
  kind: 'webhook' | 'email' | 'api' | 'confirmation';
  target: string;
  state: 'pending' | 'delivered' | 'failed' | 'acknowledged';
  attempts: number;
  last_error: string | null;
  delivered_at: string | null;
  created_at: string;
}

const FORM = 'id, service_id, slug, live_version, draft_version, preview_token, created_at, updated_at';

export const store = {
  async formBySlug(db: Queryable, slug: string): Promise<FormRow | null> {
    return (await db.query<FormRow>(`SELECT ${FORM} FROM forms.forms WHERE slug = $1`, [slug])).rows[0] ?? null;
  },
  async formByService(db: Queryable, serviceId: string): Promise<FormRow | null> {
    return (await db.query<FormRow>(`SELECT ${FORM} FROM forms.forms WHERE service_id = $1`, [serviceId])).rows[0] ?? null;
  },
  async listForms(db: Queryable): Promise<FormRow[]> {
    return (await db.query<FormRow>(`SELECT ${FORM} FROM forms.forms ORDER BY slug`)).rows;
  },
  async liveSlugs(db: Queryable): Promise<Array<{ service_id: string; slug: string }>> {
    return (await db.query<{ service_id: string; slug: string }>('SELECT service_id, slug FROM forms.forms WHERE live_version IS NOT NULL'))
      .rows;
  },
  async insertForm(tx: Queryable, serviceId: string, slug: string, previewToken: string): Promise<FormRow> {
    const { rows } = await tx.query<FormRow>(
      `INSERT INTO forms.forms (service_id, slug, preview_token) VALUES ($1, $2, $3)
       ON CONFLICT (service_id) DO UPDATE SET updated_at = now() RETURNING ${FORM}`,
      [serviceId, slug, previewToken],
    );
    return rows[0];
  },
  async lockForm(tx: Queryable, id: string): Promise<FormRow> {
    return (await tx.query<FormRow>(`SELECT ${FORM} FROM forms.forms WHERE id = $1 FOR UPDATE`, [id])).rows[0];
  },
  async insertVersion(tx: Queryable, formId: string, version: number, def: Definition, source: string, report: string[], by: string) {
    await tx.query(
      'INSERT INTO forms.versions (form_id, version, definition, source, report, created_by) VALUES ($1, $2, $3, $4, $5, $6)',
      [formId, version, JSON.stringify(def), source, JSON.stringify(report), by],
    );
    await tx.query('UPDATE forms.forms SET draft_version = $2, updated_at = now() WHERE id = $1', [formId, version]);
  },
  async setLive(tx: Queryable, formId: string, version: number | null) {
    await tx.query('UPDATE forms.forms SET live_version = $2, updated_at = now() WHERE id = $1', [formId, version]);
  },
  async version(db: Queryable, formId: string, version: number): Promise<VersionRow | null> {
    return (
      (await db.query<VersionRow>('SELECT * FROM forms.versions WHERE form_id = $1 AND version = $2', [formId, version])).rows[0] ?? null
    );
  },
  async versions(db: Queryable, formId: string): Promise<Array<Omit<VersionRow, 'definition'>>> {
    return (
      await db.query<Omit<VersionRow, 'definition'>>(
        'SELECT form_id, version, source, report, created_by, created_at FROM forms.versions WHERE form_id = $1 ORDER BY version DESC',
        [formId],
      )
    ).rows;
  },

  async insertProgress(db: Queryable, p: Omit<ProgressRow, 'expires_at' | 'submission_id'> & { token_hash: string; idleSeconds: number }) {
    await db.query(
      `INSERT INTO forms.progress (id, service_id, form_id, version, token_hash, key, preview, account_id, data, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now() + make_interval(secs => $10))`,
      [p.id, p.service_id, p.form_id, p.version, p.token_hash, p.key, p.preview, p.account_id, JSON.stringify(p.data), p.idleSeconds],
    );
  },
  /**
   * The progress a browser's token names (null if unknown or expired), and whether its idle
   * expiry is more than `slackSeconds` short of `idleSeconds` away, so worth pushing back.
   */
  async progressByToken(
    db: Queryable,
    tokenHash: string,
    idleSeconds: number,
    slackSeconds: number,
  ): Promise<(ProgressRow & { stale: boolean }) | null> {
    const { rows } = await db.query<ProgressRow & { stale: boolean }>(
      `SELECT id, service_id, form_id, version, key, preview, account_id, data, expires_at, submission_id,
              expires_at < now() + make_interval(secs => $2) AS stale
         FROM forms.progress WHERE token_hash = $1 AND expires_at > now()`,
      [tokenHash, idleSeconds - slackSeconds],
    );
    return rows[0] ?? null;
  },
  /** Pushes a progress's idle expiry back; returns the new expiry. */
  async touchProgress(db: Queryable, id: string, idleSeconds: number): Promise<string> {
    const { rows } = await db.query<{ expires_at: string }>(
      `UPDATE forms.progress SET expires_at = greatest(expires_at, now() + make_interval(secs => $2)) WHERE id = $1 RETURNING expires_at`,
      [id, idleSeconds],
    );
    return rows[0]?.expires_at;
  },
  /** Saves the answers; an answer is activity, so the idle expiry is pushed back too. */
  async saveProgress(db: Queryable, id: string, data: Progress, accountId: string | null, idleSeconds: number) {
    await db.query(
      `UPDATE forms.progress SET data = $2, account_id = coalesce($3, account_id), updated_at = now(),
              expires_at = greatest(expires_at, now() + make_interval(secs => $4)) WHERE id = $1`,
      [id, JSON.stringify(data), accountId, idleSeconds],
    );
  },
  async lockProgress(tx: Queryable, id: string): Promise<ProgressRow | null> {
    return (
      (
        await tx.query<ProgressRow>(
          'SELECT id, service_id, form_id, version, key, preview, account_id, data, expires_at, submission_id FROM forms.progress WHERE id = $1 FOR UPDATE',
          [id],
        )
      ).rows[0] ?? null
    );
  },
  async setResume(db: Queryable, id: string, resumeHash: string, days: number) {
    await db.query('UPDATE forms.progress SET resume_hash = $2, expires_at = now() + make_interval(days => $3) WHERE id = $1', [
      id,
      resumeHash,
      days,
    ]);
  },
  /** Swaps a resume link for a new browser token (single use). */
  async resume(db: Queryable, resumeHash: string, tokenHash: string, idleSeconds: number): Promise<ProgressRow | null> {
    const { rows } = await db.query<ProgressRow>(
      `UPDATE forms.progress SET resume_hash = NULL, token_hash = $2, expires_at = now() + make_interval(secs => $3)
        WHERE resume_hash = $1 AND expires_at > now() AND submission_id IS NULL
        RETURNING id, service_id, form_id, version, key, preview, account_id, data, expires_at, submission_id`,
      [resumeHash, tokenHash, idleSeconds],
    );
    return rows[0] ?? null;
  },
  async sweep(db: Queryable) {
    await db.query(
      'DELETE FROM forms.files WHERE submission_id IS NULL AND progress_id IN (SELECT id FROM forms.progress WHERE expires_at < now() AND submission_id IS NULL)',
    );
    await db.query("DELETE FROM forms.progress WHERE expires_at < now() - interval '1 day'");
  },

  async insertFile(
    db: Queryable,
    f: {
      id: string;
      service_id: string;
      progress_id: string;
      question: string;
      name: string;
      type: string;
      size: number;
      sha256: string;
      data: Buffer;
    },
  ) {
    await db.query(
      'INSERT INTO forms.files (id, service_id, progress_id, question, name, type, size, sha256, data) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)',
      [f.id, f.service_id, f.progress_id, f.question, f.name, f.type, f.size, f.sha256, f.data],
    );
  },
  async file(db: Queryable, serviceId: string, submissionId: string, fileId: string) {
    const { rows } = await db.query<{ name: string; type: string; size: number; data: Buffer | Uint8Array }>(
      'SELECT name, type, size, data FROM forms.files WHERE id = $1 AND service_id = $2 AND submission_id = $3',
      [fileId, serviceId, submissionId],
    );
    return rows[0] ?? null;
  },

  /**
   * The submission, its files and its delivery rows in one statement (one round trip): the
   * foreign keys are checked at its end, when the submission row is there.
   */
  async insertSubmission(
    tx: Queryable,
    s: Omit<SubmissionRow, 'created_at'>,
    deliveries: Array<Pick<DeliveryRow, 'id' | 'service_id' | 'submission_id' | 'kind' | 'target'>>,
  ) {
    await tx.query(
      `WITH files AS (UPDATE forms.files SET submission_id = $1 WHERE progress_id = $5),
            deliveries AS (INSERT INTO forms.deliveries (id, service_id, submission_id, kind, target)
                           SELECT d.id, $2, $1, d.kind, d.target FROM unnest($13::uuid[], $14::text[], $15::text[]) AS d(id, kind, target))
       INSERT INTO forms.submissions (id, service_id, form_id, version, progress_id, reference, language, answers, fee, payment_id, account_id, preview)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)`,
      [
        s.id,
        s.service_id,
        s.form_id,
        s.version,
        s.progress_id,
        s.reference,
        s.language,
        JSON.stringify(s.answers),
        s.fee,
        s.payment_id,
        s.account_id,
        s.preview,
        deliveries.map((d) => d.id),
        deliveries.map((d) => d.kind),
        deliveries.map((d) => d.target),
      ],
    );
  },
  /**
   * The whole submission in one statement (one round trip), if the progress is still exactly as
   * the request read it: claims the progress (unsubmitted, same answers and account), then
   * writes the submission, its files, its delivery rows and (unless null) its outbox event with
   * the NOTIFY that wakes the outbox. Nothing is written and false comes back if the progress
   * was already submitted or has changed since it was read.
   */
  async claimAndInsertSubmission(
    tx: Queryable,
    read: Pick<ProgressRow, 'id' | 'data' | 'account_id'>,
    s: Omit<SubmissionRow, 'created_at'>,
    deliveries: Array<Pick<DeliveryRow, 'id' | 'service_id' | 'submission_id' | 'kind' | 'target'>>,
    event: { stream: string; type: string; payload: Record<string, unknown> } | null,
  ): Promise<boolean> {
    const { rows } = await tx.query<{ claimed: boolean }>(
      `WITH claim AS (UPDATE forms.progress SET submission_id = $1, resume_hash = NULL
                       WHERE id = $2 AND submission_id IS NULL AND data = $3::jsonb AND account_id IS NOT DISTINCT FROM $4::text
                       RETURNING id, service_id, form_id, version, account_id, preview),
            sub AS (INSERT INTO forms.submissions (id, service_id, form_id, version, progress_id, reference, language, answers, fee, payment_id, account_id, preview)
                    SELECT $1::uuid, c.service_id, c.form_id, c.version, c.id, $5::text, $6::text, $7::jsonb, $8::int, $9::text, c.account_id, c.preview
                      FROM claim c),
            files AS (UPDATE forms.files SET submission_id = $1 WHERE progress_id = $2 AND EXISTS (SELECT 1 FROM claim)),
            deliveries AS (INSERT INTO forms.deliveries (id, service_id, submission_id, kind, target)
                           SELECT d.id, c.service_id, $1, d.kind, d.target
                             FROM claim c, unnest($10::uuid[], $11::text[], $12::text[]) AS d(id, kind, target)),
            ev AS (INSERT INTO kernel.events (stream, type, payload) SELECT $13::text, $14::text, $15::jsonb FROM claim WHERE $13::text IS NOT NULL RETURNING 1)
       SELECT EXISTS (SELECT 1 FROM claim) AS claimed, (SELECT pg_notify('${EVENTS_CHANNEL}', '') FROM ev) AS woken`,
      [
        s.id,
        read.id,
        JSON.stringify(read.data),
        read.account_id,
        s.reference,
        s.language,
        JSON.stringify(s.answers),
        s.fee,
        s.payment_id,
        deliveries.map((d) => d.id),
        deliveries.map((d) => d.kind),
        deliveries.map((d) => d.target),
        event?.stream ?? null,
        event?.type ?? null,
        event ? JSON.stringify(event.payload) : null,
      ],
    );
    return rows[0].claimed;
  },
  /** Marks a progress submitted (locking it) unless it already was; null then, or if there is none. */
  async claimProgress(tx: Queryable, id: string, submissionId: string): Promise<ProgressRow | null> {
    const { rows } = await tx.query<ProgressRow>(
      `UPDATE forms.progress SET submission_id = $2, resume_hash = NULL WHERE id = $1 AND submission_id IS NULL
       RETURNING id, service_id, form_id, version, key, preview, account_id, data, expires_at, submission_id`,
      [id, submissionId],
    );
    return rows[0] ?? null;
  },
  async submission(db: Queryable, id: string, serviceId?: string): Promise<SubmissionRow | null> {
    const { rows } = await db.query<SubmissionRow>(
      `SELECT * FROM forms.submissions WHERE id = $1 ${serviceId ? 'AND service_id = $2' : ''}`,
      serviceId ? [id, serviceId] : [id],
    );
    return rows[0] ?? null;
  },
  async submissions(db: Queryable, serviceId: string, limit: number, offset = 0): Promise<SubmissionRow[]> {
    return (
      await db.query<SubmissionRow>(
        'SELECT * FROM forms.submissions WHERE service_id = $1 ORDER BY created_at DESC, id LIMIT $2 OFFSET $3',
        [serviceId, limit, offset],
      )
    ).rows;
  },
  async countSubmissions(db: Queryable, serviceId: string): Promise<number> {
    return (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM forms.submissions WHERE service_id = $1', [serviceId])).rows[0].n;
  },
  async filesOf(db: Queryable, submissionId: string) {
    return (
      await db.query<{ id: string; question: string; name: string; type: string; size: number; sha256: string }>(
        'SELECT id, question, name, type, size, sha256 FROM forms.files WHERE submission_id = $1 ORDER BY created_at',
        [submissionId],
      )
    ).rows;
  },

  async lockDelivery(tx: Queryable, id: string): Promise<DeliveryRow | null> {
    return (await tx.query<DeliveryRow>('SELECT * FROM forms.deliveries WHERE id = $1 FOR UPDATE', [id])).rows[0] ?? null;
  },
  async deliveryDone(tx: Queryable, id: string, state: DeliveryRow['state'], error: string | null) {
    await tx.query(
      `UPDATE forms.deliveries SET state = $2, attempts = attempts + 1, last_error = $3,
              delivered_at = CASE WHEN $2 = 'delivered' THEN now() ELSE delivered_at END WHERE id = $1`,
      [id, state, error],
    );
  },
  async deliveryAttempt(db: Queryable, id: string, error: string) {
    await db.query('UPDATE forms.deliveries SET attempts = attempts + 1, last_error = $2 WHERE id = $1', [id, error.slice(0, 500)]);
  },
  async deliveriesOf(db: Queryable, submissionId: string): Promise<DeliveryRow[]> {
    return (await db.query<DeliveryRow>('SELECT * FROM forms.deliveries WHERE submission_id = $1 ORDER BY kind, target', [submissionId]))
      .rows;
  },
  /** Submissions waiting for the team's pull API, oldest first. */
  async pending(db: Queryable, serviceId: string, limit: number): Promise<Array<SubmissionRow & { delivery_id: string }>> {
    return (
      await db.query<SubmissionRow & { delivery_id: string }>(
        `SELECT s.*, d.id AS delivery_id FROM forms.deliveries d JOIN forms.submissions s ON s.id = d.submission_id
          WHERE d.service_id = $1 AND d.kind = 'api' AND d.state = 'pending' ORDER BY d.created_at, d.id LIMIT $2`,
        [serviceId, limit],
      )
    ).rows;
  },
  async acknowledge(db: Queryable, serviceId: string, submissionId: string): Promise<'acknowledged' | 'already' | 'unknown'> {
    const { rows } = await db.query<{ state: string }>(
      `UPDATE forms.deliveries SET state = 'acknowledged', delivered_at = now(), attempts = attempts + 1
        WHERE submission_id = $1 AND service_id = $2 AND kind = 'api' AND state = 'pending' RETURNING state`,
      [submissionId, serviceId],
    );
    if (rows.length) return 'acknowledged';
    const { rows: r2 } = await db.query('SELECT 1 FROM forms.deliveries WHERE submission_id = $1 AND service_id = $2 AND kind = $3', [
      submissionId,
      serviceId,
      'api',
    ]);
    return r2.length ? 'already' : 'unknown';
  },
};

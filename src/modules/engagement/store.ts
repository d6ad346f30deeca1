// The SQL for the `engagement` schema: consultations, options, participants, votes on options,
// comments and the moderation trail. Conversation statements and votes are in store-conversation.ts.
// Every query on a growing table filters by consultation (and so by its service, the tenant).
import type { Queryable } from '../../kernel/db.js';

export interface ConsultationRow {
  id: string;
  service_id: string;
  organisation_id: string;
  mode: 'consultation' | 'conversation';
  subject: 'roadmap' | 'proposal' | 'general';
  roadmap_item_id: string | null;
  proposal: string;
  title: string;
  title_cy: string | null;
  question: string;
  question_cy: string | null;
  background: string;
  background_cy: string | null;
  eligibility: 'anyone' | 'residents' | 'staff';
  area_name: string;
  area_postcodes: string[];
  staff_organisation_id: string | null;
  allow_anonymous: boolean;
  opens_on: string;
  closes_on: string;
  promised_kpis: string[];
  created_by: string;
  created_at: Date;
  response: string | null;
  response_cy: string | null;
  response_decision_id: string | null;
  response_decision: { decided_on: string; decision: string; decided_by: string } | null;
  response_why_not: string | null;
  responded_at: Date | null;
  responded_by: string | null;
  imported_from: string | null;
}

export interface OptionRow {
  id: string;
  consultation_id: string;
  position: number;
  label: string;
  label_cy: string | null;
  support: number;
  oppose: number;
}

export interface CommentRow {
  id: string;
  consultation_id: string;
  participant_id: string;
  parent_id: string | null;
  body: string;
  status: 'published' | 'hidden';
  hidden_reason: string | null;
  redacted: boolean;
  flags: string[];
  reports: number;
  appeal: 'pending' | 'upheld' | 'rejected' | null;
  appeal_text: string | null;
  created_at: Date;
  pid: number;
}

export interface ParticipantRow {
  id: string;
  consultation_id: string;
  person: string;
  pid: number;
  notify_email: string | null;
  told_at: Date | null;
}

export interface ModerationRow {
  id: number;
  target: string;
  action: string;
  reason: string;
  actor: string;
  at: Date;
}

const CONSULTATION_COLUMNS = `id, service_id, organisation_id, mode, subject, roadmap_item_id, proposal, title, title_cy, question,
  question_cy, background, background_cy, eligibility, area_name, area_postcodes, staff_organisation_id, allow_anonymous,
  opens_on, closes_on, promised_kpis, created_by, created_at, response, response_cy, response_decision_id, response_decision, response_why_not,
  responded_at, responded_by, imported_from`;

export type NewConsultation = Omit<
  ConsultationRow,
  | 'id'
  | 'created_at'
  | 'response'
  | 'response_cy'
  | 'response_decision_id'
  | 'response_decision'
  | 'response_why_not'
  | 'responded_at'
  | 'responded_by'
>;

export const store = {
  async insertConsultation(tx: Queryable, c: NewConsultation): Promise<ConsultationRow> {
    const { rows } = await tx.query<ConsultationRow>(
      `INSERT INTO engagement.consultations (service_id, organisation_id, mode, subject, roadmap_item_id, proposal, title, title_cy,
         question, question_cy, background, background_cy, eligibility, area_name, area_postcodes, staff_organisation_id,
         allow_anonymous, opens_on, closes_on, promised_kpis, created_by, imported_from)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22)
       RETURNING ${CONSULTATION_COLUMNS}`,
      [
        c.service_id,
        c.organisation_id,
        c.mode,
        c.subject,
        c.roadmap_item_id,
        c.proposal,
        c.title,
        c.title_cy,
        c.question,
        c.question_cy,
        c.background,
        c.background_cy,
        c.eligibility,
        c.area_name,
        c.area_postcodes,
        c.staff_organisation_id,
        c.allow_anonymous,
        c.opens_on,
        c.closes_on,
        c.promised_kpis,
        c.created_by,
        c.imported_from,
      ],
    );
    return rows[0];
  },
  async insertOptions(tx: Queryable, c: { id: string; service_id: string }, options: Array<{ label: string; label_cy: string | null }>) {
    for (const [i, o] of options.entries())
      await tx.query(`INSERT INTO engagement.options (consultation_id, service_id, position, label, label_cy) VALUES ($1,$2,$3,$4,$5)`, [
        c.id,
        c.service_id,
        i + 1,
        o.label,
        o.label_cy,
      ]);
  },
  async consultation(db: Queryable, id: string): Promise<ConsultationRow | null> {
    const { rows } = await db.query<ConsultationRow>(`SELECT ${CONSULTATION_COLUMNS} FROM engagement.consultations WHERE id = $1`, [id]);
    return rows[0] ?? null;
  },
  async consultations(db: Queryable, f: { serviceIds?: string[]; limit?: number } = {}): Promise<ConsultationRow[]> {
    const { rows } = await db.query<ConsultationRow>(
      `SELECT ${CONSULTATION_COLUMNS} FROM engagement.consultations
        WHERE ($1::uuid[] IS NULL OR service_id = ANY($1::uuid[]))
        ORDER BY opens_on DESC, created_at DESC LIMIT $2`,
      [f.serviceIds ?? null, f.limit ?? 500],
    );
    return rows;
  },
  async options(db: Queryable, consultationId: string): Promise<OptionRow[]> {
    const { rows } = await db.query<OptionRow>(
      `SELECT o.id, o.consultation_id, o.position, o.label, o.label_cy,
              count(*) FILTER (WHERE v.stance = 'support')::int AS support,
              count(*) FILTER (WHERE v.stance = 'oppose')::int AS oppose
         FROM engagement.options o LEFT JOIN engagement.option_votes v ON v.option_id = o.id
        WHERE o.consultation_id = $1 GROUP BY o.id ORDER BY o.position`,
      [consultationId],
    );
    return rows;
  },
  async participantByPerson(db: Queryable, consultationId: string, person: string): Promise<ParticipantRow | null> {
    const { rows } = await db.query<ParticipantRow>(
      `SELECT id, consultation_id, person, pid, notify_email, told_at FROM engagement.participants WHERE consultation_id = $1 AND person = $2`,
      [consultationId, person],
    );
    return rows[0] ?? null;
  },
  /** The person's participant row in this consultation, created on first use (pid: the next number). */
  async ensureParticipant(tx: Queryable, c: { id: string; service_id: string }, person: string): Promise<ParticipantRow> {
    // Serialise new participants of one consultation so pids are dense and unique.
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`engagement.pid:${c.id}`]);
    const { rows } = await tx.query<ParticipantRow>(
      `INSERT INTO engagement.participants (consultation_id, service_id, person, pid)
       SELECT $1, $2, $3, coalesce(max(pid) + 1, 0) FROM engagement.participants WHERE consultation_id = $1
       ON CONFLICT (consultation_id, person) DO UPDATE SET person = EXCLUDED.person
       RETURNING id, consultation_id, person, pid, notify_email, told_at`,
      [c.id, c.service_id, person],
    );
    return rows[0];
  },
  async setNotifyEmail(tx: Queryable, participantId: string, email: string | null) {
    await tx.query('UPDATE engagement.participants SET notify_email = $2 WHERE id = $1', [participantId, email]);
  },
  async setVote(
    tx: Queryable,
    v: { optionId: string; participantId: string; consultationId: string; serviceId: string; stance: string | null },
  ) {
    if (v.stance === null) {
      await tx.query('DELETE FROM engagement.option_votes WHERE option_id = $1 AND participant_id = $2', [v.optionId, v.participantId]);
      return;
    }
    await tx.query(
      `INSERT INTO engagement.option_votes (option_id, participant_id, consultation_id, service_id, stance) VALUES ($1,$2,$3,$4,$5)
       ON CONFLICT (option_id, participant_id) DO UPDATE SET stance = EXCLUDED.stance, at = now()`,
      [v.optionId, v.participantId, v.consultationId, v.serviceId, v.stance],
    );
  },
  async insertComment(
    tx: Queryable,
    c: {
      consultationId: string;
      serviceId: string;
      participantId: string;
      parentId: string | null;
      body: string;
      hash: string;
      flags: string[];
    },
  ): Promise<string> {
    const { rows } = await tx.query<{ id: string }>(
      `INSERT INTO engagement.comments (consultation_id, service_id, participant_id, parent_id, body, body_hash, flags)
       VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING id`,
      [c.consultationId, c.serviceId, c.participantId, c.parentId, c.body, c.hash, c.flags],
    );
    return rows[0].id;
  },
  async comments(db: Queryable, consultationId: string): Promise<CommentRow[]> {
    const { rows } = await db.query<CommentRow>(
      `SELECT c.id, c.consultation_id, c.participant_id, c.parent_id, c.body, c.status, c.hidden_reason, c.redacted, c.flags,
              c.reports, c.appeal, c.appeal_text, c.created_at, p.pid
         FROM engagement.comments c JOIN engagement.participants p ON p.id = c.participant_id
        WHERE c.consultation_id = $1 ORDER BY c.created_at, c.id`,
      [consultationId],
    );
    return rows;
  },
  async comment(db: Queryable, consultationId: string, id: string): Promise<(CommentRow & { person: string }) | null> {
    const { rows } = await db.query<CommentRow & { person: string }>(
      `SELECT c.id, c.consultation_id, c.participant_id, c.parent_id, c.body, c.status, c.hidden_reason, c.redacted, c.flags,
              c.reports, c.appeal, c.appeal_text, c.created_at, p.pid, p.person
         FROM engagement.comments c JOIN engagement.participants p ON p.id = c.participant_id
        WHERE c.consultation_id = $1 AND c.id = $2`,
      [consultationId, id],
    );
    return rows[0] ?? null;
  },
  async sameText(db: Queryable, consultationId: string, hash: string): Promise<Array<{ participant_id: string; created_at: Date }>> {
    const { rows } = await db.query<{ participant_id: string; created_at: Date }>(
      'SELECT participant_id, created_at FROM engagement.comments WHERE consultation_id = $1 AND body_hash = $2',
      [consultationId, hash],
    );
    return rows;
  },
  async recentByParticipant(db: Queryable, participantId: string, sinceMs: number): Promise<number> {
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM engagement.comments WHERE participant_id = $1 AND created_at > now() - make_interval(secs => $2)`,
      [participantId, sinceMs / 1000],
    );
    return rows[0].n;
  },
  async updateComment(
    tx: Queryable,
    id: string,
    patch: Partial<Pick<CommentRow, 'status' | 'hidden_reason' | 'body' | 'redacted' | 'appeal' | 'appeal_text'>> & {
      reportsDelta?: number;
    },
  ) {
    const sets: string[] = [];
    const params: unknown[] = [id];
    for (const [k, v] of Object.entries(patch)) {
      if (k === 'reportsDelta') continue;
      params.push(v);
      sets.push(`${k} = $${params.length}`);
    }
    if (patch.reportsDelta) {
      params.push(patch.reportsDelta);
      sets.push(`reports = reports + $${params.length}`);
    }
    if (sets.length) await tx.query(`UPDATE engagement.comments SET ${sets.join(', ')} WHERE id = $1`, params);
  },
  async recordModeration(
    tx: Queryable,
    m: { consultationId: string; serviceId: string; target: string; action: string; reason: string; actor: string },
  ) {
    await tx.query(
      `INSERT INTO engagement.moderation (consultation_id, service_id, target, action, reason, actor) VALUES ($1,$2,$3,$4,$5,$6)`,
      [m.consultationId, m.serviceId, m.target, m.action, m.reason, m.actor],
    );
  },
  async moderation(db: Queryable, consultationId: string): Promise<ModerationRow[]> {
    const { rows } = await db.query<ModerationRow>(
      'SELECT id, target, action, reason, actor, at FROM engagement.moderation WHERE consultation_id = $1 ORDER BY id DESC LIMIT 500',
      [consultationId],
    );
    return rows;
  },
  async participants(db: Queryable, consultationId: string): Promise<ParticipantRow[]> {
    const { rows } = await db.query<ParticipantRow>(
      'SELECT id, consultation_id, person, pid, notify_email, told_at FROM engagement.participants WHERE consultation_id = $1 ORDER BY pid',
      [consultationId],
    );
    return rows;
  },
  async counts(db: Queryable, consultationId: string): Promise<{ participants: number; comments: number }> {
    const { rows } = await db.query<{ participants: number; comments: number }>(
      `SELECT (SELECT count(*)::int FROM engagement.participants WHERE consultation_id = $1) AS participants,
              (SELECT count(*)::int FROM engagement.comments WHERE consultation_id = $1) AS comments`,
      [consultationId],
    );
    return rows[0];
  },
  async setResponse(
    tx: Queryable,
    id: string,
    r: {
      response: string;
      response_cy: string | null;
      decision: { id: string; decided_on: string; decision: string; decided_by: string } | null;
      whyNot: string | null;
      by: string;
    },
  ) {
    await tx.query(
      `UPDATE engagement.consultations SET response = $2, response_cy = $3, response_decision_id = $4, response_decision = $5,
         response_why_not = $6, responded_at = now(), responded_by = $7 WHERE id = $1`,
      [id, r.response, r.response_cy, r.decision?.id ?? null, r.decision ? JSON.stringify(r.decision) : null, r.whyNot, r.by],
    );
  },
  async markTold(tx: Queryable, participantId: string) {
    await tx.query('UPDATE engagement.participants SET told_at = now() WHERE id = $1', [participantId]);
  },
};

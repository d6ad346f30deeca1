// Conversation mode, as Pol.is does it: participants write short statements and vote agree,
// disagree or pass on others' one at a time; the module places people in opinion groups
// (math.ts) and names each group's distinctive statements and those with consensus across
// groups. Conversations come in from and go out as Pol.is's open data export (polis.ts).
// Statements with personal data or strong language wait for a moderator (moderated 0);
// a moderator accepts or rejects with a reason, kept in the trail — nothing is deleted.
import { createHash } from 'node:crypto';
import type { Queryable } from '../../kernel/db.js';
import { BadRequest, NotFound, HttpError } from '../../kernel/errors.js';
import { createCache } from '../../kernel/cache.js';
import type { Actor } from '../catalogue/index.js';
import { actorName, isUuid, statusOf, type EngagementService, type Who } from './service.js';
import { emptyMatrix, opinionGroups, type OpinionGroups } from './math.js';
import { flagsOf, normalised, type Flag } from './text.js';
import { commentsCsv, parsePolisExport, participantsVotesCsv, votesCsv, type PolisConversation } from './polis.js';
import { store, type ConsultationRow } from './store.js';

export const STATEMENT_MAX = 280;
const hashText = (s: string) => createHash('sha256').update(normalised(s)).digest('hex');

export interface StatementRow {
  id: string;
  tid: number;
  participant_id: string | null;
  body: string;
  moderated: -1 | 0 | 1;
  mod_reason: string | null;
  flags: string[];
  created_at: Date;
  agrees: number;
  disagrees: number;
  passes: number;
}

export interface Analysis {
  groups: OpinionGroups;
  statements: StatementRow[]; // accepted statements, in matrix column order
  pids: number[]; // participants, in matrix row order
  voters: number;
}

export function createConversations(svc: EngagementService) {
  const { db } = svc;
  const analyses = createCache<Analysis>({ ttlMs: 60_000, max: 50 });
  svc.onChange(() => analyses.clear());

  async function conversation(id: string): Promise<ConsultationRow> {
    const c = await svc.get(id);
    if (c.mode !== 'conversation') throw new NotFound('No such conversation', 'conversation_not_found');
    return c;
  }

  async function statements(consultationId: string): Promise<StatementRow[]> {
    const { rows } = await db.query<StatementRow>(
      `SELECT s.id, s.tid, s.participant_id, s.body, s.moderated, s.mod_reason, s.flags, s.created_at,
              count(v.*) FILTER (WHERE v.vote = 1)::int AS agrees, count(v.*) FILTER (WHERE v.vote = -1)::int AS disagrees,
              count(v.*) FILTER (WHERE v.vote = 0)::int AS passes
         FROM engagement.statements s LEFT JOIN engagement.statement_votes v ON v.statement_id = s.id
        WHERE s.consultation_id = $1 GROUP BY s.id ORDER BY s.tid`,
      [consultationId],
    );
    return rows;
  }

  async function nextTid(tx: Queryable, consultationId: string): Promise<number> {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`engagement.tid:${consultationId}`]);
    const { rows } = await tx.query<{ n: number }>(
      'SELECT coalesce(max(tid) + 1, 0)::int AS n FROM engagement.statements WHERE consultation_id = $1',
      [consultationId],
    );
    return rows[0].n;
  }

  async function analyse(c: ConsultationRow): Promise<Analysis> {
    return analyses.wrap(c.id, async () => {
      const all = await statements(c.id);
      const accepted = all.filter((s) => s.moderated === 1);
      const col = new Map(accepted.map((s, i) => [s.id, i]));
      const { rows: votes } = await db.query<{ pid: number; statement_id: string; vote: number }>(
        `SELECT p.pid, v.statement_id, v.vote FROM engagement.statement_votes v JOIN engagement.participants p ON p.id = v.participant_id
          WHERE v.consultation_id = $1`,
        [c.id],
      );
      const pids = [...new Set(votes.map((v) => v.pid))].sort((a, b) => a - b);
      const row = new Map(pids.map((p, i) => [p, i]));
      const m = emptyMatrix(pids.length, accepted.length);
      for (const v of votes) {
        const j = col.get(v.statement_id);
        if (j !== undefined) m.cells[row.get(v.pid)! * accepted.length + j] = v.vote;
      }
      return { groups: opinionGroups(m), statements: accepted, pids, voters: pids.length };
    });
  }

  /** Rows for the bulk inserts of an import. */
  async function insertImported(tx: Queryable, c: ConsultationRow, data: PolisConversation) {
    const { rows: parts } = await tx.query<{ id: string; pid: number }>(
      `INSERT INTO engagement.participants (consultation_id, service_id, person, pid)
       SELECT $1, $2, 'polis:' || p, p FROM unnest($3::int[]) AS p RETURNING id, pid`,
      [c.id, c.service_id, data.participants],
    );
    const byPid = new Map(parts.map((p) => [p.pid, p.id]));
    const { rows: stmts } = await tx.query<{ id: string; tid: number }>(
      `INSERT INTO engagement.statements (consultation_id, service_id, tid, participant_id, body, body_hash, moderated, created_at)
       SELECT $1, $2, t, p, b, h, m, a FROM unnest($3::int[], $4::uuid[], $5::text[], $6::text[], $7::smallint[], $8::timestamptz[]) AS x(t, p, b, h, m, a)
       RETURNING id, tid`,
      [
        c.id,
        c.service_id,
        data.comments.map((x) => x.tid),
        data.comments.map((x) => byPid.get(x.authorPid) ?? null),
        data.comments.map((x) => x.body),
        data.comments.map((x) => hashText(x.body)),
        data.comments.map((x) => x.moderated),
        data.comments.map((x) => x.at.toISOString()),
      ],
    );
    const byTid = new Map(stmts.map((s) => [s.tid, s.id]));
    for (let i = 0; i < data.votes.length; i += 5000) {
      const chunk = data.votes.slice(i, i + 5000);
      await tx.query(
        `INSERT INTO engagement.statement_votes (statement_id, participant_id, consultation_id, service_id, vote, at)
         SELECT s, p, $1, $2, v, a FROM unnest($3::uuid[], $4::uuid[], $5::smallint[], $6::timestamptz[]) AS x(s, p, v, a)`,
        [
          c.id,
          c.service_id,
          chunk.map((v) => byTid.get(v.tid)),
          chunk.map((v) => byPid.get(v.pid)),
          chunk.map((v) => v.vote),
          chunk.map((v) => v.at.toISOString()),
        ],
      );
    }
  }

  return {
    conversation,
    statements,
    analyse: async (id: string) => analyse(await conversation(id)),

    async addStatement(
      id: string,
      who: Who,
      input: { body: string; confirmed?: boolean },
    ): Promise<{ ok: true; id: string; held: boolean } | { ok: false; warnings: Flag[] }> {
      const c = await conversation(id);
      if (statusOf(c) !== 'open') throw new HttpError(409, 'consultation_not_open', 'This conversation is not open');
      const body = input.body.replace(/\s+/g, ' ').trim();
      if (!body) throw new BadRequest('Enter your statement', [{ field: 'statement', message: 'Enter your statement' }]);
      if (body.length > STATEMENT_MAX)
        throw new BadRequest(`Statements are ${STATEMENT_MAX} characters or fewer`, [
          { field: 'statement', message: `Your statement must be ${STATEMENT_MAX} characters or fewer` },
        ]);
      const flags = flagsOf(body);
      if (flags.length && !input.confirmed) return { ok: false, warnings: flags };
      const hash = hashText(body);
      const { rows: same } = await db.query('SELECT 1 FROM engagement.statements WHERE consultation_id = $1 AND body_hash = $2', [
        c.id,
        hash,
      ]);
      if (same.length)
        throw new BadRequest(
          'Someone has already made this statement',
          [{ field: 'statement', message: 'Someone has already made this statement: vote on it instead' }],
          'duplicate',
        );
      const held = flags.length > 0;
      const sid = await svc.change({ type: 'statement.added', c, payload: { flags, held } }, async (tx) => {
        const p = await store.ensureParticipant(tx, c, who.person);
        const tid = await nextTid(tx, c.id);
        const { rows } = await tx.query<{ id: string }>(
          `INSERT INTO engagement.statements (consultation_id, service_id, tid, participant_id, body, body_hash, moderated, flags)
           VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id`,
          [c.id, c.service_id, tid, p.id, body, hash, held ? 0 : 1, flags],
        );
        return rows[0].id;
      });
      return { ok: true, id: sid, held };
    },

    async vote(id: string, who: Who, statementId: string, vote: -1 | 0 | 1) {
      const c = await conversation(id);
      if (statusOf(c) !== 'open') throw new HttpError(409, 'consultation_not_open', 'This conversation is not open');
      const s = isUuid(statementId)
        ? (
            await db.query<{ id: string; moderated: number }>(
              'SELECT id, moderated FROM engagement.statements WHERE consultation_id = $1 AND id = $2',
              [c.id, statementId],
            )
          ).rows[0]
        : undefined;
      if (!s || s.moderated !== 1) throw new NotFound('No such statement', 'statement_not_found');
      await svc.change({ type: 'statement.voted', c, payload: { statement_id: s.id } }, async (tx) => {
        const p = await store.ensureParticipant(tx, c, who.person);
        await tx.query(
          `INSERT INTO engagement.statement_votes (statement_id, participant_id, consultation_id, service_id, vote) VALUES ($1,$2,$3,$4,$5)
           ON CONFLICT (statement_id, participant_id) DO UPDATE SET vote = EXCLUDED.vote, at = now()`,
          [s.id, p.id, c.id, c.service_id, vote],
        );
      });
    },

    /** How many statements this person has voted on. */
    async votedCount(id: string, who: Who): Promise<number> {
      const p = await svc.participant(id, who);
      if (!p) return 0;
      const { rows } = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM engagement.statement_votes WHERE participant_id = $1',
        [p.id],
      );
      return rows[0].n;
    },

    /** The next statement for this person: accepted, not theirs, not voted on; fewest votes first. */
    async next(id: string, who: Who | null): Promise<StatementRow | null> {
      const c = await conversation(id);
      const all = (await statements(c.id)).filter((s) => s.moderated === 1);
      const p = who ? await svc.participant(c.id, who) : null;
      let voted = new Set<string>();
      if (p) {
        const { rows } = await db.query<{ statement_id: string }>(
          'SELECT statement_id FROM engagement.statement_votes WHERE participant_id = $1',
          [p.id],
        );
        voted = new Set(rows.map((r) => r.statement_id));
      }
      const left = all.filter((s) => !voted.has(s.id) && (!p || s.participant_id !== p.id));
      left.sort((a, b) => a.agrees + a.disagrees + a.passes - (b.agrees + b.disagrees + b.passes) || a.tid - b.tid);
      return left[0] ?? null;
    },

    async moderateStatement(actor: Actor, id: string, statementId: string, accept: boolean, reason: string) {
      const c = await conversation(id);
      await svc.manageable(actor, c);
      const why = reason.trim();
      if (!why) throw new BadRequest('Give a reason', [{ field: 'reason', message: 'Enter the reason for this decision' }]);
      const { rows } = isUuid(statementId)
        ? await db.query<{ id: string }>('SELECT id FROM engagement.statements WHERE consultation_id = $1 AND id = $2', [c.id, statementId])
        : { rows: [] };
      if (!rows[0]) throw new NotFound('No such statement', 'statement_not_found');
      await svc.change(
        { type: `statement.${accept ? 'accepted' : 'rejected'}`, c, actor, payload: { statement_id: statementId, reason: why } },
        async (tx) => {
          await tx.query('UPDATE engagement.statements SET moderated = $2, mod_reason = $3 WHERE id = $1', [
            statementId,
            accept ? 1 : -1,
            why,
          ]);
          await tx.query(
            `INSERT INTO engagement.moderation (consultation_id, service_id, target, action, reason, actor) VALUES ($1,$2,$3,$4,$5,$6)`,
            [c.id, c.service_id, `statement:${statementId}`, accept ? 'accept' : 'reject', why, actorName(actor)],
          );
        },
      );
    },

    /** A conversation from Pol.is's export files, as a closed conversation on this service. */
    async importPolis(
      actor: Actor,
      serviceSlug: string,
      meta: { title: string; question: string },
      files: { comments: string; votes?: string | null; participantsVotes?: string | null },
    ) {
      const data = parsePolisExport(files);
      if (!data.comments.length)
        throw new BadRequest('comments.csv has no comments', [{ field: 'comments', message: 'comments.csv has no comments' }]);
      const times = [...data.comments.map((x) => x.at.getTime()), ...data.votes.map((v) => v.at.getTime()).filter((t) => t > 0)];
      const iso = (t: number) => new Date(t).toISOString().slice(0, 10);
      const today = new Date().toISOString().slice(0, 10);
      const opens = iso(Math.min(...times));
      let closes = iso(Math.max(...times));
      if (closes >= today) closes = iso(Date.now() - 86400_000);
      const c = await svc.create(
        actor,
        serviceSlug,
        {
          mode: 'conversation',
          subject: 'general',
          title: meta.title,
          question: meta.question,
          eligibility: 'anyone',
          opens_on: opens < closes ? opens : closes,
          closes_on: closes,
        } as never,
        { importedFrom: 'polis' },
      );
      await svc.change(
        { type: 'conversation.imported', c, actor, payload: { statements: data.comments.length, votes: data.votes.length } },
        (tx) => insertImported(tx, c, data),
      );
      return { id: c.id, statements: data.comments.length, votes: data.votes.length, participants: data.participants.length };
    },

    /** Pol.is's three files for this conversation (participants as numbers; no personal data). */
    async exportPolis(id: string) {
      const c = await conversation(id);
      const [all, analysis] = await Promise.all([statements(c.id), analyse(c)]);
      const { rows: parts } = await db.query<{ id: string; pid: number }>(
        'SELECT id, pid FROM engagement.participants WHERE consultation_id = $1 ORDER BY pid',
        [c.id],
      );
      const pidOf = new Map(parts.map((p) => [p.id, p.pid]));
      const { rows: votes } = await db.query<{ statement_id: string; participant_id: string; vote: number; at: Date }>(
        'SELECT statement_id, participant_id, vote, at FROM engagement.statement_votes WHERE consultation_id = $1',
        [c.id],
      );
      const tidOf = new Map(all.map((s) => [s.id, s.tid]));
      const comments = commentsCsv(
        all.map((s) => ({
          tid: s.tid,
          authorPid: s.participant_id ? (pidOf.get(s.participant_id) ?? 0) : 0,
          agrees: s.agrees,
          disagrees: s.disagrees,
          moderated: s.moderated,
          body: s.moderated === 1 ? s.body : '', // only published statements' words leave the module
          at: new Date(s.created_at),
        })),
      );
      const voteRows = votes
        .map((v) => ({ tid: tidOf.get(v.statement_id)!, pid: pidOf.get(v.participant_id)!, vote: v.vote, at: new Date(v.at) }))
        .sort((a, b) => a.tid - b.tid || a.pid - b.pid);
      const byPid = new Map<number, Map<number, number>>();
      for (const v of voteRows) {
        if (!byPid.has(v.pid)) byPid.set(v.pid, new Map());
        byPid.get(v.pid)!.set(v.tid, v.vote);
      }
      const authored = new Map<number, number>();
      for (const s of all)
        if (s.participant_id) authored.set(pidOf.get(s.participant_id)!, (authored.get(pidOf.get(s.participant_id)!) ?? 0) + 1);
      const groupOf = new Map(analysis.pids.map((p, i) => [p, analysis.groups.groupOf[i]]));
      const participantsVotes = participantsVotesCsv(
        all.map((s) => s.tid),
        parts
          .filter((p) => byPid.has(p.pid) || authored.has(p.pid))
          .map((p) => {
            const g = groupOf.get(p.pid);
            return {
              pid: p.pid,
              group: g === undefined || g < 0 ? null : g,
              comments: authored.get(p.pid) ?? 0,
              votes: byPid.get(p.pid) ?? new Map(),
            };
          }),
      );
      return { comments, votes: votesCsv(voteRows), participantsVotes };
    },
  };
}
export type Conversations = ReturnType<typeof createConversations>;

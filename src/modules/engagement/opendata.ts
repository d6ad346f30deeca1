// Open data (Open Government Licence v3.0): every consultation, its "you said, we did"
// response, comments, conversation statements, and votes, as CSV and JSON at
// /engagement/open-data/<dataset>.<csv|json>, and the page offering them. Anonymised:
// participants are numbers within a consultation (never an account, email or name); a comment
// or statement that moderators hid has no text, and a redacted one only its redacted text.
// CSV is spreadsheet-safe (kernel/csv.ts: formula characters are neutralised).
import type { FastifyInstance } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import { NotFound } from '../../kernel/errors.js';
import { csv } from '../../kernel/csv.js';
import { renderPage } from '../../kernel/views.js';
import type { CatalogueService } from '../catalogue/index.js';
import type { EngagementService } from './service.js';
import { consultationJson } from './present.js';

export const DATASETS = ['consultations', 'responses', 'comments', 'statements', 'votes'] as const;
type Dataset = (typeof DATASETS)[number];
type Table = { columns: string[]; rows: Array<Record<string, unknown>> };

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

export function openData(app: FastifyInstance, k: Kernel, svc: EngagementService, catalogue: CatalogueService) {
  const { db } = svc;
  const publicUrl = k.config.publicUrl;

  async function table(name: Dataset): Promise<Table> {
    const all = await svc.list();
    const ids = all.map((c) => c.id);
    if (name === 'consultations') {
      const slugs = new Map((await catalogue.listServices()).map((s) => [s.id, s.slug]));
      const { rows: counts } = await db.query<{ consultation_id: string; n: number }>(
        'SELECT consultation_id, count(*)::int AS n FROM engagement.participants WHERE consultation_id = ANY($1::uuid[]) GROUP BY consultation_id',
        [ids],
      );
      const n = new Map(counts.map((r) => [r.consultation_id, r.n]));
      const rows = all.map((c) => {
        const j = consultationJson(c, slugs.get(c.service_id) ?? '', publicUrl, n.get(c.id) ?? 0);
        const { response: _r, promised_kpis, ...rest } = j;
        return { ...rest, promised_kpis: promised_kpis.join(' '), responded: Boolean(c.response) };
      });
      return { columns: rows.length ? Object.keys(rows[0]) : [], rows };
    }
    if (name === 'responses') {
      const rows = all
        .filter((c) => c.response)
        .map((c) => ({
          consultation_id: c.id,
          title: c.title,
          response: c.response,
          response_cy: c.response_cy,
          decision_id: c.response_decision_id,
          decision: c.response_decision?.decision ?? null,
          decided_on: c.response_decision?.decided_on ?? null,
          decided_by: c.response_decision?.decided_by ?? null,
          why_not: c.response_why_not,
          responded_at: iso(c.responded_at),
        }));
      const columns = [
        'consultation_id',
        'title',
        'response',
        'response_cy',
        'decision_id',
        'decision',
        'decided_on',
        'decided_by',
        'why_not',
        'responded_at',
      ];
      return { columns, rows };
    }
    if (name === 'comments') {
      const { rows } = await db.query<Record<string, unknown>>(
        `SELECT c.consultation_id, c.id, c.parent_id, p.pid AS participant,
                CASE WHEN c.status = 'hidden' THEN NULL ELSE c.body END AS body,
                c.status, c.hidden_reason, c.redacted, c.created_at
           FROM engagement.comments c JOIN engagement.participants p ON p.id = c.participant_id
          WHERE c.consultation_id = ANY($1::uuid[]) ORDER BY c.consultation_id, c.created_at, c.id`,
        [ids],
      );
      const columns = ['consultation_id', 'id', 'parent_id', 'participant', 'body', 'status', 'hidden_reason', 'redacted', 'created_at'];
      return { columns, rows: rows.map((r) => ({ ...r, created_at: iso(r.created_at as Date) })) };
    }
    if (name === 'statements') {
      const { rows } = await db.query<Record<string, unknown>>(
        `SELECT s.consultation_id, s.tid AS statement, p.pid AS participant,
                CASE WHEN s.moderated = 1 THEN s.body END AS body, s.moderated,
                count(v.*) FILTER (WHERE v.vote = 1)::int AS agrees, count(v.*) FILTER (WHERE v.vote = -1)::int AS disagrees,
                count(v.*) FILTER (WHERE v.vote = 0)::int AS passes, s.created_at
           FROM engagement.statements s
           LEFT JOIN engagement.participants p ON p.id = s.participant_id
           LEFT JOIN engagement.statement_votes v ON v.statement_id = s.id
          WHERE s.consultation_id = ANY($1::uuid[])
          GROUP BY s.id, p.pid ORDER BY s.consultation_id, s.tid`,
        [ids],
      );
      const columns = ['consultation_id', 'statement', 'participant', 'body', 'moderated', 'agrees', 'disagrees', 'passes', 'created_at'];
      return { columns, rows: rows.map((r) => ({ ...r, created_at: iso(r.created_at as Date) })) };
    }
    // votes: an option supported or opposed, or a statement agreed (1), disagreed (-1) or passed (0).
    const { rows } = await db.query<Record<string, unknown>>(
      `SELECT v.consultation_id, 'option' AS kind, o.position::text AS target, p.pid AS participant, v.stance AS vote, v.at
         FROM engagement.option_votes v JOIN engagement.options o ON o.id = v.option_id
         JOIN engagement.participants p ON p.id = v.participant_id
        WHERE v.consultation_id = ANY($1::uuid[])
       UNION ALL
       SELECT v.consultation_id, 'statement', s.tid::text, p.pid, v.vote::text, v.at
         FROM engagement.statement_votes v JOIN engagement.statements s ON s.id = v.statement_id
         JOIN engagement.participants p ON p.id = v.participant_id
        WHERE v.consultation_id = ANY($1::uuid[])
        ORDER BY 1, 2, 3, 4`,
      [ids],
    );
    const columns = ['consultation_id', 'kind', 'target', 'participant', 'vote', 'at'];
    return { columns, rows: rows.map((r) => ({ ...r, at: iso(r.at as Date) })) };
  }

  app.get('/engagement/open-data', async (req, reply) =>
    renderPage(k.views, req, reply, 'engagement/views/open-data.njk', {
      datasets: DATASETS.map((name) => ({ name, csv: `/engagement/open-data/${name}.csv`, json: `/engagement/open-data/${name}.json` })),
    }),
  );

  app.get('/engagement/open-data/:file', async (req, reply) => {
    const { file } = req.params as { file: string };
    const m = /^([a-z]+)\.(csv|json)$/.exec(file);
    if (!m || !(DATASETS as readonly string[]).includes(m[1])) throw new NotFound();
    const t = await table(m[1] as Dataset);
    reply.header('content-disposition', `attachment; filename="engagement-${file}"`);
    reply.header('x-licence', 'OGL-UK-3.0');
    if (m[2] === 'json')
      return reply.type('application/json; charset=utf-8').send({
        licence: 'https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/',
        dataset: m[1],
        [m[1]]: t.rows,
      });
    return reply.type('text/csv; charset=utf-8').send(csv([t.columns, ...t.rows.map((r) => t.columns.map((c) => r[c]))]));
  });
}

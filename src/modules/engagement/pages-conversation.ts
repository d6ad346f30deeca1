// Conversation pages (Pol.is mode): one statement at a time to agree with, disagree with or
// pass; a form to add your own short statement (warned about personal data, strong language
// and duplicates); the opinion-group report; and Pol.is's export files as open data.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Kernel } from '../../kernel/module.js';
import { HttpError, NotFound, type FieldError } from '../../kernel/errors.js';
import { fieldErrorsFrom, formErrors, str } from '../../kernel/forms.js';
import { renderPage, requestLang, translator, type Lang } from '../../kernel/views.js';
import type { CatalogueService } from '../catalogue/index.js';
import { isUuid, statusOf } from './service.js';
import type { People } from './people.js';
import { STATEMENT_MAX, type Conversations } from './service-conversation.js';
import { localised } from './present.js';
import { body } from './pages.js';
import type { ConsultationRow } from './store.js';
import { ErrorBody } from './schema.js';
import { API_PREFIX } from './api.js';

const VOTES = { agree: 1, disagree: -1, pass: 0 } as const;
const POST_LIMIT = { config: { rateLimit: { max: 60, timeWindow: '1 minute' } } };
const DONE = ['voted', 'added', 'held'] as const;
const pct = (n: number, d: number) => (d ? Math.round((100 * n) / d) : 0);

export function conversationPages(app: FastifyInstance, k: Kernel, conv: Conversations, catalogue: CatalogueService, people: People) {
  const { views } = k;
  const path = (c: { id: string }) => `/conversations/${c.id}`;

  async function load(req: FastifyRequest) {
    const { id } = req.params as { id: string };
    if (!isUuid(id)) throw new NotFound();
    return conv.conversation(id);
  }

  async function page(
    req: FastifyRequest,
    reply: FastifyReply,
    c: ConsultationRow,
    form: { values?: Record<string, string>; fields?: FieldError[]; warnings?: string[] } = {},
  ) {
    const lang = requestLang(req);
    const t = translator(views.messages, lang);
    const who = await people.current(req, c);
    const [s, next, all] = await Promise.all([catalogue.getServiceById(c.service_id), conv.next(c.id, who), conv.statements(c.id)]);
    const accepted = all.filter((x) => x.moderated === 1).length;
    const mine = who ? await conv.votedCount(c.id, who) : 0;
    const warningFields = (form.warnings ?? []).map((w) => ({ field: 'confirm', message: t(`engagement.comment.warnings.${w}`) }));
    if (form.fields?.length || warningFields.length) reply.status(400);
    const done = (req.query as Record<string, unknown>).done;
    return renderPage(views, req, reply, 'engagement/views/conversation.njk', {
      c,
      href: path(c),
      open: statusOf(c) === 'open',
      status: statusOf(c),
      service: s ? { slug: s.slug, name: localised(lang, s.name, s.name_cy) } : null,
      heading: localised(lang, c.title, c.title_cy),
      question: localised(lang, c.question, c.question_cy),
      background: localised(lang, c.background, c.background_cy),
      next,
      accepted,
      mine,
      statementMax: STATEMENT_MAX,
      values: form.values ?? {},
      warnings: form.warnings ?? [],
      done: typeof done === 'string' && (DONE as readonly string[]).includes(done) ? done : null,
      ...formErrors([...(form.fields ?? []), ...warningFields]),
    });
  }

  async function takePart(req: FastifyRequest, reply: FastifyReply, c: ConsultationRow) {
    const e = await people.eligible(req, reply, c, path(c));
    if (e.ok) return e.who;
    if ('redirect' in e) {
      reply.redirect(e.redirect, 303);
      return null;
    }
    reply.status(403);
    await renderPage(views, req, reply, 'engagement/views/refused.njk', {
      reason: e.refuse,
      back: path(c),
      signInStaff: e.signInStaff ?? null,
      areaName: c.area_name,
    });
    return null;
  }
  const lq = (req: FastifyRequest, sep = '?') => (requestLang(req) === 'cy' ? `${sep}lang=cy` : '');

  app.get('/conversations/:id', async (req, reply) => page(req, reply, await load(req)));

  app.post('/conversations/:id/statements/:sid/vote', POST_LIMIT, async (req, reply) => {
    const c = await load(req);
    const v = str(body(req), 'vote', 10);
    if (!(v in VOTES)) throw new HttpError(400, 'bad_request', 'Choose agree, disagree or pass');
    const who = await takePart(req, reply, c);
    if (!who) return reply;
    await conv.vote(c.id, who, (req.params as { sid: string }).sid, VOTES[v as keyof typeof VOTES]);
    return reply.redirect(`${path(c)}?done=voted${lq(req, '&')}#statement`, 303);
  });

  app.post('/conversations/:id/statements', POST_LIMIT, async (req, reply) => {
    const c = await load(req);
    const t = translator(views.messages, requestLang(req));
    const values = { statement: str(body(req), 'statement', 5000), confirm: str(body(req), 'confirm', 5) };
    if (!values.statement)
      return page(req, reply, c, { values, fields: [{ field: 'statement', message: t('engagement.conversation.errors.empty') }] });
    if (values.statement.length > STATEMENT_MAX)
      return page(req, reply, c, {
        values,
        fields: [{ field: 'statement', message: t('engagement.conversation.errors.tooLong', { max: STATEMENT_MAX }) }],
      });
    const who = await takePart(req, reply, c);
    if (!who) return reply;
    let held = false;
    try {
      const out = await conv.addStatement(c.id, who, { body: values.statement, confirmed: values.confirm === 'yes' });
      if (!out.ok) return page(req, reply, c, { values, warnings: out.warnings });
      held = out.held;
    } catch (err) {
      if (err instanceof HttpError && err.code === 'duplicate')
        return page(req, reply, c, { values, fields: [{ field: 'statement', message: t('engagement.conversation.errors.duplicate') }] });
      return page(req, reply, c, { values, fields: fieldErrorsFrom(err, 'statement') });
    }
    return reply.redirect(`${path(c)}?done=${held ? 'held' : 'added'}${lq(req, '&')}#add`, 303);
  });

  /** The opinion groups, what sets each apart, and what they agree on. */
  app.get('/conversations/:id/report', async (req, reply) => {
    const c = await load(req);
    const lang: Lang = requestLang(req);
    const a = await conv.analyse(c.id);
    const byIndex = a.statements;
    const sizes = a.groups.groups.map((g) => g.members.length);
    const letter = (g: number) => String.fromCharCode(65 + g);
    const groups = a.groups.groups.map((g) => ({
      name: letter(g.id),
      size: g.members.length,
      statements: g.representative.map((r) => ({
        body: byIndex[r.statement].body,
        tid: byIndex[r.statement].tid,
        direction: r.direction,
        inGroup: pct(r.n, r.seen),
        // Everyone else: the statement's totals less this group's.
        others: pct(
          (r.direction === 'agree' ? byIndex[r.statement].agrees : byIndex[r.statement].disagrees) - r.n,
          byIndex[r.statement].agrees + byIndex[r.statement].disagrees + byIndex[r.statement].passes - r.seen,
        ),
      })),
    }));
    const consensus = a.groups.consensus.slice(0, 10).map((x) => ({
      body: byIndex[x.statement].body,
      tid: byIndex[x.statement].tid,
      direction: x.direction,
      minP: Math.round(x.minP * 100),
    }));
    // The map of opinions: each placed person as a dot, coloured by group, in a plain SVG.
    const pts: Array<{ x: number; y: number; g: number }> = [];
    let maxAbs = 1e-9;
    for (let i = 0; i < a.pids.length; i++) {
      const x = a.groups.projection[2 * i],
        y = a.groups.projection[2 * i + 1];
      if (Number.isNaN(x)) continue;
      pts.push({ x, y, g: a.groups.groupOf[i] });
      maxAbs = Math.max(maxAbs, Math.abs(x), Math.abs(y));
    }
    const dots = pts.map((p) => ({ cx: Math.round(150 + (p.x / maxAbs) * 130), cy: Math.round(150 - (p.y / maxAbs) * 130), g: p.g }));
    return renderPage(views, req, reply, 'engagement/views/conversation-report.njk', {
      c,
      href: path(c),
      heading: localised(lang, c.title, c.title_cy),
      voters: a.voters,
      placed: a.groups.placed.length,
      statements: byIndex.length,
      groups,
      sizes,
      consensus,
      dots,
      csv: `${API_PREFIX}/conversations/${c.id}`,
    });
  });

  // Pol.is's export files (open data under OGL; participants are numbers, never people).
  for (const [file, key] of [
    ['comments.csv', 'comments'],
    ['votes.csv', 'votes'],
    ['participants-votes.csv', 'participantsVotes'],
  ] as const) {
    app.get(
      `${API_PREFIX}/conversations/:id/${file}`,
      {
        config: { api: true },
        schema: {
          tags: ['engagement'],
          summary: `A conversation's ${file}, in Pol.is's open data layout`,
          params: Type.Object({ id: Type.String({ maxLength: 40 }) }),
          produces: ['text/csv'],
          response: { 200: Type.String(), 404: ErrorBody },
        } as never,
      },
      async (req, reply) => {
        const { id } = req.params as { id: string };
        if (!isUuid(id)) throw new NotFound('No such conversation', 'conversation_not_found');
        const files = await conv.exportPolis(id);
        return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${file}"`).send(files[key]);
      },
    );
  }
}

// Citizen pages of consultations: the list, a consultation's page (served from a cache of
// rendered HTML: it shows nothing about who is looking), and the forms to support or oppose
// an option, comment and reply (with personal-data and strong-language warnings to confirm),
// report a comment, appeal a hidden one, and ask to be told the outcome. GET renders; POST
// validates → service → 303. Conversations (Pol.is mode) are in pages-conversation.ts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import { HttpError, NotFound, type FieldError } from '../../kernel/errors.js';
import { fieldErrorsFrom, formErrors, str, type FormBody } from '../../kernel/forms.js';
import { renderCachedPage, renderPage, requestLang, translator, type Lang } from '../../kernel/views.js';
import { createCache } from '../../kernel/cache.js';
import type { CatalogueService } from '../catalogue/index.js';
import { COMMENT_MAX, isUuid, type EngagementService } from './service.js';
import type { People } from './people.js';
import type { ConsultationRow } from './store.js';
import { consultationCard, consultationPath, localised, optionView, thread } from './present.js';
import type { Accountability } from './accountability.js';

const DONE = ['voted', 'commented', 'reported', 'appealed', 'following'] as const;
const POST_LIMIT = { config: { rateLimit: { max: 30, timeWindow: '1 minute' } } };

export function body(req: FastifyRequest): FormBody {
  return (req.body && typeof req.body === 'object' ? req.body : {}) as FormBody;
}
const langSuffix = (req: FastifyRequest) => (requestLang(req) === 'cy' ? '?lang=cy' : '');
const withDone = (req: FastifyRequest, path: string, done: (typeof DONE)[number]) =>
  `${path}?done=${done}${requestLang(req) === 'cy' ? '&lang=cy' : ''}`;

export function consultationPages(
  app: FastifyInstance,
  k: Kernel,
  svc: EngagementService,
  catalogue: CatalogueService,
  people: People,
  accountability: Accountability,
) {
  const { views } = k;
  const cache = createCache<string>({ ttlMs: 5000, max: 500 });
  svc.onChange(() => cache.clear());
  catalogue.onChange(() => cache.clear());

  async function consultationOr404(req: FastifyRequest) {
    const { id } = req.params as { id: string };
    if (!isUuid(id)) throw new NotFound();
    return svc.get(id);
  }

  /** Not allowed to take part: send them to sign in / prove, or explain why not. */
  async function takePart(req: FastifyRequest, reply: FastifyReply, c: ConsultationRow) {
    const back = consultationPath(c) + langSuffix(req);
    const e = await people.eligible(req, reply, c, back);
    if (e.ok) return e.who;
    if ('redirect' in e) {
      reply.redirect(e.redirect, 303);
      return null;
    }
    reply.status(403);
    await renderPage(views, req, reply, 'engagement/views/refused.njk', {
      reason: e.refuse,
      back,
      signInStaff: e.signInStaff ?? null,
      areaName: c.area_name,
    });
    return null;
  }

  app.get('/consultations', async (req, reply) => {
    const lang = requestLang(req);
    const all = await svc.list();
    const services = new Map((await catalogue.listServices()).map((s) => [s.id, s]));
    const card = (c: ConsultationRow) => {
      const s = services.get(c.service_id);
      return { ...consultationCard(lang, c), service: s ? { slug: s.slug, name: localised(lang, s.name, s.name_cy) } : null };
    };
    return renderPage(views, req, reply, 'engagement/views/consultations.njk', {
      open: all.filter((c) => svc.statusOf(c) === 'open').map(card),
      upcoming: all.filter((c) => svc.statusOf(c) === 'upcoming').map(card),
      closed: all.filter((c) => svc.statusOf(c) === 'closed').map(card),
    });
  });

  async function pageContext(req: FastifyRequest, c: ConsultationRow, lang: Lang) {
    const [s, options, comments, counts, progress] = await Promise.all([
      catalogue.getServiceById(c.service_id),
      svc.options(c.id),
      svc.comments(c.id),
      svc.counts(c.id),
      accountability.progress(c, lang),
    ]);
    if (!s) throw new NotFound();
    const roadmap = c.roadmap_item_id ? await catalogue.getRoadmapItem(c.service_id, c.roadmap_item_id) : null;
    const done = (req.query as Record<string, unknown>).done;
    const status = svc.statusOf(c);
    return {
      c,
      href: consultationPath(c),
      status,
      open: status === 'open',
      service: { slug: s.slug, name: localised(lang, s.name, s.name_cy) },
      title: localised(lang, c.title, c.title_cy),
      question: localised(lang, c.question, c.question_cy),
      background: localised(lang, c.background, c.background_cy),
      roadmap: roadmap
        ? {
            title: localised(lang, roadmap.title, roadmap.title_cy),
            description: localised(lang, roadmap.description, roadmap.description_cy),
            status: roadmap.status,
          }
        : null,
      options: options.map((o) => optionView(lang, o)),
      thread: thread(comments),
      commentCount: comments.length,
      participants: counts.participants,
      commentMax: COMMENT_MAX,
      card: consultationCard(lang, c),
      progress,
      done: typeof done === 'string' && (DONE as readonly string[]).includes(done) ? done : null,
    };
  }

  app.get('/consultations/:id', async (req, reply) => {
    const c = await consultationOr404(req);
    if (c.mode === 'conversation') return reply.redirect(`/conversations/${c.id}${langSuffix(req)}`, 303);
    const lang = requestLang(req);
    return renderCachedPage(views, req, reply, cache, 'engagement/views/consultation.njk', async () => ({
      ...(await pageContext(req, c, lang)),
      values: {},
      errors: {},
    }));
  });

  app.post('/consultations/:id/options/:optionId', POST_LIMIT, async (req, reply) => {
    const c = await consultationOr404(req);
    const { optionId } = req.params as { optionId: string };
    const stance = str(body(req), 'stance', 20);
    if (!['support', 'oppose', 'withdraw'].includes(stance) || !isUuid(optionId))
      throw new HttpError(400, 'bad_request', 'Choose support or oppose');
    const who = await takePart(req, reply, c);
    if (!who) return reply;
    await svc.vote(c.id, who, optionId, stance === 'withdraw' ? null : (stance as 'support' | 'oppose'));
    return reply.redirect(withDone(req, consultationPath(c), 'voted') + '#options', 303);
  });

  // Writing a comment or reply has its own page, reached from "Reply" links and shown again
  // with errors or warnings; the consultation page carries the form for a new comment.
  async function commentPage(
    req: FastifyRequest,
    reply: FastifyReply,
    c: ConsultationRow,
    form: { values: Record<string, string>; fields?: FieldError[]; warnings?: string[] },
  ) {
    const lang = requestLang(req);
    const parent =
      form.values.parent && isUuid(form.values.parent) ? (await svc.comments(c.id)).find((x) => x.id === form.values.parent) : null;
    const t = translator(views.messages, lang);
    const warningFields: FieldError[] = (form.warnings ?? []).map((w) => ({
      field: 'confirm',
      message: t(`engagement.comment.warnings.${w}`),
    }));
    if (form.fields?.length || warningFields.length) reply.status(400);
    return renderPage(views, req, reply, 'engagement/views/comment.njk', {
      href: consultationPath(c),
      consultationTitle: localised(lang, c.title, c.title_cy),
      parent: parent && parent.status !== 'hidden' ? { pid: parent.pid, body: parent.body } : null,
      values: form.values,
      warnings: form.warnings ?? [],
      commentMax: COMMENT_MAX,
      ...formErrors([...(form.fields ?? []), ...warningFields]),
    });
  }

  app.get('/consultations/:id/comment', async (req, reply) => {
    const c = await consultationOr404(req);
    const reply_to = String((req.query as Record<string, unknown>).reply ?? '');
    return commentPage(req, reply, c, { values: { parent: isUuid(reply_to) ? reply_to : '' } });
  });

  app.post('/consultations/:id/comments', POST_LIMIT, async (req, reply) => {
    const c = await consultationOr404(req);
    const b = body(req);
    const values = { body: str(b, 'body', 20_000).replace(/\r\n?/g, '\n'), parent: str(b, 'parent', 40), confirm: str(b, 'confirm', 5) };
    const t = translator(views.messages, requestLang(req));
    if (!values.body)
      return commentPage(req, reply, c, { values, fields: [{ field: 'body', message: t('engagement.comment.errors.empty') }] });
    if (values.body.length > COMMENT_MAX)
      return commentPage(req, reply, c, {
        values,
        fields: [{ field: 'body', message: t('engagement.comment.errors.tooLong', { max: COMMENT_MAX }) }],
      });
    const who = await takePart(req, reply, c);
    if (!who) return reply;
    try {
      const out = await svc.comment(c.id, who, { body: values.body, parentId: values.parent || null, confirmed: values.confirm === 'yes' });
      if (!out.ok) return commentPage(req, reply, c, { values, warnings: out.warnings });
    } catch (err) {
      if (err instanceof HttpError && err.code === 'duplicate')
        return commentPage(req, reply, c, { values, fields: [{ field: 'body', message: t('engagement.comment.errors.duplicate') }] });
      return commentPage(req, reply, c, { values, fields: fieldErrorsFrom(err, 'body') });
    }
    return reply.redirect(withDone(req, consultationPath(c), 'commented') + '#comments', 303);
  });

  app.get('/consultations/:id/comments/:commentId/report', async (req, reply) => {
    const c = await consultationOr404(req);
    const { commentId } = req.params as { commentId: string };
    const comment = isUuid(commentId) ? (await svc.comments(c.id)).find((x) => x.id === commentId) : null;
    if (!comment) throw new NotFound();
    return renderPage(views, req, reply, 'engagement/views/report.njk', {
      href: consultationPath(c),
      action: `${consultationPath(c)}/comments/${comment.id}/report`,
      comment: { pid: comment.pid, body: comment.status === 'hidden' ? null : comment.body },
      values: {},
      errors: {},
    });
  });

  app.post('/consultations/:id/comments/:commentId/report', POST_LIMIT, async (req, reply) => {
    const c = await consultationOr404(req);
    const { commentId } = req.params as { commentId: string };
    await svc.report(c.id, commentId, str(body(req), 'reason', 500));
    return reply.redirect(withDone(req, consultationPath(c), 'reported') + '#comments', 303);
  });

  async function appealPage(
    req: FastifyRequest,
    reply: FastifyReply,
    c: ConsultationRow,
    fields: FieldError[] = [],
    values: Record<string, string> = {},
  ) {
    const { commentId } = req.params as { commentId: string };
    const who = await people.current(req, c);
    const comment = isUuid(commentId) ? (await svc.comments(c.id)).find((x) => x.id === commentId) : null;
    const mine = who && comment ? await svc.participant(c.id, who) : null;
    if (!comment || !mine || mine.id !== comment.participant_id || comment.status !== 'hidden') throw new NotFound();
    if (fields.length) reply.status(400);
    return renderPage(views, req, reply, 'engagement/views/appeal.njk', {
      href: consultationPath(c),
      action: `${consultationPath(c)}/comments/${comment.id}/appeal`,
      comment,
      values,
      ...formErrors(fields),
    });
  }

  app.get('/consultations/:id/comments/:commentId/appeal', async (req, reply) => appealPage(req, reply, await consultationOr404(req)));

  app.post('/consultations/:id/comments/:commentId/appeal', POST_LIMIT, async (req, reply) => {
    const c = await consultationOr404(req);
    const { commentId } = req.params as { commentId: string };
    const text = str(body(req), 'appeal', 2000);
    const t = translator(views.messages, requestLang(req));
    if (!text) return appealPage(req, reply, c, [{ field: 'appeal', message: t('engagement.appeal.errors.empty') }], { appeal: text });
    const who = await people.current(req, c);
    if (!who) throw new NotFound();
    try {
      await svc.appeal(c.id, commentId, who, text);
    } catch (err) {
      return appealPage(req, reply, c, fieldErrorsFrom(err, 'appeal'), { appeal: text });
    }
    return reply.redirect(withDone(req, consultationPath(c), 'appealed') + '#comments', 303);
  });

  app.post('/consultations/:id/follow', POST_LIMIT, async (req, reply) => {
    const c = await consultationOr404(req);
    const who = await takePart(req, reply, c);
    if (!who) return reply;
    if (!who.email) {
      // Anonymous taking part has no address to write to: sign in to be told.
      reply.status(403);
      return renderPage(views, req, reply, 'engagement/views/refused.njk', {
        reason: 'follow',
        back: consultationPath(c),
        signInStaff: null,
        signIn: people.signInPath(consultationPath(c)),
      });
    }
    await svc.follow(c.id, who);
    return reply.redirect(withDone(req, consultationPath(c), 'following') + '#follow', 303);
  });
}

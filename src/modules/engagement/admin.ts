// The staff console at /admin/engagement: open a consultation on one of your services'
// roadmap items or a proposed decision, moderate comments (hide, restore, redact personal
// data — always with a reason, kept in the trail), decide appeals, and publish "you said,
// we did". Staff see only the services they may manage. POST-redirect-GET, GOV.UK error summary.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import { Forbidden, HttpError, NotFound, type FieldError } from '../../kernel/errors.js';
import { fieldErrorsFrom, formErrors, list, str, type FormBody } from '../../kernel/forms.js';
import { guardStaff, staffActorOf } from '../../kernel/staff.js';
import { renderPage, requestLang, translator } from '../../kernel/views.js';
import type { Actor, CatalogueService } from '../catalogue/index.js';
import { isUuid, type EngagementService } from './service.js';
import type { Responses } from './service-response.js';
import type { Conversations } from './service-conversation.js';
import { PolisFormatError } from './polis.js';
import { ELIGIBILITY, KPIS, MODES, SUBJECTS, type ConsultationInput } from './schema.js';
import { consultationCard, consultationPath } from './present.js';

type Staff = NonNullable<Awaited<ReturnType<CatalogueService['staffActor']>>>;
const DONE = ['created', 'moderated', 'appeal-decided', 'responded', 'imported', 'statement-moderated'] as const;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The signed-in staff member of a request the console's guard let through (403 otherwise). */
const staffOf = (req: FastifyRequest) => staffActorOf<Staff>(req);

/** A date from GOV.UK day/month/year inputs: its ISO form, or null if not a real date. */
function dateFrom(body: FormBody, name: string): string | null {
  const [d, m, y] = ['day', 'month', 'year'].map((p) => str(body, `${name}-${p}`, 10));
  if (!/^\d{1,2}$/.test(d) || !/^\d{1,2}$/.test(m) || !/^\d{4}$/.test(y)) return null;
  const date = new Date(Date.UTC(+y, +m - 1, +d));
  return date.getUTCDate() === +d && date.getUTCMonth() === +m - 1 ? date.toISOString().slice(0, 10) : null;
}

export function engagementConsole(
  app: FastifyInstance,
  k: Kernel,
  svc: EngagementService,
  responses: Responses,
  conv: Conversations,
  catalogue: CatalogueService,
) {
  const tr = (req: FastifyRequest) => translator(k.views.messages, requestLang(req));
  const render = (req: FastifyRequest, reply: FastifyReply, view: string, ctx: Record<string, unknown>) => {
    const done = (req.query as Record<string, unknown>).done;
    const banner = typeof done === 'string' && (DONE as readonly string[]).includes(done) ? tr(req)(`engagement.admin.done.${done}`) : null;
    return renderPage(k.views, req, reply, `engagement/views/admin/${view}.njk`, { banner, ...ctx });
  };
  const manageableServices = async (actor: Actor) =>
    (await catalogue.listServices()).filter((s) => catalogue.canManage(actor, s.organisation.id, 'service'));

  app.register(async (admin) => {
    guardStaff<Staff>(admin, { sessions: k.sessions, actor: (id) => catalogue.staffActor(id) });

    admin.get('/admin/engagement', async (req, reply) => {
      const lang = requestLang(req);
      const services = await manageableServices(staffOf(req));
      const all = services.length ? await svc.list({ serviceIds: services.map((s) => s.id) }) : [];
      const names = new Map(services.map((s) => [s.id, s.name]));
      return render(req, reply, 'home', {
        title: tr(req)('engagement.admin.title'),
        services,
        consultations: all.map((c) => ({ ...consultationCard(lang, c), service: names.get(c.service_id) ?? '' })),
      });
    });

    async function newPage(
      req: FastifyRequest,
      reply: FastifyReply,
      slug: string,
      values: Record<string, unknown> = {},
      fields: FieldError[] = [],
    ) {
      const actor = staffOf(req);
      const s = await catalogue.getService(slug);
      if (!catalogue.canManage(actor, s.organisation.id, 'service')) throw new Forbidden();
      const detail = await catalogue.getServiceDetail(slug);
      const orgs = await catalogue.listOrganisations();
      if (fields.length) reply.status(400);
      return render(req, reply, 'new', {
        title: tr(req)('engagement.admin.new.title'),
        s,
        roadmap: detail.roadmap,
        orgs,
        modes: MODES,
        subjects: SUBJECTS,
        eligibility: ELIGIBILITY,
        kpis: KPIS,
        values: {
          mode: 'consultation',
          subject: 'general',
          eligibility: 'anyone',
          staff_organisation_slug: s.organisation.slug,
          ...values,
        },
        ...formErrors(fields),
      });
    }

    admin.get('/admin/engagement/new', async (req, reply) => {
      const slug = String((req.query as Record<string, unknown>).service ?? '');
      if (!slug) return reply.redirect('/admin/engagement', 303);
      return newPage(req, reply, slug);
    });

    admin.post('/admin/engagement/new', async (req, reply) => {
      const b = (req.body ?? {}) as FormBody;
      const t = tr(req);
      const slug = str(b, 'service', 80);
      const lines = (name: string) =>
        str(b, name, 5000)
          .split(/\r?\n/)
          .map((x) => x.trim())
          .filter(Boolean);
      const values: Record<string, unknown> = Object.fromEntries(
        [
          'mode',
          'subject',
          'roadmap_item_id',
          'proposal',
          'title',
          'title_cy',
          'question',
          'question_cy',
          'background',
          'background_cy',
          'options',
          'options_cy',
          'eligibility',
          'area_name',
          'area_postcodes',
          'staff_organisation_slug',
          'allow_anonymous',
          ...['opens', 'closes'].flatMap((d) => ['day', 'month', 'year'].map((p) => `${d}-${p}`)),
        ].map((n) => [n, str(b, n, 10000)]),
      );
      values.promised_kpis = list(b, 'promised_kpis');
      const fields: FieldError[] = [];
      const need = (name: string, key: string) => {
        if (!String(values[name] ?? '').trim()) fields.push({ field: name, message: t(`engagement.admin.errors.${key}`) });
      };
      need('title', 'title');
      need('question', 'question');
      if (!(MODES as readonly string[]).includes(String(values.mode)))
        fields.push({ field: 'mode', message: t('engagement.admin.errors.mode') });
      if (!(SUBJECTS as readonly string[]).includes(String(values.subject)))
        fields.push({ field: 'subject', message: t('engagement.admin.errors.subject') });
      if (!(ELIGIBILITY as readonly string[]).includes(String(values.eligibility)))
        fields.push({ field: 'eligibility', message: t('engagement.admin.errors.eligibility') });
      const opens = dateFrom(b, 'opens');
      const closes = dateFrom(b, 'closes');
      if (!opens) fields.push({ field: 'opens-day', message: t('engagement.admin.errors.opens') });
      if (!closes) fields.push({ field: 'closes-day', message: t('engagement.admin.errors.closes') });
      const kpis = (values.promised_kpis as string[]).filter((x) => (KPIS as readonly string[]).includes(x));
      if (fields.length) return newPage(req, reply, slug, values, fields);
      const en = lines('options');
      const cy = lines('options_cy');
      const input: ConsultationInput = {
        mode: values.mode as ConsultationInput['mode'],
        subject: values.subject as ConsultationInput['subject'],
        roadmap_item_id: String(values.roadmap_item_id) || null,
        proposal: String(values.proposal),
        title: String(values.title),
        title_cy: String(values.title_cy) || null,
        question: String(values.question),
        question_cy: String(values.question_cy) || null,
        background: String(values.background),
        background_cy: String(values.background_cy) || null,
        options: en.slice(0, 10).map((label, i) => ({ label: label.slice(0, 300), label_cy: cy[i]?.slice(0, 300) ?? null })),
        eligibility: values.eligibility as ConsultationInput['eligibility'],
        area_name: String(values.area_name),
        area_postcodes: String(values.area_postcodes)
          .split(/[,;\n]+/)
          .map((p) => p.trim())
          .filter(Boolean)
          .map((p) => p.slice(0, 8)),
        staff_organisation_slug: String(values.staff_organisation_slug) || null,
        allow_anonymous: values.allow_anonymous === 'yes',
        opens_on: opens!,
        closes_on: closes!,
        promised_kpis: kpis as ConsultationInput['promised_kpis'],
      };
      if (en.length > 10)
        return newPage(req, reply, slug, values, [{ field: 'options', message: t('engagement.admin.errors.tooManyOptions') }]);
      let id: string;
      try {
        id = (await svc.create(staffOf(req), slug, input)).id;
      } catch (err) {
        const f = fieldErrorsFrom(err, 'title').map((x) => ({ ...x, field: x.field === 'closes_on' ? 'closes-day' : x.field }));
        return newPage(req, reply, slug, values, f);
      }
      return reply.redirect(`/admin/engagement/${id}?done=created`, 303);
    });

    async function consultationPage(
      req: FastifyRequest,
      reply: FastifyReply,
      values: Record<string, string> = {},
      fields: FieldError[] = [],
    ) {
      const { id } = req.params as { id: string };
      if (!isUuid(id)) throw new NotFound();
      const c = await svc.get(id);
      await svc.manageable(staffOf(req), c);
      const lang = requestLang(req);
      const [comments, trail, options, participants, s, statements] = await Promise.all([
        svc.comments(c.id),
        svc.moderation(c.id),
        svc.options(c.id),
        svc.participants(c.id),
        catalogue.getServiceById(c.service_id),
        c.mode === 'conversation' ? conv.statements(c.id) : Promise.resolve([]),
      ]);
      if (fields.length) reply.status(400);
      return render(req, reply, 'consultation', {
        title: c.title,
        c,
        s,
        card: consultationCard(lang, c),
        publicHref: consultationPath(c),
        status: svc.statusOf(c),
        comments: [...comments].sort(
          (a, b) =>
            Number(b.appeal === 'pending') - Number(a.appeal === 'pending') || b.reports - a.reports || b.flags.length - a.flags.length,
        ),
        trail,
        options,
        statements: [...statements].sort((a, b) => Number(b.moderated === 0) - Number(a.moderated === 0) || a.tid - b.tid),
        participantCount: participants.length,
        following: participants.filter((p) => p.notify_email).length,
        today: new Date().toISOString().slice(0, 10),
        values,
        ...formErrors(fields),
      });
    }

    admin.get('/admin/engagement/:id', async (req, reply) => consultationPage(req, reply));

    admin.post('/admin/engagement/:id/statements/:statementId', async (req, reply) => {
      const { id, statementId } = req.params as { id: string; statementId: string };
      const b = (req.body ?? {}) as FormBody;
      const decision = str(b, 'decision', 10);
      const reason = str(b, 'reason', 1000);
      const t = tr(req);
      if (decision !== 'accept' && decision !== 'reject') throw new HttpError(400, 'bad_request', 'Choose accept or reject');
      if (!reason)
        return consultationPage(req, reply, {}, [
          { field: `statement-reason-${statementId}`, message: t('engagement.admin.errors.reason') },
        ]);
      await conv.moderateStatement(staffOf(req), id, statementId, decision === 'accept', reason);
      return reply.redirect(`/admin/engagement/${id}?done=statement-moderated`, 303);
    });

    async function importPage(
      req: FastifyRequest,
      reply: FastifyReply,
      slug: string,
      values: Record<string, string> = {},
      fields: FieldError[] = [],
    ) {
      const s = await catalogue.getService(slug);
      if (!catalogue.canManage(staffOf(req), s.organisation.id, 'service')) throw new Forbidden();
      if (fields.length) reply.status(400);
      return render(req, reply, 'import', { title: tr(req)('engagement.admin.import.title'), s, values, ...formErrors(fields) });
    }
    admin.get('/admin/engagement/import', async (req, reply) =>
      importPage(req, reply, String((req.query as Record<string, unknown>).service ?? '')),
    );
    admin.post('/admin/engagement/import', { bodyLimit: 20 * 1024 * 1024 }, async (req, reply) => {
      const b = (req.body ?? {}) as FormBody;
      const t = tr(req);
      const raw = (n: string) => {
        const v = b[n];
        return (Array.isArray(v) ? v[0] : v) ?? '';
      };
      const values = {
        title: str(b, 'title', 200),
        question: str(b, 'question', 500),
        comments: raw('comments'),
        votes: raw('votes'),
        participants_votes: raw('participants_votes'),
      };
      const slug = str(b, 'service', 80);
      const fields: FieldError[] = [];
      if (!values.title) fields.push({ field: 'title', message: t('engagement.admin.errors.title') });
      if (!values.question) fields.push({ field: 'question', message: t('engagement.admin.errors.question') });
      if (!values.comments.trim()) fields.push({ field: 'comments', message: t('engagement.admin.errors.comments') });
      if (fields.length) return importPage(req, reply, slug, values, fields);
      let id: string;
      try {
        id = (
          await conv.importPolis(staffOf(req), slug, values, {
            comments: values.comments,
            votes: values.votes,
            participantsVotes: values.participants_votes,
          })
        ).id;
      } catch (err) {
        if (err instanceof PolisFormatError)
          return importPage(req, reply, slug, values, [
            {
              field: err.file === 'votes.csv' ? 'votes' : err.file === 'participants-votes.csv' ? 'participants_votes' : 'comments',
              message: err.message,
            },
          ]);
        return importPage(req, reply, slug, values, fieldErrorsFrom(err, 'comments'));
      }
      return reply.redirect(`/admin/engagement/${id}?done=imported`, 303);
    });

    admin.post('/admin/engagement/:id/comments/:commentId', async (req, reply) => {
      const { id, commentId } = req.params as { id: string; commentId: string };
      const b = (req.body ?? {}) as FormBody;
      const action = str(b, 'action', 20);
      const reason = str(b, 'reason', 1000);
      const t = tr(req);
      if (!['hide', 'restore', 'redact'].includes(action)) throw new HttpError(400, 'bad_request', 'Choose hide, restore or redact');
      if (!reason)
        return consultationPage(req, reply, { [`reason-${commentId}`]: '' }, [
          { field: `reason-${commentId}`, message: t('engagement.admin.errors.reason') },
        ]);
      await svc.moderate(staffOf(req), id, commentId, action as 'hide' | 'restore' | 'redact', reason);
      return reply.redirect(`/admin/engagement/${id}?done=moderated#comment-${commentId}`, 303);
    });

    admin.post('/admin/engagement/:id/comments/:commentId/appeal', async (req, reply) => {
      const { id, commentId } = req.params as { id: string; commentId: string };
      const b = (req.body ?? {}) as FormBody;
      const decision = str(b, 'decision', 20);
      const reason = str(b, 'reason', 1000);
      const t = tr(req);
      const fields: FieldError[] = [];
      if (decision !== 'uphold' && decision !== 'reject')
        fields.push({ field: `appeal-${commentId}`, message: t('engagement.admin.errors.appealDecision') });
      if (!reason) fields.push({ field: `appeal-reason-${commentId}`, message: t('engagement.admin.errors.reason') });
      if (fields.length) return consultationPage(req, reply, {}, fields);
      await svc.decideAppeal(staffOf(req), id, commentId, decision === 'uphold', reason);
      return reply.redirect(`/admin/engagement/${id}?done=appeal-decided#comment-${commentId}`, 303);
    });

    admin.post('/admin/engagement/:id/respond', async (req, reply) => {
      const { id } = req.params as { id: string };
      const b = (req.body ?? {}) as FormBody;
      const t = tr(req);
      const values = Object.fromEntries(
        ['response', 'response_cy', 'outcome', 'decision', 'decided_by', 'reasoning', 'why_not'].map((n) => [n, str(b, n, 10000)]),
      );
      const fields: FieldError[] = [];
      if (!values.response) fields.push({ field: 'response', message: t('engagement.admin.errors.response') });
      if (values.outcome !== 'decision' && values.outcome !== 'none')
        fields.push({ field: 'outcome', message: t('engagement.admin.errors.outcome') });
      if (values.outcome === 'decision') {
        if (!values.decision) fields.push({ field: 'decision', message: t('engagement.admin.errors.decision') });
        if (!values.decided_by) fields.push({ field: 'decided_by', message: t('engagement.admin.errors.decidedBy') });
      }
      if (values.outcome === 'none' && !values.why_not) fields.push({ field: 'why_not', message: t('engagement.admin.errors.whyNot') });
      if (fields.length) return consultationPage(req, reply, values, fields);
      try {
        await responses.respond(staffOf(req), id, {
          response: values.response,
          response_cy: values.response_cy || null,
          decision:
            values.outcome === 'decision'
              ? {
                  decision: values.decision.slice(0, 2000),
                  decided_by: values.decided_by.slice(0, 200),
                  reasoning: values.reasoning || undefined,
                  decided_on: new Date().toISOString().slice(0, 10),
                }
              : null,
          why_not: values.outcome === 'none' ? values.why_not : null,
        });
      } catch (err) {
        return consultationPage(req, reply, values, fieldErrorsFrom(err, 'response'));
      }
      return reply.redirect(`/admin/engagement/${id}?done=responded`, 303);
    });
  });
}

export { DATE };

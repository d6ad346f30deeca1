// "Is this page useful? Yes / No / Report a problem" on every citizen page (the layout's
// _page-feedback.njk posts here; no JavaScript), and the staff's feedback explorer at
// /admin/engagement/feedback (filters, CSV). Anonymous: no person, account, address or cookie
// is kept, only the page path, its service (when the path is a service's page), yes/no, the
// text and the language. Each answer on a service's page is also recorded in performance
// (type engagement.page_feedback, value 1 useful / 0 not) in the same transaction, for trends.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import type { Queryable } from '../../kernel/db.js';
import { formErrors, str } from '../../kernel/forms.js';
import { csv } from '../../kernel/csv.js';
import { guardStaff } from '../../kernel/staff.js';
import { renderPage, requestLang, translator } from '../../kernel/views.js';
import type { Actor, CatalogueService } from '../catalogue/index.js';
import { body } from './pages.js';

export const FEEDBACK_TEXT_MAX = 1200;
const LIMIT = { config: { rateLimit: { max: 10, timeWindow: '1 minute' } } };
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export interface FeedbackRecorder {
  record?: (
    tx: Queryable | null,
    m: { serviceId: string; type: string; value?: number; props?: Record<string, string | number> },
  ) => Promise<void>;
}

/** A path on this site (never another origin), without its query, bounded. */
export function pagePath(v: string): string | null {
  const p = v.split(/[?#]/)[0];
  if (!p.startsWith('/') || p.startsWith('//') || p.length > 300 || /[\s\\]/.test(p) || p.startsWith('/admin')) return null;
  return p;
}

export interface FeedbackRow {
  id: string;
  page: string;
  service_id: string | null;
  useful: boolean | null;
  text: string;
  lang: string;
  created_at: Date;
}

export function pageFeedback(app: FastifyInstance, k: Kernel, catalogue: CatalogueService, performance: FeedbackRecorder | undefined) {
  const { db, views } = k;
  const tr = (req: FastifyRequest) => translator(views.messages, requestLang(req));
  const cy = (req: FastifyRequest) => (requestLang(req) === 'cy' ? '?lang=cy' : '');

  /** The service whose page this is: /services/<slug>… */
  async function serviceOf(page: string): Promise<string | null> {
    const m = /^\/services\/([^/]+)/.exec(page);
    if (!m) return null;
    const slug = decodeURIComponent(m[1]);
    return (await catalogue.listServices()).find((s) => s.slug === slug)?.id ?? null;
  }

  async function save(req: FastifyRequest, page: string, useful: boolean | null, text: string) {
    const serviceId = await serviceOf(page);
    await db.transaction(async (tx) => {
      await tx.query('INSERT INTO engagement.page_feedback (page, service_id, useful, text, lang) VALUES ($1,$2,$3,$4,$5)', [
        page,
        serviceId,
        useful,
        text,
        requestLang(req),
      ]);
      if (serviceId && performance?.record)
        await performance.record(tx, {
          serviceId,
          type: 'engagement.page_feedback',
          value: useful === null ? undefined : useful ? 1 : 0,
          props: { page, kind: useful === null ? 'problem' : useful ? 'yes' : 'no' },
        });
    });
  }

  const thanks = (req: FastifyRequest, page: string) =>
    `/engagement/feedback/thanks?page=${encodeURIComponent(page)}${requestLang(req) === 'cy' ? '&lang=cy' : ''}`;

  app.post('/engagement/feedback', LIMIT, async (req, reply) => {
    const b = body(req);
    const page = pagePath(str(b, 'page', 400)) ?? '/';
    const useful = str(b, 'useful', 5);
    if (useful !== 'yes' && useful !== 'no') return reply.redirect(page, 303);
    await save(req, page, useful === 'yes', '');
    // "No": thank them and ask what was wrong (optional).
    if (useful === 'no')
      return reply.redirect(
        `/engagement/feedback/problem?page=${encodeURIComponent(page)}&after=no${requestLang(req) === 'cy' ? '&lang=cy' : ''}`,
        303,
      );
    return reply.redirect(thanks(req, page), 303);
  });

  async function problemPage(
    req: FastifyRequest,
    reply: FastifyReply,
    values: Record<string, string>,
    fields: Array<{ field: string; message: string }> = [],
  ) {
    if (fields.length) reply.status(400);
    return renderPage(views, req, reply, 'engagement/views/feedback-problem.njk', {
      values,
      textMax: FEEDBACK_TEXT_MAX,
      action: `/engagement/feedback/problem${cy(req)}`,
      hidePageFeedback: true,
      ...formErrors(fields),
    });
  }

  app.get('/engagement/feedback/problem', async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const page = pagePath(String(q.page ?? '')) ?? '/';
    return problemPage(req, reply, { page, after: q.after === 'no' ? 'no' : '' });
  });

  app.post('/engagement/feedback/problem', LIMIT, async (req, reply) => {
    const b = body(req);
    const values = {
      page: pagePath(str(b, 'page', 400)) ?? '/',
      text: str(b, 'text', 20_000).trim(),
      after: str(b, 'after', 5) === 'no' ? 'no' : '',
    };
    const t = tr(req);
    if (!values.text) return problemPage(req, reply, values, [{ field: 'text', message: t('engagement.feedback.errors.empty') }]);
    if (values.text.length > FEEDBACK_TEXT_MAX)
      return problemPage(req, reply, values, [
        { field: 'text', message: t('engagement.feedback.errors.tooLong', { max: FEEDBACK_TEXT_MAX }) },
      ]);
    await save(req, values.page, values.after === 'no' ? false : null, values.text);
    return reply.redirect(thanks(req, values.page), 303);
  });

  app.get('/engagement/feedback/thanks', async (req, reply) => {
    const page = pagePath(String((req.query as Record<string, unknown>).page ?? '')) ?? '/';
    return renderPage(views, req, reply, 'engagement/views/feedback-thanks.njk', { back: page, hidePageFeedback: true });
  });

  // The explorer: staff see feedback on their own services' pages; a platform admin also sees
  // feedback on pages that belong to no service.
  app.register(async (admin) => {
    const staffOf = guardStaff<NonNullable<Awaited<ReturnType<CatalogueService['staffActor']>>>>(admin, {
      sessions: k.sessions,
      actor: (id) => catalogue.staffActor(id),
    });

    admin.get('/admin/engagement/feedback', async (req, reply) => {
      const actor: Actor = staffOf(req);
      const q = req.query as Record<string, unknown>;
      const f = {
        service: typeof q.service === 'string' ? q.service.slice(0, 80) : '',
        page: typeof q.page === 'string' ? q.page.slice(0, 300) : '',
        from: typeof q.from === 'string' && DATE.test(q.from) ? q.from : '',
        to: typeof q.to === 'string' && DATE.test(q.to) ? q.to : '',
        rating: q.rating === 'yes' || q.rating === 'no' || q.rating === 'problem' ? q.rating : '',
        text: typeof q.text === 'string' ? q.text.slice(0, 200) : '',
      };
      const services = (await catalogue.listServices()).filter((s) => catalogue.canManage(actor, s.organisation.id, 'service'));
      const all = catalogue.canManage(actor, null, 'service');
      const allowed = f.service ? services.filter((s) => s.slug === f.service) : services;
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (sql: string, v: unknown) => {
        params.push(v);
        where.push(sql.replace('?', `$${params.length}`));
      };
      params.push(allowed.map((s) => s.id));
      where.push(all && !f.service ? `(service_id = ANY($1::uuid[]) OR service_id IS NULL)` : `service_id = ANY($1::uuid[])`);
      if (f.page) add(`page = ?`, f.page);
      if (f.from) add(`created_at >= ?::date`, f.from);
      if (f.to) add(`created_at < (?::date + 1)`, f.to);
      if (f.rating === 'yes') where.push('useful IS TRUE');
      if (f.rating === 'no') where.push('useful IS FALSE');
      if (f.rating === 'problem') where.push(`text <> ''`);
      if (f.text) add(`strpos(lower(text), lower(?)) > 0`, f.text);
      const { rows } = await db.query<FeedbackRow>(
        `SELECT id::text, page, service_id, useful, text, lang, created_at FROM engagement.page_feedback
          WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT 1000`,
        params,
      );
      const names = new Map(services.map((s) => [s.id, s.slug]));
      const t = tr(req);
      const rating = (r: FeedbackRow) => (r.useful === true ? 'yes' : r.useful === false ? 'no' : 'problem');
      if (q.format === 'csv')
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', 'attachment; filename="page-feedback.csv"')
          .send(
            csv([
              ['created_at', 'service', 'page', 'rating', 'text', 'lang'],
              ...rows.map((r) => [
                new Date(r.created_at).toISOString(),
                names.get(r.service_id ?? '') ?? '',
                r.page,
                rating(r),
                r.text,
                r.lang,
              ]),
            ]),
          );
      const useful = rows.filter((r) => r.useful === true).length;
      const notUseful = rows.filter((r) => r.useful === false).length;
      const qs = new URLSearchParams(Object.entries(f).filter(([, v]) => v) as Array<[string, string]>);
      qs.set('format', 'csv');
      return renderPage(views, req, reply, 'engagement/views/admin/feedback.njk', {
        title: t('engagement.feedback.explorer.title'),
        f,
        services: services.map((s) => ({ value: s.slug, text: s.name, selected: s.slug === f.service })),
        rows: rows.map((r) => ({ ...r, service: names.get(r.service_id ?? '') ?? '', rating: rating(r) })),
        useful,
        notUseful,
        csvHref: `/admin/engagement/feedback?${qs}`,
      });
    });
  });
}

// The payments staff console at /admin/pay: for each service a signed-in staff member may work
// on, its transactions (filters, CSV export for reconciliation), takings per day, a payment's
// timeline with refunds, cancel and capture; webhooks and payment links are in admin-settings.ts.
// Sign-in is the catalogue's staff console; permissions are the catalogue's (canManage).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import type { Queryable } from '../../kernel/db.js';
import { Forbidden, HttpError } from '../../kernel/errors.js';
import { str, type FormBody } from '../../kernel/forms.js';
import { renderPage, requestLang, translator } from '../../kernel/views.js';
import type { Actor, CatalogueService } from '../catalogue/index.js';
import { store, type PaymentFilters, type PaymentRow } from './store.js';
import { consoleStore } from './store-console.js';
import { refundAvailability, state } from './representation.js';
import { money } from './pages.js';
import { parsePounds } from './links.js';
import { adminSettingsPages } from './admin-settings.js';
import type { createPaymentService } from './service.js';
import type { createRefundService } from './service-refunds.js';
import type { Webhooks } from './webhooks.js';
import type { Links } from './links.js';
import { guardStaff, staffActorOf } from '../../kernel/staff.js';

export type StaffActor = Actor & { kind: 'staff' };
export interface ConsoleServices {
  payments: ReturnType<typeof createPaymentService>;
  refunds: ReturnType<typeof createRefundService>;
  webhooks: Webhooks;
  links: Links;
}

const PAGE = 50;
const STATUSES = ['created', 'started', 'submitted', 'capturable', 'success', 'failed', 'cancelled', 'error'];

const DONE = ['refunded', 'cancelled', 'captured', 'webhook-created', 'webhook-updated', 'link-created', 'link-updated'];
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The signed-in staff member on /admin/pay pages (set by the console's guard). */
export const actorOf: (req: FastifyRequest) => StaffActor = staffActorOf<StaffActor>;
export const actorName = (a: StaffActor) => `staff:${a.email}`;

/** The service in the URL, if this staff member may work on it. */
export async function serviceFor(catalogue: CatalogueService, req: FastifyRequest) {
  const actor = actorOf(req);
  const service = await catalogue.getService((req.params as { slug: string }).slug);
  if (!catalogue.canManage(actor, service.organisation.id, 'service')) throw new Forbidden();
  return { actor, service };
}

/** Live or test ledger, from ?mode= (live unless asked). */
export const liveMode = (req: FastifyRequest) => (req.query as Record<string, unknown>)?.mode !== 'test';

export function render(k: Kernel, req: FastifyRequest, reply: FastifyReply, view: string, ctx: Record<string, unknown>) {
  const done = (req.query as Record<string, unknown>)?.done;
  const t = translator(k.views.messages, requestLang(req));
  const banner = typeof done === 'string' && DONE.includes(done) ? t(`payments.admin.done.${done}`) : null;
  return renderPage(k.views, req, reply, `payments/views/admin/${view}.njk`, { banner, ...ctx });
}

function filtersFrom(q: Record<string, unknown>): { filters: PaymentFilters; values: Record<string, string> } {
  const v = (n: string, max = 255) => (typeof q[n] === 'string' ? (q[n] as string).trim().slice(0, max) : '');
  const values = {
    status: v('status', 20),
    reference: v('reference'),
    email: v('email'),
    last4: v('last4', 4),
    from: v('from', 10),
    to: v('to', 10),
  };
  const filters: PaymentFilters = {};
  if (STATUSES.includes(values.status)) filters.state = values.status;
  if (values.reference) filters.reference = values.reference;
  if (values.email) filters.email = values.email;
  if (/^\d{4}$/.test(values.last4)) filters.lastDigits = values.last4;
  if (DATE.test(values.from)) filters.fromDate = `${values.from}T00:00:00Z`;
  if (DATE.test(values.to)) filters.toDate = new Date(Date.parse(`${values.to}T00:00:00Z`) + 86400_000).toISOString();
  return { filters, values };
}

const csvCell = (v: unknown) => {
  let s = v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`; // never a formula in a spreadsheet
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
const pounds = (pence: number) => (pence / 100).toFixed(2);

export function payConsole(app: FastifyInstance, k: Kernel, catalogue: CatalogueService, s: ConsoleServices) {
  app.register(async (admin) => {
    // The staff console's sign-in guards these pages too: no session → sign in and come back.
    guardStaff(admin, { sessions: k.sessions, actor: (id) => catalogue.staffActor(id) });

    admin.get('/admin/pay', async (req, reply) => {
      const actor = actorOf(req);
      const all = await catalogue.listServices();
      const services = all.filter((x) => catalogue.canManage(actor, x.organisation.id, 'service'));
      return render(k, req, reply, 'index', { title: translator(k.views.messages, requestLang(req))('payments.admin.title'), services });
    });

    admin.get('/admin/pay/:slug', async (req, reply) => {
      const { service } = await serviceFor(catalogue, req);
      const live = liveMode(req);
      const q = req.query as Record<string, unknown>;
      const page = Math.max(1, Number(/^\d{1,5}$/.test(String(q.page ?? '')) ? q.page : 1));
      const { filters, values } = filtersFrom(q);
      const { rows, total } = await s.payments.search({ serviceId: service.id, live }, filters, page, PAGE);
      const lang = requestLang(req);
      const query = new URLSearchParams({
        ...Object.fromEntries(Object.entries(values).filter(([, x]) => x)),
        mode: live ? 'live' : 'test',
      });
      return render(k, req, reply, 'transactions', {
        title: translator(k.views.messages, lang)('payments.admin.transactions.title'),
        service,
        live,
        values,
        total,
        page,
        statuses: STATUSES,
        query: query.toString(),
        rows: rows.map((p) => ({ ...p, money: money(p.amount, lang), when: dateTime(p.created_at, lang), state: state(p) })),
        previous: page > 1 ? `?${withPage(query, page - 1)}` : null,
        next: page * PAGE < total ? `?${withPage(query, page + 1)}` : null,
      });
    });

    admin.get('/admin/pay/:slug/transactions.csv', async (req, reply) => {
      const { service } = await serviceFor(catalogue, req);
      const live = liveMode(req);
      const { filters } = filtersFrom(req.query as Record<string, unknown>);
      const header = [
        'Reference',
        'Description',
        'Email',
        'Amount',
        'Card Brand',
        'Cardholder Name',
        'Card Expiry Date',
        'Card Number',
        'State',
        'Finished',
        'Error Code',
        'Error Message',
        'Provider ID',
        'GOV.UK Payment ID',
        'Date Created',
        'Time Created',
        'Card Type',
        'Refunded Amount',
        'Net Amount',
        'Payment Link',
      ];
      const lines = [header.join(',')];
      for (let page = 1; ; page++) {
        const { rows } = await s.payments.search({ serviceId: service.id, live }, filters, page, 1000);
        for (const p of rows) {
          const st = state(p);
          const d = new Date(p.created_at);
          lines.push(
            [
              p.reference,
              p.description,
              p.email,
              pounds(p.amount),
              p.card?.brand,
              p.card?.cardholder_name,
              p.card?.expiry,
              p.card?.last4,
              p.status,
              st.finished,
              p.code,
              st.message,
              p.provider_id,
              p.payment_id,
              d.toISOString().slice(0, 10),
              d.toISOString().slice(11, 19),
              p.card?.type,
              pounds(p.refunded),
              pounds(p.status === 'success' ? p.amount - p.refunded : 0),
              p.link_id ? 'yes' : 'no',
            ]
              .map(csvCell)
              .join(','),
          );
        }
        if (rows.length < 1000 || page >= 100) break;
      }
      const name = `${service.slug}-${live ? 'live' : 'test'}-transactions-${new Date().toISOString().slice(0, 10)}.csv`;
      return reply
        .header('content-disposition', `attachment; filename="${name}"`)
        .header('cache-control', 'no-store')
        .type('text/csv; charset=utf-8')
        .send(lines.join('\r\n') + '\r\n');
    });

    admin.get('/admin/pay/:slug/totals', async (req, reply) => {
      const { service } = await serviceFor(catalogue, req);
      const live = liveMode(req);
      const q = req.query as Record<string, unknown>;
      const today = new Date().toISOString().slice(0, 10);
      const to = typeof q.to === 'string' && DATE.test(q.to) ? q.to : today;
      const from =
        typeof q.from === 'string' && DATE.test(q.from)
          ? q.from
          : new Date(Date.parse(`${to}T00:00:00Z`) - 29 * 86400_000).toISOString().slice(0, 10);
      const lang = requestLang(req);
      const days = await consoleStore.totals(k.db, service.id, live, from, to);
      const sum = days.reduce(
        (a, d) => ({ payments: a.payments + d.payments, gross: a.gross + d.gross, refunded: a.refunded + d.refunded, net: a.net + d.net }),
        { payments: 0, gross: 0, refunded: 0, net: 0 },
      );
      return render(k, req, reply, 'totals', {
        title: translator(k.views.messages, lang)('payments.admin.totals.title'),
        service,
        live,
        from,
        to,
        days: days.map((d) => ({ ...d, gross: money(d.gross, lang), refunded: money(d.refunded, lang), net: money(d.net, lang) })),
        sum: { ...sum, gross: money(sum.gross, lang), refunded: money(sum.refunded, lang), net: money(sum.net, lang) },
      });
    });

    async function paymentFor(req: FastifyRequest) {
      const { actor, service } = await serviceFor(catalogue, req);
      const p = await store.payment(k.db, (req.params as any).id);
      if (!p || p.service_id !== service.id) throw new HttpError(404, 'not_found', 'No such payment');
      return { actor, service, p: (await s.payments.current(p))! };
    }

    admin.get('/admin/pay/:slug/payments/:id', async (req, reply) => {
      const { service, p } = await paymentFor(req);
      return paymentPage(req, reply, service, p, null);
    });

    async function paymentPage(req: FastifyRequest, reply: FastifyReply, service: unknown, p: PaymentRow, refundError: string | null) {
      const lang = requestLang(req);
      const [timeline, refunds] = await Promise.all([store.timeline(k.db, p.payment_id), store.refundsFor(k.db, p.payment_id)]);
      const availability = refundAvailability(p);
      if (refundError) reply.status(400);
      return render(k, req, reply, 'payment', {
        title: `${translator(k.views.messages, lang)('payments.admin.payment.title')} ${p.reference}`,
        service,
        p,
        state: state(p),
        money: money(p.amount, lang),
        timeline: timeline.map((e) => ({ ...e, when: dateTime(e.at, lang) })),
        refunds: refunds.map((r) => ({ ...r, money: money(r.amount, lang), when: dateTime(r.created_at, lang) })),
        available: availability.status === 'available' ? money(availability.available, lang) : null,
        availablePounds: pounds(availability.available),
        canCancel: ['created', 'started', 'submitted', 'capturable'].includes(p.status),
        canCapture: p.status === 'capturable',
        mode: p.live ? 'live' : 'test',
        ...(refundError ? { errorList: [{ text: refundError, href: '#amount' }], errors: { amount: { text: refundError } } } : {}),
      });
    }

    admin.post<{ Body: FormBody | undefined }>('/admin/pay/:slug/payments/:id/refund', async (req, reply) => {
      const { actor, service, p } = await paymentFor(req);
      const t = translator(k.views.messages, requestLang(req));
      const amount = parsePounds(str(req.body, 'amount', 30));
      if (amount === null || amount < 1) return paymentPage(req, reply, service, p, t('payments.admin.payment.refundInvalid'));
      try {
        await s.refunds.refund({ serviceId: service.id, live: p.live }, p.payment_id, { amount }, actorName(actor), (tx, r) =>
          k.audit.record(tx, {
            actor: actorName(actor),
            action: 'payment.refund',
            subject: `payments.payment:${p.payment_id}`,
            organisationId: service.organisation.id,
            after: { refund_id: r.refund_id, amount },
          }),
        );
      } catch (err) {
        if (err instanceof HttpError && err.status < 500)
          return paymentPage(req, reply, service, (await store.payment(k.db, p.payment_id))!, t('payments.admin.payment.refundTooMuch'));
        throw err;
      }
      return reply.redirect(`/admin/pay/${service.slug}/payments/${p.payment_id}?done=refunded`, 303);
    });

    for (const action of ['cancel', 'capture'] as const) {
      admin.post(`/admin/pay/:slug/payments/:id/${action}`, async (req, reply) => {
        const { actor, service, p } = await paymentFor(req);
        const scope = { serviceId: service.id, live: p.live };
        // The audit entry commits with the change, or neither does.
        const audit = (tx: Queryable) =>
          k.audit.record(tx, {
            actor: actorName(actor),
            action: `payment.${action}`,
            subject: `payments.payment:${p.payment_id}`,
            organisationId: service.organisation.id,
          });
        try {
          await (action === 'cancel' ? s.payments.cancel(scope, p.payment_id, audit) : s.payments.capture(scope, p.payment_id, audit));
        } catch (err) {
          if (!(err instanceof HttpError) || err.status >= 500) throw err;
          return reply.redirect(`/admin/pay/${service.slug}/payments/${p.payment_id}`, 303);
        }
        return reply.redirect(
          `/admin/pay/${service.slug}/payments/${p.payment_id}?done=${action === 'cancel' ? 'cancelled' : 'captured'}`,
          303,
        );
      });
    }

    adminSettingsPages(admin, k, catalogue, s);
  });
}

function withPage(q: URLSearchParams, page: number) {
  const c = new URLSearchParams(q);
  c.set('page', String(page));
  return c.toString();
}

export function dateTime(value: unknown, lang: 'en' | 'cy' = 'en'): string {
  const d = value instanceof Date ? value : new Date(String(value));
  return d.toLocaleString(lang === 'cy' ? 'cy-GB' : 'en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZone: 'Europe/London',
  });
}

// Payment links: a no-code payment page a council sets up in the staff console (what it is
// for, a fixed or entered amount, what reference to ask for). Its public page creates an
// ordinary payment in the same ledger and hands over to the hosted card pages.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import { BadRequest, Conflict, type FieldError } from '../../kernel/errors.js';
import { formErrors, str, type FormBody } from '../../kernel/forms.js';
import { translator } from '../../kernel/views.js';
import { randomToken, sha256 } from '../../kernel/crypto.js';
import type { CatalogueService } from '../catalogue/index.js';
import { externalId, type Ctx } from './context.js';
import { store } from './store.js';
import { linkStore, type LinkRow } from './store-webhooks.js';
import { nextUrlToken } from './representation.js';
import { money, renderPay } from './pages.js';

/** "£1,234.50", "1234.5", "20" → pence; null if not an amount of money. */
export function parsePounds(s: string): number | null {
  const m = /^£?\s*(\d{1,3}(,\d{3})*|\d+)(\.(\d{1,2}))?$/.exec(s.trim());
  if (!m) return null;
  return Number(m[1].replace(/,/g, '')) * 100 + Number((m[4] ?? '0').padEnd(2, '0'));
}

export interface LinkInput {
  slug: string;
  title: string;
  description: string;
  amount: string;
  referenceLabel: string;
  referenceHint: string;
  language: string;
  live: boolean;
}

export function createLinks(ctx: Ctx) {
  const { db } = ctx;
  return {
    list: (serviceId: string) => linkStore.list(db, serviceId),
    bySlug: (slug: string) => linkStore.bySlug(db, slug),
    setStatus: (id: string, serviceId: string, status: LinkRow['status']) => linkStore.setStatus(db, id, serviceId, status),

    async create(serviceId: string, input: LinkInput, createdBy: string): Promise<LinkRow> {
      const fields: FieldError[] = [];
      if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(input.slug) || input.slug.length < 3 || input.slug.length > 80)
        fields.push({ field: 'slug', message: 'Enter a web address of 3 to 80 lower-case letters, numbers and hyphens' });
      if (!input.title || input.title.length > 255) fields.push({ field: 'title', message: 'Enter a title of up to 255 characters' });
      if (input.description.length > 2000) fields.push({ field: 'description', message: 'Description must be 2000 characters or fewer' });
      let amount: number | null = null;
      if (input.amount) {
        amount = parsePounds(input.amount);
        if (amount === null || amount < 1 || amount > 10_000_000)
          fields.push({ field: 'amount', message: 'Enter an amount between £0.01 and £100,000, or leave it empty for the payer to enter' });
      }
      if (!input.referenceLabel || input.referenceLabel.length > 100)
        fields.push({ field: 'reference_label', message: 'Enter what reference to ask for, like "invoice number"' });
      if (input.referenceHint.length > 255) fields.push({ field: 'reference_hint', message: 'Hint must be 255 characters or fewer' });
      if (fields.length) throw new BadRequest(fields[0].message, fields);
      if (await linkStore.bySlug(db, input.slug))
        throw new Conflict('That web address is already used by another payment link', 'slug_taken');
      return linkStore.insert(db, {
        service_id: serviceId,
        live: input.live,
        slug: input.slug,
        title: input.title,
        description: input.description,
        amount,
        reference_label: input.referenceLabel,
        reference_hint: input.referenceHint,
        language: input.language === 'cy' ? 'cy' : 'en',
        created_by: createdBy,
      });
    },

    /** A payment from the public link page: into the same ledger, then to the card pages. */
    async startPayment(link: LinkRow, amount: number, reference: string): Promise<string> {
      const returnToken = randomToken(24);
      const paymentId = externalId();
      const p = await store.insertPayment(db, {
        payment_id: paymentId,
        service_id: link.service_id,
        live: link.live,
        key_id: null,
        link_id: link.id,
        amount,
        description: link.title,
        reference,
        return_url: `${ctx.urls.pages}/link/${link.slug}/return/${returnToken}`,
        email: null,
        language: link.language,
        delayed_capture: false,
        moto: false,
        authorisation_mode: 'web',
        agreement_id: null,
        set_up_agreement: null,
        agreement_payment_type: null,
        metadata: null,
        prefilled: null,
        gateway: ctx.gatewayName(link.live),
        one_time_token_hash: null,
        return_token_hash: sha256(returnToken),
      });
      return `/pay/secure/${nextUrlToken(ctx.secret, p!)}`;
    },

    paymentByReturnToken: (token: string) => store.paymentByReturnToken(db, sha256(token)),
  };
}
export type Links = ReturnType<typeof createLinks>;

/** Route type: the payment link's slug in the URL (the router always gives a string). */
type Slug = { Params: { slug: string } };

export function linkPages(app: FastifyInstance, k: Kernel, catalogue: CatalogueService, links: Links) {
  const notFound = (req: FastifyRequest, reply: FastifyReply) =>
    renderPay(
      k,
      catalogue,
      req,
      reply,
      'link/start',
      { missing: true, title: translator(k.views.messages, 'en')('payments.link.notFound') },
      'en',
      null,
      404,
    );

  async function active(req: FastifyRequest<Slug>): Promise<LinkRow | null> {
    const l = await links.bySlug(req.params.slug);
    return l && l.status === 'active' ? l : null;
  }
  const form = (req: FastifyRequest, reply: FastifyReply, l: LinkRow, values: Record<string, string>, errs: FieldError[] = []) =>
    renderPay(
      k,
      catalogue,
      req,
      reply,
      'link/start',
      {
        link: l,
        fixedAmount: l.amount !== null ? money(l.amount, l.language) : null,
        values,
        ...formErrors(errs),
        title: l.title,
        live: l.live,
      },
      l.language,
      l.service_id,
      errs.length ? 400 : 200,
    );

  app.get<Slug>('/pay/link/:slug', async (req, reply) => {
    const l = await active(req);
    return l ? form(req, reply, l, {}) : notFound(req, reply);
  });

  app.post<Slug & { Body: FormBody | undefined }>(
    '/pay/link/:slug',
    { config: { rateLimit: { max: 30, timeWindow: '1 minute' } } },
    async (req, reply) => {
      const l = await active(req);
      if (!l) return notFound(req, reply);
      const t = translator(k.views.messages, l.language);
      const body = req.body;
      const values = { reference: str(body, 'reference', 300), amount: str(body, 'amount', 30) };
      const errs: FieldError[] = [];
      let amount = l.amount;
      if (amount === null) {
        const pence = values.amount ? parsePounds(values.amount) : null;
        if (!values.amount) errs.push({ field: 'amount', message: t('payments.link.errors.amountMissing') });
        else if (pence === null) errs.push({ field: 'amount', message: t('payments.link.errors.amountInvalid') });
        else if (pence < 100 || pence > 10_000_000) errs.push({ field: 'amount', message: t('payments.link.errors.amountRange') });
        amount = pence;
      }
      const label = l.reference_label.toLowerCase();
      if (!values.reference) errs.push({ field: 'reference', message: t('payments.link.errors.referenceMissing', { label }) });
      else if (values.reference.length > 255)
        errs.push({ field: 'reference', message: t('payments.link.errors.referenceTooLong', { label }) });
      if (errs.length) return form(req, reply, l, values, errs);
      return reply.redirect(await links.startPayment(l, amount!, values.reference), 303);
    },
  );

  app.get<{ Params: { slug: string; token: string } }>('/pay/link/:slug/return/:token', async (req, reply) => {
    const p = await links.paymentByReturnToken(req.params.token);
    const l = await links.bySlug(req.params.slug);
    if (!p || !l || p.link_id !== l.id) return notFound(req, reply);
    const ok = p.status === 'success' || p.status === 'capturable';
    return renderPay(
      k,
      catalogue,
      req,
      reply,
      'link/done',
      {
        link: l,
        payment: p,
        ok,
        amount: money(p.amount, p.language),
        title: translator(k.views.messages, p.language)(ok ? 'payments.link.done.title' : 'payments.link.failed.title'),
      },
      p.language,
      p.service_id,
    );
  });
}

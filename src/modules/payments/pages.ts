// The hosted payment pages a next_url leads to: card details → (bank check) → confirm →
// back to the service, or a result page when the payment ends another way. In the payment's
// language (English or Welsh), without JavaScript, every form with a CSRF token, never cached.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import { formErrors, str, type FormBody } from '../../kernel/forms.js';
import { translator, requestLang, urlWithLang, type Lang } from '../../kernel/views.js';
import type { CatalogueService } from '../catalogue/index.js';
import type { Journey } from './journey.js';
import type { PaymentRow } from './store.js';
import { COUNTRIES, readCardForm, type CardFormValues } from './card-form.js';
import { ACCEPTED_BRANDS } from './cards.js';

const COOKIE = 'cs_pay';
/** The language the paying user chose with the language switch, remembered for that payment only. */
const LANG_COOKIE = 'cs_pay_lang';
const BRAND_LABELS: Record<string, string> = {
  visa: 'Visa',
  'master-card': 'Mastercard',
  amex: 'American Express',
  'diners-club': 'Diners Club',
  discover: 'Discover',
  jcb: 'JCB',
  unionpay: 'Union Pay',
};

export function money(pence: number, lang: Lang = 'en'): string {
  return (pence / 100).toLocaleString(lang === 'cy' ? 'cy-GB' : 'en-GB', { style: 'currency', currency: 'GBP' });
}

/** The language switch's link on a page shown in `lang` (pages that honour ?lang=). */
export const switchFor = (req: FastifyRequest, lang: Lang) => urlWithLang(req.url, lang === 'en' ? 'cy' : 'en');

/** Render a page of the payment journey in the payment's language. `ctx.switchLangUrl` shows the language switch. */
export async function renderPay(
  k: Kernel,
  catalogue: CatalogueService,
  req: FastifyRequest,
  reply: FastifyReply,
  view: string,
  ctx: Record<string, unknown>,
  lang: Lang,
  serviceId: string | null,
  status = 200,
): Promise<FastifyReply> {
  const service = serviceId ? await catalogue.getServiceById(serviceId) : null;
  const t = translator(k.views.messages, lang);
  const html = k.views.env.render(`payments/views/${view}.njk`, {
    ...ctx,
    lang,
    t,
    currentPath: req.url.split('?')[0],
    switchLangUrl: (ctx.switchLangUrl as string | undefined) ?? null,
    csrfToken: req.csrfToken(),
    cspNonce: reply.cspNonce.script,
    staff: null,
    serviceName: service ? (lang === 'cy' && service.name_cy ? service.name_cy : service.name) : t('app.name'),
  });
  return reply.status(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html);
}

// Route types for the paying user's pages: the :id in the URL, and the form (urlencoded: absent when empty).
type Card = { Params: { id: string } };
type Form = { Body: FormBody | undefined };
type CardForm = Card & Form;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false: a cross-site post that carries no CSRF token of ours (the kernel's check skips it). */
    csrf?: boolean;
  }
}

export function paymentPages(app: FastifyInstance, k: Kernel, catalogue: CatalogueService, journey: Journey) {
  const cookieOpts = (id: string) => ({
    path: `/pay/card/${id}`,
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: k.config.secureCookies,
    maxAge: 3 * 3600,
  });
  /**
   * The paying user's language: the one they chose with the language switch (?lang=, then
   * remembered for this payment), otherwise the one the service created the payment in.
   */
  function langOf(req: FastifyRequest, reply: FastifyReply, p: PaymentRow): Lang {
    const q = (req.query as Record<string, unknown> | undefined)?.lang;
    if (q === 'cy' || q === 'en') {
      if (req.cookies[LANG_COOKIE] !== q) reply.setCookie(LANG_COOKIE, q, cookieOpts(p.payment_id));
      return q;
    }
    const c = req.cookies[LANG_COOKIE];
    return c === 'cy' || c === 'en' ? c : p.language;
  }
  // Every page of a payment's journey has a form whose answer may be the redirect back to the
  // service (a payment that has just succeeded, a second tab): its CSP names the return_url's origin.
  const page = (req: FastifyRequest, reply: FastifyReply, p: PaymentRow, view: string, ctx: Record<string, unknown> = {}, status = 200) => {
    reply.allowFormAction(p.return_url);
    const lang = langOf(req, reply, p);
    return renderPay(
      k,
      catalogue,
      req,
      reply,
      view,
      { payment: p, amount: money(p.amount, lang), live: p.live, switchLangUrl: switchFor(req, lang), ...ctx },
      lang,
      p.service_id,
      status,
    );
  };
  const spent = (req: FastifyRequest, reply: FastifyReply) => {
    const lang = requestLang(req);
    return renderPay(
      k,
      catalogue,
      req,
      reply,
      'card/result',
      { outcome: 'linkUsed', switchLangUrl: switchFor(req, lang) },
      lang,
      null,
      403,
    );
  };

  /** Where a payment in this state belongs. */
  function routeFor(p: PaymentRow): string | null {
    const base = `/pay/card/${p.payment_id}`;
    if (p.status === 'submitted') return `${base}/confirm`;
    if (p.status === 'success' || p.status === 'capturable') return p.return_url;
    if (p.status === 'failed' || p.status === 'cancelled' || p.status === 'error') return `${base}/done`;
    if (p.auth_step === '3ds') return `${base}/3ds`;
    return null;
  }

  async function bind(token: string, reply: FastifyReply, req: FastifyRequest) {
    const used = await journey.useNextUrl(token);
    if (!used) return spent(req, reply);
    reply.setCookie(COOKIE, used.journey, cookieOpts(used.paymentId));
    return reply.redirect(`/pay/card/${used.paymentId}`, 303);
  }

  app.get<{ Params: { token: string } }>('/pay/secure/:token', async (req, reply) => bind(req.params.token, reply, req));
  // next_url_post: the service's own page posts the token here (cross-site, so no CSRF token of ours).
  app.post<Form>('/pay/secure', { config: { csrf: false } }, async (req, reply) => bind(str(req.body, 'chargeTokenId', 200), reply, req));

  /** The payment this browser is paying, or the "no longer valid" page. */
  async function load(req: FastifyRequest<Card>, reply: FastifyReply): Promise<PaymentRow | null> {
    const p = await journey.load(req.params.id, req.cookies[COOKIE]);
    if (!p) {
      await spent(req, reply);
      return null;
    }
    return p;
  }

  function cardPage(
    req: FastifyRequest,
    reply: FastifyReply,
    p: PaymentRow,
    values: Partial<CardFormValues>,
    fieldErrors: ReturnType<typeof formErrors> | null,
    status = 200,
  ) {
    const lang = langOf(req, reply, p);
    const t = translator(k.views.messages, lang);
    const prefilled = p.prefilled ?? {};
    const address = prefilled.billing_address ?? {};
    const v = {
      cardholder_name: prefilled.cardholder_name ?? '',
      address_line1: address.line1 ?? '',
      address_line2: address.line2 ?? '',
      address_city: address.city ?? '',
      address_postcode: address.postcode ?? '',
      address_country: address.country && COUNTRIES.includes(address.country) ? address.country : 'GB',
      email: p.email ?? '',
      ...values,
    };
    return page(
      req,
      reply,
      p,
      'card/card-details',
      {
        values: v,
        ...(fieldErrors ?? { errors: {}, errorList: [] }),
        countries: COUNTRIES.map((value) => ({
          value,
          text: t(`payments.countries.${value}`),
          selected: value === v.address_country,
        })),
        brands: ACCEPTED_BRANDS.map((b) => BRAND_LABELS[b]),
        title: t('payments.card.title'),
      },
      status,
    );
  }

  app.get<Card>('/pay/card/:id', async (req, reply) => {
    let p = await load(req, reply);
    if (!p) return reply;
    p = await journey.start(p);
    if (p.auth_step === 'authorising') return page(req, reply, p, 'card/result', { outcome: 'inProgress' });
    const next = routeFor(p);
    if (next) return reply.redirect(next, 303);
    return cardPage(req, reply, p, {}, null);
  });

  app.post<CardForm>('/pay/card/:id', async (req, reply) => {
    let p = await load(req, reply);
    if (!p) return reply;
    p = await journey.start(p);
    const next = routeFor(p);
    if (next) return reply.redirect(next, 303);
    const t = translator(k.views.messages, langOf(req, reply, p));
    const { form, errors, values } = readCardForm(req.body, t);
    if (!form) return cardPage(req, reply, p, values, formErrors(errors), 400);
    const after = await journey.submitCard(p, form);
    if (!after) return page(req, reply, p, 'card/result', { outcome: 'inProgress' });
    return reply.redirect(routeFor(after) ?? `/pay/card/${p.payment_id}`, 303);
  });

  app.get<Card>('/pay/card/:id/3ds', async (req, reply) => {
    const p = await load(req, reply);
    if (!p) return reply;
    const challenge = journey.challengeOf(p);
    if (!challenge) return reply.redirect(routeFor(p) ?? `/pay/card/${p.payment_id}`, 303);
    // A real issuer's page is reached by posting a form to it: let this one page post there.
    if (challenge.kind === 'redirect') reply.allowFormAction(challenge.url);
    const t = translator(k.views.messages, langOf(req, reply, p));
    return page(req, reply, p, 'card/three-ds', { challenge, title: t('payments.threeDs.title') });
  });

  // The sandbox's own bank check posts here from our page (with a CSRF token).
  app.post<CardForm>('/pay/card/:id/3ds', async (req, reply) => {
    const p = await load(req, reply);
    if (!p) return reply;
    if (journey.challengeOf(p)?.kind !== 'sandbox') return reply.redirect(routeFor(p) ?? `/pay/card/${p.payment_id}`, 303);
    const result = str(req.body, 'result', 20) === 'authenticated' ? 'authenticated' : 'failed';
    const after = await journey.submit3ds(p, { result });
    return reply.redirect(routeFor(after) ?? `/pay/card/${p.payment_id}`, 303);
  });

  // A real issuer posts its answer back here (cross-site: no cookie, no CSRF token). The gateway
  // checks the answer belongs to this payment's challenge before it authorises anything.
  app.post<CardForm>('/pay/card/:id/3ds/return', { config: { csrf: false } }, async (req, reply) => {
    const id = req.params.id;
    const p = await journey.loadForChallenge(id);
    if (!p) return spent(req, reply);
    const body = Object.fromEntries(Object.entries(req.body ?? {}).map(([key, v]) => [key, String(Array.isArray(v) ? v[0] : (v ?? ''))]));
    await journey.submit3ds(p, body);
    return reply.redirect(`/pay/card/${id}`, 303);
  });

  app.get<Card>('/pay/card/:id/confirm', async (req, reply) => {
    const p = await load(req, reply);
    if (!p) return reply;
    if (p.status !== 'submitted') return reply.redirect(routeFor(p) ?? `/pay/card/${p.payment_id}`, 303);
    const lang = langOf(req, reply, p);
    const t = translator(k.views.messages, lang);
    const code = p.card?.billing_address?.country;
    return page(req, reply, p, 'card/confirm', {
      card: p.card,
      country: code && COUNTRIES.includes(code) ? t(`payments.countries.${code}`) : undefined,
      title: t('payments.confirm.title'),
    });
  });

  app.post<CardForm>('/pay/card/:id/confirm', async (req, reply) => {
    const p = await load(req, reply);
    if (!p) return reply;
    if (p.status !== 'submitted') return reply.redirect(routeFor(p) ?? `/pay/card/${p.payment_id}`, 303);
    const after = await journey.confirm(p);
    return reply.redirect(routeFor(after) ?? `/pay/card/${p.payment_id}/done`, 303);
  });

  app.post<CardForm>('/pay/card/:id/cancel', async (req, reply) => {
    const p = await load(req, reply);
    if (!p) return reply;
    const after = await journey.userCancel(p);
    return reply.redirect(routeFor(after) ?? `/pay/card/${p.payment_id}/done`, 303);
  });

  app.get<Card>('/pay/card/:id/done', async (req, reply) => {
    const p = await load(req, reply);
    if (!p) return reply;
    if (p.status === 'success' || p.status === 'capturable') return reply.redirect(p.return_url ?? '/', 303);
    if (p.status !== 'failed' && p.status !== 'cancelled' && p.status !== 'error') return reply.redirect(`/pay/card/${p.payment_id}`, 303);
    const outcome =
      p.status === 'error'
        ? 'error'
        : p.code === 'P0020'
          ? 'expired'
          : p.code === 'P0030'
            ? 'cancelled'
            : p.code === 'P0040'
              ? 'cancelledByService'
              : 'declined';
    return page(req, reply, p, 'card/result', { outcome });
  });
}

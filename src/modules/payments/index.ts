// The payments module: take a payment, compatible with the GOV.UK Pay public API at /pay/v1,
// hosted card pages, refunds, recurring and telephone payments, webhooks, payment links and the
// staff console at /admin/pay. Other modules import only this file.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kernel, Module } from '../../kernel/module.js';
import { translator } from '../../kernel/views.js';
import type { CatalogueService } from '../catalogue/index.js';
import { createContext } from './context.js';
import { createPaymentService } from './service.js';
import { createRefundService } from './service-refunds.js';
import { createAgreementService } from './service-agreements.js';
import { createDisputeService } from './service-disputes.js';
import { createJourney } from './journey.js';
import { createWebhooks, DELIVERY_QUEUE } from './webhooks.js';
import { createLinks, linkPages } from './links.js';
import { paymentsApi, API_PREFIX } from './api.js';
import { paymentPages, money } from './pages.js';
import { payConsole } from './admin.js';
import { payErrorBody } from './errors.js';
import { store } from './store.js';
import { nextUrlToken } from './representation.js';
import { createSandboxGateway } from './gateways/sandbox.js';
import type { Gateway } from './gateways/contract.js';

export type { Gateway, AuthoriseRequest, AuthoriseResult, ThreeDsChallenge } from './gateways/contract.js';
export { SANDBOX_CARDS } from './gateways/sandbox.js';
export { signature as webhookSignature } from './webhooks.js';

/** Sends the paying user's receipt. Optional: without it no receipts are sent (wire notify here). */
export interface ReceiptSender {
  sendEmail(input: { serviceId: string; to: string; subject: string; body: string; reference: string }): Promise<unknown>;
}

export interface PaymentsDeps extends Kernel {
  catalogue: CatalogueService;
  notify?: ReceiptSender;
  /** Extra gateways by name (a real acquirer); the sandbox is always there. */
  gateways?: Record<string, Gateway>;
}

const here = dirname(fileURLToPath(import.meta.url));
const RECEIPT_QUEUE = 'payments.receipt';
const SWEEP_MS = 60_000;

export function createPaymentsModule(deps: PaymentsDeps) {
  const { catalogue, notify, ...kernel } = deps;
  const gateways: Record<string, Gateway> = { sandbox: createSandboxGateway(), ...deps.gateways };
  const ctx = createContext({
    config: kernel.config,
    db: kernel.db,
    events: kernel.events,
    audit: kernel.audit,
    log: kernel.log,
    gateways,
  });
  const payments = createPaymentService(ctx);
  const refunds = createRefundService(ctx);
  const agreements = createAgreementService(ctx);
  const disputes = createDisputeService(ctx);
  const journey = createJourney(ctx, payments);
  const webhooks = createWebhooks(ctx, kernel.jobs, {
    retryLimit: kernel.config.pay.webhookRetryLimit,
    retryDelaySeconds: kernel.config.pay.webhookRetryDelaySeconds,
  });
  const links = createLinks(ctx);
  let sweep: NodeJS.Timeout | undefined;

  /** The paying user's receipt, in the payment's language (queued when a payment succeeds). */
  async function sendReceipt(paymentId: string) {
    const p = await store.payment(kernel.db, paymentId);
    if (!notify || !p?.email) return;
    const t = translator(kernel.views.messages, p.language);
    await notify.sendEmail({
      serviceId: p.service_id,
      to: p.email,
      reference: p.payment_id,
      subject: t('payments.receipt.subject'),
      body: t('payments.receipt.body', {
        description: p.description,
        reference: p.reference,
        amount: money(p.amount, p.language),
        paymentId: p.payment_id,
        date: new Date(p.created_at).toISOString().slice(0, 10),
      }),
    });
  }

  const service = { payments, refunds, agreements, disputes, journey, webhooks, links, gateways, receipts: { send: sendReceipt } };

  /** For other modules (forms): a payment in the same ledger, and the hosted card page to send the payer to. */
  async function startPayment(input: {
    serviceId: string;
    amount: number;
    description: string;
    reference: string;
    returnUrl: string;
    email?: string | null;
    language: 'en' | 'cy';
    live?: boolean;
  }): Promise<{ paymentId: string; nextUrl: string }> {
    const { payment } = await payments.create(
      { serviceId: input.serviceId, live: input.live ?? false },
      {
        amount: input.amount,
        description: input.description,
        reference: input.reference,
        return_url: input.returnUrl,
        ...(input.email ? { email: input.email } : {}),
        language: input.language,
        delayed_capture: false,
        moto: false,
        authorisation_mode: 'web',
      },
    );
    return { paymentId: payment.payment_id, nextUrl: `${ctx.urls.pages}/secure/${nextUrlToken(ctx.secret, payment)}` };
  }
  /**
   * Whether a service takes real money: its payments account is live once it holds an unrevoked
   * live `pay` key (GOV.UK Pay's "go live"); until then only the test ledger and the sandbox.
   */
  async function isLive(serviceId: string): Promise<boolean> {
    return (await catalogue.listApiKeys(serviceId)).some((k) => k.platform === 'pay' && k.type === 'live' && !k.revoked_at);
  }
  /** A payment's current status and amount (for the module that started it), or null. */
  async function paymentStatus(serviceId: string, paymentId: string): Promise<{ status: string; amount: number } | null> {
    const p = await payments.current(await store.payment(kernel.db, paymentId));
    return p && p.service_id === serviceId ? { status: p.status, amount: p.amount } : null;
  }
  const module: Module & {
    service: typeof service;
    startPayment: typeof startPayment;
    paymentStatus: typeof paymentStatus;
    isLive: typeof isLive;
  } = {
    name: 'payments',
    startPayment,
    isLive,
    paymentStatus,
    staffAreas: [{ href: '/admin/pay', label: 'payments.admin.title' }],
    migrations: join(here, 'migrations'),
    apiErrorFormats: [{ prefix: API_PREFIX, format: payErrorBody }],
    service,
    routes(app) {
      paymentsApi(app, {
        payments,
        refunds,
        agreements,
        disputes,
        urls: ctx.urls,
        secret: ctx.secret,
        keyCache: kernel.caches.create('payments.keys', { ttlMs: kernel.config.pay.keyCacheSeconds * 1000, max: 10_000 }),
        verifyKey: (secret) => catalogue.verifyApiKey(secret, 'pay'),
        onKeysChanged: (fn) => catalogue.onApiKeysChanged(fn),
        rateLimit: { post: kernel.config.pay.rateLimitPostPerSecond, get: kernel.config.pay.rateLimitGetPerSecond },
      });
      paymentPages(app, kernel, catalogue, journey);
      linkPages(app, kernel, catalogue, links);
      payConsole(app, kernel, catalogue, service);
      app.addHook('onClose', async () => {
        if (sweep) clearInterval(sweep);
      });
    },
    /** A demo payment link (test payments) for the demo catalogue's parking fine service. */
    async seedDemo() {
      const s = await catalogue.getService('pay-a-parking-fine').catch(() => null);
      if (!s || (await links.bySlug('pay-a-parking-fine'))) return false;
      await links.create(
        s.id,
        {
          slug: 'pay-a-parking-fine',
          title: 'Pay a parking fine',
          description: 'Pay a penalty charge notice (PCN) issued by Riverside City Council.',
          amount: '70.00',
          referenceLabel: 'Penalty charge notice number',
          referenceHint: 'For example, RV12345678. It is on the notice.',
          language: 'en',
          live: false,
        },
        'demo',
      );
      return true;
    },
    async startWorkers() {
      await kernel.jobs.work<{ messageId: string }>(DELIVERY_QUEUE, (d) => webhooks.deliver(d.messageId));
      await kernel.jobs.work<{ paymentId: string }>(RECEIPT_QUEUE, (d) => sendReceipt(d.paymentId));
      // Subscribed here, not at start-up: the handlers queue jobs, so the queues must exist first.
      kernel.events.subscribe('payments.webhooks', (e, tx) => webhooks.onEvent(e, tx), ['payments.card_payment_*']);
      if (notify) {
        kernel.events.subscribe(
          'payments.receipts',
          async (e, tx) => {
            await kernel.jobs.send(RECEIPT_QUEUE, { paymentId: e.payload.payment_id }, { tx });
          },
          ['payments.card_payment_succeeded'],
        );
      }
      // Abandoned payments expire (P0020) even if nobody looks at them again.
      sweep = setInterval(() => {
        payments
          .expireStale()
          .then(() => payments.forgetOldIdempotencyKeys())
          .catch((err) => kernel.log.error({ err }, 'payments sweep failed'));
      }, SWEEP_MS);
      sweep.unref();
    },
  };
  return module;
}
export type PaymentsModule = ReturnType<typeof createPaymentsModule>;

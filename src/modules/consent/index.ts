// The consent module: citizens' agreements to the use of their data — given, limited,
// delegated, withdrawn — compatible with the GovStack Consent Building Block API at /consent,
// with ISO/IEC TS 27560 receipts, the citizen's pages at /your-data/permissions and the staff
// console at /admin/consent. Other modules import only this file: `decide`, `askPath`, `onChange`.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kernel, Module } from '../../kernel/module.js';
import type { CatalogueService } from '../catalogue/index.js';
import type { IdentityModule } from '../identity/index.js';
import type { NotifyService } from '../notify/index.js';
import { AGREEMENTS_CHANNEL, createContext } from './context.js';
import type { DecideInput, Decision } from './decide.js';
import { createAgreementService } from './service-agreements.js';
import { createRecordService } from './service-records.js';
import { createCitizenService } from './service-citizen.js';
import { createDelegationService } from './service-delegations.js';
import { demoEvidence, type EvidenceChecker } from './evidence.js';
import { createWeb, type IdentityView } from './web.js';
import { askPages, askPath } from './pages-ask.js';
import { citizenPages } from './pages.js';
import { peoplePages } from './pages-people.js';
import { consentConsole } from './admin.js';
import { createApprovalService } from './service-approvals.js';
import { seedDemoConsent } from './demo.js';
import type { ExchangeView } from './exchange.js';
import { verifyAll } from './revisions.js';
import { consentErrorBody } from './errors.js';
import { consentApi } from './api.js';
import { configRoutes } from './api-config.js';
import { webhookRoutes } from './api-webhooks.js';
import { serviceRoutes } from './api-service.js';
import { auditRoutes } from './api-audit.js';
import { createWebhooks, DELIVERY_QUEUE } from './webhooks.js';
import { createNotices, NOTICE_QUEUE } from './notices.js';
import { USED_EVENT } from './exchange.js';

export type { DecideInput, Decision, DecideReason } from './decide.js';
export type { ExchangeView, ExchangeAttribute, StatutoryUse } from './exchange.js';
export type { EvidenceChecker } from './evidence.js';

export interface ConsentModuleDeps extends Kernel {
  catalogue: CatalogueService;
  identity: Pick<IdentityModule, 'citizen' | 'signInPath' | 'accounts' | 'provider' | 'clients'>;
  /** Notices to citizens (an agreement about to end, or used); without it none are sent. */
  notify?: Pick<NotifyService, 'templates' | 'createTemplate' | 'sendEmail' | 'sendSms'>;
  /** The exchange's attribute catalogue and statutory uses; without it attributes are typed in. */
  exchange?: ExchangeView;
  /** Checks lasting powers of attorney and parental links; a demo register by default. */
  evidence?: EvidenceChecker;
}

const here = dirname(fileURLToPath(import.meta.url));
const SWEEP_MS = 5 * 60_000;

/** identity, as consent needs it. */
function identityView(identity: ConsentModuleDeps['identity']): IdentityView {
  return {
    citizen: (req) => identity.citizen(req),
    signInPath: (back) => identity.signInPath(back),
    async contact(accountId) {
      const a = await identity.accounts.byId(accountId);
      return a ? { email: a.email, phone: a.phone, name: [a.given_name, a.family_name].filter(Boolean).join(' ') } : null;
    },
    async accessToken(token) {
      const t = await identity.provider().AccessToken.find(token);
      if (!t || !t.accountId || t.isExpired) return null;
      const client = await identity.clients.get(t.clientId!).catch(() => null);
      return client ? { accountId: t.accountId, serviceId: client.serviceId } : null;
    },
  };
}

export function createConsentModule(deps: ConsentModuleDeps) {
  const { catalogue, exchange, ...kernel } = deps;
  const ctx = createContext({
    config: kernel.config,
    db: kernel.db,
    log: kernel.log,
    events: kernel.events,
    audit: kernel.audit,
    caches: kernel.caches,
    catalogue,
    exchange,
  });
  const identity = identityView(deps.identity);
  const agreements = createAgreementService(ctx);
  const records = createRecordService(ctx);
  const citizens = createCitizenService(ctx, records);
  const delegations = createDelegationService(ctx, deps.evidence ?? demoEvidence());
  const web = createWeb(kernel, identity);
  const webhooks = createWebhooks(ctx, kernel.jobs);
  const approvals = createApprovalService(ctx, agreements);
  const notices = createNotices(ctx, kernel.jobs, identity, kernel.views, deps.notify);
  let sweeper: NodeJS.Timeout | undefined;
  let listening: Array<() => Promise<void>> = [];

  async function listen() {
    if (listening.length) return;
    await ctx.decider.start();
    listening = [() => ctx.decider.stop(), await kernel.db.listen(AGREEMENTS_CHANNEL, () => ctx.forgetAgreements())];
    catalogue.onChange(() => ctx.forgetServices());
  }

  const service = { ctx, agreements, records, citizens, delegations, webhooks, notices, approvals };
  const module = {
    name: 'consent',
    staffAreas: [{ href: '/admin/consent', label: 'consent.admin.title' }],
    migrations: join(here, 'migrations'),
    apiErrorFormats: [{ prefix: '/consent', format: consentErrorBody }],
    service,

    /**
     * May this service use these facts about this person for this purpose now? Allowed only
     * when one consent record covers every attribute asked for; otherwise `allowedAttributes`
     * says which it does cover. Cached per process; a change anywhere drops it at once.
     */
    decide: (input: DecideInput): Promise<Decision> => ctx.decider.decide(input),
    /** The citizen-facing request page; it returns to `back` with ?consent=given&record=<id> or ?consent=declined. */
    askPath,
    /** `cityscape consent verify`: every revision chain's hashes, links and signatures. */
    async verify() {
      return verifyAll(kernel.db, await ctx.signer());
    },
    /** The exchange, once it exists (app.ts makes it after consent): attribute names, statutory uses, objections. */
    useExchange(view: ExchangeView): void {
      (ctx as { exchange?: ExchangeView }).exchange = view;
    },
    /** Called when a citizen's consents change, in this process or another ('*': everyone's). */
    onChange: (listener: (subject: string) => void) => ctx.decider.onChange(listener),

    async routes(app) {
      await listen();
      app.addHook('onClose', async () => {
        clearInterval(sweeper);
        for (const stop of listening) await stop();
        listening = [];
      });
      consentApi(app, { ctx, catalogue, identity, records, agreements, webhooks }, [
        configRoutes,
        webhookRoutes,
        serviceRoutes,
        auditRoutes,
      ]);
      askPages(app, ctx, web, citizens, delegations);
      citizenPages(app, ctx, web, citizens, delegations);
      peoplePages(app, ctx, web, citizens, delegations);
      consentConsole(app, kernel, ctx, catalogue, approvals);
    },

    async startWorkers() {
      await kernel.jobs.work<{ deliveryId: string }>(DELIVERY_QUEUE, (d) => webhooks.deliver(d.deliveryId));
      await kernel.jobs.work<{ recordId: string; kind: 'expiring' | 'used' }>(NOTICE_QUEUE, async (d) => {
        await notices.send(d.recordId, d.kind);
      });
      // Subscribed after the queues exist: the handlers queue jobs inside their transactions.
      kernel.events.subscribe('consent.webhooks', (e, tx) => webhooks.onEvent(e, tx), ['consent.record.*']);
      kernel.events.subscribe('consent.used', (e, tx) => notices.onUsed(e, tx), [USED_EVENT]);
      const sweep = () => void notices.sweep().catch((err) => kernel.log.error({ err }, 'consent: expiry sweep failed'));
      clearInterval(sweeper);
      sweeper = setInterval(sweep, SWEEP_MS);
      sweeper.unref();
      sweep();
    },

    seedDemo: () => seedDemoConsent(ctx, agreements, catalogue),
  } satisfies Module & Record<string, unknown>;
  return module;
}
export type ConsentModule = ReturnType<typeof createConsentModule>;

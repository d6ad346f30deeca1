// buildApp: the kernel plugins, then every module — the architecture on one screen.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import fstatic from '@fastify/static';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import qs from 'node:querystring';
import pino from 'pino';
import type { Config } from './config.js';
import { openDb, type Db } from './kernel/db.js';
import { migrate } from './kernel/migrations.js';
import { MIGRATION_SOURCES } from './schema.js';
import { createEvents } from './kernel/events.js';
import { createJobs } from './kernel/jobs.js';
import { createAudit } from './kernel/audit.js';
import { createCaches } from './kernel/cache.js';
import { createViews, GOVUK_DIST, renderPage, SRC_DIR, translator, requestLang } from './kernel/views.js';
import { createSessions, installCsrf } from './kernel/sessions.js';
import { installErrorHandling, type ErrorInfo } from './kernel/errors.js';
import { installObservability } from './kernel/observability.js';
import { installSecurityHeaders } from './kernel/security.js';
import { installInputGuard } from './kernel/input.js';
import { lazyCompilers } from './kernel/compilers.js';
import { collectRoutes, tagModule, type RouteInfo } from './kernel/routes.js';
import type { Kernel, Module } from './kernel/module.js';
import { createCatalogueModule } from './modules/catalogue/index.js';
import { createAddressesModule } from './modules/addresses/index.js';
import { createNotifyModule, type NotifyService } from './modules/notify/index.js';
import { createPaymentsModule } from './modules/payments/index.js';
import { createIdentityModule, type EvidenceSource } from './modules/identity/index.js';
import { createPerformanceModule } from './modules/performance/index.js';
import { createConsentModule } from './modules/consent/index.js';
import { createSiteModule } from './modules/site/index.js';
import { createExchangeModule } from './modules/exchange/index.js';
import { createRegistriesModule } from './modules/registries/index.js';
import { createExperimentsModule } from './modules/experiments/index.js';
import { createRoomsModule } from './modules/rooms/index.js';
import { createEngagementModule } from './modules/engagement/index.js';
import { createFormsModule } from './modules/forms/index.js';

export const VERSION = '0.1.0';
export const KERNEL_MIGRATIONS = MIGRATION_SOURCES[0];

/** Every module, in mount order. Later modules receive earlier ones they depend on. */
export function createModules(kernel: Kernel) {
  const catalogue = createCatalogueModule(kernel);
  const notify = createNotifyModule({ ...kernel, catalogue: catalogue.service });
  const addresses = createAddressesModule({ ...kernel, catalogue: catalogue.service });
  const payments = createPaymentsModule({ ...kernel, catalogue: catalogue.service, notify: receiptsThrough(notify.service) });
  // Identity proofing checks passports and driving licences through the exchange (added below, once it exists).
  const evidence: EvidenceSource[] = [];
  const identity = createIdentityModule({ ...kernel, catalogue: catalogue.service, notify: notify.service, evidenceSources: evidence });
  const performance = createPerformanceModule({ ...kernel, catalogue: catalogue.service, notify: notify.service });
  catalogue.addServicePanel(performance.servicePanel);
  const consent = createConsentModule({ ...kernel, catalogue: catalogue.service, identity, notify: notify.service });
  const exchange = createExchangeModule({
    ...kernel,
    catalogue: catalogue.service,
    consent,
    identity,
    resolveSubject: identity.resolveSubject,
    notify: notify.service,
    contact: async (accountId) => {
      const a = await identity.accounts.byId(accountId);
      return a ? { email: a.email, phone: a.phone } : null;
    },
  });
  evidence.push(exchange.evidenceSource());
  consent.useExchange(exchange);
  const experiments = createExperimentsModule({ ...kernel, catalogue: catalogue.service, performance });
  catalogue.addServicePanel(experiments.servicePanel);
  const registries = createRegistriesModule({ db: kernel.db, trust: () => exchange.trustList() });
  const rooms = createRoomsModule({ ...kernel, catalogue: catalogue.service, notify: notify.service, performance });
  const engagement = createEngagementModule({ ...kernel, catalogue: catalogue.service, identity, notify: notify.service, performance });
  catalogue.addServicePanel(engagement.servicePanel);
  // Forms runs a service from a definition, joined to every platform above.
  const forms = createFormsModule({
    ...kernel,
    catalogue: catalogue.service,
    identity,
    consent,
    exchange,
    payments,
    notify: notify.service,
    addresses,
    performance,
    experiments,
  });
  catalogue.setStartLink(forms.startLink);
  // Real use of the shared platforms beyond API keys: live sign-in clients and live forms.
  engagement.addAdoptionSource({
    platform: 'identity',
    serviceIds: async () => (await identity.clients.list()).filter((c) => !c.disabled).map((c) => c.serviceId),
  });
  engagement.addAdoptionSource({
    platform: 'forms',
    serviceIds: async () => (await forms.service.list()).filter((f) => f.live_version !== null).map((f) => f.service_id),
  });
  catalogue.addServicePanel(forms.servicePanel);
  for (const m of [
    notify,
    addresses,
    payments,
    identity,
    performance,
    consent,
    exchange,
    experiments,
    rooms,
    engagement,
    forms,
  ] as Module[])
    for (const area of m.staffAreas ?? []) catalogue.addStaffArea(area);
  const site = createSiteModule(kernel);
  return {
    catalogue,
    notify,
    addresses,
    payments,
    identity,
    performance,
    consent,
    exchange,
    experiments,
    registries,
    rooms,
    engagement,
    forms,
    site,
  };
}
export type Modules = ReturnType<typeof createModules>;

/**
 * Payment receipts go through Notify as the paying service, from a plain template that
 * Cityscape adds to the service the first time it sends one (the team can then reword it).
 */
function receiptsThrough(notify: NotifyService) {
  const name = 'Payment receipt (Cityscape Pay)';
  return {
    async sendEmail(input: { serviceId: string; to: string; subject: string; body: string; reference: string }) {
      const existing = (await notify.templates(input.serviceId, 'email')).find((t: { name: string }) => t.name === name) as
        { id: string } | undefined;
      const templateId =
        existing?.id ??
        (await notify.createTemplate(input.serviceId, { type: 'email', name, subject: '((subject))', body: '((body))' }, 'cityscape')).id;
      return notify.sendEmail(input.serviceId, {
        templateId,
        to: input.to,
        personalisation: { subject: input.subject, body: input.body },
        reference: input.reference,
      });
    },
  };
}

export function migrationSources(modules: Record<string, Module>) {
  return [KERNEL_MIGRATIONS, ...Object.values(modules).map((m) => ({ module: m.name, dir: m.migrations }))];
}

const ERROR_COPY: Record<string, string> = {
  404: 'notFound',
  403: 'forbidden',
  session_expired: 'sessionExpired',
  csrf_failed: 'csrf',
  413: 'tooLarge',
  429: 'tooMany',
  500: 'server',
};

/** One log line per request (with its request id), at completion; incoming requests only at debug. */
class RequestLog extends LogController {
  incomingRequest(req: any) {
    req.log.debug({ req }, 'incoming request');
  }
}

export interface BuiltApp {
  app: FastifyInstance;
  kernel: Kernel;
  modules: Modules;
  /** Every route, as added (kernel/routes.ts; `cityscape routes`). */
  routes: RouteInfo[];
  startWorkers(): Promise<void>;
  close(): Promise<void>;
}

/** The database, kernel and modules, migrated: all the demo seed needs, without the HTTP layer. */
export interface Core {
  kernel: Kernel;
  modules: Modules;
  close(): Promise<void>;
}

export async function buildCore(opts: { config: Config; db?: Db }): Promise<Core> {
  const { config } = opts;
  const log = pino({
    level: config.logLevel,
    redact: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.card_number', '*.cvc'],
  });
  const db = opts.db ?? (await openDb(config.databaseUrl, config.dataDir, { schema: MIGRATION_SOURCES }));
  const views = createViews();
  const kernel: Kernel = {
    config,
    db,
    log,
    views,
    events: createEvents(db, log),
    jobs: createJobs(db, log, { databaseUrl: config.databaseUrl, maintenanceIntervalSeconds: config.jobMaintenanceSeconds }),
    audit: createAudit(db),
    sessions: createSessions(db, config),
    caches: createCaches(db, log),
  };
  const modules = createModules(kernel);
  await migrate(db, migrationSources(modules));
  await kernel.caches.listen();
  return {
    kernel,
    modules,
    async close() {
      await kernel.caches.stop();
      await kernel.jobs.stop(); // a module may have started the queue by sending, even without workers
      if (!opts.db) await db.close();
    },
  };
}

/** The whole app: `core` (buildCore's, e.g. after seeding the demo) or a new one, then the HTTP layer. */
export async function buildApp(opts: { config: Config; db?: Db; core?: Core }): Promise<BuiltApp> {
  const { config } = opts;
  const core = opts.core ?? (await buildCore(opts));
  const { kernel, modules } = core;
  const { db, log, views } = kernel;

  const app: FastifyInstance = Fastify({
    loggerInstance: log as unknown as FastifyBaseLogger,
    bodyLimit: config.bodyLimit,
    trustProxy: config.trustProxy as any, // a hop count is allowed at run time; the types lag
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    logController: new RequestLog({ disableRequestLogging: (req) => req.url.startsWith('/assets/') || req.url === '/health' }),
    routerOptions: { ignoreTrailingSlash: true },
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: true } },
    schemaController: { compilersFactory: lazyCompilers() },
  });

  const routes = collectRoutes(app);
  await app.register(cookie, { secret: config.sessionSecret });
  await app.register(formbody, { parser: (body) => qs.parse(body) });
  installSecurityHeaders(app, { https: config.publicUrl.startsWith('https:') });
  installInputGuard(app); // NUL and unpaired surrogates: 400 before any module sees them
  await app.register(rateLimit, {
    max: config.rateLimitPerMinute,
    timeWindow: '1 minute',
    allowList: (req) => req.url === '/health' || req.url === '/ready' || req.url.startsWith('/assets/'),
  });
  installCsrf(app, config);

  const apiErrorFormats = Object.values(modules).flatMap((m) => m.apiErrorFormats ?? []);
  installErrorHandling(app, {
    apiFormats: apiErrorFormats,
    renderPage(reply, e: ErrorInfo) {
      const req = reply.request;
      const t = translator(views.messages, requestLang(req));
      const key = ERROR_COPY[e.code] ?? ERROR_COPY[e.status] ?? (e.status >= 500 ? 'server' : 'badRequest');
      const paragraphs = ['p1', 'p2'].map((p) => t(`errors.${key}.${p}`)).filter((s) => !s.startsWith('errors.'));
      if (key === 'badRequest' && e.status < 500) paragraphs.unshift(e.message);
      return renderPage(views, req, reply, 'error.njk', {
        title: t(`errors.${key}.title`),
        paragraphs,
        signIn: e.code === 'session_expired',
      });
    },
  });

  await app.register(fstatic, { root: join(GOVUK_DIST, 'govuk', 'assets'), prefix: '/assets/', maxAge: '1d' });
  for (const file of ['govuk-frontend.min.css', 'govuk-frontend.min.js']) {
    app.get(`/assets/${file}`, (_req, reply) => reply.sendFile(file, join(GOVUK_DIST, 'govuk'), { maxAge: '1d' } as any));
  }
  for (const file of ['app.css', 'app.js']) {
    app.get(`/assets/${file}`, (_req, reply) => reply.sendFile(file, join(SRC_DIR, 'views', 'static'), { maxAge: '1h' } as any));
  }

  await installObservability(app, db, {
    publicUrl: config.publicUrl,
    version: VERSION,
    metrics: { allow: config.metricsAllow, token: config.metricsToken },
  });
  for (const m of Object.values(modules))
    await app.register(async (scope) => {
      tagModule(scope, m.name);
      await m.routes(scope);
    });

  let workersStarted = false;
  return {
    app,
    kernel,
    modules,
    routes,
    async startWorkers() {
      if (workersStarted) return;
      workersStarted = true;
      await kernel.jobs.start();
      for (const m of Object.values(modules)) await m.startWorkers?.();
      await kernel.events.start();
    },
    async close() {
      await app.close();
      if (workersStarted) await kernel.events.stop();
      await core.close();
    },
  };
}

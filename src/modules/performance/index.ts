// The performance module: live figures for every service from the platforms' own outbox
// events, the Service Standard KPIs, cookieless page analytics, a Performance Platform
// (Backdrop) compatible data API, public pages and the office-holder's live dashboards.
// Other modules import only this file (docs/CONTRACTS.md "performance").
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kernel, Module } from '../../kernel/module.js';
import type { Queryable } from '../../kernel/db.js';
import type { CatalogueService } from '../catalogue/index.js';
import { createPartitions } from './partitions.js';
import { createPerformanceService, T, MINUTE_ROLLUP_MS, type RecordInput } from './service.js';
import { createLiveHub, type LiveFigures } from './live.js';
import { fromEvent, SUBSCRIBED } from './measure.js';
import { writeMeasurements } from './ingest.js';
import { periodStart } from './ranges.js';
import { performancePages } from './pages.js';
import { sseRoutes } from './sse.js';
import { servicePanel } from './panel.js';
import { createAnalytics } from './analytics.js';
import { backdropRoutes, backdropError, BACKDROP_PREFIX } from './backdrop.js';
import { performanceConsole } from './admin.js';
import { dashboards } from './dashboards.js';
import { createAlerts, ALERT_EVERY_MS } from './alerts.js';
import type { NotifyService } from '../notify/index.js';
import { createProbes } from './probes.js';
import { seedDemoPerformance } from './demo.js';

export type { Kpis, PerKeyRow, RecordInput } from './service.js';
export type { LiveFigures } from './live.js';
export { PLATFORM_SERVICE_ID } from './measure.js';

export interface PerformanceDeps extends Kernel {
  catalogue: CatalogueService;
  /** Alerts are sent through Notify as the service; without it they are logged only. */
  notify?: NotifyService;
}

const here = dirname(fileURLToPath(import.meta.url));
const MAINTENANCE_MS = 60 * 60_000;
/** Events per ingestion transaction: large batches make rollups nearly free (bench/performance.ts). */
export const INGEST_BATCH = 5000;

export function createPerformanceModule(deps: PerformanceDeps) {
  const { catalogue, notify, ...kernel } = deps;
  const { db, log, config } = kernel;
  const partitions = createPartitions(db);
  const service = createPerformanceService({ db, events: kernel.events, partitions });
  let maintenance: NodeJS.Timeout | undefined;
  let alertTimer: NodeJS.Timeout | undefined;
  let probeTimer: NodeJS.Timeout | undefined;

  /** Today's figures (UTC day so far) of several services, as flat numbers for live viewers. */
  async function liveFigures(serviceIds: string[]): Promise<Map<string, Record<string, number>>> {
    const now = new Date();
    const all = await service.figures(serviceIds, { from: periodStart(now, 'day'), to: now });
    const out = new Map<string, Record<string, number>>();
    for (const [id, { kpis, volume }] of all) {
      const f: Record<string, number> = {
        liveUsers: kpis.liveUsers,
        starts: kpis.starts,
        transactions: kpis.transactions,
        pageViews: volume(T.pageView).n,
        visitors: volume(T.visitor).n,
        paymentsSucceeded: volume(T.paySucceeded).n,
        paymentsFailed: volume(T.payFailed).n,
        amountTaken: volume(T.paySucceeded).total,
        notificationsDelivered: volume(T.delivered).n,
        notificationsFailed: volume(T.notifyFailed).n,
      };
      for (const k of ['completionRate', 'userSatisfaction', 'costPerTransaction', 'digitalTakeUp'] as const)
        if (kpis[k] !== null) f[k] = kpis[k]!;
      out.set(id, f);
    }
    return out;
  }
  const hub = createLiveHub({ db, log, compute: liveFigures });
  const analytics = createAnalytics({ db, log, catalogue });
  const probes = createProbes({ db, log, catalogue, publicUrl: config.publicUrl, everySeconds: config.performance.probeSeconds });
  const alerts = createAlerts({ db, log, perf: service, catalogue, notify, publicUrl: config.publicUrl });

  async function maintain() {
    await partitions.maintain();
    await partitions.dropOlderThan(config.performance.retentionMonths);
    await db.query('DELETE FROM performance.rollup_minute WHERE bucket < $1', [new Date(Date.now() - MINUTE_ROLLUP_MS - 3600_000)]);
    await db.query("DELETE FROM performance.visitors WHERE day < (now() AT TIME ZONE 'UTC')::date - 1");
  }

  const api = {
    /** A measurement; see service.ts. */
    record: (tx: Queryable | null, m: RecordInput) => service.record(tx, m),
    kpis: service.kpis,
    perKey: service.perKey,
    /** In-process live figures (today so far) for rooms' shared view; returns the unsubscribe function. */
    live: (serviceIds: string[], onFigures: (f: LiveFigures) => void) => hub.watch(serviceIds, onFigures),
  };

  const parts = {
    service,
    hub,
    partitions,
    analytics,
    alerts,
    probes,
    /** For catalogue.addServicePanel: the figures on every service page, beside the accountable office-holder. */
    servicePanel: servicePanel(kernel, service),
  };
  const module: Module & typeof api & typeof parts = {
    name: 'performance',
    migrations: join(here, 'migrations'),
    staffAreas: [
      { href: '/dashboards', label: 'performance.dashboards.title' },
      { href: '/admin/performance', label: 'performance.console.title' },
    ],
    apiErrorFormats: [
      { prefix: BACKDROP_PREFIX, format: backdropError },
      // Plausible's Events API answers errors as { errors: { field: [message] } }.
      {
        prefix: '/performance/api',
        format: (e) => ({
          errors: e.fields.length ? Object.fromEntries(e.fields.map((f) => [f.field, [f.message]])) : { body: [e.message] },
        }),
      },
    ],
    ...api,
    ...parts,
    routes(app) {
      performancePages(app, kernel, catalogue, service);
      sseRoutes(app, catalogue, hub);
      analytics.routes(app);
      backdropRoutes(app, { db, catalogue });
      performanceConsole(app, kernel, catalogue);
      dashboards(app, kernel, catalogue, service);
      app.addHook('onReady', async () => {
        await partitions.maintain();
      });
      app.addHook('onClose', async () => {
        if (maintenance) clearInterval(maintenance);
        if (alertTimer) clearInterval(alertTimer);
        if (probeTimer) clearInterval(probeTimer);
        await hub.stop();
      });
    },
    /** Two months of made-up history for the demo organisations' services (props.demo = 1). */
    seedDemo: async () => {
      await partitions.maintain();
      for (const back of [31, 62]) await partitions.ensureMonth(new Date(Date.now() - back * 86_400_000));
      return seedDemoPerformance(db, catalogue);
    },
    async startWorkers() {
      kernel.events.subscribeBatch(
        'performance.measurements',
        async (events, tx) => {
          await writeMeasurements(tx, events.flatMap(fromEvent));
        },
        SUBSCRIBED,
        { batch: INGEST_BATCH },
      );
      maintenance = setInterval(() => {
        maintain().catch((err) => log.error({ err }, 'performance maintenance failed'));
      }, MAINTENANCE_MS);
      maintenance.unref();
      alertTimer = setInterval(() => {
        alerts.tick().catch((err) => log.error({ err }, 'performance alerts failed'));
      }, ALERT_EVERY_MS);
      alertTimer.unref();
      if (config.performance.probeSeconds > 0) {
        probeTimer = setInterval(() => void probes.tick(), config.performance.probeSeconds * 1000);
        probeTimer.unref();
      }
    },
  };
  return module;
}
export type PerformanceModule = ReturnType<typeof createPerformanceModule>;

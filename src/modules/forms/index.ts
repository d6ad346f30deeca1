// The forms module: a service is a definition; Cityscape runs it as GOV.UK pages at
// /forms/{slug} that sign the citizen in, fill in what government already knows (through the
// exchange, with their agreement), find their address, take the fee, send the confirmation,
// deliver the submission to the team exactly once per destination and measure itself.
// Other modules import only this file (docs/CONTRACTS.md "forms").
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultApiError } from '../../kernel/errors.js';
import type { Kernel, Module } from '../../kernel/module.js';
import type { CatalogueService } from '../catalogue/index.js';
import type { FindAddressOptions } from '../addresses/index.js';
import type { FastifyInstance } from 'fastify';
import { createFormsService, CHANGED_CHANNEL, DELIVERY_QUEUE } from './service.js';
import { mountRunner, type AttributeInfo, type ExperimentsView, type IdentityView, type PerformanceView } from './runner.js';
import { journeyPages, type JourneyDeps } from './pages-journey.js';
import { createDeliveries } from './deliveries.js';
import { formsApi, API_PREFIX } from './api.js';
import { formsConsole } from './admin.js';
import { seedDemoForms } from './demo.js';
import { onceOnlyPanel } from './panel.js';

export type { Definition } from './definition.js';
export { checkDefinition, jsonSchema, InvalidDefinition } from './definition.js';
export { importDefinition, exportDefinition } from './import.js';

export interface FormsDeps extends Kernel {
  catalogue: CatalogueService;
  identity?: IdentityView;
  consent?: JourneyDeps['consent'];
  exchange?: JourneyDeps['exchange'];
  payments?: JourneyDeps['payments'];
  notify?: JourneyDeps['notify'];
  addresses?: { mountFindAddress(app: FastifyInstance, opts: FindAddressOptions): void };
  performance?: PerformanceView;
  /** Optional: page variants from experiments flags, once that module exists. */
  experiments?: ExperimentsView;
}

const here = dirname(fileURLToPath(import.meta.url));
const SWEEP_MS = 15 * 60_000;

export function createFormsModule(deps: FormsDeps) {
  const { catalogue, ...kernel } = deps;
  const { db, log } = kernel;
  const service = createFormsService(kernel);
  const deliveries = createDeliveries({ db, log, config: kernel.config, notify: deps.notify, catalogue });
  let attrCache: { at: number; map: Map<string, AttributeInfo> } | null = null;
  async function attributeNames(): Promise<Map<string, AttributeInfo>> {
    if (attrCache && Date.now() - attrCache.at < 60_000) return attrCache.map;
    const list = deps.exchange ? await deps.exchange.attributes().catch(() => []) : [];
    attrCache = { at: Date.now(), map: new Map(list.map((a) => [a.id, a])) };
    return attrCache.map;
  }
  let sweeper: NodeJS.Timeout | undefined;
  let stopListen: (() => Promise<void>) | undefined;

  /** catalogue.setStartLink: a service with a live form starts at /forms/{slug}. */
  async function startLink(s: { id: string; slug: string }): Promise<string | null> {
    const f = await service.form(s.slug);
    return f && f.live_version && f.service_id === s.id ? `/forms/${s.slug}` : null;
  }

  const module = {
    name: 'forms',
    migrations: join(here, 'migrations'),
    staffAreas: [{ href: '/admin/forms', label: 'forms.admin.title' }],
    apiErrorFormats: [
      {
        prefix: API_PREFIX,
        format: defaultApiError,
      },
    ],
    service,
    deliveries,
    startLink,
    /** For catalogue.addServicePanel: how many questions the service still asks that a registry could answer. */
    servicePanel: onceOnlyPanel(kernel, service, attributeNames),

    async routes(app: FastifyInstance) {
      stopListen = await db.listen(CHANGED_CHANNEL, () => service.forget());
      app.addHook('onClose', async () => {
        clearInterval(sweeper);
        await stopListen?.();
      });
      const runner = {
        k: kernel,
        service,
        identity: deps.identity,
        experiments: deps.experiments,
        findAddress: deps.addresses ? (a: FastifyInstance, o: FindAddressOptions) => deps.addresses!.mountFindAddress(a, o) : undefined,
        attributeNames,
        async reached(c: Parameters<Parameters<typeof mountRunner>[1]['reached']>[0], page: { id: string }) {
          c.p.data.reached = [...(c.p.data.reached ?? []), page.id];
          if (c.p.preview) return service.saveProgress(c.p);
          await db.transaction(async (tx) => {
            await tx.query('UPDATE forms.progress SET data = $2 WHERE id = $1', [c.p.id, JSON.stringify(c.p.data)]);
            const m = { serviceId: c.p.service_id, type: 'forms.page_reached', key: c.p.key, props: { page: page.id } };
            if (deps.performance) await deps.performance.record(tx, m);
            else
              await kernel.events.append(tx, {
                stream: `forms.progress:${c.p.id}`,
                type: 'forms.page_reached',
                payload: { service_id: c.p.service_id, key: c.p.key, page: page.id },
              });
          });
        },
      };
      const journey = journeyPages(kernel, service, runner, deps);
      mountRunner(app, { ...runner, afterStart: journey.afterStart, pay: journey.pay }, (scope, pages) => journey.routes(scope, pages));
      formsApi(app, {
        service,
        deliveries,
        verifyKey: (s) => catalogue.verifyApiKey(s, 'forms'),
        serviceSlug: async (id) => (await catalogue.getServiceById(id))?.slug ?? null,
        publicUrl: kernel.config.publicUrl,
      });
      formsConsole(app, kernel, { catalogue, service, deliveries, attributeNames });
    },

    async startWorkers() {
      await kernel.jobs.work<{ deliveryId: string }>(DELIVERY_QUEUE, (d) => deliveries.deliver(d.deliveryId));
      const sweep = () => void service.sweep().catch((err) => log.error({ err }, 'forms: sweeping old progress failed'));
      clearInterval(sweeper);
      sweeper = setInterval(sweep, SWEEP_MS);
      sweeper.unref();
    },

    /** A real form for every demo service that has none. */
    seedDemo: () => seedDemoForms(kernel, catalogue, service),
  } satisfies Module & Record<string, unknown>;
  return module;
}
export type FormsModule = ReturnType<typeof createFormsModule>;

// The catalogue module: organisations, teams, services, accountable office-holders,
// decisions, roadmap, feedback, staff console and API keys. Other modules import only this file.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultApiError } from '../../kernel/errors.js';
import type { Kernel, Module } from '../../kernel/module.js';
import { createCatalogueService } from './service.js';
import { catalogueApi, API_PREFIX } from './api.js';
import { cataloguePages, type ServicePanel } from './pages.js';
import { adminPages } from './admin.js';
import { seedDemoCatalogue } from './demo.js';
import { createStartLinks, type StartLinkResolver } from './pages-apply.js';

export type { CatalogueService, Actor, VerifiedKey } from './service.js';
export type { ServicePanel } from './pages.js';
export type { StartLinkResolver } from './pages-apply.js';

const here = dirname(fileURLToPath(import.meta.url));

export function createCatalogueModule(kernel: Kernel) {
  const service = createCatalogueService(kernel);
  const panels: ServicePanel[] = [];
  const areas: NonNullable<Module['staffAreas']> = [];
  const startLinks = createStartLinks(kernel.log);
  const module: Module & {
    service: typeof service;
    addServicePanel(p: ServicePanel): void;
    addStaffArea(a: (typeof areas)[number]): void;
    setStartLink(resolver: StartLinkResolver): void;
    startLink(service: Parameters<StartLinkResolver>[0]): Promise<string | null>;
  } = {
    name: 'catalogue',
    migrations: join(here, 'migrations'),
    apiErrorFormats: [
      {
        prefix: API_PREFIX,
        format: defaultApiError,
      },
    ],
    service,
    /** Later modules (performance, experiments) add panels to the public service page. */
    addServicePanel: (p) => {
      panels.push(p);
    },
    /** Other modules' consoles (Notify, Pay, …), linked from the console's home. */
    addStaffArea: (a) => {
      areas.push(a);
    },
    /**
     * The forms module says where a service's live form is (null: none). Until then "Start now"
     * leads to the service's start_url, or to our page of its how-to-apply text.
     */
    setStartLink: (resolver) => startLinks.set(resolver),
    /** Where "Start now" leads for this service (null: the page shows no start button). */
    startLink: (s) => startLinks.of(s),
    routes(app) {
      // Key use counted in memory is written before the database closes.
      app.addHook('onClose', () =>
        service.flushKeyUse().catch((err) => kernel.log.warn({ err }, 'catalogue: last flush of key use failed')),
      );
      catalogueApi(app, service);
      cataloguePages(app, kernel, service, panels, startLinks);
      adminPages(app, kernel, service, areas);
    },
    seedDemo: () => kernel.db.transaction((tx) => seedDemoCatalogue(tx)),
  };
  return module;
}

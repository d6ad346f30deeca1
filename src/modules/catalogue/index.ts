// The catalogue module: organisations, teams, services, accountable office-holders,
// decisions, roadmap, feedback, staff console and API keys. Other modules import only this file.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kernel, Module } from '../../kernel/module.js';
import { createCatalogueService } from './service.js';
import { catalogueApi, API_PREFIX } from './api.js';
import { cataloguePages, type ServicePanel } from './pages.js';
import { adminPages } from './admin.js';
import { seedDemoCatalogue } from './demo.js';

export type { CatalogueService, Actor, VerifiedKey } from './service.js';
export type { ServicePanel } from './pages.js';

const here = dirname(fileURLToPath(import.meta.url));

export function createCatalogueModule(kernel: Kernel) {
  const service = createCatalogueService(kernel);
  const panels: ServicePanel[] = [];
  const areas: NonNullable<Module['staffAreas']> = [];
  const module: Module & {
    service: typeof service;
    addServicePanel(p: ServicePanel): void;
    addStaffArea(a: (typeof areas)[number]): void;
  } = {
    name: 'catalogue',
    migrations: join(here, 'migrations'),
    apiErrorFormats: [
      {
        prefix: API_PREFIX,
        format: (e) => ({ status: e.status, code: e.code, message: e.message, ...(e.fields.length ? { errors: e.fields } : {}) }),
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
    routes(app) {
      catalogueApi(app, service);
      cataloguePages(app, kernel, service, panels);
      adminPages(app, kernel, service, areas);
    },
    seedDemo: () => kernel.db.transaction((tx) => seedDemoCatalogue(tx)),
  };
  return module;
}

// The catalogue module: organisations, teams, services, accountable office-holders,
// decisions, roadmap, feedback, staff console and API keys. Other modules import only this file.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kernel, Module } from '../../kernel/module.js';
import { createCatalogueService } from './service.js';
import { catalogueApi, API_PREFIX } from './api.js';
import { cataloguePages } from './pages.js';
import { adminPages } from './admin.js';
import { seedDemoCatalogue } from './demo.js';

export type { CatalogueService, Actor, VerifiedKey } from './service.js';

const here = dirname(fileURLToPath(import.meta.url));

export function createCatalogueModule(kernel: Kernel) {
  const service = createCatalogueService(kernel);
  const module: Module & { service: typeof service } = {
    name: 'catalogue',
    migrations: join(here, 'migrations'),
    apiErrorFormats: [{ prefix: API_PREFIX, format: (e) => ({ status: e.status, code: e.code, message: e.message, ...(e.fields.length ? { errors: e.fields } : {}) }) }],
    service,
    routes(app) {
      catalogueApi(app, service);
      cataloguePages(app, kernel, service);
      adminPages(app, kernel, service);
    },
    seedDemo: () => kernel.db.transaction((tx) => seedDemoCatalogue(tx)),
  };
  return module;
}

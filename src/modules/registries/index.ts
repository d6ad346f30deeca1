// The registries module: demo agencies' own systems — DWP benefit entitlement, DVLA driving
// licences, HM Passport Office passports, HMRC income bands, two councils' council tax, the
// General Register Office's births — with their own tables and HTTP endpoints that answer only
// the exchange's signed requests. Mounted in the main process under /registries, or run alone
// with `cityscape registries serve --port N` to show that the data stays at source.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from '../../kernel/db.js';
import type { Module } from '../../kernel/module.js';
import type { TrustList } from '../exchange/index.js';
import { registryRoutes } from './api.js';
import { seedPeople } from './people.js';

export { DEMO_PEOPLE } from './people.js';

const here = dirname(fileURLToPath(import.meta.url));
export const REGISTRIES_MIGRATIONS = join(here, 'migrations');

export function createRegistriesModule(deps: { db: Db; trust: (refresh?: boolean) => Promise<TrustList>; people?: number }): Module & {
  seedDemo(people?: number): Promise<boolean>;
} {
  return {
    name: 'registries',
    migrations: REGISTRIES_MIGRATIONS,
    routes(app) {
      registryRoutes(app, { db: deps.db, trust: deps.trust });
    },
    /** Seeds the agencies' records: the named demo people and `people` generated ones (2,000 by default). */
    seedDemo: (people?: number) => deps.db.transaction((tx) => seedPeople(tx, people ?? deps.people ?? 2000)),
  };
}
export type RegistriesModule = ReturnType<typeof createRegistriesModule>;

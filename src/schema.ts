// The migrations that make Cityscape's database schema: the kernel's, then every module's in
// mount order (createModules in app.ts; app.test.ts checks the two agree). Kept apart from
// app.ts so that scripts/build.mjs and a start on a new embedded data directory can name the
// schema without loading the modules: a new data directory starts as a copy of an embedded
// database that already holds exactly this schema (kernel/pglite-template.ts).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MigrationSource } from './kernel/migrations.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Every module's name (its folder under modules/ and its database schema), in mount order. */
export const MODULE_NAMES = [
  'catalogue',
  'notify',
  'addresses',
  'payments',
  'identity',
  'performance',
  'consent',
  'exchange',
  'experiments',
  'registries',
  'rooms',
  'engagement',
  'forms',
  'site',
];

export const MIGRATION_SOURCES: MigrationSource[] = [
  { module: 'kernel', dir: join(here, 'kernel', 'migrations') },
  ...MODULE_NAMES.map((module) => ({ module, dir: join(here, 'modules', module, 'migrations') })),
];

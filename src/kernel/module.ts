// What every module gives the app, and what the kernel gives every module.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Db } from './db.js';
import type { Events } from './events.js';
import type { Jobs } from './jobs.js';
import type { Audit } from './audit.js';
import type { Caches } from './cache.js';
import type { Views } from './views.js';
import type { Sessions } from './sessions.js';
import type { ApiErrorFormatter } from './errors.js';

/** The kernel's services, passed to each module factory in plain sight. */
export interface Kernel {
  config: Config;
  db: Db;
  log: Logger;
  events: Events;
  jobs: Jobs;
  audit: Audit;
  views: Views;
  sessions: Sessions;
  /** Named read caches, bounded, cleared in every process together (kernel/cache.ts). */
  caches: Caches;
}

export interface Module {
  name: string;
  /** Folder of numbered .sql files; applied into the schema named after the module. */
  migrations: string;
  /** JSON error shapes for this module's API prefixes (e.g. Pay's {code, description}). */
  apiErrorFormats?: Array<{ prefix: string; format: ApiErrorFormatter }>;
  routes(app: FastifyInstance): Promise<void> | void;
  /** Background work (subscribers, job workers) for processes that run workers. */
  startWorkers?(): Promise<void>;
  /** Areas of the staff console this module serves, linked from the console's home (`/admin`). */
  staffAreas?: Array<{ href: string; label: string /* a locale key */ }>;
  /** Seed demo data (on a fresh data directory, or `cityscape seed-demo`). */
  seedDemo?(): Promise<boolean>;
}

// The experiments module: feature flags in flagd's format for every catalogue service (test and
// live), evaluated in process and over the OpenFeature Remote Evaluation Protocol, and A/B tests
// on them with open statistics. Other modules import only this file: `evaluate` (CONTRACTS.md).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kernel, Module } from '../../kernel/module.js';
import { defaultApiError } from '../../kernel/errors.js';
import type { CatalogueService } from '../catalogue/index.js';
import { createFlagStore } from './flags.js';
import { createAuth } from './auth.js';
import { flagsApi, API_PREFIX } from './api.js';
import type { Environment } from './store.js';
import { createExposures } from './exposures.js';
import { createExperimentService } from './experiments.js';
import type { PerKey } from './results.js';
import { experimentsConsole } from './admin.js';
import { servicePanel } from './panel.js';
import { ofrepApi, OFREP_PREFIX } from './ofrep.js';
import { ofrepErrorBody } from './errors.js';

export type { FlagDocument, Resolution } from './flagd.js';

export interface ExperimentsDeps extends Kernel {
  catalogue: CatalogueService;
  /** Metrics per targeting key for results; without it results show exposures only. */
  performance?: PerKey;
}

export interface EvaluateContext {
  targetingKey: string;
  serviceId: string;
  /** Which of the service's flag documents: 'live' unless said. */
  environment?: Environment;
  [attr: string]: unknown;
}
export interface Evaluation {
  /** The variant's value; null when the flag is missing or failed (use your own default). */
  value: boolean | string | number | object | null;
  variant?: string;
  reason: string;
  errorCode?: string;
}

const here = dirname(fileURLToPath(import.meta.url));

export function createExperimentsModule(deps: ExperimentsDeps) {
  const { catalogue, performance, ...kernel } = deps;
  const flags = createFlagStore({ db: kernel.db, log: kernel.log, audit: kernel.audit, events: kernel.events });
  const auth = createAuth(kernel.caches, catalogue);
  const exposures = createExposures({ db: kernel.db, log: kernel.log, events: kernel.events });
  const experiments = createExperimentService({
    db: kernel.db,
    audit: kernel.audit,
    flags,
    exposures,
    catalogue,
    performance: performance ?? null,
    publicUrl: kernel.config.publicUrl,
  });

  /** In process, no HTTP: a flag's value for this person (`ctx.targetingKey`) in a service. */
  function evaluate(flagKey: string, ctx: EvaluateContext): Evaluation {
    const { serviceId, environment, ...context } = ctx;
    const env = environment === 'test' ? 'test' : 'live';
    const r = flags.evaluate(serviceId, env, flagKey, context);
    if (r.errorCode) return { value: null, reason: r.reason, errorCode: r.errorCode };
    exposures.note(serviceId, env, r, context.targetingKey);
    return { value: r.value as Evaluation['value'], variant: r.variant, reason: r.reason };
  }

  const module = {
    name: 'experiments',
    migrations: join(here, 'migrations'),
    apiErrorFormats: [
      { prefix: API_PREFIX, format: defaultApiError },
      { prefix: OFREP_PREFIX, format: ofrepErrorBody },
    ],
    staffAreas: [{ href: '/admin/experiments', label: 'experiments.admin.title' }],
    flags,
    exposures,
    experiments,
    evaluate,
    /** For the catalogue's public service page: published experiment results. */
    servicePanel: servicePanel(kernel.views, catalogue, experiments),
    async routes(app) {
      await flags.start();
      await exposures.start();
      app.addHook('onClose', async () => {
        await flags.stop();
        await exposures.stop();
      });
      flagsApi(app, { auth, flags });
      ofrepApi(app, { auth, flags, exposures, secret: kernel.config.sessionSecret });
      experimentsConsole(app, kernel, catalogue, flags, experiments);
    },
    async startWorkers() {},
  } satisfies Module & Record<string, unknown>;
  return module;
}
export type ExperimentsModule = ReturnType<typeof createExperimentsModule>;

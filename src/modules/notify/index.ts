// The notify module: email, text messages and letters from templates, compatible with GOV.UK
// Notify's v2 API at /notify. Other modules import only this file (service.sendEmail etc.).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kernel, Module } from '../../kernel/module.js';
import type { CatalogueService } from '../catalogue/index.js';
import { notifyErrorBody } from './errors.js';
import { createNotifyAuth } from './auth.js';
import { createLimits } from './limits.js';
import { createProfiles } from './profiles.js';
import { createProviders, type Providers } from './providers.js';
import { createSender } from './send.js';
import { createDelivery } from './delivery.js';
import { createCallbacks } from './callbacks.js';
import { createBounces } from './bounces.js';
import { createNotifyService } from './service.js';
import { API_PREFIX, notifyApi } from './api.js';
import { notifyAdminPages } from './admin.js';
import { downloadPages } from './download.js';

export type { NotifyService, TemplateInput } from './service.js';
export type { Providers, Provider, Outcome, EmailMessage, SmsMessage, LetterMessage } from './providers.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface NotifyDeps extends Kernel {
  catalogue: CatalogueService;
  /** Replace the providers (tests, or a deployment with its own carriers). */
  providers?: Providers;
}

export function createNotifyModule(deps: NotifyDeps) {
  const { catalogue, ...kernel } = deps;
  const providers = deps.providers ?? createProviders(kernel.config);
  const profiles = createProfiles(kernel, catalogue);
  const limits = createLimits();
  const auth = createNotifyAuth(kernel.caches, catalogue);
  let nudge = () => {};
  const send = createSender(kernel, profiles, limits, () => nudge());
  const delivery = createDelivery(kernel, { profiles, providers });
  nudge = () => delivery.nudge();
  const callbacks = createCallbacks(kernel);
  const bounces = createBounces(kernel, delivery);
  const service = createNotifyService(kernel, { profiles, send, delivery, callbacks });
  let working = false;

  const module: Module & {
    service: typeof service;
    delivery: typeof delivery;
    bounces: typeof bounces;
    providers: Providers;
    limits: typeof limits;
  } = {
    name: 'notify',
    staffAreas: [{ href: '/admin/notify', label: 'notify.console.home.title' }],
    migrations: join(here, 'migrations'),
    apiErrorFormats: [{ prefix: API_PREFIX, format: (e) => notifyErrorBody(e) }],
    service,
    delivery,
    bounces,
    providers,
    limits,
    routes(app) {
      notifyApi(app, { config: kernel.config, auth, service, delivery });
      notifyAdminPages(app, kernel, catalogue, service);
      downloadPages(app, kernel, service);
      app.addHook('onClose', async () => {
        if (working) {
          await bounces.stop();
          await delivery.stop();
        } else await Promise.allSettled([providers.email.close(), providers.sms.close(), providers.letter.close()]);
      });
    },
    /** Demo templates for every demo service that has none, so a new install can send at once. */
    async seedDemo() {
      const { rows } = await kernel.db.query<{ n: number }>('SELECT count(*)::int AS n FROM notify.templates');
      if (rows[0].n > 0) return false;
      for (const s of await catalogue.listServices()) {
        if (!s.platforms.includes('notify')) continue;
        await service.createTemplate(
          s.id,
          {
            type: 'email',
            name: 'Application received (demo)',
            subject: 'We have received your application: ((reference))',
            body:
              'Dear ((name)),\n\n# What happens next\n\nWe have received your application to ' +
              s.name.toLowerCase() +
              '. Your reference is ((reference)).\n\n^ Keep this email: you will need the reference if you contact us.\n\n((extra??We will write to you again within 10 working days.))',
          },
          'demo',
        );
        await service.createTemplate(
          s.id,
          { type: 'sms', name: 'Reminder (demo)', body: '((name)), this is a reminder from ' + s.name + '. Reference ((reference)).' },
          'demo',
        );
        await service.createTemplate(
          s.id,
          {
            type: 'letter',
            name: 'Decision letter (demo)',
            subject: 'Your application ((reference))',
            body: 'Dear ((name)),\n\nWe have made a decision on your application ((reference)). Details are enclosed.',
          },
          'demo',
        );
      }
      return true;
    },
    async startWorkers() {
      working = true;
      await callbacks.start();
      await delivery.start();
      await bounces.start();
    },
  };
  return module;
}

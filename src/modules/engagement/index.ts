// The engagement module: consultations on a service's roadmap items and proposed decisions,
// Pol.is-style conversations with opinion groups, "you said, we did" linked to the decision
// log with progress from live figures, and feedback on every page. Other modules import only
// this file (docs/CONTRACTS.md "engagement").
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultApiError } from '../../kernel/errors.js';
import type { Kernel, Module } from '../../kernel/module.js';
import type { CatalogueService } from '../catalogue/index.js';
import { createEngagementService } from './service.js';
import { createResponses, type OutcomeSender } from './service-response.js';
import { createAccountability, type KpiSource } from './accountability.js';
import { createPeople, type IdentityView } from './people.js';
import { consultationPages } from './pages.js';
import { engagementConsole } from './admin.js';
import { engagementApi, API_PREFIX } from './api.js';
import { servicePanel } from './panel.js';
import { createConversations } from './service-conversation.js';
import { conversationPages } from './pages-conversation.js';
import { openData } from './opendata.js';
import { pageFeedback, type FeedbackRecorder } from './feedback.js';
import { seedDemoEngagement } from './demo.js';
import { seedDemoPlatformVoice } from './demo-platforms.js';
import { createGovernance } from './governance.js';
import { governancePages } from './pages-governance.js';
import { createAdoption } from './adoption.js';
import { adoptionPages } from './pages-adoption.js';

export type { EngagementService, Who } from './service.js';
export type { AdoptionSource } from './adoption.js';

export interface EngagementDeps extends Kernel {
  catalogue: CatalogueService;
  /** Who is signed in (identity.citizen); without it only anonymous and staff consultations work. */
  identity?: IdentityView;
  /** Notify's service: participants who asked are told the outcome through it. */
  notify?: OutcomeSender;
  /** performance.kpis: the KPIs a decision promised to move. */
  performance?: KpiSource & FeedbackRecorder;
}

const here = dirname(fileURLToPath(import.meta.url));

export function createEngagementModule(deps: EngagementDeps) {
  const { catalogue, identity, notify, performance, ...kernel } = deps;
  const service = createEngagementService(kernel, catalogue);
  const responses = createResponses(kernel, service, catalogue, notify);
  const accountability = createAccountability(kernel, catalogue, performance);
  const people = createPeople(kernel, catalogue, identity);
  const conversations = createConversations(service);
  const governance = createGovernance(kernel, catalogue);
  const adoption = createAdoption(kernel, catalogue);

  const module = {
    name: 'engagement',
    migrations: join(here, 'migrations'),
    staffAreas: [
      { href: '/admin/engagement', label: 'engagement.admin.title' },
      { href: '/admin/platforms', label: 'engagement.governance.admin.title' },
    ],
    apiErrorFormats: [
      {
        prefix: API_PREFIX,
        format: defaultApiError,
      },
    ],
    service,
    responses,
    accountability,
    conversations,
    governance,
    /** Adoption of the shared platforms; app.ts adds the sources of real use other modules know (sign-in clients, live forms). */
    adoption,
    addAdoptionSource: adoption.addSource,
    /** For catalogue.addServicePanel: open consultations and past outcomes beside the office-holder. */
    servicePanel: servicePanel(kernel, service),
    routes(app) {
      engagementApi(app, service, responses, conversations, catalogue, kernel.config.publicUrl);
      consultationPages(app, kernel, service, catalogue, people, accountability);
      conversationPages(app, kernel, conversations, catalogue, people);
      openData(app, kernel, service, catalogue);
      pageFeedback(app, kernel, catalogue, performance);
      engagementConsole(app, kernel, service, responses, conversations, catalogue);
      governancePages(app, kernel, governance, catalogue);
      adoptionPages(app, kernel, adoption, catalogue);
    },
    /**
     * An open consultation and a closed one with "you said, we did" on demo services (one SQL
     * statement); with them, votes, requests, an exemption and a year of key traffic on the
     * shared platforms (demo-platforms.ts).
     */
    async seedDemo() {
      const seeded = await seedDemoEngagement(kernel.db, catalogue);
      if (seeded) await seedDemoPlatformVoice(catalogue, governance, adoption);
      return seeded;
    },
    async startWorkers() {
      // Telling participants is retried from the outbox after a crash between response and email.
      kernel.events.subscribe(
        'engagement.tell-participants',
        async (e) => {
          await responses.tellParticipants(String(e.payload.consultation_id));
        },
        ['engagement.consultation.responded'],
      );
    },
  } satisfies Module & Record<string, unknown>;
  return module;
}
export type EngagementModule = ReturnType<typeof createEngagementModule>;

// The exchange module: data stays with the agency that holds it; services ask for it through
// an X-Road-compatible gateway that enforces who may ask, for what purpose and on what legal
// basis, and writes every access to a tamper-evident log the citizen can read. Other modules
// import only this file: exchange.fetch(), exchange.attributes(), the evidence source for
// identity, and verifyExchangeRequest for agencies' systems.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kernel, Module } from '../../kernel/module.js';
import type { CatalogueService } from '../catalogue/index.js';
import { createDirectory, attributeView } from './directory.js';
import { createKey, createKeyring } from './keys.js';
import { createLog } from './log.js';
import { createGateway, type GatewayResponse } from './gateway.js';
import { createExchangeService } from './service.js';
import { exchangeApi } from './api.js';
import { buildTrustList, signTrustList, type TrustList } from './trust.js';
import { encodeId, parseService } from './ids.js';
import { store } from './store.js';
import { verifyLog } from './verify.js';
import { xroadBody, xroadType } from './errors.js';
import { seedDemoExchange } from './demo.js';
import type { ConsentDecider } from './policy.js';
import { exchangeEvidenceSource } from './evidence.js';
import { yourDataPages, type CitizenIdentity } from './pages.js';
import { exchangeConsole } from './admin.js';
import { createUseAlerts, USE_ALERT_QUEUE, type Contact, type UseNotifier } from './alerts.js';

export type { ConsentDecider } from './policy.js';
export type { TrustList } from './trust.js';
export { verifyExchangeRequest, memoryNonces, publicKeyFromJwk, SIGNATURE_HEADER, type RequestClaims, type NonceStore } from './jws.js';
export { verifyInclusion, verifyConsistency, leafHash } from './merkle.js';
export { canonicalJson } from './canonical.js';
export { verifyTrustList } from './trust.js';

export interface ExchangeDeps extends Kernel {
  catalogue: CatalogueService;
  /** consent.decide from the consent module (docs/CONTRACTS.md); without it consent-based requests are refused. */
  consent?: ConsentDecider;
  /** identity's resolution of a pairwise `sub` it gave a service to the person's account id. */
  resolveSubject?: (serviceId: string, sub: string) => Promise<string | null>;
  /** identity's citizen(req) and signInPath(back), for /your-data. */
  identity?: CitizenIdentity;
  /** Notify, for the message on each use a citizen asked for; without it nothing is sent. */
  notify?: UseNotifier;
  /** A citizen's email address and phone number (identity's account), for those messages. */
  contact?: Contact;
}

export type FetchResult =
  | { ok: true; data: Record<string, unknown>; xRoadId: string; logIndex: number; logLeaf: string }
  | { ok: false; status: number; type: string; message: string; xRoadId: string; logIndex: number; logLeaf: string };

export interface FetchInput {
  consumerServiceId: string;
  service: string;
  purpose: string;
  legalBasis: string;
  subject: string;
  match?: Record<string, string>;
  attributes?: string[];
  userId?: string;
  issue?: string;
}

const here = dirname(fileURLToPath(import.meta.url));

export function createExchangeModule(deps: ExchangeDeps) {
  const { catalogue, ...kernel } = deps;
  const { db, config, log } = kernel;
  const nodeId = config.exchange?.nodeId ?? 'cityscape';
  const instance = config.exchange?.instance ?? 'UK';
  const directory = createDirectory(db, log);
  const keyring = createKeyring(db, config.encryptionKey);

  let ensured: Promise<string> | null = null;
  /** This node's row and signing key, created on first use (any process; the first one wins). */
  function nodeKid(): Promise<string> {
    ensured ??= (async () => {
      let d = await directory.get();
      if (!d.nodeKeys.length || !(await store.node(db))) {
        await db.transaction(async (tx) => {
          await tx.query('SELECT pg_advisory_xact_lock(7311020213)');
          await store.ensureNode(tx, nodeId, instance);
          const { rows } = await tx.query('SELECT 1 FROM exchange.keys WHERE member_id IS NULL AND retired_at IS NULL');
          if (!rows.length) await createKey(tx, config.encryptionKey, `node:${nodeId}#1`, null);
          await directory.notify(tx);
        });
        directory.invalidate();
        d = await directory.get();
      }
      return String(d.nodeKeys[0].kid);
    })().catch((err) => {
      ensured = null;
      throw err;
    });
    return ensured;
  }
  const nodeKey = async () => ({ kid: await nodeKid() });
  const signer = async () => {
    const kid = await nodeKid();
    return { kid, key: await keyring.privateKey(kid) };
  };

  const accessLog = createLog({ db, signer });
  // Each person's objections, read once and cleared in every process when they object or withdraw.
  const objectionCache = kernel.caches.create<Set<string>>('exchange.objections', { ttlMs: 10 * 60_000, max: 50_000 });
  const objections = {
    async objected(subject: string, client: string, serviceId: string): Promise<boolean> {
      const set = await objectionCache.wrap(
        subject,
        async () => new Set((await store.objections(db, subject)).map((o) => `${o.client}|${o.service_id}`)),
      );
      return set.has(`${client}|${serviceId}`);
    },
    changed: (subject: string) => objectionCache.invalidate(subject),
  };
  const verifyKey = async (secret: string) => catalogue.verifyApiKey(secret, 'exchange');
  const gateway = createGateway({
    db,
    log,
    directory,
    keyring,
    accessLog,
    verifyKey,
    objected: objections.objected,
    consent: deps.consent,
    resolveSubject: deps.resolveSubject,
    nodeKey,
  });
  const service = createExchangeService(kernel, catalogue, directory);
  const useAlerts = createUseAlerts({ ...kernel, catalogue, directory, notify: deps.notify, contact: deps.contact });

  async function trustList(): Promise<TrustList> {
    const { kid, key } = await signer();
    return signTrustList(buildTrustList(await directory.get(), config.publicUrl), kid, key);
  }

  function asResult(res: GatewayResponse, xRoadId: string): FetchResult {
    const logIndex = res.log?.index ?? -1;
    const logLeaf = res.log?.leaf ?? '';
    if (res.error) return { ok: false, status: res.status, type: res.error.type, message: res.error.message, xRoadId, logIndex, logLeaf };
    let data: unknown = null;
    try {
      data = JSON.parse(res.body.toString('utf8'));
    } catch {
      /* not JSON */
    }
    if (res.status >= 200 && res.status < 300 && data && typeof data === 'object')
      return { ok: true, data: data as Record<string, unknown>, xRoadId, logIndex, logLeaf };
    const message = (data as { message?: string } | null)?.message ?? `The provider answered ${res.status}`;
    return { ok: false, status: res.status, type: 'Provider.Error', message, xRoadId, logIndex, logLeaf };
  }

  /** The same path as an HTTP /r1/… call, for a client subsystem chosen by `auth`. */
  async function fetchVia(
    auth: { serviceId: string } | { subsystem: string },
    client: string,
    input: Omit<FetchInput, 'consumerServiceId'>,
  ) {
    const ref = parseService(input.service);
    const xRoadId = crypto.randomUUID();
    const match = new URLSearchParams(Object.entries(input.match ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)));
    const res = await gateway.handle({
      method: 'GET',
      target: ref ? encodeId([ref.instance, ref.memberClass, ref.memberCode, ref.subsystem, ref.service]) : input.service,
      query: match.size ? `?${match}` : '',
      headers: {
        'x-road-client': client,
        'x-road-id': xRoadId,
        'exchange-purpose': input.purpose,
        'exchange-legal-basis': input.legalBasis,
        'exchange-subject': input.subject,
        ...(input.attributes?.length ? { 'exchange-attributes': input.attributes.join(',') } : {}),
        ...(input.userId ? { 'x-road-userid': input.userId } : {}),
        ...(input.issue ? { 'x-road-issue': input.issue } : {}),
      },
      auth,
    });
    return asResult(res, xRoadId);
  }

  const module = {
    name: 'exchange',
    migrations: join(here, 'migrations'),
    apiErrorFormats: [{ prefix: '/r1', format: (e: Parameters<typeof xroadType>[0]) => xroadBody(xroadType(e), e.message, '') }],
    staffAreas: [{ href: '/admin/exchange', label: 'exchange.admin.title' }],
    service,
    directory,
    accessLog,
    useAlerts,
    gateway,
    trustList,

    async routes(app) {
      exchangeApi(app, { gateway, directory, accessLog, trustList, verifyKey, publicUrl: config.publicUrl });
      exchangeConsole(app, kernel, { catalogue, directory, service });
      if (deps.identity)
        yourDataPages(app, kernel, {
          identity: deps.identity,
          catalogue,
          directory,
          log: accessLog,
          objectionsChanged: objections.changed,
        });
    },
    async startWorkers() {
      kernel.events.subscribeBatch(
        'exchange.use-alerts',
        (events, tx) => useAlerts.onCompleted(events, tx),
        ['exchange.request.completed'],
        {
          batch: 500,
        },
      );
      await kernel.jobs.work<{ leafIndex: number; channel: 'email' | 'sms' }>(USE_ALERT_QUEUE, async (d) => {
        await useAlerts.send(d.leafIndex, d.channel);
      });
      const sweep = setInterval(() => void store.sweepNonces(db).catch(() => {}), 60_000);
      sweep.unref();
    },
    seedDemo: async () => {
      await nodeKid();
      const seeded = await seedDemoExchange(kernel, catalogue, service, directory);
      const templates = await useAlerts.ensureTemplates().catch((err) => {
        log.warn({ err }, 'exchange: could not make the templates for messages on each use');
        return false;
      });
      return seeded || templates;
    },

    /** docs/CONTRACTS.md: every attribute a data service on this node can release. */
    async attributes() {
      return [...(await directory.get()).services.values()].flatMap(attributeView);
    },

    /** docs/CONTRACTS.md: through the same policy, consent check, signing and log as /r1/…. */
    async fetch(input: FetchInput): Promise<FetchResult> {
      const d = await directory.get();
      const sub = [...d.subsystems.values()].find((s) => s.row.service_id === input.consumerServiceId);
      if (!sub) {
        return {
          ok: false,
          status: 400,
          type: 'Client.InvalidClientIdentifier',
          message: 'The consumer service owns no client subsystem on this exchange',
          xRoadId: '',
          logIndex: -1,
          logLeaf: '',
        };
      }
      return fetchVia({ serviceId: input.consumerServiceId }, sub.key, input);
    },
    /** As fetch, for a platform subsystem that belongs to no catalogue service (identity proofing). */
    fetchAs: (client: string, input: Omit<FetchInput, 'consumerServiceId'>) => fetchVia({ subsystem: client }, client, input),

    /** identity's EvidenceSource: passports and driving licences checked with their issuers through the exchange. */
    evidenceSource: () =>
      exchangeEvidenceSource({
        instance: async () => (await directory.get()).node.instance,
        fetchAs: (client, input) => fetchVia({ subsystem: client }, client, input),
      }),

    /** `cityscape exchange verify-log`. */
    async verifyLog(onProgress?: (n: number) => void) {
      const d = await directory.get();
      const keys = new Map(d.nodeKeys.map((k) => [k.kid, k.public_jwk]));
      const all = await db.query<{ kid: string; public_jwk: Record<string, unknown> }>(
        'SELECT kid, public_jwk FROM exchange.keys WHERE member_id IS NULL',
      );
      for (const r of all.rows) keys.set(r.kid, r.public_jwk);
      return verifyLog(db, {
        sths: await accessLog.sths(),
        keyFor: (kid) => (keys.has(kid) ? keyring.publicKey(keys.get(kid)!) : null),
        onProgress,
      });
    },
  } satisfies Module & Record<string, unknown>;
  return module;
}
export type ExchangeModule = ReturnType<typeof createExchangeModule>;

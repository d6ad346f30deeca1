// The identity module: sign in once for citizens and staff — an OpenID Connect provider
// compatible with GOV.UK One Login (issuer <PUBLIC_URL>/identity), citizen accounts with two
// factors and identity levels, relying services linked to catalogue services. Other modules
// import only this file.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Provider from 'oidc-provider';
import type { FastifyRequest } from 'fastify';
import type { Kernel, Module } from '../../kernel/module.js';
import { IDENTITY_NOTIFY_DEFAULTS } from '../../config.js';
import type { ErrorInfo } from '../../kernel/errors.js';
import type { Actor, CatalogueService } from '../catalogue/index.js';
import { createAccounts, type Notifier } from './accounts.js';
import { createAdapterFactory, createModelCache, OIDC_CHANNEL, sweepExpired } from './adapter.js';
import { createClients, type ClientInput } from './clients.js';
import { registrySource, seedDemoEvidence, type EvidenceSource } from './evidence.js';
import { ensureKeys, KEYS_CHANNEL, loadKeys, rotateKeys } from './keys.js';
import { createMessages, devOutbox } from './messages.js';
import { ensureNotifyService, notifyNotifier, type NotifySender } from './notifier.js';
import { allowReturnToService, interactionRoutes, mountProvider, PREFIX, wellKnownRoutes, type Holder } from './mount.js';
import { createPairwise } from './pairwise.js';
import { buildProvider } from './provider.js';
import { createSignOut } from './signout.js';
import { createIdentityService } from './service.js';
import { createWeb } from './web.js';
import { signInPages } from './pages-sign-in.js';
import { registerPages } from './pages-register.js';
import { provePages } from './pages-prove.js';
import { accountPages } from './pages-account.js';
import { adminPages } from './admin.js';
import { ensureStaffClient, staffSignIn } from './staff.js';
import type { CredentialLevel, IdentityLevel } from './vtr.js';
import type { PostalAddress } from './evidence.js';

export type { Notifier as IdentityNotifier } from './accounts.js';
export type { NotifySender } from './notifier.js';

/** The signed-in citizen, as other modules see them (`identity.citizen(req)`). */
export interface Citizen {
  /** Stable internal id of the account: the `subject` other modules (consent, exchange) key a person by. */
  accountId: string;
  email: string;
  phone: string | null;
  /** 'Cl' password only, 'Cl.Cm' with a second factor. */
  signInLevel: CredentialLevel;
  /** 'P0' not proven, 'P1'/'P2' proven against a passport or driving licence. */
  identityLevel: IdentityLevel;
  givenName: string | null;
  familyName: string | null;
  birthDate: string | null;
  address: PostalAddress | null;
}
export type { EvidenceSource, EvidenceInput, EvidenceResult, PostalAddress } from './evidence.js';
export type { ClientInput, ClientView } from './clients.js';
export { DEMO_RECORDS } from './evidence.js';
export { totp } from './totp.js';

const here = dirname(fileURLToPath(import.meta.url));
const SWEEP_MS = 10 * 60 * 1000;

export interface IdentityDeps extends Kernel {
  catalogue: CatalogueService;
  /**
   * Sends the codes, from the service and templates named in config.identity.notify (seeded
   * with the demo). Without either, messages stay in the module's memory (read by tests).
   */
  notify?: NotifySender;
  /** Or any other way of sending (replaces notify). */
  notifier?: Notifier;
  /** Authoritative sources for identity checks; the registry source by default. */
  evidenceSources?: EvidenceSource[];
}

/** The OAuth error shape for the provider's endpoints, when Fastify itself refuses a request (e.g. 429). */
const oauthError = (e: ErrorInfo) => ({
  error: e.status === 429 ? 'temporarily_unavailable' : e.status >= 500 ? 'server_error' : 'invalid_request',
  error_description: e.message,
});

export function createIdentityModule(deps: IdentityDeps) {
  const k: Kernel = deps;
  const { db, config, log } = k;
  const issuer = `${config.publicUrl}${PREFIX}`;
  const outbox = devOutbox(log);
  const via = config.identity.notify;
  const notifier: Notifier = deps.notifier ?? (deps.notify && via ? notifyNotifier(deps.catalogue, deps.notify, via) : outbox.notifier);
  const accounts = createAccounts(k, {
    notifier,
    messages: createMessages(k.views),
    evidence: deps.evidenceSources ?? [registrySource(db)],
    cfg: config.identity,
  });
  const clients = createClients(k, deps.catalogue, () => issuer);
  const pairwise = createPairwise(db, config);
  const models = createModelCache();
  const Adapter = createAdapterFactory(db, clients, models);
  const web = createWeb(k, accounts, async (uid) => {
    const interaction = await current().provider.Interaction.find(uid);
    const clientId = (interaction?.params as Record<string, unknown> | undefined)?.client_id;
    const client = typeof clientId === 'string' ? await clients.metadata(clientId) : undefined;
    return client ? deps.catalogue.getServiceById(String(client.service_id)) : null;
  });

  let holder: Holder | undefined;
  const current = (): Holder => {
    if (!holder) throw new Error('the identity provider has not started (routes() builds it)');
    return holder;
  };
  const signOut = createSignOut(db, log, () => current().provider, models);
  const service = createIdentityService({ accounts, signOut, clients, catalogue: deps.catalogue });

  /** Builds the provider with the current keys; again after every rotation (here or in another process). */
  async function build(): Promise<void> {
    await ensureKeys(db, config.encryptionKey);
    const keys = await loadKeys(db, config.encryptionKey);
    const provider = buildProvider({
      subject: pairwise.subject,
      issuer,
      config,
      log,
      views: k.views,
      keys,
      Adapter,
      accounts,
      async endBrowserSignIn(cookie) {
        const fakeReq = { cookies: { cs_session: cookie } } as never;
        const session = await k.sessions.load(fakeReq).catch(() => null);
        const signInId = (session?.data.identity as { signInId?: string } | undefined)?.signInId;
        if (signInId) await accounts.endSignIn(signInId);
        await k.sessions.destroy(fakeReq, { clearCookie() {} } as never);
      },
      revokeGrants: (grantIds) => signOut.revokeGrants(grantIds),
    });
    holder = { provider, handler: provider.callback(), keys, issuer };
  }

  let sweeper: NodeJS.Timeout | undefined;

  const module = {
    name: 'identity',
    staffAreas: [{ href: '/admin/identity/clients', label: 'identity.admin.title' }],
    migrations: join(here, 'migrations'),
    apiErrorFormats: ['/identity/token', '/identity/userinfo'].map((prefix) => ({ prefix, format: oauthError })),
    issuer,
    accounts,
    clients,
    /** Messages kept when no notify module is given (tests and local development read codes here). */
    outbox,

    async routes(app) {
      await build();
      const stopKeys = await db.listen(KEYS_CHANNEL, () => {
        void build().catch((err) => log.error({ err }, 'identity: reloading keys failed'));
      });
      const stopModels = await db.listen(OIDC_CHANNEL, (message) => models.invalidate(message));
      app.addHook('onClose', async () => {
        await stopKeys();
        await stopModels();
      });
      // Journey pages inside an authorization name the service the person came from.
      app.addHook('preHandler', async (req) => {
        if (req.url.startsWith(`${PREFIX}/`)) await web.cameFrom(req);
      });
      mountProvider(app, current);
      allowReturnToService(app, current);
      wellKnownRoutes(app, current, clients);
      interactionRoutes(app, k, web, current);
      const { raise } = signInPages(app, k, web, accounts, service);
      registerPages(app, k, web, accounts, raise);
      provePages(app, k, web, accounts);
      accountPages(app, k, web, service);
      adminPages(app, k, deps.catalogue, clients);
      const staffSecret = await ensureStaffClient(k, clients);
      staffSignIn(app, k, deps.catalogue, current, () => staffSecret);
    },

    async startWorkers() {
      const sweep = () => sweepExpired(db).catch((err) => log.warn({ err }, 'identity: sweeping expired provider rows failed'));
      clearInterval(sweeper);
      sweeper = setInterval(sweep, SWEEP_MS);
      sweeper.unref();
    },

    /** Demo passports and licences to prove identity with; the service and templates codes are sent from. */
    async seedDemo() {
      const evidence = await db.transaction((tx) => seedDemoEvidence(tx));
      const sending =
        deps.notify && via && !deps.notifier
          ? await ensureNotifyService(deps.catalogue, deps.notify, via, {
              defaultSlug: IDENTITY_NOTIFY_DEFAULTS.service,
              publicUrl: config.publicUrl,
              log,
            })
          : false;
      return evidence || sending;
    },

    /** The oidc-provider instance (tests and the bench). */
    provider: (): Provider => current().provider,

    /** `cityscape identity rotate-keys`: new signing keys from now on; the previous ones stay published. */
    async rotateKeys() {
      const r = await rotateKeys(db, config.encryptionKey);
      await build();
      return r;
    },

    /** `cityscape identity clients create` and the staff console. */
    createClient: (actor: Actor, input: ClientInput) => clients.create(actor, input),

    /**
     * For other modules' citizen pages (your data, forms, consultations): the citizen signed in
     * on this browser, or null. Send them to `signInPath(back)` (or `provePath(back)` when their
     * identity level is too low) and they come back to `back`, a path on this site.
     */
    async citizen(req: FastifyRequest): Promise<Citizen | null> {
      const si = await web.signedIn(req);
      if (!si) return null;
      const a = si.account;
      return {
        accountId: a.id,
        email: a.email,
        phone: a.phone,
        signInLevel: si.level,
        identityLevel: a.identity_level,
        givenName: a.given_name,
        familyName: a.family_name,
        birthDate: a.birth_date,
        address: a.address,
      };
    },
    signInPath: (back: string) => `${PREFIX}/sign-in?return_to=${encodeURIComponent(back)}`,
    provePath: (back: string) => `${PREFIX}/prove?return_to=${encodeURIComponent(back)}`,

    /**
     * The account a pairwise `sub` that identity gave a catalogue service stands for, or null
     * (unknown, or another service's): the exchange's `Exchange-Subject: pairwise:{sub}`.
     */
    resolveSubject: (serviceId: string, sub: string): Promise<string | null> => pairwise.resolve(serviceId, sub),

    /** Sign out everywhere for an account (every sign-in, provider session, grant and token). */
    signOutEverywhere: (accountId: string) => service.signOutEverywhere(accountId),
  } satisfies Module & Record<string, unknown>;

  return module;
}
export type IdentityModule = ReturnType<typeof createIdentityModule>;

/** A relying service's public keys from a file: a PEM public key, a JWK or a JWKS (for the CLI). */
export async function readPublicKeys(file: string, cwd: string): Promise<{ keys: Array<Record<string, unknown>> }> {
  const [{ readFileSync }, { resolve }, { createPublicKey }] = await Promise.all([
    import('node:fs'),
    import('node:path'),
    import('node:crypto'),
  ]);
  const text = readFileSync(resolve(cwd, file), 'utf8').trim();
  if (text.startsWith('{')) {
    const json = JSON.parse(text) as { keys?: Array<Record<string, unknown>> } & Record<string, unknown>;
    return Array.isArray(json.keys) ? { keys: json.keys } : { keys: [json] };
  }
  const jwk = createPublicKey(text).export({ format: 'jwk' }) as Record<string, unknown>;
  return { keys: [{ ...jwk, use: 'sig', alg: jwk.kty === 'EC' ? 'ES256' : 'RS256' }] };
}

// Test and bench support for identity (not used by the app): the app listening on a known
// port (the issuer must be the address a relying party reaches), a relying party built with
// openid-client, a cookie-jar browser over fetch that can fill in GOV.UK forms, and the
// journey a new citizen takes: create an account, set up an authenticator app, prove identity.
import { createServer, type AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { exportJWK, generateKeyPair } from 'jose';
import { buildTestApp, type TestApp } from '../../../test/helpers.js';
import type { Config } from '../../config.js';
import { totp } from './totp.js';
import { DEMO_RECORDS } from './evidence.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface Running {
  built: TestApp;
  baseUrl: string;
  issuer: string;
  close(): Promise<void>;
}

/** The whole app on 127.0.0.1:<free port>, PUBLIC_URL set to match, catalogue and evidence seeded. */
export async function startApp(
  overrides: Partial<Config> & { seed?: boolean; routes?: (app: TestApp['app']) => void } = {},
): Promise<Running> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const built = await buildTestApp({ seed: true, publicUrl: baseUrl, ...overrides });
  await built.modules.identity.seedDemo();
  // Proving identity checks documents with the demo agencies through the exchange.
  await built.modules.registries.seedDemo(100);
  await built.modules.exchange.seedDemo();
  await built.app.listen({ port, host: '127.0.0.1' });
  return { built, baseUrl, issuer: `${baseUrl}/identity`, close: () => built.close() };
}

export interface RelyingParty {
  clientId: string;
  redirectUri: string;
  config: oidc.Configuration;
  privateKey?: CryptoKey;
  kid?: string;
  secret?: string | null;
}

/** Registers a client for a demo service and discovers the provider with openid-client. */
export async function relyingParty(
  run: Running,
  opts: {
    auth?: 'private_key_jwt' | 'client_secret_post';
    claims?: string[];
    maxIdentityLevel?: 'P0' | 'P1' | 'P2';
    backchannelLogoutUri?: string;
    redirectUri?: string;
    postLogoutRedirectUri?: string;
    serviceSlug?: string;
    scopes?: string[];
  } = {},
): Promise<RelyingParty> {
  const identity = run.built.modules.identity;
  const service = await run.built.modules.catalogue.service.getService(opts.serviceSlug ?? 'apply-for-a-blue-badge');
  const redirectUri = opts.redirectUri ?? 'http://127.0.0.1:9/callback';
  let privateKey: CryptoKey | undefined;
  let kid: string | undefined;
  let jwks: { keys: Array<Record<string, unknown>> } | null = null;
  if ((opts.auth ?? 'private_key_jwt') === 'private_key_jwt') {
    const pair = await generateKeyPair('ES256', { extractable: true });
    privateKey = pair.privateKey as CryptoKey;
    kid = `rp-${Math.random().toString(36).slice(2, 10)}`;
    jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid, alg: 'ES256', use: 'sig' }] };
  }
  const { client, secret } = await identity.createClient(
    { kind: 'cli' },
    {
      serviceId: service.id,
      name: `${service.name} (test)`,
      redirectUris: [redirectUri],
      postLogoutRedirectUris: [opts.postLogoutRedirectUri ?? 'http://127.0.0.1:9/signed-out'],
      jwks,
      scopes: opts.scopes ?? ['email', 'phone', 'offline_access'],
      claims: opts.claims ?? [],
      maxIdentityLevel: opts.maxIdentityLevel,
      backchannelLogoutUri: opts.backchannelLogoutUri ?? null,
    },
  );
  const auth = privateKey ? oidc.PrivateKeyJwt({ key: privateKey, kid }) : oidc.ClientSecretPost(secret!);
  const config = await oidc.discovery(new URL(run.issuer), client.clientId, { id_token_signed_response_alg: 'ES256' }, auth, {
    execute: [oidc.allowInsecureRequests],
  });
  return { clientId: client.clientId, redirectUri, config, privateKey, kid, secret };
}

/** A browser without JavaScript: a cookie jar (with paths) over fetch, never following redirects by itself. */
export class Browser {
  private jar = new Map<string, { name: string; value: string; path: string }>();
  last = '';
  lastUrl = '';
  constructor(readonly baseUrl: string) {}

  /** The Cookie header this browser would send to `path`. */
  cookiesFor(path: string): string {
    return [...this.jar.values()]
      .filter((c) => path.startsWith(c.path))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }
  private store(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const i = pair.indexOf('=');
      const name = pair.slice(0, i);
      const value = pair.slice(i + 1);
      const path = attrs.find((a) => /^path=/i.test(a))?.slice(5) || '/';
      const expired = attrs.some((a) => /^max-age=0$/i.test(a) || (/^expires=/i.test(a) && new Date(a.slice(8)).getTime() < Date.now()));
      if (expired || value === '') this.jar.delete(`${name}|${path}`);
      else this.jar.set(`${name}|${path}`, { name, value, path });
    }
  }
  cookie(name: string): string | undefined {
    return [...this.jar.values()].find((c) => c.name === name)?.value;
  }

  async request(method: string, url: string, form?: Record<string, string>): Promise<Response> {
    const u = new URL(url, this.baseUrl);
    const res = await fetch(u, {
      method,
      redirect: 'manual',
      headers: {
        cookie: this.cookiesFor(u.pathname),
        accept: 'text/html',
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    this.store(res);
    this.lastUrl = u.href;
    return res;
  }

  /** GET (or POST) then follow redirects on this site; stops at a page, or at a redirect elsewhere (returned as `location`). */
  async go(url: string, form?: Record<string, string>): Promise<{ status: number; url: string; body: string; location?: string }> {
    let res = await this.request(form ? 'POST' : 'GET', url, form);
    let current = new URL(url, this.baseUrl).href;
    for (let hops = 0; hops < 20 && res.status >= 300 && res.status < 400; hops++) {
      const next = new URL(res.headers.get('location')!, current).href;
      if (!next.startsWith(this.baseUrl)) return { status: res.status, url: current, body: '', location: next };
      current = next;
      res = await this.request('GET', next);
    }
    this.last = await res.text();
    return { status: res.status, url: current, body: this.last };
  }

  /** Submits the page's form whose action starts with `action` (hidden fields and _csrf included). */
  async submit(action: string, fields: Record<string, string> = {}, html = this.last) {
    const forms = [...html.matchAll(/<form[^>]*method="post"[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)];
    const form = forms.find((f) => unescape(f[1]).startsWith(action));
    if (!form) throw new Error(`no form posting to ${action} on ${this.lastUrl}:\n${html.slice(0, 3000)}`);
    const hidden = Object.fromEntries(
      [...form[2].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], unescape(m[2])]),
    );
    return this.go(unescape(form[1]), { ...hidden, ...fields });
  }
}

const unescape = (s: string) =>
  s
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');

export function errorSummary(html: string): string[] {
  const block = /govuk-error-summary__list">([\s\S]*?)<\/ul>/.exec(html)?.[1] ?? '';
  return [...block.matchAll(/<a [^>]*>([\s\S]*?)<\/a>/g)].map((m) => unescape(m[1].trim()));
}

/** The passport details form filled in with the demo passport (`DEMO_RECORDS[0]`, P2). */
export function demoPassportForm(): Record<string, string> {
  const p = DEMO_RECORDS[0];
  const [by, bm, bd] = p.birth_date.split('-');
  const [ey, em, ed] = p.expiry_date.split('-');
  return {
    documentNumber: p.document_number,
    givenName: p.given_name,
    familyName: p.family_name,
    'birthDate-day': bd,
    'birthDate-month': bm,
    'birthDate-year': by,
    'expiryDate-day': ed,
    'expiryDate-month': em,
    'expiryDate-year': ey,
  };
}

export interface Citizen {
  email: string;
  password: string;
  totpSecret: string;
}

/**
 * From the sign-in page of an interaction: create an account, set up an authenticator app and,
 * when asked, prove identity with the demo passport. Returns where the provider sent the browser.
 */
export async function newCitizenJourney(
  b: Browser,
  run: Running,
  start: { body: string; url: string },
  email: string,
): Promise<{ citizen: Citizen; location?: string; page: { status: number; url: string; body: string } }> {
  const uidMatch = /uid=([A-Za-z0-9_-]+)/.exec(start.url);
  if (!uidMatch) throw new Error(`not an interaction page: ${start.url}`);
  const uid = uidMatch[1];
  const password = 'correct horse 42 battery';
  let page = await b.go(`/identity/create-account?uid=${uid}`);
  page = await b.submit('/identity/create-account', { email });
  const code = run.built.modules.identity.outbox.lastCode(email);
  if (!code) throw new Error('no code in the outbox');
  page = await b.submit('/identity/create-account/code', { code });
  page = await b.submit('/identity/create-account/password', { password, confirm: password });
  if (!page.url.includes('/identity/two-factor')) return { citizen: { email, password, totpSecret: '' }, location: page.location, page };
  page = await b.submit('/identity/two-factor', { method: 'app' });
  const secret = /id="secret-key">([^<]+)</.exec(page.body)![1].replace(/\s+/g, '');
  page = await b.submit('/identity/two-factor/app', { code: totp(secret) });
  const citizen = { email, password, totpSecret: secret };
  if (!page.url.includes('/identity/prove')) return { citizen, location: page.location, page };
  page = await b.submit('/identity/prove', { document: 'passport' });
  page = await b.submit('/identity/prove/passport', demoPassportForm());
  const next = /href="(\/identity\/interaction\/[^"]+)"/.exec(page.body)?.[1];
  if (!next) throw new Error(`identity not proved:\n${errorSummary(page.body).join('\n')}`);
  page = await b.go(next);
  return { citizen, location: page.location, page };
}

export interface AuthRequest {
  url: URL;
  verifier: string;
  nonce: string;
  state: string;
}

export async function authRequest(rp: RelyingParty, params: Record<string, string> = {}): Promise<AuthRequest> {
  const verifier = oidc.randomPKCECodeVerifier();
  const nonce = oidc.randomNonce();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(rp.config, {
    redirect_uri: rp.redirectUri,
    scope: 'openid email',
    response_type: 'code',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    nonce,
    state,
    ...params,
  });
  return { url, verifier, nonce, state };
}

export async function exchange(rp: RelyingParty, req: AuthRequest, location: string) {
  return oidc.authorizationCodeGrant(rp.config, new URL(location), {
    pkceCodeVerifier: req.verifier,
    expectedNonce: req.nonce,
    expectedState: req.state,
    idTokenExpected: true,
  });
}

/**
 * For other modules' tests: a browser signed in as a new citizen through identity's own pages,
 * the way Cityscape's citizen pages send people (`identity.signInPath(back)`). With `prove`, the
 * citizen also sets up an authenticator app and proves their identity with the demo passport
 * (`DEMO_RECORDS[0]`, P2). Returns the browser, the account id and where it ended up.
 */
export async function signedInCitizen(
  run: Running,
  opts: { email?: string; prove?: boolean; back?: string } = {},
): Promise<{ browser: Browser; accountId: string; email: string; url: string }> {
  const email = opts.email ?? `citizen.${Math.random().toString(36).slice(2, 10)}@example.org`;
  const password = 'correct horse 42 battery';
  const back = opts.back ?? '/';
  const identity = run.built.modules.identity;
  const account = await identity.accounts.createAccount(email, password);
  const b = new Browser(run.baseUrl);
  await b.go(identity.signInPath(back));
  let page = await b.submit('/identity/sign-in', { email, password });
  if (opts.prove) {
    page = await b.go(identity.provePath(back));
    page = await b.submit('/identity/two-factor', { method: 'app' });
    const secret = /id="secret-key">([^<]+)</.exec(page.body)![1].replace(/\s+/g, '');
    await b.submit('/identity/two-factor/app', { code: totp(secret) });
    page = await b.go(identity.provePath(back));
    page = await b.submit('/identity/prove', { document: 'passport' });
    page = await b.submit('/identity/prove/passport', demoPassportForm());
    const cont = /class="govuk-button"[^>]*href="([^"]+)"|href="([^"]+)"[^>]*class="govuk-button"/.exec(page.body);
    const to = cont?.[1] ?? cont?.[2];
    if (!to) throw new Error(`identity not proved:\n${errorSummary(page.body).join('\n')}`);
    page = await b.go(to.replace(/&amp;/g, '&'));
  }
  return { browser: b, accountId: account.id, email, url: page.url };
}

/** The pairwise `sub` identity gives a catalogue service for an account (for other modules' tests). */
export { pairwiseSubject } from './provider.js';

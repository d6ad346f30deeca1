// Identity benchmark (`npx tsx bench/identity.ts [--quick] [--pglite]`): authorization-code
// flows completed per second — GET /authorize with the browser already signed in → POST /token
// (client_secret_post, PKCE) → GET /userinfo — against Cityscape's provider on PostgreSQL (its
// state in identity.oidc_models), beside a bare oidc-provider of the same version with its
// in-memory adapter and the same client, in the same run. The ratio is what persistence and
// Cityscape's rules cost; target ≥ 50%, reported as the median of short alternating rounds
// (on a shared machine the load from elsewhere swings more than the difference measured).
// The load client runs in its own process: 16 clients (BENCH_WORKERS) looping flows back to
// back over 8 signed-in browser sessions. --profile prints where the server's time goes.
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { cpus } from 'node:os';
import { Session } from 'node:inspector/promises';
import { Provider } from '../src/modules/identity/oidc.js';
import { exportJWK, generateKeyPair } from 'jose';
import { buildApp, type BuiltApp } from '../src/app.js';
import { testConfig } from '../src/config.js';
import { freshPostgres } from '../test/helpers.js';
import { Browser, freePort } from '../src/modules/identity/testing.js';
import { fmt, interleave, load1, pct, report, run } from './lib.js';

const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
const PGLITE = args.has('--pglite');
const PROFILE = args.has('--profile');
const DURATION = QUICK ? 2 : 3; // seconds per measurement
// Baseline and Cityscape alternate in short rounds; the ratio reported is the median of each
// round's pair, so load from elsewhere on the machine weighs on both sides alike.
const ROUNDS = QUICK ? 3 : 7;
const WORKERS = Number(process.env.BENCH_WORKERS || 16);
const TARGET = 0.5;
const PG_BASE = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const log = (s: string) => process.stderr.write(s + '\n');

export interface IdentityBenchResult {
  db: 'postgres' | 'pglite';
  baselineFlowsPerSec: number;
  cityscapeFlowsPerSec: number;
  ratio: number;
  target: number;
  pass: boolean;
  errors: number;
}

interface Target {
  authorize: string;
  token: string;
  userinfo: string;
  clientId: string;
  secret: string;
  redirectUri: string;
  extra: Record<string, string>;
  cookies: string[];
}

/** The load client, in its own process: WORKERS loops of authorize → token → userinfo. */
const CLIENT = `
const w = JSON.parse(process.env.BENCH_CLIENT);
const crypto = require('node:crypto');
let done = 0, errors = 0, firstError = null;
function jar(header) { const m = new Map(); for (const p of header.split('; ').filter(Boolean)) { const i = p.indexOf('='); m.set(p.slice(0, i), p.slice(i + 1)); } return m; }
async function flow(cookies) {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const url = new URL(w.authorize);
  const q = { client_id: w.clientId, redirect_uri: w.redirectUri, response_type: 'code', scope: 'openid email', nonce: crypto.randomBytes(12).toString('base64url'),
    state: crypto.randomBytes(12).toString('base64url'), code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256', ...w.extra };
  for (const [k, v] of Object.entries(q)) url.searchParams.set(k, v);
  let res = await fetch(url, { redirect: 'manual', headers: { cookie: [...cookies].map(([k, v]) => k + '=' + v).join('; ') } });
  for (const c of res.headers.getSetCookie()) { const [pair] = c.split(';'); const i = pair.indexOf('='); const v = pair.slice(i + 1); if (v) cookies.set(pair.slice(0, i), v); }
  await res.arrayBuffer();
  const code = new URL(res.headers.get('location') || 'x:', w.redirectUri).searchParams.get('code');
  if (!code) throw new Error('authorize: ' + res.status + ' ' + res.headers.get('location'));
  res = await fetch(w.token, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: w.redirectUri, code_verifier: verifier, client_id: w.clientId, client_secret: w.secret }) });
  const t = await res.json();
  if (!t.access_token || !t.id_token) throw new Error('token: ' + JSON.stringify(t));
  res = await fetch(w.userinfo, { headers: { authorization: 'Bearer ' + t.access_token } });
  const u = await res.json();
  if (!u.sub) throw new Error('userinfo: ' + JSON.stringify(u));
}
(async () => {
  const end = Date.now() + w.duration * 1000;
  const t0 = performance.now();
  await Promise.all(w.cookies.map(async (c) => {
    const cookies = jar(c);
    while (Date.now() < end) {
      try { await flow(cookies); done++; } catch (e) { errors++; firstError ??= String(e.message || e); }
    }
  }));
  process.stdout.write(JSON.stringify({ done, errors, seconds: (performance.now() - t0) / 1000, firstError }));
})();
`;

async function drive(t: Target, duration: number): Promise<{ done: number; errors: number; seconds: number; firstError: string | null }> {
  const child = spawn(process.execPath, ['-e', CLIENT], {
    env: { ...process.env, BENCH_CLIENT: JSON.stringify({ ...t, duration }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  await new Promise((r) => child.on('exit', r));
  return JSON.parse(out);
}

/** CPU profile of this process (the servers) while `fn` runs: self time by package and by function. */
async function profiled<T>(fn: () => Promise<T>): Promise<T> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 250 });
  await session.post('Profiler.start');
  const result = await fn();
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  const self = new Map<number, number>();
  (profile.samples ?? []).forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas?.[i] ?? 0)));
  const byPkg = new Map<string, number>();
  const byFn = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const t = self.get(node.id) ?? 0;
    total += t;
    const url = node.callFrame.url;
    const pkg =
      /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ??
      (url.includes('/src/')
        ? 'src/' + (url.split('/src/')[1] ?? '').split('/').slice(0, 2).join('/')
        : url
          ? 'node:' + url.split('/').pop()
          : node.callFrame.functionName || '(native)');
    byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + t);
    const name = `${node.callFrame.functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${node.callFrame.lineNumber + 1}`;
    byFn.set(name, (byFn.get(name) ?? 0) + t);
  }
  const top = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, t]) => `    ${((100 * t) / total).toFixed(1).padStart(5)}%  ${k}`)
      .join('\n');
  log(`  self time by package:\n${top(byPkg, 15)}\n  by function:\n${top(byFn, 25)}`);
  return result;
}

/** Bare oidc-provider, in-memory adapter, the same client and flow; an interaction that signs in at once. */
async function startBaseline(): Promise<{ server: Server; target: Omit<Target, 'cookies'>; signIn(): Promise<string> }> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const redirectUri = 'http://127.0.0.1:9/callback';
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'bench',
        client_secret: 'bench-secret-bench-secret-bench-secret',
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
        id_token_signed_response_alg: 'ES256',
      },
    ],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'bench', alg: 'ES256', use: 'sig' } as never] },
    findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id, email: 'bench@example.org', email_verified: true }) }),
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    interactions: { url: (_ctx, i) => `/interaction/${i.uid}` },
    cookies: { keys: ['bench-cookie-key'] },
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 3600,
      RefreshToken: 30 * 86400,
      Session: 86400,
      Grant: 30 * 86400,
    },
  });
  const handler = provider.callback();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (!req.url?.startsWith('/interaction/')) return void handler(req, res);
    (async () => {
      const d = await provider.interactionDetails(req, res);
      const grant = new provider.Grant({ accountId: 'bench-user', clientId: 'bench' });
      grant.addOIDCScope('openid email');
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: 'bench-user' }, consent: { grantId: await grant.save() } },
        { mergeWithLastSubmission: false },
      );
      void d;
    })().catch((e) => {
      res.statusCode = 500;
      res.end(String(e));
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const target = {
    authorize: `${issuer}/auth`,
    token: `${issuer}/token`,
    userinfo: `${issuer}/me`,
    clientId: 'bench',
    secret: 'bench-secret-bench-secret-bench-secret',
    redirectUri,
    extra: {},
  };
  return {
    server,
    target,
    async signIn() {
      const b = new Browser(issuer);
      const url = new URL(target.authorize);
      for (const [k, v] of Object.entries({
        client_id: 'bench',
        redirect_uri: redirectUri,
        response_type: 'code',
        scope: 'openid email',
        nonce: 'n',
        state: 's',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      }))
        url.searchParams.set(k, v);
      const r = await b.go(url.href);
      if (!r.location?.includes('code=')) throw new Error(`baseline sign-in failed: ${r.status}`);
      return b.cookiesFor('/auth');
    },
  };
}

async function startCityscape(): Promise<{
  built: BuiltApp;
  target: Omit<Target, 'cookies'>;
  signIn(): Promise<string>;
  drop(): Promise<void>;
}> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const fresh = PGLITE ? null : await freshPostgres(PG_BASE);
  const built = await buildApp({
    config: testConfig({ publicUrl: baseUrl, databaseUrl: fresh?.url, rateLimitPerMinute: 10_000_000, logLevel: 'silent' }),
  });
  await built.app.listen({ port, host: '127.0.0.1' });
  await built.modules.catalogue.seedDemo!();
  const service = await built.modules.catalogue.service.getService('apply-for-a-blue-badge');
  const redirectUri = 'http://127.0.0.1:9/callback';
  const { client, secret } = await built.modules.identity.createClient(
    { kind: 'cli' },
    {
      serviceId: service.id,
      name: 'Bench',
      redirectUris: [redirectUri],
      scopes: ['email'],
    },
  );
  const email = 'bench@example.org';
  const password = 'bench password 1';
  await built.modules.identity.accounts.createAccount(email, password);
  const issuer = `${baseUrl}/identity`;
  const extra = { vtr: '["Cl"]' };
  const target = {
    authorize: `${issuer}/authorize`,
    token: `${issuer}/token`,
    userinfo: `${issuer}/userinfo`,
    clientId: client.clientId,
    secret: secret!,
    redirectUri,
    extra,
  };
  return {
    built,
    target,
    async signIn() {
      const b = new Browser(baseUrl);
      const url = new URL(target.authorize);
      for (const [k, v] of Object.entries({
        client_id: client.clientId,
        redirect_uri: redirectUri,
        response_type: 'code',
        scope: 'openid email',
        nonce: 'n',
        state: 's',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
        ...extra,
      }))
        url.searchParams.set(k, v);
      await b.go(url.href);
      const r = await b.submit('/identity/sign-in', { email, password });
      if (!r.location?.includes('code=')) throw new Error(`Cityscape sign-in failed: ${r.status} ${r.url}`);
      return b.cookiesFor('/identity/authorize');
    },
    async drop() {
      await built.close();
      await fresh?.drop();
    },
  };
}

export async function identityBench(): Promise<IdentityBenchResult> {
  const db = PGLITE ? 'pglite' : 'postgres';
  log(
    `[identity] authorization-code flows per second, ${WORKERS} clients, ${DURATION}s × ${ROUNDS} rounds, ${cpus().length} CPUs, Cityscape on ${db}`,
  );
  const baseline = await startBaseline();
  const city = await startCityscape();
  try {
    // Up to 8 signed-in browsers (sign-in is rate limited per address), shared round-robin by the workers.
    const browsers = Math.min(WORKERS, 8);
    const spread = (cookies: string[]) => Array.from({ length: WORKERS }, (_, i) => cookies[i % cookies.length]);
    const baseCookies = spread(await Promise.all(Array.from({ length: browsers }, () => baseline.signIn())));
    const cityCookies = spread(await Promise.all(Array.from({ length: browsers }, () => city.signIn())));
    const base = { ...baseline.target, cookies: baseCookies };
    const ours = { ...city.target, cookies: cityCookies };
    // Warm-up (JIT, connection pools, caches) of both.
    await drive(base, 1);
    await drive(ours, 1);
    const totals = { base: { done: 0, seconds: 0 }, ours: { done: 0, seconds: 0 } };
    const ratios: number[] = [];
    let errors = 0;
    // Interleaved (ABBA), so neither side always runs first.
    const rounds = await interleave(ROUNDS, {
      base: () => drive(base, DURATION),
      ours: () => (PROFILE ? profiled(() => drive(ours, DURATION)) : drive(ours, DURATION)),
    });
    for (let round = 0; round < ROUNDS; round++) {
      const rate: Record<string, number> = {};
      for (const name of ['base', 'ours'] as const) {
        const r = rounds[name][round];
        totals[name].done += r.done;
        totals[name].seconds += r.seconds;
        errors += r.errors;
        rate[name] = r.done / r.seconds;
        if (r.errors) log(`  ${name}: ${r.errors} errors (${r.firstError})`);
      }
      ratios.push(rate.ours / rate.base);
      log(
        `  round ${round + 1}: oidc-provider (memory) ${rate.base.toFixed(1)}, Cityscape (${db}) ${rate.ours.toFixed(1)} flows/s — ${((100 * rate.ours) / rate.base).toFixed(0)}%`,
      );
    }
    const baselineFlowsPerSec = totals.base.done / totals.base.seconds;
    const cityscapeFlowsPerSec = totals.ours.done / totals.ours.seconds;
    const ratio = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)];
    const result = {
      db,
      baselineFlowsPerSec,
      cityscapeFlowsPerSec,
      ratio,
      target: TARGET,
      pass: ratio >= TARGET && errors === 0,
      errors,
    } as IdentityBenchResult;
    log(
      `[identity] oidc-provider in memory ${baselineFlowsPerSec.toFixed(1)} flows/s, Cityscape on ${db} ${cityscapeFlowsPerSec.toFixed(1)} flows/s (means); median ratio of the rounds ${(ratio * 100).toFixed(0)}% (target ≥ ${TARGET * 100}%) ${result.pass ? 'PASS' : 'FAIL'}`,
    );
    return result;
  } finally {
    await new Promise((r) => baseline.server.close(r));
    await city.drop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run(async () => {
    const loadAtStart = load1();
    const r = await identityBench();
    process.stdout.write(JSON.stringify(r, null, 2) + '\n');
    return report(
      'Identity',
      [
        {
          metric: `authorization-code flows, Cityscape (${r.db}) ÷ oidc-provider in memory`,
          figure: `${pct(r.ratio, 0)} (${fmt(r.cityscapeFlowsPerSec, 1)} flows/s; median of ${ROUNDS} rounds)`,
          baseline: `oidc-provider ${fmt(r.baselineFlowsPerSec, 1)} flows/s`,
          target: `≥ ${pct(TARGET, 0)}, no errors`,
          pass: r.pass,
        },
      ],
      { loadAtStart, notes: r.errors ? [`${r.errors} flows failed`] : [] },
    );
  });
}

// The `cityscape` command line: start the server, migrate, seed the demo, platform admins,
// API keys, services. Each command returns its output instead of writing it, so the same
// function runs here or — when a server already has the embedded data directory open —
// inside that server, through its control socket (see kernel/control.ts for why).
import v8 from 'node:v8';
import vm from 'node:vm';
import { readFileSync, realpathSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, loadConfig, type Config, type LogLevel } from './config.js';
import { HttpError } from './kernel/errors.js';
import { acquireLock, lockPath, runExclusive, socketPathFor, startControlServer, type CommandResult, type ControlServer, type HeldLock } from './kernel/control.js';
import type { BuiltApp } from './app.js';
import type { Db } from './kernel/db.js';
import type { Module } from './kernel/module.js';

const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

export interface Ctx { built: BuiltApp; config: Config; cwd: string; appliedOnOpen: string[] }
type Values = Record<string, string | boolean | undefined>;
class Out {
  stdout = ''; stderr = '';
  line(s = '') { this.stdout += s + '\n'; }
  err(s: string) { this.stderr += s + '\n'; }
  result(exitCode: number): CommandResult { return { exitCode, stdout: this.stdout, stderr: this.stderr }; }
}
interface Command {
  usage: string;
  summary: string;
  options?: NonNullable<ParseArgsConfig['options']>;
  positionals?: string[];
  check?(v: Values): string | undefined;
  run(ctx: Ctx, v: Values, positionals: string[], out: Out): Promise<number | void>;
}

const cli = { kind: 'cli' } as const;
const str = { type: 'string' } as const;
const flag = { type: 'boolean' } as const;
const when = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') : '-');

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [header, ...rows].map((r) => r.map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i]) : c)).join('  ')).join('\n');
}

const seedables = (built: BuiltApp) => Object.entries(built.modules as Record<string, Module>).filter(([, m]) => m.seedDemo);
async function seedAll(built: BuiltApp, out: Out): Promise<void> {
  for (const [name, m] of seedables(built)) {
    out.line((await m.seedDemo!()) ? `Seeded the demo ${name}.` : `The ${name} already has data, so the demo was not added.`);
  }
}

async function appliedMigrations(db: Db): Promise<string[]> {
  const { rows } = await db.query<{ present: boolean }>(`SELECT to_regclass('kernel.migrations') IS NOT NULL AS present`);
  if (!rows[0]?.present) return [];
  return (await db.query<{ m: string }>(`SELECT module || '/' || name AS m FROM kernel.migrations ORDER BY applied_at, module <> 'kernel', module, name`)).rows.map((r) => r.m);
}

export const COMMANDS: Record<string, Command> = {
  migrate: {
    usage: 'migrate', summary: 'Apply database migrations',
    async run(ctx, _v, _p, out) {
      const [{ migrate }, { migrationSources }] = await Promise.all([import('./kernel/migrations.js'), import('./app.js')]);
      const applied = [...ctx.appliedOnOpen, ...(await migrate(ctx.built.kernel.db, migrationSources(ctx.built.modules)))];
      if (!applied.length) return out.line(`The database is up to date (${(await appliedMigrations(ctx.built.kernel.db)).length} migrations applied earlier).`);
      out.line(`Applied ${applied.length} migration${applied.length === 1 ? '' : 's'}:`);
      for (const m of applied) out.line(`  ${m}`);
    },
  },
  'seed-demo': {
    usage: 'seed-demo', summary: 'Add the demo catalogue (fictional organisations and services) if the catalogue is empty',
    run: (ctx, _v, _p, out) => seedAll(ctx.built, out),
  },
  'admin create': {
    usage: 'admin create --email EMAIL (--password PASSWORD | --password-stdin) [--name NAME]',
    summary: 'Create a platform administrator, or reset one\'s password (at least 12 characters)',
    options: { email: str, password: str, name: str },
    check: (v) => (!v.email ? 'admin create needs --email EMAIL' : !v.password ? 'admin create needs --password PASSWORD (or --password-stdin)' : undefined),
    async run(ctx, v, _p, out) {
      const staff = await ctx.built.modules.catalogue.service.createStaff(cli, { email: v.email as string, password: v.password as string, name: v.name as string | undefined, role: 'platform_admin' });
      out.line(`Platform administrator ${staff.email} is ready (id ${staff.id}).`);
      out.line(`Sign in at ${ctx.config.publicUrl}/admin/sign-in`);
    },
  },
  'keys create': {
    usage: 'keys create (--service SLUG --platform NAME [--type live|test|team] | --admin) [--name NAME]',
    summary: 'Create an API key; the key alone is the last line of output',
    options: { service: str, platform: str, type: str, name: str, admin: flag },
    check: (v) => v.admin
      ? (v.service ? 'A --admin key belongs to no service: leave out --service' : v.type ? 'A --admin key is always of type admin: leave out --type' : undefined)
      : !v.service ? 'keys create needs --service SLUG (or --admin for a catalogue admin key)'
        : !v.platform ? 'keys create needs --platform NAME (pay, notify, addresses, identity, exchange, performance, experiments, forms or catalogue)' : undefined,
    async run(ctx, v, _p, out) {
      const catalogue = ctx.built.modules.catalogue.service;
      const name = v.name as string | undefined;
      const { key, secret } = v.admin
        ? await catalogue.createApiKey(cli, { serviceSlug: null, platform: (v.platform as string) ?? 'catalogue', type: 'admin', name })
        : await catalogue.createApiKey(cli, { serviceSlug: v.service as string, platform: v.platform as string, type: (v.type as string) ?? 'test', name });
      out.line(v.admin ? `Created catalogue admin key "${key.name}" (id ${key.id}).`
        : `Created ${key.type} key "${key.name}" for ${v.service} on the ${key.platform} platform (id ${key.id}).`);
      out.line('This is the only time the key is shown. Keep it secret:');
      out.line(secret);
    },
  },
  'keys list': {
    usage: 'keys list (--service SLUG | --admin) [--json]', summary: 'List a service\'s API keys (never their secrets), or the catalogue admin keys',
    options: { service: str, admin: flag, json: flag },
    check: (v) => (!v.service === !v.admin ? 'keys list needs either --service SLUG or --admin' : undefined),
    async run(ctx, v, _p, out) {
      const catalogue = ctx.built.modules.catalogue.service;
      const keys = await catalogue.listApiKeys(v.admin ? null : (await catalogue.getService(v.service as string)).id);
      if (v.json) return out.line(JSON.stringify(keys, null, 2));
      if (!keys.length) return out.line(v.admin ? 'There are no catalogue admin keys.' : `${v.service} has no API keys.`);
      out.line(table(['ID', 'NAME', 'PLATFORM', 'TYPE', 'ENDS IN', 'CREATED', 'LAST USED', 'STATUS'],
        keys.map((k) => [k.id, k.name, k.platform, k.type, `…${k.hint}`, when(k.created_at), when(k.last_used_at), k.revoked_at ? `revoked ${when(k.revoked_at)}` : 'active'])));
    },
  },
  'keys revoke': {
    usage: 'keys revoke ID', summary: 'Revoke an API key at once', positionals: ['ID'],
    async run(ctx, _v, [id], out) {
      const key = await ctx.built.modules.catalogue.service.revokeApiKey(cli, id);
      out.line(`Revoked key ${key.id} ("${key.name}", ${key.platform} ${key.type}).`);
    },
  },
  'services list': {
    usage: 'services list [--json]', summary: 'List every service in the catalogue', options: { json: flag },
    async run(ctx, v, _p, out) {
      const services = await ctx.built.modules.catalogue.service.listServices();
      if (v.json) return out.line(JSON.stringify(services, null, 2));
      if (!services.length) return out.line('The catalogue has no services yet (try: cityscape seed-demo).');
      out.line(table(['SLUG', 'NAME', 'PHASE', 'ORGANISATION'], services.map((s) => [s.slug, s.name, s.phase, s.organisation.name])));
    },
  },
  'addresses import': {
    usage: 'addresses import FILE... [--replace]',
    summary: 'Import AddressBase Premium files (CSV or GML, full supply or change-only update) in one all-or-nothing transaction',
    positionals: ['FILE...'], options: { replace: flag },
    async run(ctx, v, files, out) {
      const { resolve } = await import('node:path');
      const r = await ctx.built.modules.addresses.importAddresses(files.map((f) => resolve(ctx.cwd, f)), { replace: !!v.replace });
      out.line(`Imported ${r.records.toLocaleString('en-GB')} records from ${r.files} file${r.files === 1 ? '' : 's'} in ${r.seconds.toFixed(1)} s (${Math.round(r.records / Math.max(r.seconds, 0.001)).toLocaleString('en-GB')} records/s).`);
      out.line(`${r.uprns.toLocaleString('en-GB')} properties changed; ${r.places.toLocaleString('en-GB')} address records rebuilt.`);
    },
  },
  'addresses generate': {
    usage: 'addresses generate --count N --out FILE [--seed N] [--gml]',
    summary: 'Write N generated addresses as AddressBase Premium CSV (or GML) for demos, tests and benchmarks',
    options: { count: str, out: str, seed: str, gml: flag },
    check: (v) => (!v.count || !/^\d+$/.test(String(v.count)) ? 'addresses generate needs --count N (a whole number)' : !v.out ? 'addresses generate needs --out FILE' : v.seed && !/^\d+$/.test(String(v.seed)) ? '--seed must be a whole number' : undefined),
    async run(ctx, v, _p, out) {
      const { resolve } = await import('node:path');
      const { writeAbpCsv, writeAbpGml } = await import('./modules/addresses/index.js');
      const file = resolve(ctx.cwd, String(v.out));
      const opts = { count: Number(v.count), seed: v.seed ? Number(v.seed) : 1 };
      await (v.gml ? writeAbpGml(file, opts) : writeAbpCsv(file, opts));
      out.line(`Wrote ${opts.count.toLocaleString('en-GB')} generated addresses to ${file} (seed ${opts.seed}).`);
    },
  },
  'services show': {
    usage: 'services show SLUG [--json]', summary: 'One service: who is accountable, decisions, roadmap, satisfaction',
    positionals: ['SLUG'], options: { json: flag },
    async run(ctx, v, [slug], out) {
      const s = await ctx.built.modules.catalogue.service.getServiceDetail(slug);
      if (v.json) return out.line(JSON.stringify(s, null, 2));
      out.line(`${s.name} (${s.slug}) — ${s.phase}`);
      out.line(`Run by ${s.organisation.name}${s.team ? `, ${s.team.name}` : ''}. Platforms: ${s.platforms.join(', ') || 'none'}.`);
      if (s.office_holder) out.line(`Accountable: ${s.office_holder.name}, ${s.office_holder.role}, since ${s.office_holder.in_post_since}`);
      out.line(`Satisfaction: ${s.satisfaction.score === null ? 'no responses' : `${Math.round(s.satisfaction.score * 100)}%`} (${s.satisfaction.responses} responses, ${s.satisfaction.days} days)`);
      if (s.decisions.length) { out.line('Decisions:'); for (const d of s.decisions) out.line(`  ${d.decided_on}  ${d.decision} (${d.decided_by})`); }
      if (s.roadmap.length) { out.line('Roadmap:'); for (const r of s.roadmap) out.line(`  [${r.status}] ${r.title}${r.target_date ? ` (by ${r.target_date})` : ''}`); }
    },
  },
  'identity rotate-keys': {
    usage: 'identity rotate-keys', summary: 'New signing keys for ID tokens and core identity JWTs; the previous keys stay published, older ones retire',
    async run(ctx, _v, _p, out) {
      const { added, retired } = await ctx.built.modules.identity.rotateKeys();
      out.line(`New signing keys: ${added.join(', ')}.`);
      out.line(retired.length ? `Retired: ${retired.join(', ')}.` : 'No keys retired (the previous keys stay published).');
    },
  },
  // Two words name a command here, so "create" arrives as the positional ACTION.
  'identity clients': {
    positionals: ['create'],
    usage: 'identity clients create --service SLUG --name NAME --redirect-uris URI[,URI…] [--public-key FILE] [--scopes email,phone,offline_access] [--claims coreIdentityJWT,address,passport] [--max-identity-level P0|P1|P2] [--post-logout-redirect-uris URI[,…]] [--backchannel-logout-uri URI] [--json]',
    summary: 'Register a relying service (OpenID Connect client) for a catalogue service; without --public-key (PEM, JWK or JWKS) it gets a client secret, shown once as the last line',
    options: { service: str, name: str, 'redirect-uris': str, 'public-key': str, scopes: str, claims: str, 'max-identity-level': str, 'post-logout-redirect-uris': str, 'backchannel-logout-uri': str, json: flag },
    check: (v) => (!v.service ? 'identity clients create needs --service SLUG' : !v.name ? 'identity clients create needs --name NAME' : !v['redirect-uris'] ? 'identity clients create needs --redirect-uris URI[,URI…]' : undefined),
    async run(ctx, v, [action], out) {
      if (action !== 'create') { out.err(`cityscape: unknown command "identity clients ${action}" (try: identity clients create)`); return 2; }
      const { readPublicKeys } = await import('./modules/identity/index.js');
      const list = (x: unknown) => (typeof x === 'string' ? x.split(',').map((s) => s.trim()).filter(Boolean) : []);
      const service = await ctx.built.modules.catalogue.service.getService(v.service as string);
      const { client, secret } = await ctx.built.modules.identity.createClient(cli, {
        serviceId: service.id, name: v.name as string, redirectUris: list(v['redirect-uris']), postLogoutRedirectUris: list(v['post-logout-redirect-uris']),
        jwks: v['public-key'] ? await readPublicKeys(v['public-key'] as string, ctx.cwd) : null,
        scopes: list(v.scopes), claims: list(v.claims).map((c) => (c.includes('/') ? c : `https://vocab.account.gov.uk/v1/${c}`)),
        maxIdentityLevel: v['max-identity-level'] as 'P0' | 'P1' | 'P2' | undefined, backchannelLogoutUri: (v['backchannel-logout-uri'] as string | undefined) ?? null,
      });
      if (v.json) return out.line(JSON.stringify({ ...client, issuer: ctx.built.modules.identity.issuer, ...(secret ? { clientSecret: secret } : {}) }, null, 2));
      out.line(`Registered "${client.name}" for ${service.name} (client ID ${client.clientId}, ${client.authMethod}).`);
      out.line(`Issuer: ${ctx.built.modules.identity.issuer} (discovery at ${ctx.built.modules.identity.issuer}/.well-known/openid-configuration)`);
      if (secret) { out.line('This is the only time the client secret is shown. Keep it secret:'); out.line(secret); }
    },
  },
};
const GROUPS = new Set(Object.keys(COMMANDS).filter((n) => n.includes(' ')).map((n) => n.split(' ')[0]));

export function usage(): string {
  const rows: [string, string][] = [['start', 'Run the server (configured by the environment, below)'],
    ...Object.values(COMMANDS).map((c) => [c.usage, c.summary] as [string, string]), ['help', 'Show this help']];
  return `Usage: cityscape <command> [options]

Commands:
${rows.map(([u, s]) => `  cityscape ${u}\n      ${s}`).join('\n')}

Commands other than start work whether or not \`cityscape start\` is running on the same
data directory: if it is, they run inside it.

Environment: PORT (3000), HOST (0.0.0.0), PUBLIC_URL, DATABASE_URL (PostgreSQL; otherwise
embedded PGlite in CITYSCAPE_DATA_DIR, default .cityscape), LOG_LEVEL (info), SEED_DEMO (true),
WORKERS (true), SESSION_SECRET, ENCRYPTION_KEY, SECURE_COOKIES, BODY_LIMIT, RATE_LIMIT_PER_MINUTE.
`;
}

type Parsed =
  | { kind: 'done'; result: CommandResult }
  | { kind: 'start' }
  | { kind: 'run'; name: string; cmd: Command; values: Values; positionals: string[] };

const done = (exitCode: number, stdout: string, stderr = ''): Parsed => ({ kind: 'done', result: { exitCode, stdout, stderr } });
const usageError = (message: string, line?: string) =>
  done(2, '', `cityscape: ${message}\n${line ? `Usage: cityscape ${line}\n` : ''}Run "cityscape help" for the list of commands.\n`);

/** argv → a command to run, or the help/usage text to print. Touches no database. */
export function parseCommand(argv: string[]): Parsed {
  const [first, second] = argv;
  if (!first || first === 'help' || first === '--help' || first === '-h') return done(0, usage());
  if (first === 'version' || first === '--version' || first === '-v') return done(0, `cityscape ${VERSION}\n`);
  const name = COMMANDS[first] || first === 'start' ? first : COMMANDS[`${first} ${second}`] ? `${first} ${second}` : undefined;
  if (!name) {
    if (!GROUPS.has(first)) return usageError(`unknown command "${first}"`);
    const subs = Object.keys(COMMANDS).filter((n) => n.startsWith(`${first} `)).map((n) => `  cityscape ${COMMANDS[n].usage}`).join('\n');
    return done(2, '', `cityscape: ${second && !second.startsWith('-') ? `unknown command "${first} ${second}"` : `"${first}" needs a subcommand`}\nUsage:\n${subs}\n`);
  }
  const cmd = COMMANDS[name];
  const rest = argv.slice(name.split(' ').length);
  if (rest.includes('--help') || rest.includes('-h')) return done(0, `Usage: cityscape ${cmd?.usage ?? 'start'}\n${cmd ? `${cmd.summary}\n` : ''}`);
  let values: Values; let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: rest, options: cmd?.options ?? {}, allowPositionals: true, strict: true }) as { values: Values; positionals: string[] });
  } catch (err: any) {
    return usageError(err.message, cmd?.usage ?? 'start');
  }
  const wanted = cmd?.positionals ?? [];
  if (positionals.length < wanted.length) return usageError(`${name} needs ${wanted.slice(positionals.length).join(' ')}`, cmd!.usage);
  if (positionals.length > wanted.length && !wanted.at(-1)?.endsWith('...')) return usageError(`unexpected argument "${positionals[wanted.length]}"`, cmd?.usage ?? 'start');
  if (!cmd) return { kind: 'start' };
  const problem = cmd.check?.(values);
  if (problem) return usageError(problem, cmd.usage);
  return { kind: 'run', name, cmd, values, positionals };
}

/** Runs a parsed command against an open app; errors become output and an exit code. */
async function runParsed(p: Extract<Parsed, { kind: 'run' }>, ctx: Ctx): Promise<CommandResult> {
  const out = new Out();
  try {
    return out.result((await p.cmd.run(ctx, p.values, p.positionals, out)) ?? 0);
  } catch (err: any) {
    if (err instanceof HttpError) out.err(err.message);
    else { ctx.built.kernel.log.error({ err, command: p.name }, 'command failed'); out.err(`cityscape ${p.name} failed: ${err?.message ?? err}`); }
    return out.result(1);
  }
}

/** What the control socket runs: the same commands, against the server's open app. */
export async function executeIn(ctx: Ctx, argv: string[]): Promise<CommandResult> {
  const p = parseCommand(argv);
  if (p.kind === 'done') return p.result;
  if (p.kind === 'start') return { exitCode: 1, stdout: '', stderr: `Cityscape is already running on this data directory (pid ${process.pid})\n` };
  return runParsed(p, ctx);
}

const cliLogLevel = (l: LogLevel): LogLevel => (l === 'debug' || l === 'trace' ? l : 'silent'); // logs go to stdout; keep it clean

/** Opens the database in this process (the caller holds the data directory's lock). */
async function runLocally(p: Extract<Parsed, { kind: 'run' }>, config: Config, cwd: string): Promise<CommandResult> {
  const [{ buildApp }, { openDb }] = await Promise.all([import('./app.js'), import('./kernel/db.js')]);
  const db = await openDb(config.databaseUrl, config.dataDir);
  try {
    const before = await appliedMigrations(db);
    const built = await buildApp({ config: { ...config, seedDemo: false, workers: false, logLevel: cliLogLevel(config.logLevel) }, db });
    try {
      const after = await appliedMigrations(db);
      return await runParsed(p, { built, config, cwd, appliedOnOpen: after.filter((m) => !before.includes(m)) });
    } finally { await built.close(); }
  } finally { await db.close(); }
}

/** loadConfig, tolerating another process creating the secret files at the same moment. */
async function loadConfigSafely(): Promise<Config> {
  for (let attempt = 1; ; attempt++) {
    try {
      const config = loadConfig();
      if (config.sessionSecret && config.encryptionKey) return config;
      if (attempt >= 20) throw new ConfigError(`A secret file in ${config.dataDir} is empty; delete it so a new one is generated`);
    } catch (err: any) { if (err?.code !== 'EEXIST' || attempt >= 20) throw err; }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One clear line for the errors people cause (config, ports, database URL); a stack for the rest. */
function explain(err: any, config?: Config, failed = 'Cityscape could not start'): { line: string; stack: boolean } {
  if (err instanceof ConfigError) return { line: `Configuration error: ${err.message}`, stack: false };
  const where = config ? `${config.host}:${config.port}` : '';
  if (err?.code === 'EADDRINUSE' && err.syscall === 'listen') return { line: `Cannot start: port ${config?.port} is already in use (${where}). Stop whatever is using it or set PORT to a free port.`, stack: false };
  if (err?.code === 'EACCES' && err.syscall === 'listen') return { line: `Cannot start: not allowed to listen on ${where}. Ports below 1024 need extra privileges; set PORT.`, stack: false };
  if (err?.code === 'EADDRNOTAVAIL') return { line: `Cannot start: ${config?.host} is not an address of this machine; set HOST.`, stack: false };
  if (config?.databaseUrl && ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', '28P01', '3D000'].includes(err?.code)) return { line: `Cannot use the database in DATABASE_URL: ${err.message}`, stack: false };
  return { line: `${failed}: ${err?.message ?? err}`, stack: true };
}

const write = (stream: NodeJS.WriteStream, text: string) => new Promise<void>((r) => (text ? stream.write(text, () => r()) : r()));
const say = (line: string) => process.stdout.write(line + '\n');
const warn = (line: string) => process.stderr.write(line + '\n');

/** `cityscape start`: the server, holding the data directory and answering other commands on its socket. */
async function start(): Promise<number> {
  let config: Config;
  try { config = await loadConfigSafely(); } catch (err) { const d = explain(err); warn(d.line); if (d.stack) warn(String((err as Error).stack)); return 1; }
  const socket = config.databaseUrl ? null : socketPathFor(config.dataDir);
  let lock: HeldLock | undefined;
  if (socket) {
    const r = await acquireLock(config.dataDir, {
      role: 'server', socket, shouldWait: (h) => h?.role !== 'server',
      onWait: (h) => warn(`Waiting for ${h ? `a cityscape command (pid ${h.pid})` : 'another process'} to finish with ${config.dataDir}…`),
    });
    if (!r.ok) {
      warn(r.holder?.role === 'server' ? `Cityscape is already running on this data directory (pid ${r.holder.pid}${r.holder.host === hostname() ? '' : ` on ${r.holder.host}`}): ${config.dataDir}`
        : `The data directory ${config.dataDir} is in use by ${r.holder ? `process ${r.holder.pid}` : 'another process'}. If no Cityscape process is running, delete ${lockPath(config.dataDir)}.`);
      return 1;
    }
    lock = r.lock;
  }

  let built: BuiltApp | undefined;
  let control: ControlServer | undefined;
  let stop!: (signal: string) => void;
  const stopRequested = new Promise<string>((r) => { stop = r; });
  let signals = 0;
  const onSignal = (signal: string) => {
    if (++signals > 1) { warn('Stopping at once.'); process.exit(1); }
    stop(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const shutdown = async (): Promise<number> => {
    const force = setTimeout(() => { warn('Still stopping after 30 s; exiting anyway.'); process.exit(1); }, 30_000).unref();
    try { await control?.close(); await built?.close(); return 0; } catch (err: any) { warn(`Error while stopping: ${err?.message ?? err}`); return 1; } finally { lock?.release(); clearTimeout(force); }
  };

  try {
    const { buildApp } = await import('./app.js');
    built = await buildApp({ config });
    if (config.seedDemo) {
      const out = new Out();
      await seedAll(built, out);
      if (out.stdout.includes('Seeded')) {
        process.stdout.write(out.stdout);
        // Embedded PostgreSQL's WebAssembly memory only ever grows, and seeding the demo touches
        // ~40 MB that the running server never needs again: reopen the database to give it back.
        if (!config.databaseUrl) { await built.close(); built = await buildApp({ config }); }
      }
    }
    const app = built;
    if (socket) control = await startControlServer(socket, (req) => executeIn({ built: app, config, cwd: req.cwd, appliedOnOpen: [] }, req.argv));
    await built.app.listen({ port: config.port, host: config.host });
    if (config.workers) await built.startWorkers();
  } catch (err) {
    const d = explain(err, config);
    warn(d.line);
    if (d.stack) warn(String((err as Error)?.stack ?? ''));
    await shutdown();
    return 1;
  }
  const address = built.app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = port === config.port ? config.publicUrl : `http://localhost:${port}`;
  releaseStartupMemory();
  say(`Cityscape ${VERSION} is running at ${url} (listening on ${config.host}:${port}; ${config.databaseUrl ? 'PostgreSQL' : `data in ${config.dataDir}`}). Press Ctrl-C to stop.`);
  const signal = await stopRequested;
  say(`${signal}: stopping…`);
  const code = await shutdown();
  say('Stopped.');
  return code;
}

/** Reads --password-stdin from a pipe, so the password stays out of `ps` and shell history. */
async function passwordFromStdin(argv: string[]): Promise<string[] | string> {
  const i = argv.indexOf('--password-stdin');
  if (i < 0) return argv;
  if (process.stdin.isTTY) return '--password-stdin reads from a pipe, e.g.: printf %s "$PASSWORD" | cityscape admin create --email … --password-stdin';
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return [...argv.slice(0, i), `--password=${text.split(/\r?\n/)[0]}`, ...argv.slice(i + 1)];
}

export async function main(rawArgv: string[]): Promise<number> {
  const argv = await passwordFromStdin(rawArgv);
  if (typeof argv === 'string') { warn(`cityscape: ${argv}`); return 2; }
  const p = parseCommand(argv);
  if (p.kind === 'done') { await write(process.stdout, p.result.stdout); await write(process.stderr, p.result.stderr); return p.result.exitCode; }
  if (p.kind === 'start') return start();

  let config: Config;
  try { config = await loadConfigSafely(); } catch (err) { const d = explain(err); warn(d.line); if (d.stack) warn(String((err as Error).stack)); return 1; }
  const cwd = process.cwd();
  // Ctrl-C while this process has the database open: finish and close it cleanly (a second one forces).
  let local = false; let interrupted = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    const code = signal === 'SIGINT' ? 130 : 143;
    if (!local || ++interrupted > 1) process.exit(code);
    warn('Interrupted: finishing the command and closing the database (press Ctrl-C again to stop at once).');
    process.exitCode = code;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const runHere = async () => { local = true; try { return await runLocally(p, config, cwd); } finally { local = false; } };
  let result: CommandResult;
  try {
    result = config.databaseUrl ? await runHere() : await runExclusive(config.dataDir, {
      request: { argv, cwd }, runLocal: runHere,
      onWait: (h) => warn(`Waiting for ${h ? `another cityscape command (pid ${h.pid})` : 'another process'} to finish with ${config.dataDir}…`),
    });
  } catch (err) {
    warn(explain(err, config, `cityscape ${p.name}`).line);
    return 1;
  }
  await write(process.stdout, result.stdout);
  await write(process.stderr, result.stderr);
  return interrupted ? Number(process.exitCode) : result.exitCode;
}

function isEntry(): boolean {
  try { return !!process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url)); } catch { return false; }
}

/** Runs the command line and exits with its code (once output is flushed). */
export async function run(argv = process.argv.slice(2)): Promise<never> {
  let code: number;
  try { code = await main(argv); } catch (err: any) { warn(err?.stack ?? String(err)); code = 1; }
  await write(process.stdout, '');
  process.exit(code);
}

if (isEntry()) void run();

/**
 * Start-up (PGlite's initialisation above all) leaves a few hundred MB of dead buffers that V8
 * collects only at its next full GC, which an idle process may not reach for a long time.
 * One full collection now brings resident memory down to what the running process needs.
 */
function releaseStartupMemory(): void {
  try {
    v8.setFlagsFromString('--expose-gc');
    v8.setFlagsFromString('--compact-on-every-full-gc');
    (vm.runInNewContext('gc') as () => void)();
    v8.setFlagsFromString('--no-compact-on-every-full-gc');
  } catch { /* not essential */ }
}

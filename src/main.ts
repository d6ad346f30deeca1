// The `cityscape` command line: `start` runs the server; every other command (commands.ts)
// returns its output instead of writing it, so the same function runs here or — when a server
// already has the embedded data directory open — inside that server, through its control
// socket (see kernel/control.ts for why).
import v8 from 'node:v8';
import vm from 'node:vm';
import { readFileSync, realpathSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config, type LogLevel } from './config.js';
import { HttpError } from './kernel/errors.js';
import {
  acquireLock,
  lockPath,
  runExclusive,
  socketPathFor,
  startControlServer,
  type CommandResult,
  type ControlServer,
  type HeldLock,
} from './kernel/control.js';
import type { BuiltApp, Core } from './app.js';
import { appliedMigrations, COMMANDS, Out, seedAll, type Command, type Ctx, type Values } from './commands.js';

const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

const GROUPS = new Set(
  Object.keys(COMMANDS)
    .filter((n) => n.includes(' '))
    .map((n) => n.split(' ')[0]),
);

export function usage(): string {
  const rows: [string, string][] = [
    ['start', 'Run the server (configured by the environment, below)'],
    ...Object.values(COMMANDS).map((c) => [c.usage, c.summary] as [string, string]),
    ['help', 'Show this help'],
  ];
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
    const subs = Object.keys(COMMANDS)
      .filter((n) => n.startsWith(`${first} `))
      .map((n) => `  cityscape ${COMMANDS[n].usage}`)
      .join('\n');
    return done(
      2,
      '',
      `cityscape: ${second && !second.startsWith('-') ? `unknown command "${first} ${second}"` : `"${first}" needs a subcommand`}\nUsage:\n${subs}\n`,
    );
  }
  const cmd = COMMANDS[name];
  const rest = argv.slice(name.split(' ').length);
  if (rest.includes('--help') || rest.includes('-h'))
    return done(0, `Usage: cityscape ${cmd?.usage ?? 'start'}\n${cmd ? `${cmd.summary}\n` : ''}`);
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: rest, options: cmd?.options ?? {}, allowPositionals: true, strict: true }) as {
      values: Values;
      positionals: string[];
    });
  } catch (err: any) {
    return usageError(err.message, cmd?.usage ?? 'start');
  }
  const wanted = cmd?.positionals ?? [];
  if (positionals.length < wanted.length) return usageError(`${name} needs ${wanted.slice(positionals.length).join(' ')}`, cmd!.usage);
  if (positionals.length > wanted.length && !wanted.at(-1)?.endsWith('...'))
    return usageError(`unexpected argument "${positionals[wanted.length]}"`, cmd?.usage ?? 'start');
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
    else {
      ctx.built.kernel.log.error({ err, command: p.name }, 'command failed');
      out.err(`cityscape ${p.name} failed: ${err?.message ?? err}`);
    }
    return out.result(1);
  }
}

/** What the control socket runs: the same commands, against the server's open app. */
export async function executeIn(ctx: Ctx, argv: string[]): Promise<CommandResult> {
  const p = parseCommand(argv);
  if (p.kind === 'done') return p.result;
  if (p.kind === 'start')
    return { exitCode: 1, stdout: '', stderr: `Cityscape is already running on this data directory (pid ${process.pid})\n` };
  return runParsed(p, ctx);
}

const cliLogLevel = (l: LogLevel): LogLevel => (l === 'debug' || l === 'trace' ? l : 'silent'); // logs go to stdout; keep it clean

/** Opens the database in this process (the caller holds the data directory's lock). */
async function runLocally(p: Extract<Parsed, { kind: 'run' }>, config: Config, cwd: string): Promise<CommandResult> {
  const [{ buildApp }, { openDb }, { MIGRATION_SOURCES }] = await Promise.all([
    import('./app.js'),
    import('./kernel/db.js'),
    import('./schema.js'),
  ]);
  const db = await openDb(config.databaseUrl, config.dataDir, { schema: MIGRATION_SOURCES });
  try {
    const before = await appliedMigrations(db);
    const built = await buildApp({ config: { ...config, seedDemo: false, workers: false, logLevel: cliLogLevel(config.logLevel) }, db });
    try {
      const after = await appliedMigrations(db);
      return await runParsed(p, { built, config, cwd, appliedOnOpen: after.filter((m) => !before.includes(m)) });
    } finally {
      await built.close();
    }
  } finally {
    await db.close();
  }
}

/** loadConfig, tolerating another process creating the secret files at the same moment. */
async function loadConfigSafely(): Promise<Config> {
  for (let attempt = 1; ; attempt++) {
    try {
      const config = loadConfig();
      if (config.sessionSecret && config.encryptionKey) return config;
      if (attempt >= 20) throw new ConfigError(`A secret file in ${config.dataDir} is empty; delete it so a new one is generated`);
    } catch (err: any) {
      if (err?.code !== 'EEXIST' || attempt >= 20) throw err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One clear line for the errors people cause (config, ports, database URL); a stack for the rest. */
function explain(err: any, config?: Config, failed = 'Cityscape could not start'): { line: string; stack: boolean } {
  if (err instanceof ConfigError) return { line: `Configuration error: ${err.message}`, stack: false };
  const where = config ? `${config.host}:${config.port}` : '';
  if (err?.code === 'EADDRINUSE' && err.syscall === 'listen')
    return {
      line: `Cannot start: port ${config?.port} is already in use (${where}). Stop whatever is using it or set PORT to a free port.`,
      stack: false,
    };
  if (err?.code === 'EACCES' && err.syscall === 'listen')
    return { line: `Cannot start: not allowed to listen on ${where}. Ports below 1024 need extra privileges; set PORT.`, stack: false };
  if (err?.code === 'EADDRNOTAVAIL')
    return { line: `Cannot start: ${config?.host} is not an address of this machine; set HOST.`, stack: false };
  if (config?.databaseUrl && ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', '28P01', '3D000'].includes(err?.code))
    return { line: `Cannot use the database in DATABASE_URL: ${err.message}`, stack: false };
  return { line: `${failed}: ${err?.message ?? err}`, stack: true };
}

const write = (stream: NodeJS.WriteStream, text: string) => new Promise<void>((r) => (text ? stream.write(text, () => r()) : r()));
const say = (line: string) => process.stdout.write(line + '\n');
const warn = (line: string) => process.stderr.write(line + '\n');

/** `cityscape start`: the server, holding the data directory and answering other commands on its socket. */
async function start(): Promise<number> {
  let config: Config;
  try {
    config = await loadConfigSafely();
  } catch (err) {
    const d = explain(err);
    warn(d.line);
    if (d.stack) warn(String((err as Error).stack));
    return 1;
  }
  const socket = config.databaseUrl ? null : socketPathFor(config.dataDir);
  let lock: HeldLock | undefined;
  if (socket) {
    const r = await acquireLock(config.dataDir, {
      role: 'server',
      socket,
      shouldWait: (h) => h?.role !== 'server',
      onWait: (h) => warn(`Waiting for ${h ? `a cityscape command (pid ${h.pid})` : 'another process'} to finish with ${config.dataDir}…`),
    });
    if (!r.ok) {
      warn(
        r.holder?.role === 'server'
          ? `Cityscape is already running on this data directory (pid ${r.holder.pid}${r.holder.host === hostname() ? '' : ` on ${r.holder.host}`}): ${config.dataDir}`
          : `The data directory ${config.dataDir} is in use by ${r.holder ? `process ${r.holder.pid}` : 'another process'}. If no Cityscape process is running, delete ${lockPath(config.dataDir)}.`,
      );
      return 1;
    }
    lock = r.lock;
  }

  let built: BuiltApp | undefined;
  let control: ControlServer | undefined;
  let stop!: (signal: string) => void;
  const stopRequested = new Promise<string>((r) => {
    stop = r;
  });
  let signals = 0;
  const onSignal = (signal: string) => {
    if (++signals > 1) {
      warn('Stopping at once.');
      process.exit(1);
    }
    stop(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const shutdown = async (): Promise<number> => {
    const force = setTimeout(() => {
      warn('Still stopping after 30 s; exiting anyway.');
      process.exit(1);
    }, 30_000).unref();
    try {
      await control?.close();
      await built?.close();
      return 0;
    } catch (err: any) {
      warn(`Error while stopping: ${err?.message ?? err}`);
      return 1;
    } finally {
      lock?.release();
      clearTimeout(force);
    }
  };

  try {
    // PostgreSQL's WebAssembly compiles on background threads while the app's code loads.
    if (!config.databaseUrl) void import('./kernel/db.js').then((db) => db.compilePglite().catch(() => {}));
    const { buildApp, buildCore } = await import('./app.js');
    let core: Core | undefined;
    if (config.seedDemo) {
      // The demo is seeded before the HTTP layer is built, so that is built once.
      core = await buildCore({ config });
      const out = new Out();
      let seeded: boolean;
      try {
        seeded = await seedAll(core, out);
      } catch (err) {
        await core.close();
        throw err;
      }
      if (seeded) {
        process.stdout.write(out.stdout);
        // Embedded PostgreSQL's WebAssembly memory only ever grows, and seeding the demo touches
        // ~40 MB that the running server never needs again: reopen the database to give it back.
        if (!config.databaseUrl) {
          await core.close();
          core = undefined;
        }
      }
    }
    built = await buildApp({ config, core }).catch(async (err) => {
      await core?.close();
      throw err;
    });
    const app = built;
    if (socket)
      control = await startControlServer(socket, (req) => executeIn({ built: app, config, cwd: req.cwd, appliedOnOpen: [] }, req.argv));
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
  say(
    `Cityscape ${VERSION} is running at ${url} (listening on ${config.host}:${port}; ${config.databaseUrl ? 'PostgreSQL' : `data in ${config.dataDir}`}). Press Ctrl-C to stop.`,
  );
  const kept = [!config.smtpUrl && 'email', !config.notify.smsUrl && 'text messages', !config.notify.letterUrl && 'letters'].filter(
    Boolean,
  );
  if (kept.length)
    say(
      `Not sent, kept for development (no SMTP_URL, NOTIFY_SMS_URL or NOTIFY_LETTER_URL): ${kept.join(', ')}, sign-in codes included. ` +
        `Read them at ${url}/admin/notify/outbox or in ${config.dataDir}/notify-outbox/.`,
    );
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
  if (process.stdin.isTTY)
    return '--password-stdin reads from a pipe, e.g.: printf %s "$PASSWORD" | cityscape admin create --email … --password-stdin';
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return [...argv.slice(0, i), `--password=${text.split(/\r?\n/)[0]}`, ...argv.slice(i + 1)];
}

export async function main(rawArgv: string[]): Promise<number> {
  const argv = await passwordFromStdin(rawArgv);
  if (typeof argv === 'string') {
    warn(`cityscape: ${argv}`);
    return 2;
  }
  const p = parseCommand(argv);
  if (p.kind === 'done') {
    await write(process.stdout, p.result.stdout);
    await write(process.stderr, p.result.stderr);
    return p.result.exitCode;
  }
  if (p.kind === 'start') return start();
  if (p.cmd.standalone) return p.cmd.standalone(p.values, p.positionals, process.env);

  let config: Config;
  try {
    config = await loadConfigSafely();
  } catch (err) {
    const d = explain(err);
    warn(d.line);
    if (d.stack) warn(String((err as Error).stack));
    return 1;
  }
  const cwd = process.cwd();
  // Ctrl-C while this process has the database open: finish and close it cleanly (a second one forces).
  let local = false;
  let interrupted = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    const code = signal === 'SIGINT' ? 130 : 143;
    if (!local || ++interrupted > 1) process.exit(code);
    warn('Interrupted: finishing the command and closing the database (press Ctrl-C again to stop at once).');
    process.exitCode = code;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const runHere = async () => {
    local = true;
    try {
      return await runLocally(p, config, cwd);
    } finally {
      local = false;
    }
  };
  let result: CommandResult;
  try {
    result = config.databaseUrl
      ? await runHere()
      : await runExclusive(config.dataDir, {
          request: { argv, cwd },
          runLocal: runHere,
          onWait: (h) =>
            warn(`Waiting for ${h ? `another cityscape command (pid ${h.pid})` : 'another process'} to finish with ${config.dataDir}…`),
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
  try {
    return !!process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

/** Runs the command line and exits with its code (once output is flushed). */
export async function run(argv = process.argv.slice(2)): Promise<never> {
  let code: number;
  try {
    code = await main(argv);
  } catch (err: any) {
    warn(err?.stack ?? String(err));
    code = 1;
  }
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
  } catch {
    /* not essential */
  }
}

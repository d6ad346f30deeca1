// Environment → one validated, typed Config. The only file that reads process.env;
// everything else receives a Config as an argument.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  port: number;
  host: string;
  publicUrl: string;
  databaseUrl: string | undefined; // undefined → embedded PGlite under dataDir
  dataDir: string;
  logLevel: LogLevel;
  /** Signs cookies and CSRF tokens; generated and kept in dataDir when not given. */
  sessionSecret: string;
  /** Encrypts secrets kept at rest (signing keys, shared API secrets). */
  encryptionKey: string;
  secureCookies: boolean;
  bodyLimit: number;
  /** Which proxies to believe about the client address (X-Forwarded-For): false, true, a hop count, or addresses. */
  trustProxy: boolean | number | string;
  rateLimitPerMinute: number;
  seedDemo: boolean;
  /** Worker loops (event dispatch, jobs) run in this process. */
  workers: boolean;
  /** How often the job queue expires stuck jobs (of a process that died) and archives old ones. */
  jobMaintenanceSeconds: number;
}

export class ConfigError extends Error {}

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function int(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  return n;
}

function bool(env: Record<string, string | undefined>, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

/** A secret from the environment, or one generated once and kept in the data directory. */
function secret(env: Record<string, string | undefined>, name: string, dataDir: string, file: string): string {
  const given = env[name];
  if (given) {
    if (given.length < 32) throw new ConfigError(`${name} must be at least 32 characters`);
    return given;
  }
  const path = join(dataDir, file);
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const value = randomBytes(32).toString('base64url');
  writeFileSync(path, value + '\n', { mode: 0o600, flag: 'wx' });
  return value;
}

/** TRUST_PROXY: unset/false (direct), true (any), a hop count, or comma-separated addresses/CIDRs. */
function proxy(raw: string | undefined): boolean | number | string {
  if (!raw || /^(0|false|no|off)$/i.test(raw)) return false;
  if (/^(true|yes|on)$/i.test(raw)) return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  return raw;
}

export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Partial<Config> = {}): Config {
  const port = int(env, 'PORT', 3000);
  const dataDir = resolve(env.CITYSCAPE_DATA_DIR || '.cityscape');
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must start with postgres:// or postgresql://');
  }
  const publicUrl = (env.PUBLIC_URL || `http://localhost:${port}`).replace(/\/+$/, '');
  try { new URL(publicUrl); } catch { throw new ConfigError(`PUBLIC_URL is not a URL: "${publicUrl}"`); }
  const logLevel = (env.LOG_LEVEL || 'info') as LogLevel;
  if (!LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LEVELS.join(', ')}`);
  const config: Config = {
    port,
    host: env.HOST || '0.0.0.0',
    publicUrl,
    databaseUrl,
    dataDir,
    logLevel,
    sessionSecret: overrides.sessionSecret ?? secret(env, 'SESSION_SECRET', dataDir, 'session-secret'),
    encryptionKey: overrides.encryptionKey ?? secret(env, 'ENCRYPTION_KEY', dataDir, 'encryption-key'),
    secureCookies: bool(env, 'SECURE_COOKIES', publicUrl.startsWith('https:')),
    bodyLimit: int(env, 'BODY_LIMIT', 1024 * 1024),
    trustProxy: proxy(env.TRUST_PROXY),
    rateLimitPerMinute: int(env, 'RATE_LIMIT_PER_MINUTE', 6000),
    seedDemo: bool(env, 'SEED_DEMO', true),
    workers: bool(env, 'WORKERS', true),
    jobMaintenanceSeconds: Math.max(1, int(env, 'JOB_MAINTENANCE_SECONDS', 30)),
  };
  return { ...config, ...overrides };
}

/** A config for tests: in-memory database unless DATABASE_URL is set, fixed secrets. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    port: 0,
    host: '127.0.0.1',
    publicUrl: 'http://localhost:3000',
    databaseUrl: process.env.DATABASE_URL || undefined,
    dataDir: 'memory://',
    logLevel: 'silent',
    sessionSecret: 'test-session-secret-test-session-secret',
    encryptionKey: 'test-encryption-key-test-encryption-key',
    secureCookies: false,
    bodyLimit: 1024 * 1024,
    trustProxy: false,
    rateLimitPerMinute: 100000,
    seedDemo: false,
    workers: true,
    jobMaintenanceSeconds: 30,
    ...overrides,
  };
}

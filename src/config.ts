// Environment → one validated, typed Config. The only file that reads process.env;
// everything else receives a Config as an argument.
import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isIP } from 'node:net';

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
  /** Who may read /metrics: client addresses and CIDRs (METRICS_ALLOW, default loopback) … */
  metricsAllow: string[];
  /** … or anyone presenting `Authorization: Bearer <METRICS_TOKEN>`. */
  metricsToken: string | undefined;
  seedDemo: boolean;
  /** Worker loops (event dispatch, jobs) run in this process. */
  workers: boolean;
  /** How often the job queue expires stuck jobs (of a process that died) and archives old ones. */
  jobMaintenanceSeconds: number;
  /** Mail relay for email (smtp://user:pass@host:port, smtps://…); unset → the local outbox (development only). */
  smtpUrl: string | undefined;
  notify: NotifyConfig;
  pay: PayConfig;
  identity: IdentityConfig;
  consent: ConsentConfig;
  performance: PerformanceConfig;
  site: SiteConfig;
  /** The exchange node (src/modules/exchange/README.md); unset parts take their defaults there. */
  exchange?: ExchangeConfig;
  /** Calls (src/modules/rooms/README.md); unset parts take their defaults there. */
  rooms?: RoomsConfig;
}

/** Rooms' calls: ICE servers for WebRTC (STUN, and TURN such as coturn), invitations, an SFU for larger calls. */
export interface RoomsConfig {
  /** STUN/TURN URLs (ROOMS_ICE_URLS, comma-separated: stun:host:3478,turn:host:3478?transport=udp,turns:host:5349). */
  iceUrls?: string[];
  /** coturn's static-auth-secret (ROOMS_TURN_SECRET): time-limited TURN credentials are made from it per participant. */
  turnSecret?: string;
  /** Or fixed TURN credentials (ROOMS_TURN_USERNAME / ROOMS_TURN_CREDENTIAL). */
  turnUsername?: string;
  turnCredential?: string;
  /** Hours an invitation link works (ROOMS_INVITE_HOURS, default 72). */
  inviteHours?: number;
  /** LiveKit for calls larger than the mesh (ROOMS_LIVEKIT_URL, ROOMS_LIVEKIT_API_KEY, ROOMS_LIVEKIT_API_SECRET). */
  livekit?: { url: string; apiKey: string; apiSecret: string };
}

/** Live service performance (src/modules/performance/README.md). */
export interface PerformanceConfig {
  /** Months of raw measurements kept (whole monthly partitions are dropped); rollups are kept. 0: keep all. */
  retentionMonths: number;
  /** Seconds between availability probes of each service's start page; 0: none. */
  probeSeconds: number;
}

/** Who runs this Cityscape, named on its accessibility statement and privacy notice (src/modules/site). */
export interface SiteConfig {
  /** The organisation that runs the site (SITE_OPERATOR). */
  operator: string;
  /** Where people report accessibility problems and ask about their data (SITE_CONTACT_EMAIL); unset → each service's contact. */
  contactEmail: string | undefined;
}

export interface ExchangeConfig {
  /** This node's name in a federation (EXCHANGE_NODE_ID, default "cityscape"). */
  nodeId?: string;
  /** The X-Road instance its members belong to (EXCHANGE_INSTANCE, default "UK"). */
  instance?: string;
  /** Where the demo agencies' systems answer (REGISTRIES_URL, default PUBLIC_URL/registries). */
  registriesUrl?: string;
}

/** Sign-in and the OpenID Connect provider (src/modules/identity/README.md). */
export interface IdentityConfig {
  /** One-time codes (email, text message, password reset) expire after this many seconds. */
  codeTtlSeconds: number;
  /** Wrong tries before a code stops working. */
  codeMaxAttempts: number;
  /** Codes sent per purpose and address in 15 minutes. */
  codesPerWindow: number;
  /** Failed sign-ins (password or second factor) in a row before the account locks … */
  lockoutThreshold: number;
  /** … for this many seconds. */
  lockoutSeconds: number;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** How long a signed-in provider session lasts without being used. */
  sessionTtlSeconds: number;
  /**
   * Codes are sent through notify from this catalogue service (its id or slug) and templates
   * (an email template with ((subject)) and ((body)), a text message template with ((body))).
   * By default, the demo's "Cityscape account" service and the templates the demo seeds for it
   * (IDENTITY_NOTIFY_DEFAULTS). Unset (tests only) → kept in the identity module's memory.
   */
  notify: { service: string; emailTemplateId: string; smsTemplateId: string } | undefined;
}

/** Citizens' consent to the use of their data (src/modules/consent/README.md). */
export interface ConsentConfig {
  /** Webhook deliveries are retried after this many seconds, doubling each time, up to retryLimit times. */
  webhookRetryDelaySeconds: number;
  webhookRetryLimit: number;
  /** Citizens are told this many days before an agreement ends (0: never). */
  expiryNoticeDays: number;
}

/** Where identity's codes come from unless told otherwise: seeded with the demo (identity's seedDemo). */
export const IDENTITY_NOTIFY_DEFAULTS = {
  service: 'cityscape-account',
  emailTemplateId: '0c17e1d0-5ec0-4c0d-8e3a-000000000001',
  smsTemplateId: '0c17e1d0-5ec0-4c0d-8e3a-000000000002',
} as const;

/** GOV.UK Pay-compatible payments (src/modules/payments/README.md). */
export interface PayConfig {
  /** Minutes a paying user has to finish a payment before it expires (P0020); GOV.UK Pay's is 90. */
  expiryMinutes: number;
  /** Requests per API key per second (GOV.UK Pay allows 15 POSTs a second; GETs far more). */
  rateLimitPostPerSecond: number;
  rateLimitGetPerSecond: number;
  /** Seconds a verified API key is remembered by each process (0: look it up on every request). */
  keyCacheSeconds: number;
  /** Webhook deliveries are retried after this many seconds, doubling each time, up to retryLimit times. */
  webhookRetryDelaySeconds: number;
  webhookRetryLimit: number;
  /** The gateway live keys use: 'sandbox' until a real acquirer is added (see the payments README). */
  liveGateway: string;
}

/** GOV.UK Notify-compatible messaging (src/modules/notify/README.md). */
export interface NotifyConfig {
  /** Domain of each service's sending address (<service-slug>@<domain>); default: PUBLIC_URL's host. */
  emailDomain: string;
  /** HTTP text message provider (src/modules/notify/providers.ts); unset → the local outbox. */
  smsUrl: string | undefined;
  /** HTTP letter print provider; unset → the local outbox. */
  letterUrl: string | undefined;
  /** Bearer token sent to, and expected from, the HTTP providers (their receipts and inbound texts). */
  providerToken: string | undefined;
  /** Requests per service and key type per minute (Notify's default 3000). */
  rateLimitPerMinute: number;
  /** Default daily limits per service and channel. */
  dailyLimits: { email: number; sms: number; letter: number };
  /** A delivery attempt older than this with no outcome is presumed lost (technical-failure, never re-sent). */
  leaseSeconds: number;
  /** A notification still waiting this long is queued again (its job was lost with a dead process). */
  recoverAfterSeconds: number;
  /** Deliveries in flight per process. */
  concurrency: number;
  /** Temporary failures (a relay's 4xx) are retried after base × 2^(attempt−1) seconds, up to maxAttempts tries. */
  retryBaseSeconds: number;
  maxAttempts: number;
  /**
   * Bounces (src/modules/notify/README.md): set → each email's envelope sender is a
   * per-notification address at this domain signed with sessionSecret, whose MX points at a
   * bounce listener.
   */
  bounceDomain?: string;
  /** Port of this process's inbound SMTP listener for bounces (only in processes that run workers); unset → none. */
  bounceSmtpPort?: number;
  bounceSmtpHost?: string;
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
  // Written whole to a temporary file, then linked into place: two processes starting at
  // once on a new data directory both end up with the one secret that won, never a half-written one.
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(tmp, randomBytes(32).toString('base64url') + '\n', { mode: 0o600 });
  try {
    linkSync(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(tmp);
  }
  return readFileSync(path, 'utf8').trim();
}

/** Comma-separated addresses and CIDRs (IPv4 or IPv6); unset → `fallback`, empty → none. */
function addresses(env: Record<string, string | undefined>, name: string, fallback: string[]): string[] {
  const raw = env[name];
  if (raw === undefined) return fallback;
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const a of list) {
    const [ip, bits, extra] = a.split('/');
    const v = isIP(ip);
    if (!v || extra !== undefined || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= (v === 4 ? 32 : 128))))
      throw new ConfigError(`${name}: "${a}" is not an IP address or CIDR (like 127.0.0.1, ::1 or 10.0.0.0/8)`);
  }
  return list;
}

/** A bearer token someone must present; long enough not to be guessed. */
function token(env: Record<string, string | undefined>, name: string): string | undefined {
  const v = env[name];
  if (!v) return undefined;
  if (v.length < 16) throw new ConfigError(`${name} must be at least 16 characters`);
  return v;
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
  try {
    new URL(publicUrl);
  } catch {
    throw new ConfigError(`PUBLIC_URL is not a URL: "${publicUrl}"`);
  }
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
    metricsAllow: addresses(env, 'METRICS_ALLOW', ['127.0.0.1', '::1']),
    metricsToken: token(env, 'METRICS_TOKEN'),
    seedDemo: bool(env, 'SEED_DEMO', true),
    workers: bool(env, 'WORKERS', true),
    jobMaintenanceSeconds: Math.max(1, int(env, 'JOB_MAINTENANCE_SECONDS', 30)),
    smtpUrl: env.SMTP_URL || undefined,
    notify: {
      emailDomain: env.NOTIFY_EMAIL_DOMAIN || new URL(publicUrl).hostname,
      smsUrl: env.NOTIFY_SMS_URL || undefined,
      letterUrl: env.NOTIFY_LETTER_URL || undefined,
      providerToken: env.NOTIFY_PROVIDER_TOKEN || undefined,
      rateLimitPerMinute: int(env, 'NOTIFY_RATE_LIMIT_PER_MINUTE', 3000),
      dailyLimits: {
        email: int(env, 'NOTIFY_DAILY_LIMIT_EMAIL', 250_000),
        sms: int(env, 'NOTIFY_DAILY_LIMIT_SMS', 250_000),
        letter: int(env, 'NOTIFY_DAILY_LIMIT_LETTER', 20_000),
      },
      leaseSeconds: Math.max(1, int(env, 'NOTIFY_LEASE_SECONDS', 120)),
      recoverAfterSeconds: Math.max(1, int(env, 'NOTIFY_RECOVER_AFTER_SECONDS', 300)),
      concurrency: Math.max(1, int(env, 'NOTIFY_CONCURRENCY', 50)),
      retryBaseSeconds: Math.max(1, int(env, 'NOTIFY_RETRY_BASE_SECONDS', 30)),
      maxAttempts: Math.max(1, int(env, 'NOTIFY_MAX_ATTEMPTS', 5)),
      bounceDomain: env.NOTIFY_BOUNCE_DOMAIN?.toLowerCase() || undefined,
      bounceSmtpPort: env.NOTIFY_BOUNCE_SMTP_PORT ? int(env, 'NOTIFY_BOUNCE_SMTP_PORT', 0) : undefined,
      bounceSmtpHost: env.NOTIFY_BOUNCE_SMTP_HOST || env.HOST || '0.0.0.0',
    },
    pay: {
      expiryMinutes: Math.max(1, int(env, 'PAY_EXPIRY_MINUTES', 90)),
      rateLimitPostPerSecond: Math.max(1, int(env, 'PAY_RATE_LIMIT_POST_PER_SECOND', 15)),
      rateLimitGetPerSecond: Math.max(1, int(env, 'PAY_RATE_LIMIT_GET_PER_SECOND', 100)),
      keyCacheSeconds: int(env, 'PAY_KEY_CACHE_SECONDS', 5),
      webhookRetryDelaySeconds: Math.max(1, int(env, 'PAY_WEBHOOK_RETRY_DELAY_SECONDS', 10)),
      webhookRetryLimit: int(env, 'PAY_WEBHOOK_RETRY_LIMIT', 10),
      liveGateway: env.PAY_LIVE_GATEWAY || 'sandbox',
    },
    identity: {
      codeTtlSeconds: Math.max(60, int(env, 'IDENTITY_CODE_TTL_SECONDS', 900)),
      codeMaxAttempts: Math.max(1, int(env, 'IDENTITY_CODE_MAX_ATTEMPTS', 5)),
      codesPerWindow: Math.max(1, int(env, 'IDENTITY_CODES_PER_15_MINUTES', 5)),
      lockoutThreshold: Math.max(1, int(env, 'IDENTITY_LOCKOUT_THRESHOLD', 5)),
      lockoutSeconds: Math.max(1, int(env, 'IDENTITY_LOCKOUT_SECONDS', 900)),
      accessTokenTtlSeconds: Math.max(60, int(env, 'IDENTITY_ACCESS_TOKEN_TTL_SECONDS', 3600)),
      refreshTokenTtlSeconds: Math.max(60, int(env, 'IDENTITY_REFRESH_TOKEN_TTL_SECONDS', 30 * 86400)),
      sessionTtlSeconds: Math.max(60, int(env, 'IDENTITY_SESSION_TTL_SECONDS', 86400)),
      notify: {
        service: env.IDENTITY_NOTIFY_SERVICE_ID || IDENTITY_NOTIFY_DEFAULTS.service,
        emailTemplateId: env.IDENTITY_NOTIFY_EMAIL_TEMPLATE_ID || IDENTITY_NOTIFY_DEFAULTS.emailTemplateId,
        smsTemplateId: env.IDENTITY_NOTIFY_SMS_TEMPLATE_ID || IDENTITY_NOTIFY_DEFAULTS.smsTemplateId,
      },
    },
    consent: {
      webhookRetryDelaySeconds: Math.max(1, int(env, 'CONSENT_WEBHOOK_RETRY_DELAY_SECONDS', 10)),
      webhookRetryLimit: int(env, 'CONSENT_WEBHOOK_RETRY_LIMIT', 10),
      expiryNoticeDays: int(env, 'CONSENT_EXPIRY_NOTICE_DAYS', 14),
    },
    performance: {
      retentionMonths: int(env, 'PERFORMANCE_RETENTION_MONTHS', 25),
      probeSeconds: int(env, 'PERFORMANCE_PROBE_SECONDS', 60),
    },
    site: {
      operator: env.SITE_OPERATOR?.trim() || 'Cityscape',
      contactEmail: env.SITE_CONTACT_EMAIL?.trim() || undefined,
    },
    rooms: {
      iceUrls: env.ROOMS_ICE_URLS?.split(',')
        .map((u) => u.trim())
        .filter(Boolean),
      turnSecret: env.ROOMS_TURN_SECRET || undefined,
      turnUsername: env.ROOMS_TURN_USERNAME || undefined,
      turnCredential: env.ROOMS_TURN_CREDENTIAL || undefined,
      inviteHours: env.ROOMS_INVITE_HOURS ? int(env, 'ROOMS_INVITE_HOURS', 72) : undefined,
      livekit:
        env.ROOMS_LIVEKIT_URL && env.ROOMS_LIVEKIT_API_KEY && env.ROOMS_LIVEKIT_API_SECRET
          ? { url: env.ROOMS_LIVEKIT_URL, apiKey: env.ROOMS_LIVEKIT_API_KEY, apiSecret: env.ROOMS_LIVEKIT_API_SECRET }
          : undefined,
    },
    exchange: {
      nodeId: env.EXCHANGE_NODE_ID || undefined,
      instance: env.EXCHANGE_INSTANCE || undefined,
      registriesUrl: env.REGISTRIES_URL?.replace(/\/+$/, '') || undefined,
    },
  };
  if (config.site.contactEmail && !/^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/.test(config.site.contactEmail))
    throw new ConfigError('SITE_CONTACT_EMAIL must be an email address');
  for (const u of config.rooms?.iceUrls ?? [])
    if (!/^(stun|stuns|turn|turns):[^\s]+$/.test(u))
      throw new ConfigError(`ROOMS_ICE_URLS: "${u}" is not a stun:, stuns:, turn: or turns: URL`);
  if (config.smtpUrl && !/^smtps?:\/\//.test(config.smtpUrl)) throw new ConfigError('SMTP_URL must start with smtp:// or smtps://');
  for (const name of ['IDENTITY_NOTIFY_EMAIL_TEMPLATE_ID', 'IDENTITY_NOTIFY_SMS_TEMPLATE_ID'] as const) {
    if (env[name] && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(env[name]!))
      throw new ConfigError(`${name} must be a Notify template id (a UUID)`);
  }
  if (config.notify.bounceSmtpPort !== undefined) {
    if (config.notify.bounceSmtpPort > 65535) throw new ConfigError('NOTIFY_BOUNCE_SMTP_PORT must be a port number');
    if (!config.notify.bounceDomain) throw new ConfigError('NOTIFY_BOUNCE_SMTP_PORT needs NOTIFY_BOUNCE_DOMAIN');
  }
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
    metricsAllow: ['127.0.0.1', '::1'],
    metricsToken: undefined,
    seedDemo: false,
    workers: true,
    jobMaintenanceSeconds: 30,
    smtpUrl: undefined,
    notify: {
      emailDomain: 'localhost',
      smsUrl: undefined,
      letterUrl: undefined,
      providerToken: undefined,
      rateLimitPerMinute: 3000,
      dailyLimits: { email: 250_000, sms: 250_000, letter: 20_000 },
      leaseSeconds: 120,
      recoverAfterSeconds: 300,
      concurrency: 20,
      retryBaseSeconds: 30,
      maxAttempts: 5,
    },
    pay: {
      expiryMinutes: 90,
      rateLimitPostPerSecond: 100_000,
      rateLimitGetPerSecond: 100_000,
      keyCacheSeconds: 0,
      webhookRetryDelaySeconds: 1,
      webhookRetryLimit: 10,
      liveGateway: 'sandbox',
    },
    identity: {
      codeTtlSeconds: 900,
      codeMaxAttempts: 5,
      codesPerWindow: 5,
      lockoutThreshold: 5,
      lockoutSeconds: 900,
      accessTokenTtlSeconds: 3600,
      refreshTokenTtlSeconds: 30 * 86400,
      sessionTtlSeconds: 86400,
      notify: undefined,
    },
    performance: { retentionMonths: 25, probeSeconds: 0 },
    site: { operator: 'Cityscape', contactEmail: undefined },
    consent: { webhookRetryDelaySeconds: 1, webhookRetryLimit: 10, expiryNoticeDays: 14 },
    ...overrides,
  };
}

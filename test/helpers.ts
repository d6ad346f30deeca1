// buildTestApp: the whole app on a throwaway database — in-memory PGlite by default, or a
// fresh PostgreSQL database (created and dropped here) when DATABASE_URL is set.
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { buildApp, type BuiltApp } from '../src/app.js';
import { testConfig, type Config } from '../src/config.js';
import { openDb, type Db } from '../src/kernel/db.js';
import { migrate, schemaKey } from '../src/kernel/migrations.js';
import { MIGRATION_SOURCES } from '../src/schema.js';
import type { Actor } from '../src/modules/catalogue/index.js';

export const cli: Actor = { kind: 'cli' };

const urlOf = (baseUrl: string, name: string): string => {
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  return u.toString();
};

/**
 * A fresh PostgreSQL database for one test: empty, or a copy of `template` (CREATE DATABASE …
 * TEMPLATE, a file copy on the server); returns its URL and a drop function.
 */
export async function freshPostgres(
  baseUrl: string,
  prefix = 'cs_test',
  template?: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
  } finally {
    await admin.end();
  }
  return {
    url: urlOf(baseUrl, name),
    async drop() {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

let schemaTemplate: Promise<string> | undefined;

/**
 * The PostgreSQL database every test app's is copied from: Cityscape's schema (src/schema.ts)
 * migrated once and named by its key (`cs_schema_<key>`), so an app's start finds every migration
 * applied instead of running them all (as the embedded database's template does, kernel/
 * pglite-template.ts). Made under an advisory lock, migrated under another name and renamed into
 * place, so workers starting together make it once and never copy half of one. Older schemas'
 * databases are dropped when not in use.
 */
export function postgresSchemaTemplate(baseUrl: string): Promise<string> {
  schemaTemplate ??= (async () => {
    const name = `cs_schema_${schemaKey(MIGRATION_SOURCES)}`;
    const admin = new pg.Client({ connectionString: baseUrl });
    await admin.connect();
    try {
      await admin.query('SELECT pg_advisory_lock(hashtext($1))', ['cityscape test schema template']);
      if (!(await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount) {
        const making = `${name}_making`;
        await admin.query(`DROP DATABASE IF EXISTS ${making}`);
        await admin.query(`CREATE DATABASE ${making}`);
        const db = await openDb(urlOf(baseUrl, making), 'memory://');
        try {
          await migrate(db, MIGRATION_SOURCES);
        } finally {
          await db.close();
        }
        await admin.query(`ALTER DATABASE ${making} RENAME TO ${name}`);
        const old = await admin.query<{ datname: string }>(
          `SELECT datname FROM pg_database WHERE datname LIKE 'cs\\_schema\\_%' AND datname NOT LIKE '%\\_making' AND datname <> $1`,
          [name],
        );
        for (const { datname } of old.rows) await admin.query(`DROP DATABASE IF EXISTS ${datname}`).catch(() => {}); // in use: another worktree's
      }
    } finally {
      await admin.end(); // releases the lock
    }
    return name;
  })();
  schemaTemplate.catch(() => (schemaTemplate = undefined));
  return schemaTemplate;
}

/** A bare throwaway database (no app): in-memory PGlite, or a fresh PostgreSQL database when DATABASE_URL is set. */
export async function testDb(cleanups: Array<() => Promise<void>>): Promise<{ db: Db; url?: string }> {
  let url: string | undefined;
  if (process.env.DATABASE_URL) {
    const fresh = await freshPostgres(process.env.DATABASE_URL);
    url = fresh.url;
    cleanups.push(fresh.drop);
  }
  const db = await openDb(url, 'memory://');
  cleanups.push(() => db.close());
  return { db, url };
}

export interface TestApp extends BuiltApp {
  databaseUrl?: string;
}

export async function buildTestApp(
  overrides: Partial<Config> & { seed?: boolean; routes?: (app: BuiltApp['app']) => void } = {},
): Promise<TestApp> {
  const { seed, routes, ...rest } = overrides;
  let drop: (() => Promise<void>) | undefined;
  let databaseUrl: string | undefined;
  if (process.env.DATABASE_URL && rest.databaseUrl === undefined) {
    const fresh = await freshPostgres(process.env.DATABASE_URL, 'cs_test', await postgresSchemaTemplate(process.env.DATABASE_URL));
    databaseUrl = fresh.url;
    drop = fresh.drop;
  }
  const built = await buildApp({ config: testConfig({ ...rest, databaseUrl: rest.databaseUrl ?? databaseUrl }) });
  if (seed) await built.modules.catalogue.seedDemo!();
  routes?.(built.app);
  await built.app.ready();
  const close = built.close;
  return {
    ...built,
    databaseUrl,
    async close() {
      await close();
      await drop?.();
    },
  };
}

/** Pull the CSRF cookie and token from a rendered form. */
export function formSession(
  res: { headers: Record<string, any>; body: string },
  cookies: Record<string, string> = {},
): { cookies: Record<string, string>; csrf: string } {
  const jar = { ...cookies };
  const set = res.headers['set-cookie'];
  for (const c of (Array.isArray(set) ? set : set ? [set] : []) as string[]) {
    const [pair] = c.split(';');
    const i = pair.indexOf('=');
    jar[pair.slice(0, i)] = pair.slice(i + 1);
  }
  // A form's token, or the page's own (every page carries the one for the session it was rendered in).
  const m = /name="_csrf" value="([^"]+)"/.exec(res.body) ?? /<meta name="csrf-token" content="([^"]+)"/.exec(res.body);
  return { cookies: jar, csrf: m?.[1] ?? '' };
}

export function cookieHeader(jar: Record<string, string>): string {
  return Object.entries(jar)
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');
}

type Injected = Awaited<ReturnType<BuiltApp['app']['inject']>>;

/**
 * A browser through app.inject: its own cookie jar, the CSRF token from the last form it saw,
 * optionally its own IP address. URLs may be absolute (http://localhost:3000/…). Follows nothing by itself.
 */
export function formBrowser(built: Pick<BuiltApp, 'app'>, opts: { ip?: string } = {}) {
  const path = (url: string) => {
    const u = new URL(url, 'http://localhost:3000');
    return u.pathname + u.search;
  };
  const b = {
    jar: {} as Record<string, string>,
    csrf: '',
    absorb(res: Injected) {
      const s = formSession({ headers: res.headers, body: res.body }, b.jar);
      b.jar = s.cookies;
      if (s.csrf) b.csrf = s.csrf;
      return res;
    },
    async get(url: string) {
      return b.absorb(
        await built.app.inject({
          method: 'GET',
          url: path(url),
          remoteAddress: opts.ip,
          headers: { accept: 'text/html', cookie: cookieHeader(b.jar) },
        }),
      );
    },
    async post(url: string, fields: Record<string, string | string[]>, o: { csrf?: boolean } = {}) {
      const body = new URLSearchParams();
      if (o.csrf !== false) body.append('_csrf', b.csrf);
      for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
      return b.absorb(
        await built.app.inject({
          method: 'POST',
          url: path(url),
          remoteAddress: opts.ip,
          payload: body.toString(),
          headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeader(b.jar) },
        }),
      );
    },
  };
  return b;
}

/** A browser signed in to the staff console with the password sign-in (then on `landing`, for a fresh CSRF token). */
export async function staffBrowser(built: Pick<BuiltApp, 'app'>, email: string, password: string, landing = '/admin') {
  const b = formBrowser(built);
  await b.get('/admin/sign-in');
  const res = await b.post('/admin/sign-in', { email, password });
  if (res.statusCode !== 303) throw new Error(`staff sign-in failed: ${res.statusCode}\n${res.body.slice(0, 500)}`);
  await b.get(landing); // as a browser would: a new session, so a new CSRF token
  return b;
}

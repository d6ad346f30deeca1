// The tiny database interface every module uses (query, exec, transaction, listen) and
// its two implementations: embedded PGlite (default) and PostgreSQL through `pg`.
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import v8 from 'node:v8';
import { createHash } from 'node:crypto';
import { ensureSchemaTarball, ensureSchemaTemplate, ensureTemplate, initialiseFromTemplate } from './pglite-template.js';
import { migrate, schemaKey, type MigrationSource } from './migrations.js';

export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface QueryOptions {
  /**
   * A hot read run many times with different parameters: on PostgreSQL it becomes a named
   * prepared statement on each pooled connection, parsed and planned once instead of on every
   * call (which was half of the server's work for a small indexed read). No effect on PGlite.
   */
  prepare?: boolean;
}

export interface Queryable {
  query<T = Record<string, any>>(sql: string, params?: unknown[], opts?: QueryOptions): Promise<QueryResult<T>>;
  /** Parameterless SQL, possibly several statements. */
  exec(sql: string): Promise<void>;
  /**
   * `COPY … FROM STDIN` with `data` in COPY's text format; the rows copied. PostgreSQL only (a
   * bulk load costs its server a tenth of an INSERT from JSON); PGlite has none (its COPY from
   * '/dev/blob' measured no faster than an INSERT there), so callers check for it.
   */
  copyFrom?(sql: string, data: string): Promise<number>;
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Parameterless SQL of several statements; the rows of the last one. */
  execRows(sql: string): Promise<any[]>;
  /** Calls `onMessage` for each NOTIFY on `channel`; returns an unsubscribe function. */
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

// Both drivers give int8/bigint as JS numbers (safe below 2^53, which ids and counts are).
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v)); // numeric → number
pg.types.setTypeParser(1082, (v) => v); // date stays 'YYYY-MM-DD'

const COPY_SPECIAL = /[\\\n\r\t]/;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
/**
 * Rows in COPY's text format, for `copyFrom`: null and undefined are NULL, arrays of numbers
 * `{1,2}`, objects JSON, anything else its string, with backslash, tab and line breaks escaped.
 */
export function copyText(rows: unknown[][]): string {
  const lines = new Array<string>(rows.length + 1);
  const cells: string[] = [];
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    cells.length = row.length;
    for (let i = 0; i < row.length; i++) {
      const v = row[i];
      let s: string;
      if (v === null || v === undefined) s = '\\N';
      else if (typeof v === 'number') s = String(v);
      else {
        s = typeof v === 'string' ? v : Array.isArray(v) ? `{${v.join(',')}}` : JSON.stringify(v);
        if (COPY_SPECIAL.test(s)) s = s.replace(/[\\\n\r\t]/g, (c) => COPY_ESCAPES[c]);
      }
      cells[i] = s;
    }
    lines[r] = cells.join('\t');
  }
  lines[rows.length] = '';
  return lines.join('\n');
}

/**
 * A `COPY … FROM STDIN` for pg's client queue (the shape pg-copy-streams gives it, without the
 * dependency): sends `data` once the server asks for it, in chunks.
 */
class CopyIn {
  private rows = 0;
  constructor(
    readonly text: string,
    private data: string,
    private callback: (err: Error | null, rows: number) => void,
  ) {}
  private done(err: Error | null, rows: number) {
    const cb = this.callback;
    this.callback = () => {};
    cb(err, rows);
  }
  submit(connection: any) {
    connection.query(this.text);
  }
  handleCopyInResponse(connection: any) {
    const buf = Buffer.from(this.data);
    this.data = '';
    for (let i = 0; i < buf.length; i += 1 << 20) connection.sendCopyFromChunk(buf.subarray(i, i + (1 << 20)));
    connection.endCopyFrom();
  }
  handleCommandComplete(msg: { text?: string }) {
    this.rows = Number(/\d+$/.exec(msg.text ?? '')?.[0] ?? 0);
  }
  // pg clears the active query before an error, so no ReadyForQuery follows one here.
  handleError(err: Error) {
    this.done(err, 0);
  }
  handleReadyForQuery() {
    this.done(null, this.rows);
  }
  handleRowDescription() {}
  handleDataRow() {}
  handlePortalSuspended() {}
  handleEmptyQuery() {}
  handleCopyData() {}
}
const copyIn = (client: pg.PoolClient, sql: string, data: string) =>
  new Promise<number>((resolve, reject) => {
    client.query(new CopyIn(sql, data, (err, rows) => (err ? reject(err) : resolve(rows))) as any);
  });

export function createPostgresDb(connectionString: string, opts: { max?: number } = {}): Db {
  const pool = new pg.Pool({ connectionString, max: opts.max ?? 10 });
  pool.on('error', () => {
    /* idle client lost; the pool replaces it */
  });
  const listeners = new Map<string, Set<(p: string) => void>>();
  let listenClient: pg.PoolClient | undefined;
  let listenConnecting: Promise<pg.PoolClient> | undefined;
  // LISTENs on the shared connection one after another: pg warns (and pg 9 will refuse) when a
  // client is asked a query while it is still running one, as modules starting at once would.
  let listenQueue: Promise<unknown> = Promise.resolve();
  // Statement names by text: one name per distinct SQL, the same on every connection.
  const names = new Map<string, string>();
  const statement = (sql: string, params: unknown[] | undefined, opts: QueryOptions | undefined): pg.QueryConfig | string => {
    if (!opts?.prepare) return sql;
    let name = names.get(sql);
    if (!name) names.set(sql, (name = `cs_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`));
    return { name, text: sql, values: params as any[] };
  };
  const query = async <T>(sql: string, params?: unknown[], opts?: QueryOptions) => {
    const r = await pool.query(statement(sql, params, opts) as any, params as any[]);
    return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
  };
  return {
    kind: 'postgres',
    query,
    async exec(sql) {
      await pool.query(sql);
    },
    async copyFrom(sql, data) {
      const client = await pool.connect();
      try {
        return await copyIn(client, sql, data);
      } finally {
        client.release();
      }
    },
    async execRows(sql) {
      const r: any = await pool.query(sql);
      return Array.isArray(r) ? (r[r.length - 1]?.rows ?? []) : r.rows;
    },
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const tx: Queryable = {
          async query<T>(sql: string, params?: unknown[], opts?: QueryOptions) {
            const r = await client.query(statement(sql, params, opts) as any, params as any[]);
            return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
          },
          async exec(sql) {
            await client.query(sql);
          },
          copyFrom: (sql, data) => copyIn(client, sql, data),
        };
        const result = await fn(tx);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    async listen(channel, onMessage) {
      // One connection for every LISTEN, even when several modules ask at the same moment.
      listenConnecting ??= pool.connect().then((c) => {
        listenClient = c;
        c.on('notification', (m) => {
          for (const cb of listeners.get(m.channel) ?? []) cb(m.payload ?? '');
        });
        return c;
      });
      const client = await listenConnecting;
      if (!listeners.has(channel)) {
        listeners.set(channel, new Set());
        const listening = listenQueue.then(() => client.query(`LISTEN "${channel.replace(/"/g, '')}"`));
        listenQueue = listening.catch(() => undefined);
        await listening;
      }
      listeners.get(channel)!.add(onMessage);
      return async () => {
        listeners.get(channel)?.delete(onMessage);
      };
    },
    async close() {
      listenClient?.release();
      listenClient = undefined;
      listenConnecting = undefined;
      await pool.end();
    },
  };
}

let compiledPglite: Promise<WebAssembly.Module> | undefined;

/**
 * PostgreSQL's WebAssembly, compiled once per process and shared by every PGlite it opens (a
 * start seeding the demo opens two). Compiling is asynchronous, on V8's background threads, so
 * `cityscape start` begins it first thing and loads the app's code meanwhile.
 */
export function compilePglite(): Promise<WebAssembly.Module> {
  // The baseline compiler only: optimising tier-up of the 9 MB module costs ~100 MB of resident
  // memory and measured no faster for our queries.
  v8.setFlagsFromString('--liftoff-only');
  compiledPglite ??= readFile(join(dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite')), 'pglite.wasm')).then((bytes) =>
    WebAssembly.compile(bytes),
  );
  return compiledPglite;
}

/** PGlite with Cityscape's settings, in `dataDir` (a folder) or in memory (from `loadDataDir`, a dump, if given). */
async function openPglite(dataDir: string | undefined, loadDataDir?: Blob): Promise<PGlite> {
  const pgliteWasmModule = await compilePglite().catch(() => undefined); // else PGlite loads it itself
  return PGlite.create({
    dataDir,
    loadDataDir,
    pgliteWasmModule,
    // pg_trgm: the addresses module's fuzzy street matching (also available on PostgreSQL).
    extensions: { pg_trgm },
    // The same shapes as the pg parsers above.
    parsers: { 20: (v: string) => Number(v), 1700: (v: string) => Number(v), 1082: (v: string) => v },
    // One embedded backend needs far less than PostgreSQL's defaults; this halves resident memory.
    postgresqlconf: ['shared_buffers=16MB', 'wal_buffers=1MB', 'temp_buffers=4MB'],
  });
}

const initdb = async (dir: string) => (await openPglite(dir)).close();

const schemaDumps = new Map<string, Promise<Blob | undefined>>();

/**
 * The cluster with `key`'s schema as a dump an in-memory PGlite starts from (pglite-template.ts's
 * schemaTarball), read once per process; undefined when there is none for this schema.
 */
function schemaDump(key: string): Promise<Blob | undefined> {
  let dump = schemaDumps.get(key);
  if (!dump) {
    dump = ensureSchemaTarball(key, async (copy, file) => {
      const db = await openPglite(copy);
      try {
        writeFileSync(file, Buffer.from(await (await db.dumpDataDir('none')).arrayBuffer()));
      } finally {
        await db.close();
      }
    })
      .then(async (file) => (file ? new Blob([await readFile(file)]) : undefined))
      .catch(() => undefined); // e.g. a read-only node_modules: initdb and migrate in memory, as before
    schemaDumps.set(key, dump);
  }
  return dump;
}

/**
 * Makes the initialised cluster new data directories are copied from, if it is missing, and with
 * `schema`, the cluster with those migrations applied and its tarball (scripts/build.mjs).
 */
export async function preparePgliteTemplate(schema?: MigrationSource[]): Promise<{ dir: string; made: boolean }> {
  if (!schema) return ensureTemplate(initdb);
  const made = await ensureSchemaTemplate(schemaKey(schema), initdb, async (dir) => {
    const db = await createPgliteDb(dir);
    try {
      await migrate(db, schema);
    } finally {
      await db.close();
    }
  });
  await schemaDump(schemaKey(schema)); // its tarball, for databases in memory
  return made;
}

/**
 * Embedded PostgreSQL. `dataDir` is a folder, or 'memory://' for a throwaway database. A new
 * folder starts as a copy of an initialised cluster, and a database in memory as a copy of its dump —
 * with `schema`'s migrations already applied when scripts/build.mjs made that template for exactly
 * those migrations (pglite-template.ts).
 */
export async function createPgliteDb(dataDir: string, opts: { schema?: MigrationSource[] } = {}): Promise<Db> {
  const onDisk = !dataDir.startsWith('memory://');
  if (onDisk) {
    await initialiseFromTemplate(dataDir, initdb, opts.schema && schemaKey(opts.schema));
    mkdirSync(dataDir, { recursive: true });
  }
  const db = onDisk ? await openPglite(dataDir) : await openPglite(undefined, opts.schema && (await schemaDump(schemaKey(opts.schema))));
  const wrap = (q: { query: PGlite['query']; exec: PGlite['exec'] }): Queryable => ({
    async query<T>(sql: string, params?: unknown[]) {
      const r = await q.query<T>(sql, params as any[]);
      return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
    },
    async exec(sql) {
      await q.exec(sql);
    },
  });
  const base = wrap(db);
  return {
    kind: 'pglite',
    ...base,
    async execRows(sql) {
      const results = await db.exec(sql);
      return results[results.length - 1]?.rows ?? [];
    },
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx as any))),
    async listen(channel, onMessage) {
      const unsub = await db.listen(channel, onMessage);
      return async () => {
        await unsub();
      };
    },
    async close() {
      if (!db.closed) await db.close();
    },
  };
}

/** PostgreSQL at `databaseUrl`, else PGlite in `dataDir`/pgdata (a new one starting with `opts.schema` when it can). */
export async function openDb(databaseUrl: string | undefined, dataDir: string, opts: { schema?: MigrationSource[] } = {}): Promise<Db> {
  return databaseUrl
    ? createPostgresDb(databaseUrl)
    : createPgliteDb(dataDir.startsWith('memory://') ? dataDir : `${dataDir}/pgdata`, opts);
}

const lockQueues = new WeakMap<Db, Map<string, Promise<unknown>>>();

/**
 * Runs `fn` while holding the advisory lock named `name`, so Cityscape processes sharing one
 * PostgreSQL database take turns at it (seeding the demo, say): the second waits, then finds
 * the work done. A transaction holds the lock for as long as `fn` runs, while `fn` does its
 * work on other connections. Calls in one process queue too; that is all PGlite needs, with
 * one connection and one process per data directory (kernel/control.ts).
 */
export async function withAdvisoryLock<T>(db: Db, name: string, fn: () => Promise<T>): Promise<T> {
  let queues = lockQueues.get(db);
  if (!queues) lockQueues.set(db, (queues = new Map()));
  const locked = () =>
    db.kind === 'pglite'
      ? fn()
      : db.transaction(async (tx) => {
          await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [name]);
          return fn();
        });
  const run = (queues.get(name) ?? Promise.resolve()).then(locked, locked);
  const settled = run.catch(() => {});
  queues.set(name, settled);
  void settled.then(() => {
    if (queues.get(name) === settled) queues.delete(name);
  });
  return run;
}

/** A unique constraint refused the row (SQLSTATE 23505): two writers raced for one slug. The same on PGlite and PostgreSQL. */
export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === '23505';
}

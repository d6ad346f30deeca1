// Forward-only numbered .sql migrations per module, each module in its own schema.
// All pending migrations apply in one transaction under an advisory lock, so two
// processes starting together never apply one twice or see half a schema.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Queryable } from './db.js';

export interface MigrationSource {
  module: string;
  dir: string;
}

const LOCK_KEY = 7_311_020_211; // any constant shared by every Cityscape process

/** The migration files these sources hold, in the order `migrate` applies them. */
export function migrationFiles(sources: MigrationSource[]): Array<{ module: string; name: string; path: string }> {
  return sources.flatMap(({ module, dir }) =>
    existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => /^\d+_.*\.sql$/.test(f))
          .sort()
          .map((name) => ({ module, name, path: join(dir, name) }))
      : [],
  );
}

/** A short name for the schema these sources make: a hash of every migration's module, name and text. */
export function schemaKey(sources: MigrationSource[]): string {
  const h = createHash('sha256');
  for (const f of migrationFiles(sources)) h.update(`${f.module}\0${f.name}\0`).update(readFileSync(f.path)).update('\0');
  return h.digest('hex').slice(0, 16);
}

export async function migrate(
  db: { transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> },
  sources: MigrationSource[],
): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    await tx.exec(`CREATE SCHEMA IF NOT EXISTS kernel;
      CREATE TABLE IF NOT EXISTS kernel.migrations (
        module text NOT NULL, name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (module, name))`);
    const done = new Set(
      (await tx.query<{ module: string; name: string }>('SELECT module, name FROM kernel.migrations')).rows.map(
        (r) => `${r.module}/${r.name}`,
      ),
    );
    const applied: string[] = [];
    for (const { module, name, path } of migrationFiles(sources)) {
      if (done.has(`${module}/${name}`)) continue;
      await tx.exec(`CREATE SCHEMA IF NOT EXISTS "${module}";\n` + readFileSync(path, 'utf8'));
      await tx.query('INSERT INTO kernel.migrations (module, name) VALUES ($1, $2)', [module, name]);
      applied.push(`${module}/${name}`);
    }
    return applied;
  });
}

// Forward-only numbered .sql migrations per module, each module in its own schema.
// All pending migrations apply in one transaction under an advisory lock, so two
// processes starting together never apply one twice or see half a schema.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from './db.js';

export interface MigrationSource {
  module: string;
  dir: string;
}

const LOCK_KEY = 7_311_020_211; // any constant shared by every Cityscape process

export async function migrate(db: Db, sources: MigrationSource[]): Promise<string[]> {
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
    for (const { module, dir } of sources) {
      if (!existsSync(dir)) continue;
      const files = readdirSync(dir)
        .filter((f) => /^\d+_.*\.sql$/.test(f))
        .sort();
      for (const name of files) {
        if (done.has(`${module}/${name}`)) continue;
        await tx.exec(`CREATE SCHEMA IF NOT EXISTS "${module}";\n` + readFileSync(join(dir, name), 'utf8'));
        await tx.query('INSERT INTO kernel.migrations (module, name) VALUES ($1, $2)', [module, name]);
        applied.push(`${module}/${name}`);
      }
    }
    return applied;
  });
}

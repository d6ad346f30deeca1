// A new embedded database starts as a copy of a freshly initialised one. PGlite's initdb
// writes its ~40 MB of files through the WebAssembly file system one small write at a time:
// 4–6 s on the 2-core development machine, most of a first `npm start`. Copying the same files
// natively takes well under a second. The initialised cluster is made once per PGlite version
// (by `npm install`, through scripts/build.mjs, or else by the first start that needs it) under
// node_modules/.cache/cityscape/, and holds nothing but initdb's output.
// Beside it, a second template holds that cluster with Cityscape's migrations applied (~2 s of
// a first start otherwise), named by a hash of every migration file, so it is used only while
// the migrations are exactly those: made by scripts/build.mjs, never by a start (which copies
// the bare cluster and migrates, as before, when the schema has changed since the build).
// Neither holds data or secrets: the migrations create tables only; keys, secrets and the demo
// are made per data directory, on the copy.
import { constants, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';

/** Where the initialised cluster is kept: beside PGlite itself, keyed by its version (CITYSCAPE_TEMPLATE_DIR overrides). */
export function templateDir(): string {
  if (process.env.CITYSCAPE_TEMPLATE_DIR) return resolve(process.env.CITYSCAPE_TEMPLATE_DIR);
  const require = createRequire(import.meta.url);
  // …/node_modules/@electric-sql/pglite/dist/index.js → …/node_modules
  let dir = dirname(require.resolve('@electric-sql/pglite'));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  const version: string = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
  const nodeModules = resolve(dir, '..', '..');
  return join(nodeModules, '.cache', 'cityscape', `pglite-${version}`);
}

/** Where the cluster with the schema named `key` (migrations.ts's schemaKey) is kept: beside the bare one. */
export function schemaTemplateDir(key: string): string {
  return `${templateDir()}-schema-${key}`;
}

/**
 * The schema's cluster as one tar file beside it, for in-memory databases ('memory://': the tests'
 * apps), which PGlite fills from a tarball (its `loadDataDir`) instead of running initdb in memory
 * and then every migration: ~2 s of CPU instead of ~6.5 s per app on the development machine.
 */
export function schemaTarball(key: string): string {
  return `${schemaTemplateDir(key)}.tar`;
}

/** A data directory PGlite has not initialised yet (absent or empty). */
export function isUninitialised(dataDir: string): boolean {
  return !existsSync(join(dataDir, 'PG_VERSION')) && (!existsSync(dataDir) || readdirSync(dataDir).length === 0);
}

/**
 * The initialised cluster, made now if it is missing (`init` runs PGlite's initdb in the folder
 * it is given, then closes). Made in a folder of its own and renamed into place, so two processes
 * making it at once never see half of one.
 */
export async function ensureTemplate(init: (dir: string) => Promise<void>, dir = templateDir()): Promise<{ dir: string; made: boolean }> {
  if (existsSync(join(dir, 'PG_VERSION'))) return { dir, made: false };
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    await init(tmp);
    try {
      renameSync(tmp, dir);
    } catch (err) {
      // Another process put one there first: use that.
      if (!existsSync(join(dir, 'PG_VERSION'))) throw err;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { dir, made: true };
}

/**
 * The cluster with the schema named `key`, made now if it is missing: a copy of the bare cluster
 * (made first if need be) that `migrate` runs on. Older schemas' templates are removed.
 */
export async function ensureSchemaTemplate(
  key: string,
  init: (dir: string) => Promise<void>,
  migrate: (dir: string) => Promise<void>,
): Promise<{ dir: string; made: boolean }> {
  const dir = schemaTemplateDir(key);
  const result = await ensureTemplate(async (tmp) => {
    const bare = (await ensureTemplate(init)).dir;
    rmSync(tmp, { recursive: true, force: true });
    cpSync(bare, tmp, { recursive: true, mode: constants.COPYFILE_FICLONE });
    await migrate(tmp);
  }, dir);
  if (result.made) {
    const prefix = `${basename(templateDir())}-schema-`;
    for (const old of readdirSync(dirname(dir)))
      if (old.startsWith(prefix) && !old.includes('.tmp-') && old !== basename(dir) && old !== basename(`${dir}.tar`))
        rmSync(join(dirname(dir), old), { recursive: true, force: true });
  }
  return result;
}

/**
 * The schema's tarball (schemaTarball), made now from its cluster if that exists (`dump` opens a
 * copy of the cluster and writes PGlite's dump of it to the file it is given); undefined when
 * there is no cluster with that schema (the migrations changed since the last build).
 */
export async function ensureSchemaTarball(
  key: string,
  dump: (clusterCopy: string, file: string) => Promise<void>,
): Promise<string | undefined> {
  const file = schemaTarball(key);
  if (existsSync(file)) return file;
  const cluster = schemaTemplateDir(key);
  if (!existsSync(join(cluster, 'PG_VERSION'))) return undefined;
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    cpSync(cluster, `${tmp}.d`, { recursive: true, mode: constants.COPYFILE_FICLONE });
    await dump(`${tmp}.d`, tmp);
    renameSync(tmp, file); // another process's, made at the same time, is the same
  } finally {
    rmSync(`${tmp}.d`, { recursive: true, force: true });
    rmSync(tmp, { force: true });
  }
  return file;
}

/**
 * Fills an uninitialised data directory from a template — the one with `schemaKey`'s schema when
 * it exists, else the bare cluster (made now if missing) — and says which; false when the
 * directory is already a database.
 */
export async function initialiseFromTemplate(
  dataDir: string,
  init: (dir: string) => Promise<void>,
  schemaKey?: string,
): Promise<false | 'schema' | 'bare'> {
  if (!isUninitialised(dataDir)) return false;
  let template: string;
  let kind: 'schema' | 'bare' = 'bare';
  try {
    const withSchema = schemaKey ? schemaTemplateDir(schemaKey) : undefined;
    if (withSchema && existsSync(join(withSchema, 'PG_VERSION'))) {
      template = withSchema;
      kind = 'schema';
    } else template = (await ensureTemplate(init)).dir;
  } catch {
    return false; // e.g. a read-only node_modules: PGlite initialises the directory itself, as before
  }
  // Copied beside it and renamed into place, so an interrupted copy never looks like a database.
  const tmp = `${dataDir}.init-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  // A copy-on-write clone where the file system has them (btrfs, XFS, APFS), else a plain copy.
  try {
    cpSync(template, tmp, { recursive: true, mode: constants.COPYFILE_FICLONE });
  } catch (err) {
    if (kind === 'bare') throw err;
    // The schema's template went away under us (a build replaced it): the bare cluster will do.
    rmSync(tmp, { recursive: true, force: true });
    kind = 'bare';
    cpSync((await ensureTemplate(init)).dir, tmp, { recursive: true, mode: constants.COPYFILE_FICLONE });
  }
  rmSync(dataDir, { recursive: true, force: true }); // absent or empty (checked above)
  renameSync(tmp, dataDir);
  return kind;
}

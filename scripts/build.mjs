// Compiles src/ to dist/ once, so `npm start` runs plain JavaScript instead of transpiling
// every file through tsx at every start (on a clean clone, with tsx's cache empty, that alone
// cost ~3 s of a first start on the 2-core development machine). Run by `npm install`
// (postinstall) and by `npm start`, which rebuilds only when a file under src/ changed (a
// fingerprint of every file's path, size and modification time, kept in dist/.fingerprint).
// esbuild transpiles each file on its own (no bundling, no type checking: `npm run typecheck`
// does that), so dist/ mirrors src/ and the views, locales, migrations and other files are
// copied beside the code that reads them. Also prepares the initialised embedded database, with
// the schema, that new data directories are copied from (src/kernel/pglite-template.ts); when
// a migration changes, the next build (`npm start` runs one) makes the new schema's template.
// Flags: --quiet (say nothing when dist/ is up to date), --force (rebuild anyway),
// --no-template (skip the embedded database).
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');
const DIST = join(ROOT, 'dist');
const args = new Set(process.argv.slice(2));
const say = (s) => process.stderr.write(`${s}\n`);

/** Files that go to dist/: everything under src/ but tests and test support. */
function walk(dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (!/\.test\.ts$/.test(e.name) && e.name !== 'testing.ts') out.push(p);
  }
  return out;
}

const files = walk(SRC).sort();
const fingerprint = createHash('sha256');
for (const f of [...files, fileURLToPath(import.meta.url), join(ROOT, 'package-lock.json')]) {
  if (!existsSync(f)) continue;
  const s = statSync(f);
  fingerprint.update(`${relative(ROOT, f)}\0${s.size}\0${s.mtimeMs}\n`);
}
const print = fingerprint.digest('hex');
const stamp = join(DIST, '.fingerprint');
const upToDate = !args.has('--force') && existsSync(stamp) && readFileSync(stamp, 'utf8') === print;

if (upToDate) {
  if (!args.has('--quiet')) say('dist/ is up to date.');
} else {
  const t0 = performance.now();
  // Built beside dist/ and swapped in, so a process already running from dist/ never loads a
  // half-written file.
  const tmp = `${DIST}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const ts = files.filter((f) => f.endsWith('.ts'));
  const { build } = await import('esbuild');
  await build({
    entryPoints: ts,
    outdir: tmp,
    outbase: SRC,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    bundle: false,
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  for (const f of files.filter((f) => !f.endsWith('.ts'))) {
    const to = join(tmp, relative(SRC, f));
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(f, to);
  }
  writeFileSync(join(tmp, '.fingerprint'), print);
  const old = `${DIST}.old-${process.pid}`;
  if (existsSync(DIST)) renameSync(DIST, old);
  renameSync(tmp, DIST);
  rmSync(old, { recursive: true, force: true });
  say(`Compiled ${ts.length} files of src/ to dist/ in ${Math.round(performance.now() - t0)} ms.`);
}

if (!args.has('--no-template')) {
  const { preparePgliteTemplate } = await import(pathToFileURL(join(DIST, 'kernel', 'db.js')).href);
  const { MIGRATION_SOURCES } = await import(pathToFileURL(join(DIST, 'schema.js')).href);
  const t0 = performance.now();
  const { made } = await preparePgliteTemplate(MIGRATION_SOURCES);
  if (made) say(`Initialised the embedded database template (with the schema) in ${Math.round(performance.now() - t0)} ms.`);
}

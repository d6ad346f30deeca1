// Runs once before the suite: compiles src/ to dist/ (scripts/build.mjs, a no-op when dist/ is
// already current) so the tests that start real `cityscape` processes run the same compiled
// JavaScript `npm start` runs, instead of transpiling ~300 files through tsx in every process
// (a spawned command took ~2× as long through tsx). Under `vitest --watch`, a change to src/
// reaches those processes on the next run of the suite.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const r = spawnSync(process.execPath, ['scripts/build.mjs', '--quiet'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`scripts/build.mjs failed (exit ${r.status})`);
}

// Browser suite (`npm run test:browser`): real Chromium (Debian's /usr/bin/chromium, driven
// by playwright-core) against the app listening on a loopback port; axe for WCAG 2.2 AA.
// One file at a time: each starts its own app and browser, and the machine has 2 cores.
import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/browser/**/*.test.ts'],
    exclude: ['node_modules/**'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
  },
});

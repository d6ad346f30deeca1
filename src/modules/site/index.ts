// The site module: pages about the site itself rather than any one platform — accessibility
// statement, cookies, privacy notice, the developers' page and the public API documentation
// (rendered on the server from /openapi.json). No tables of its own.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kernel, Module } from '../../kernel/module.js';
import { sitePages } from './pages.js';
import { docsPages } from './docs.js';

const here = dirname(fileURLToPath(import.meta.url));

export function createSiteModule(kernel: Kernel): Module {
  return {
    name: 'site',
    migrations: join(here, 'migrations'), // none
    routes(app) {
      const docs = docsPages(app, kernel);
      sitePages(app, kernel, docs.apis);
    },
  };
}

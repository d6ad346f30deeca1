// The addresses module: OS Places-compatible look-up (postcode, free text, UPRN, nearest,
// bbox, radius), AddressBase Premium import (CSV and GML, full and change-only), a demo data
// generator, and a reusable GOV.UK "find an address" journey. Other modules import only this file.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Kernel, Module } from '../../kernel/module.js';
import { addressesApi, API_PREFIX, osError } from './api.js';
import { createAddressService, filters } from './service.js';
import { importAbp, type ImportOptions, type ImportResult, type ImportSource } from './import.js';
import { abpCsvLines } from './generator-write.js';
import { findAddressPages, type FindAddressOptions } from './pages.js';

export type { ImportProgress, ImportResult, ImportSource } from './import.js';
export type { ChosenAddress, FindAddressOptions } from './pages.js';
export type { AddressService, OsRecord } from './service.js';
export { writeAbpCsv, writeAbpGml, type GenerateOptions } from './generator-write.js';
export { toGrid, fromGrid } from './grid.js';
export { API_PREFIX } from './api.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Addresses in the demo data set made on a fresh install (fast on PGlite). */
export const DEMO_COUNT = 2000;

interface Deps extends Kernel {
  /** The catalogue's key check: returns the key's service, or null (unknown, revoked, or another platform's). */
  catalogue: { verifyApiKey(secret: string, platform: string): Promise<unknown | null> };
}

export function createAddressesModule(deps: Deps) {
  const service = createAddressService(deps.db);

  /** Imports AddressBase Premium files (paths, .csv or .gml/.xml) in one all-or-nothing transaction. */
  async function importAddresses(files: Array<string | ImportSource>, opts: ImportOptions = {}): Promise<ImportResult> {
    const sources = files.map((f) => (typeof f === 'string' ? { name: f, path: f } : f));
    try {
      return await importAbp(deps.db, sources, opts);
    } finally {
      service.resetEpoch();
    }
  }

  /** Mounts the find-an-address journey under `prefix`; `onChosen` gets the address and answers the request. */
  function mountFindAddress(app: FastifyInstance, opts: FindAddressOptions): void {
    findAddressPages(app, deps, service, opts);
  }

  const module: Module & {
    service: typeof service;
    importAddresses: typeof importAddresses;
    mountFindAddress: typeof mountFindAddress;
  } = {
    name: 'addresses',
    migrations: join(here, 'migrations'),
    apiErrorFormats: [{ prefix: API_PREFIX, format: osError }],
    service,
    importAddresses,
    mountFindAddress,
    routes(app) {
      app.register(async (api) => addressesApi(api, service, (s, p) => deps.catalogue.verifyApiKey(s, p), deps.config.publicUrl));
      mountFindAddress(app, {
        prefix: '/addresses/find-an-address',
        onChosen: (address, _req, reply) =>
          reply.redirect(
            `/addresses/find-an-address/chosen?${new URLSearchParams({
              ...(address.uprn ? { uprn: address.uprn } : {}),
              address: [...address.lines, address.town].join('\n'),
              postcode: address.postcode,
            })}`,
            303,
          ),
        demo: true,
      });
    },
    /** A few thousand generated addresses on a fresh install; nothing is downloaded. */
    async seedDemo() {
      if (!(await service.isEmpty())) return false;
      const lines = (function* () {
        for (const l of abpCsvLines({ count: DEMO_COUNT, seed: 1 })) yield l + '\n';
      })();
      await importAddresses([{ name: 'demo-addresses.csv', stream: Readable.from(lines), format: 'csv' }]);
      return true;
    },
  };
  return module;
}

export { filters };

// `cityscape registries serve --port N`: the agencies' systems as a process of their own, with
// their own database (PGlite in --data-dir, default .cityscape-registries, or --database-url),
// trusting the exchange whose trust list is at --exchange URL. The trust list's node key is
// pinned on first fetch; a later list must be signed by it.
import Fastify from 'fastify';
import { openDb } from '../../kernel/db.js';
import { migrate } from '../../kernel/migrations.js';
import { publicKeyFromJwk, verifyTrustList, type TrustList } from '../exchange/index.js';
import { createRegistriesModule, REGISTRIES_MIGRATIONS } from './index.js';

export async function serveRegistries(opts: {
  port: number;
  host: string;
  exchangeUrl: string;
  dataDir: string;
  databaseUrl?: string;
  say(line: string): void;
}): Promise<{ close(): Promise<void>; port: number }> {
  const db = await openDb(opts.databaseUrl, opts.dataDir);
  await migrate(db, [{ module: 'registries', dir: REGISTRIES_MIGRATIONS }]);
  let pinned: Map<string, Record<string, unknown>> | null = null;
  let cached: TrustList | null = null;
  async function trust(refresh = false): Promise<TrustList> {
    if (cached && !refresh) return cached;
    const res = await fetch(`${opts.exchangeUrl.replace(/\/+$/, '')}/exchange/trust`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`the exchange's trust list answered ${res.status}`);
    const list = (await res.json()) as TrustList;
    const keys = pinned ?? new Map(list.node.keys.map((k) => [String(k.kid), k]));
    if (!verifyTrustList(list, (kid) => (keys.has(kid) ? publicKeyFromJwk(keys.get(kid)!) : null)))
      throw new Error("the exchange's trust list is not signed by the node key pinned when this process started");
    pinned = keys;
    cached = list;
    return list;
  }
  const registries = createRegistriesModule({ db, trust });
  if (await registries.seedDemo()) opts.say('Seeded the demo agencies’ records.');
  const app = Fastify({ logger: false });
  await registries.routes(app);
  app.get('/health', async () => ({ status: 'ok' }));
  await app.listen({ port: opts.port, host: opts.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  opts.say(
    `Registries are answering at http://${opts.host}:${port}/registries (trusting ${opts.exchangeUrl}/exchange/trust). Press Ctrl-C to stop.`,
  );
  return {
    port,
    async close() {
      await app.close();
      await db.close();
    },
  };
}

// Who is calling the experiments and OFREP APIs: an `experiments` API key of one catalogue
// service, sent as `Authorization: Bearer <key>` or `X-API-Key: <key>` (OFREP's two schemes).
// A live key works on the live flags, a test key on the test flags; a team key manages both
// (?environment=test|live, live by default). Verified keys are remembered for a few seconds.
import type { FastifyRequest } from 'fastify';
import { HttpError } from '../../kernel/errors.js';
import { sha256 } from '../../kernel/crypto.js';
import type { CatalogueService } from '../catalogue/index.js';
import type { Environment } from './store.js';
import type { Caches } from '../../kernel/cache.js';

export interface Caller {
  serviceId: string;
  organisationId: string | null;
  slug: string;
  keyId: string;
  type: 'live' | 'test' | 'team';
  environment: Environment;
}

const KEY_CACHE_MS = 5000;

export class Unauthorised extends HttpError {
  constructor() {
    super(401, 'unauthorised', 'Send an experiments API key as "Authorization: Bearer <key>" or "X-API-Key: <key>"');
  }
}

export function presentedKey(req: FastifyRequest): string | null {
  const x = req.headers['x-api-key'];
  if (typeof x === 'string' && x.trim()) return x.trim();
  const m = /^Bearer\s+(\S{1,400})\s*$/i.exec(req.headers.authorization ?? '');
  return m ? m[1] : null;
}

export function createAuth(caches: Caches, catalogue: CatalogueService) {
  const cache = caches.create<Omit<Caller, 'environment'> | null>('experiments.keys', { ttlMs: KEY_CACHE_MS, max: 10_000 });
  // OFREP providers send the same key with every evaluation, thousands a second: keys verified
  // in the last few seconds skip the hash and the shared cache's LRU bookkeeping (over a third
  // of the evaluation route's own work), for no longer than the shared cache keeps them, and
  // never past a change to any key in any process (the shared cache's generation moves then).
  const recent = new Map<string, { caller: Omit<Caller, 'environment'> | null; until: number; generation: number }>();
  catalogue.onApiKeysChanged(() => {
    cache.clear();
    recent.clear();
  });

  async function fromSecret(secret: string): Promise<Omit<Caller, 'environment'> | null> {
    const seen = recent.get(secret);
    if (seen && seen.generation === cache.generation && seen.until > Date.now()) return seen.caller;
    const h = sha256(secret);
    const hit = cache.get(h);
    if (hit !== undefined) return hit;
    const generation = cache.generation;
    const key = await catalogue.verifyApiKey(secret, 'experiments');
    const service = key?.serviceId ? await catalogue.getServiceById(key.serviceId) : null;
    const caller =
      key && service
        ? {
            serviceId: service.id,
            organisationId: service.organisation?.id ?? null,
            slug: service.slug,
            keyId: key.keyId,
            type: key.type as Caller['type'],
          }
        : null;
    cache.set(h, caller, generation);
    if (generation === cache.generation) remember(secret, caller);
    return caller;
  }
  function remember(secret: string, caller: Omit<Caller, 'environment'> | null) {
    if (recent.size >= 64) recent.clear();
    recent.set(secret, { caller, until: Date.now() + KEY_CACHE_MS, generation: cache.generation });
  }

  return {
    /** The caller, or a 401. `environment` comes from the key (or ?environment= for team keys). */
    async caller(req: FastifyRequest): Promise<Caller> {
      const secret = presentedKey(req);
      const c = secret ? await fromSecret(secret) : null;
      if (!c) throw new Unauthorised();
      const asked = (req.query as Record<string, unknown> | undefined)?.environment;
      const environment: Environment = c.type === 'test' ? 'test' : c.type === 'live' ? 'live' : asked === 'test' ? 'test' : 'live';
      return { ...c, environment };
    },
  };
}
export type Auth = ReturnType<typeof createAuth>;

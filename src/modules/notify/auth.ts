// Notify's API authentication: `Authorization: Bearer <JWT>`, HS256, `iss` the service id, `iat`
// within 30 seconds of our clock, signed with the secret half of one of the service's API keys.
// Every failure gets the status and message Notify itself answers with.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { CatalogueService } from '../catalogue/index.js';
import { authError, TOKEN_GENERAL } from './errors.js';
import type { KeyType } from './store.js';
import type { Caches } from '../../kernel/cache.js';

export interface ApiCaller {
  serviceId: string;
  keyId: string;
  keyType: KeyType;
  keyName: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CLOCK_SKEW_SECONDS = 30;

function b64json(part: string): any {
  const parsed = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  if (!parsed || typeof parsed !== 'object') throw new Error('not an object');
  return parsed;
}

/** Keys are read on every request, so they are kept briefly; a key created or revoked in this
 * process is seen at once, in another process within KEYS_TTL_MS. */
const KEYS_TTL_MS = 2_000;

export function createNotifyAuth(caches: Caches, catalogue: CatalogueService, now: () => number = () => Date.now()) {
  type Keys = Awaited<ReturnType<CatalogueService['sharedSecretKeys']>>;
  const cache = caches.create<Promise<Keys>>('notify.keys', { ttlMs: KEYS_TTL_MS, max: 10_000 });
  catalogue.onApiKeysChanged((serviceId) => {
    if (serviceId) cache.delete(serviceId);
    else cache.clear();
  });
  const keysOf = (serviceId: string): Promise<Keys> => {
    let keys = cache.get(serviceId);
    if (!keys) {
      keys = catalogue.sharedSecretKeys(serviceId, 'notify');
      cache.set(serviceId, keys);
      keys.catch(() => cache.delete(serviceId));
    }
    return keys;
  };

  return async function authenticate(authorization: string | undefined): Promise<ApiCaller> {
    if (!authorization) throw authError('Unauthorized: authentication token must be provided', 401);
    const scheme = authorization.slice(0, 7);
    if (scheme.charAt(0).toUpperCase() + scheme.slice(1).toLowerCase() !== 'Bearer ') {
      throw authError('Unauthorized: authentication bearer scheme must be used', 401);
    }
    const token = authorization.slice(7).trim();
    const parts = token.split('.');
    let header: any;
    let claims: any;
    try {
      if (parts.length !== 3) throw new Error('three parts');
      header = b64json(parts[0]);
      claims = b64json(parts[1]);
    } catch {
      throw authError(TOKEN_GENERAL);
    }
    if (claims.iss === undefined || claims.iss === null) throw authError('Invalid token: iss field not provided');
    const serviceId = String(claims.iss);
    if (!UUID.test(serviceId)) throw authError('Invalid token: service id is not the right data type');

    const keys = await keysOf(serviceId.toLowerCase());
    if (!keys.length) {
      if (!(await catalogue.getServiceById(serviceId))) throw authError('Invalid token: service not found');
      throw authError('Invalid token: service has no API keys');
    }
    if (header.alg !== 'HS256') throw authError('Invalid token: algorithm used is not HS256');
    const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
    const signature = Buffer.from(parts[2], 'base64url');
    for (const key of keys) {
      const expected = createHmac('sha256', key.secret).update(signed).digest();
      if (expected.length !== signature.length || !timingSafeEqual(expected, signature)) continue;
      if (typeof claims.iat !== 'number' && !(typeof claims.iat === 'string' && /^\d+$/.test(claims.iat))) continue; // Notify: "API key not found"
      const iat = Number(claims.iat);
      const nowSeconds = Math.floor(now() / 1000);
      if (Math.abs(nowSeconds - iat) > CLOCK_SKEW_SECONDS)
        throw authError('Error: Your system clock must be accurate to within 30 seconds');
      if (key.revoked) throw authError('Invalid token: API key revoked');
      catalogue.recordKeyUse(key.keyId, serviceId.toLowerCase(), 'notify'); // counted in memory, written in batches
      return { serviceId: serviceId.toLowerCase(), keyId: key.keyId, keyType: key.type as KeyType, keyName: key.name };
    }
    throw authError('Invalid token: API key not found');
  };
}
export type NotifyAuth = ReturnType<typeof createNotifyAuth>;

// The agencies' own HTTP endpoints under /registries/{agency}/…: each answers only requests
// the exchange signed (verifyExchangeRequest, keys from the exchange's trust list, a time
// window and a nonce), matches the person on what it is given, and returns only the fields
// the signed request says may be released. What each endpoint matches on is in README.md.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { KeyObject } from 'node:crypto';
import type { Db } from '../../kernel/db.js';
import { verifyExchangeRequest, memoryNonces, publicKeyFromJwk, SIGNATURE_HEADER, type TrustList } from '../exchange/index.js';
import { lookups } from './store.js';
import { declareAuth } from '../../kernel/routes.js';

export interface RegistryDeps {
  db: Db;
  /** The exchange's trust list (in process: the exchange module; standalone: fetched over HTTP). */
  trust(refresh?: boolean): Promise<TrustList>;
}

const norm = (s: unknown) => (typeof s === 'string' ? s.normalize('NFKC').trim().replace(/\s+/g, ' ') : '');
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const kidOf = (jws: string | undefined): string | undefined => {
  try {
    const h = JSON.parse(Buffer.from((jws ?? '').split('.')[0], 'base64url').toString('utf8'));
    return typeof h?.kid === 'string' ? h.kid : undefined;
  } catch {
    return undefined;
  }
};

export function registryRoutes(app: FastifyInstance, deps: RegistryDeps) {
  const nonces = memoryNonces();
  const find = lookups(deps.db);
  let keys = new Map<string, KeyObject>();
  let loadedAt = 0;
  async function keyMap(refresh: boolean) {
    if (!keys.size || (refresh && Date.now() - loadedAt > 5000) || Date.now() - loadedAt > 60_000) {
      const list = await deps.trust(refresh);
      const next = new Map<string, KeyObject>();
      for (const jwk of [...list.node.keys, ...list.members.flatMap((m) => m.keys)]) {
        const k = publicKeyFromJwk(jwk);
        if (k) next.set(String(jwk.kid), k);
      }
      keys = next;
      loadedAt = Date.now();
    }
    return keys;
  }

  app.register(async (scope) => {
    declareAuth(scope, 'signed by the exchange');
    scope.addHook('preHandler', async (req, reply) => {
      const signature = req.headers[SIGNATURE_HEADER] as string | undefined;
      let km = await keyMap(false);
      const kid = kidOf(signature);
      if (kid && !km.has(kid)) km = await keyMap(true);
      const v = await verifyExchangeRequest(
        { method: req.method, path: req.url, body: req.body ? Buffer.from(JSON.stringify(req.body)) : undefined, signature },
        { keyFor: (k) => km.get(k), nonces },
      ).catch(() => ({ ok: false as const, reason: 'The signature could not be read' }));
      if (!v.ok)
        return reply
          .status(401)
          .send({ error: 'unsigned', message: `This agency answers only requests signed by the exchange: ${v.reason}` });
      (req as FastifyRequest & { released?: string[] }).released = v.claims.attributes;
    });
    const released = (req: FastifyRequest, data: Record<string, unknown>) => {
      const allowed = (req as FastifyRequest & { released?: string[] }).released ?? [];
      return Object.fromEntries(Object.entries(data).filter(([k]) => k === 'matched' || allowed.includes(k)));
    };
    const q = (req: FastifyRequest) => {
      const x = req.query as Record<string, unknown>;
      for (const [k, v] of Object.entries(x))
        if (typeof v !== 'string' || v.length > 200 || /[\u0000-\u001f]|\p{Cs}/u.test(v))
          throw Object.assign(new Error(`${k} must be plain text of at most 200 characters, given once`), { statusCode: 400 });
      return x;
    };
    const person = (req: FastifyRequest) => {
      const x = q(req);
      return {
        nino: norm(x.nino).replace(/\s/g, '').toUpperCase(),
        given: norm(x.given_name),
        family: norm(x.family_name),
        birth: norm(x.birth_date),
      };
    };
    const needs = (ok: boolean, what: string) => {
      if (!ok) throw Object.assign(new Error(what), { statusCode: 400 });
    };
    scope.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
      const status = err.statusCode && err.statusCode < 500 ? err.statusCode : 500;
      return reply
        .status(status)
        .send({ error: status === 400 ? 'bad_request' : 'error', message: status === 400 ? err.message : 'The agency system failed' });
    });

    scope.get('/registries/dwp/benefits/entitlement', async (req) => {
      const p = person(req);
      needs(
        !!p.nino || (!!p.given && !!p.family && DATE.test(p.birth)),
        'Give nino, or given_name, family_name and birth_date (YYYY-MM-DD)',
      );
      return released(req, await find.benefits(p));
    });
    scope.get('/registries/dvla/licences/check', async (req) => {
      const x = q(req);
      const p = person(req);
      needs(!!norm(x.licence_number) && !!p.family && DATE.test(p.birth), 'Give licence_number, family_name and birth_date');
      return released(
        req,
        await find.licence({ ...p, number: norm(x.licence_number).replace(/\s/g, '').toUpperCase(), expiry: norm(x.expiry_date) }),
      );
    });
    scope.get('/registries/hmpo/passports/validity', async (req) => {
      const x = q(req);
      const p = person(req);
      needs(!!norm(x.passport_number) && !!p.family && DATE.test(p.birth), 'Give passport_number, family_name and birth_date');
      return released(req, await find.passport({ ...p, number: norm(x.passport_number).replace(/\s/g, ''), expiry: norm(x.expiry_date) }));
    });
    scope.get('/registries/hmrc/income/band', async (req) => {
      const p = person(req);
      needs(!!p.nino || (!!p.given && !!p.family && DATE.test(p.birth)), 'Give nino, or given_name, family_name and birth_date');
      return released(req, await find.income(p, norm(q(req).tax_year)));
    });
    for (const council of ['riverside', 'glanfor'])
      scope.get(`/registries/${council}/council-tax/account`, async (req) => {
        const p = person(req);
        const postcode = norm(q(req).postcode).toUpperCase();
        needs(!!postcode && !!p.family, 'Give postcode and family_name');
        return released(req, await find.councilTax(council.toUpperCase(), postcode, p));
      });
    scope.get('/registries/gro/births/entry', async (req) => {
      const p = person(req);
      needs(!!p.given && !!p.family && DATE.test(p.birth), 'Give given_name, family_name and birth_date');
      return released(req, await find.birth(p));
    });
  });
}

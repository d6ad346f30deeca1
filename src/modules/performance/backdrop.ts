// The Performance Platform (Backdrop) API, for the figures only a team holds (phone and paper
// volumes, cost): POST /performance/data/{data_group}/{data_type} with the service's
// `performance` API key as the bearer token writes records (upserting by _id); GET reads them
// with Backdrop's query language. data_group is the service's slug. Data sets are made private
// on their first write; a private one reads only with its own service's key (404 otherwise, so
// another service cannot even learn it exists). Errors: { "status": "error", "message": … }.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../../kernel/db.js';
import { BadRequest, HttpError, NotFound } from '../../kernel/errors.js';
import type { CatalogueService } from '../catalogue/index.js';
import { cleanRecord, datasets, DATA_TYPE, RecordError, type DataSet } from './backdrop-records.js';
import { answer, bdTime, parseQuery, QueryError } from './backdrop-query.js';
import { notifyChanged } from './ingest.js';
import { periodStart, PERIODS } from './ranges.js';

export const BACKDROP_PREFIX = '/performance/data';
const MAX_RECORDS = 10_000;
const MAX_READ = 100_000;
const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;

class Unauthorised extends HttpError {
  constructor(message = 'Unauthorized: invalid or no token given.') {
    super(401, 'unauthorised', message);
    (this as any).headers = { 'www-authenticate': 'bearer' };
  }
}

export const backdropError = (e: { message: string }) => ({ status: 'error', message: e.message });

function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return null;
  const m = /^Bearer\s+(\S+)$/i.exec(h.trim());
  return m ? m[1] : null;
}

/** Raw records as Backdrop returned them: _id, _timestamp, the period starts and _updated_at. */
function rawRecord(r: { id: string; ts: Date | null; data: Record<string, unknown>; updated_at: Date }) {
  const out: Record<string, unknown> = { _id: r.id, ...r.data };
  if (r.ts) {
    const ts = new Date(r.ts);
    out._timestamp = bdTime(ts);
    for (const p of PERIODS) out[`_${p}_start_at`] = bdTime(periodStart(ts, p));
  }
  out._updated_at = bdTime(new Date(r.updated_at));
  return out;
}

export function backdropRoutes(app: FastifyInstance, deps: { db: Db; catalogue: CatalogueService }) {
  const { db, catalogue } = deps;

  /** The service whose key this is (or null). */
  async function keyService(req: FastifyRequest): Promise<string | null> {
    const secret = bearer(req);
    if (!secret) return null;
    const key = await catalogue.verifyApiKey(secret, 'performance');
    return key?.serviceId ?? null;
  }

  function names(req: FastifyRequest): { group: string; type: string } {
    const { group, type } = req.params as { group: string; type: string };
    if (!SLUG.test(group) || group.length > 80) throw new NotFound('data_set not found');
    if (!DATA_TYPE.test(type)) throw new NotFound('data_set not found');
    return { group, type };
  }

  /** The writer's data set: their key must belong to the service named by data_group. */
  async function writable(req: FastifyRequest): Promise<{ serviceId: string; group: string; type: string }> {
    const serviceId = await keyService(req);
    if (!serviceId) throw new Unauthorised();
    const { group, type } = names(req);
    const service = await catalogue.getService(group).catch(() => null);
    if (!service || service.id !== serviceId) throw new Unauthorised('Unauthorized: this token cannot write to this data set.');
    return { serviceId, group, type };
  }

  function records(body: unknown): unknown[] {
    if (Array.isArray(body)) return body;
    if (body && typeof body === 'object') return [body];
    throw new BadRequest('Expected a JSON object or a list of JSON objects');
  }

  const opts = { config: { api: true, csrf: false }, bodyLimit: 5 * 1024 * 1024 };

  app.post(`${BACKDROP_PREFIX}/:group/:type`, opts, async (req, reply) => {
    const w = await writable(req);
    const list = records(req.body);
    if (list.length > MAX_RECORDS) throw new BadRequest(`At most ${MAX_RECORDS} records a request`);
    let clean;
    try {
      clean = list.map((r, i) => cleanRecord(r, i));
    } catch (err) {
      if (err instanceof RecordError) throw new BadRequest(err.message);
      throw err;
    }
    await db.transaction(async (tx) => {
      const ds = await datasets.ensure(tx, w.serviceId, w.group, w.type);
      await datasets.upsert(tx, ds, clean);
      await notifyChanged(tx, new Set([w.serviceId])); // cost and offline volumes feed the live KPIs
    });
    return reply.send({ status: 'ok' });
  });

  // Backdrop: PUT of an empty list empties the data set; nothing else is implemented.
  app.put(`${BACKDROP_PREFIX}/:group/:type`, opts, async (req, reply) => {
    const w = await writable(req);
    if (!Array.isArray(req.body) || req.body.length) throw new BadRequest('Not implemented: you can only pass an empty JSON list');
    const ds = await datasets.get(db, w.group, w.type);
    if (!ds) throw new NotFound('data_set not found');
    await db.transaction(async (tx) => {
      await datasets.empty(tx, ds);
      await notifyChanged(tx, new Set([w.serviceId]));
    });
    return reply.send({ status: 'ok', message: `${w.group}/${w.type} now contains 0 records` });
  });

  app.get(`${BACKDROP_PREFIX}/:group/:type`, { config: { api: true } }, async (req, reply) => {
    const { group, type } = names(req);
    const ds: DataSet | null = await datasets.get(db, group, type);
    if (!ds) throw new NotFound('data_set not found');
    if (!ds.public && (await keyService(req)) !== ds.service_id) throw new NotFound('data_set not found');
    let q;
    try {
      q = parseQuery(req.query as Record<string, unknown>);
    } catch (err) {
      if (err instanceof QueryError) throw new BadRequest(err.message);
      throw err;
    }
    const rows = await datasets.records(db, ds, q.startAt, q.endAt, MAX_READ + 1);
    if (rows.length > MAX_READ) throw new BadRequest(`More than ${MAX_READ} records match: give a narrower start_at and end_at`);
    let data;
    try {
      data = answer(rows.map(rawRecord), q);
    } catch (err) {
      if (err instanceof QueryError) throw new BadRequest(err.message);
      throw err;
    }
    if (ds.public) reply.header('access-control-allow-origin', '*');
    return reply.header('cache-control', ds.public ? 'max-age=60, must-revalidate' : 'private, no-store').send({ data });
  });
}

// The OS Places-compatible API at /addresses/search/places/v1: postcode, find, uprn, nearest,
// bbox and radius, with OS's parameters, `header` block, {DPA|LPI} results and error body
// {"error":{"statuscode":…,"message":…}}. The key comes as the `key` parameter or header and
// must be an addresses-platform key from the catalogue.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static, type TProperties } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { BadRequest, Unauthorised, type ErrorInfo } from '../../kernel/errors.js';
import { canonicalSrs, inGrid, toGrid, type Srs } from './grid.js';
import type { AddressService, Page, QueryOptions } from './service.js';
import type { Filters } from './store.js';
import { declareAuth } from '../../kernel/routes.js';

export const API_PREFIX = '/addresses/search/places/v1';
/** The largest offset (PostgreSQL's int4): beyond any result count, and a number SQL takes as a parameter. */
const MAX_OFFSET = 2_147_483_647;
type VerifyKey = (secret: string, platform: string) => Promise<unknown | null>;

const Common = {
  key: Type.Optional(Type.String({ description: 'API key (or send it as the `key` header)' })),
  format: Type.Optional(Type.String({ description: 'JSON (default) or XML' })),
  dataset: Type.Optional(Type.String({ description: 'DPA (default), LPI or DPA,LPI' })),
  maxresults: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 100 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_OFFSET, default: 0 })),
  output_srs: Type.Optional(Type.String({ description: 'EPSG:27700 (default), EPSG:4326 or EPSG:4258' })),
  lr: Type.Optional(Type.String({ description: 'EN or CY (default both)' })),
  fq: Type.Optional(
    Type.Array(Type.String(), { description: 'CLASSIFICATION_CODE:RD* LOGICAL_STATUS_CODE:1 LPI_LOGICAL_STATUS_CODE:1 COUNTRY_CODE:E' }),
  ),
};
type CommonQuery = Static<ReturnType<typeof Type.Object<typeof Common>>>;
const Geo = { srs: Type.Optional(Type.String({ description: 'Input SRS: EPSG:27700 (x,y) or EPSG:4326/EPSG:4258 (lat,lng)' })) };

/** Messages for Fastify's own validation errors, in OS's words. */
const PARAM_MESSAGES: Record<string, string> = {
  maxresults: 'Requested maxresults must be a whole number between 1 and 100.',
  offset: `Requested offset must be a whole number between 0 and ${MAX_OFFSET}.`,
  minmatch: 'Requested minmatch must be a number between 0.1 and 1.',
  matchprecision: 'Requested matchprecision must be a whole number between 1 and 10.',
  radius: 'Requested radius must be a number between 0.01 and 1000.',
};

export function osError(e: ErrorInfo, _req: FastifyRequest): unknown {
  let message = e.message;
  if (e.code === 'validation_error' && e.fields.length) {
    const field = e.fields[0].field.replace(/^querystring\./, '');
    message = PARAM_MESSAGES[field] ?? `Requested ${field} is not valid: ${e.fields[0].message}`;
  }
  if (e.status >= 500) message = 'Sorry, there is a problem with the service';
  const body = { error: { statuscode: e.status, message } };
  return body; // for format=XML the reply hook turns it into XML
}

function parseDataset(v: string | undefined): string[] {
  const sets = (v ?? 'DPA')
    .toUpperCase()
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!sets.length || sets.some((s) => s !== 'DPA' && s !== 'LPI')) throw new BadRequest('Requested dataset must be DPA, LPI or DPA,LPI.');
  return [...new Set(sets)];
}
function parseLr(v: string | undefined): string[] {
  if (v === undefined || v === '') return ['EN', 'CY'];
  const l = v.toUpperCase();
  if (l !== 'EN' && l !== 'CY') throw new BadRequest('Requested lr must be EN or CY.');
  return [l];
}
function parseFq(fq: string[] | undefined, f: Filters): void {
  for (const group of fq ?? []) {
    const byField = new Map<string, string[]>();
    for (const term of group.trim().split(/\s+/).filter(Boolean)) {
      const m = /^(CLASSIFICATION_CODE|LOGICAL_STATUS_CODE|LPI_LOGICAL_STATUS_CODE|COUNTRY_CODE):([A-Z0-9*]{1,6})$/i.exec(term);
      if (!m)
        throw new BadRequest(
          `Requested fq "${term}" is not a valid filter. Use CLASSIFICATION_CODE:<code or prefix*>, LOGICAL_STATUS_CODE:<1|3|6|8>, LPI_LOGICAL_STATUS_CODE:<1|3|6|8> or COUNTRY_CODE:<E|W|S|N|L|M|J>.`,
        );
      const field = m[1].toUpperCase(),
        value = m[2].toUpperCase();
      if (field !== 'CLASSIFICATION_CODE' && !/^[0-9A-Z]$/.test(value))
        throw new BadRequest(`Requested fq "${term}" is not a valid filter.`);
      byField.set(field, [...(byField.get(field) ?? []), value]);
    }
    for (const [field, values] of byField) {
      if (field === 'CLASSIFICATION_CODE') f.classPatterns = values.map((v) => v.replace(/\*/g, '%'));
      else if (field === 'COUNTRY_CODE') f.countries = values;
      else {
        const nums = values.map(Number);
        if (nums.some((n) => !Number.isInteger(n))) throw new BadRequest(`Requested ${field} filter must be a number.`);
        if (field === 'LOGICAL_STATUS_CODE') f.logicalStatus = nums;
        else f.lpiLogicalStatus = nums;
      }
    }
  }
}
function srsParam(v: string | undefined, name: string): Srs {
  const s = canonicalSrs(v);
  if (!s) throw new BadRequest(`Requested ${name} must be one of EPSG:27700, EPSG:4326, EPSG:4258 (or BNG, WGS84).`);
  return s;
}
function numbers(v: string, n: number, name: string): number[] {
  const parts = v.split(',').map((s) => s.trim());
  if (parts.length !== n || parts.some((p) => !/^-?\d+(\.\d+)?$/.test(p)))
    throw new BadRequest(`Requested ${name} must be ${n} comma-separated numbers. Requested ${name} was ${v}`);
  return parts.map(Number);
}
/** A point in the input SRS → National Grid metres, checked to be on the grid. */
export function gridPoint(a: number, b: number, srs: Srs, name = 'point'): { x: number; y: number } {
  if (srs !== 'EPSG:27700') {
    if (a < 49 || a > 61.5 || b < -9 || b > 3)
      throw new BadRequest(`Requested ${name} is outside the British National Grid: latitude must be 49 to 61.5 and longitude -9 to 3.`);
    return toGrid(a, b);
  }
  const p = { x: a, y: b };
  if (!inGrid(p)) throw new BadRequest(`Requested ${name} is outside the British National Grid: x must be 0 to 700000 and y 0 to 1300000.`);
  return p;
}

export function addressesApi(parent: FastifyInstance, service: AddressService, verifyKey: VerifyKey, publicUrl: string) {
  // Each route's query schema validates it, types its handler and documents it in /openapi.json.
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['addresses'];
  declareAuth(app, 'OS Places key');
  app.addHook('onRequest', async (req) => {
    const q = req.query as Record<string, unknown> | undefined; // on request: not yet validated
    const header = req.headers.key;
    const key = typeof q?.key === 'string' ? q.key : typeof header === 'string' ? header : '';
    if (!key)
      throw new Unauthorised('Missing API key. Send an addresses API key as the key parameter or the key header.', 'missing_api_key');
    if (!(await verifyKey(key, 'addresses')))
      throw new Unauthorised('Invalid API key. The key is unknown, revoked, or not a key for the addresses platform.', 'invalid_api_key');
  });

  function options(q: CommonQuery): QueryOptions {
    const format = String(q.format ?? 'JSON').toUpperCase();
    if (format !== 'JSON' && format !== 'XML') throw new BadRequest('Requested format must be JSON or XML.');
    const f: Filters = {
      datasets: parseDataset(q.dataset),
      langs: parseLr(q.lr),
      classPatterns: null,
      logicalStatus: null,
      lpiLogicalStatus: null,
      countries: null,
    };
    parseFq(q.fq, f);
    return { filters: f, offset: q.offset ?? 0, maxresults: q.maxresults ?? 100, outputSrs: srsParam(q.output_srs, 'output_srs') };
  }

  async function respond(
    req: FastifyRequest,
    reply: FastifyReply,
    q: CommonQuery,
    query: string,
    o: QueryOptions,
    page: Page,
    extra: Record<string, unknown> = {},
  ) {
    const url = new URL(req.url, publicUrl);
    url.searchParams.delete('key');
    const { epoch, lastUpdate } = await service.epoch();
    const header = {
      uri: url.toString(),
      query,
      offset: o.offset,
      totalresults: page.total,
      format: String(q.format ?? 'JSON').toUpperCase(),
      dataset: o.filters.datasets.join(','),
      lr: o.filters.langs.join(','),
      maxresults: o.maxresults,
      ...extra,
      epoch: String(epoch),
      ...(lastUpdate ? { lastupdate: lastUpdate } : {}),
      output_srs: o.outputSrs,
    };
    const body = { header, ...(page.results.length ? { results: page.results } : {}) };
    if (header.format === 'XML') return reply.type('application/xml; charset=utf-8').send(toXml(body));
    return body;
  }

  const schema = <P extends TProperties>(summary: string, props: P) => ({
    tags,
    summary,
    querystring: Type.Object({ ...props, ...Common }),
  });

  app.get(
    `${API_PREFIX}/postcode`,
    { schema: schema('Addresses at a full or partial postcode', { postcode: Type.String({ maxLength: 20 }) }) },
    async (req, reply) => {
      const q = req.query;
      const o = options(q);
      return respond(req, reply, q, `postcode=${q.postcode}`, o, await service.postcode(q.postcode, o));
    },
  );
  app.get(
    `${API_PREFIX}/find`,
    {
      schema: schema('Addresses matching free text, best first, with MATCH and MATCH_DESCRIPTION', {
        query: Type.String({ minLength: 1, maxLength: 300 }),
        minmatch: Type.Optional(Type.Number({ minimum: 0.1, maximum: 1 })),
        matchprecision: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, default: 1 })),
      }),
    },
    async (req, reply) => {
      const q = req.query;
      const o = options(q);
      if (!String(q.query).trim()) throw new BadRequest('Requested query must not be empty.');
      const page = await service.find(q.query, { ...o, minmatch: q.minmatch, matchprecision: q.matchprecision ?? 1 });
      return respond(req, reply, q, `query=${q.query}`, o, page, {
        matchprecision: q.matchprecision ?? 1,
        ...(q.minmatch !== undefined ? { minmatch: q.minmatch } : {}),
      });
    },
  );
  app.get(
    `${API_PREFIX}/uprn`,
    { schema: schema('The records of one UPRN', { uprn: Type.String({ maxLength: 20 }) }) },
    async (req, reply) => {
      const q = req.query;
      const o = options(q);
      return respond(req, reply, q, `uprn=${q.uprn}`, o, await service.uprn(String(q.uprn), o));
    },
  );
  app.get(
    `${API_PREFIX}/nearest`,
    {
      schema: schema('The address nearest a point (within 1,000 m, or radius)', {
        point: Type.String({ maxLength: 60 }),
        radius: Type.Optional(Type.Number({ minimum: 0.01, maximum: 1000 })),
        ...Geo,
      }),
    },
    async (req, reply) => {
      const q = req.query;
      const o = options(q);
      const srs = srsParam(q.srs, 'srs');
      const [a, b] = numbers(q.point, 2, 'point');
      const p = gridPoint(a, b, srs);
      return respond(req, reply, q, `point=${q.point}`, o, await service.nearest(p.x, p.y, q.radius ?? 1000, o));
    },
  );
  app.get(
    `${API_PREFIX}/bbox`,
    {
      schema: schema('Addresses in a bounding box of at most 1 km²', { bbox: Type.String({ maxLength: 120 }), ...Geo }),
    },
    async (req, reply) => {
      const q = req.query;
      const o = options(q);
      const srs = srsParam(q.srs, 'srs');
      const [a1, b1, a2, b2] = numbers(q.bbox, 4, 'bbox');
      const p1 = gridPoint(a1, b1, srs, 'bbox'),
        p2 = gridPoint(a2, b2, srs, 'bbox');
      const box: [number, number, number, number] = [
        Math.min(p1.x, p2.x),
        Math.min(p1.y, p2.y),
        Math.max(p1.x, p2.x),
        Math.max(p1.y, p2.y),
      ];
      if (box[2] - box[0] <= 0 || box[3] - box[1] <= 0)
        throw new BadRequest('Requested bbox must have a width and a height: give it as minx,miny,maxx,maxy.');
      if ((box[2] - box[0]) * (box[3] - box[1]) > 1_000_000 + 1)
        throw new BadRequest('Requested bbox is larger than 1 km². Ask for a smaller area.');
      return respond(req, reply, q, `bbox=${q.bbox}`, o, await service.bbox(box, o));
    },
  );
  app.get(
    `${API_PREFIX}/radius`,
    {
      schema: schema('Addresses within a radius of a point', {
        point: Type.String({ maxLength: 60 }),
        radius: Type.Optional(Type.Number({ minimum: 0.01, maximum: 1000 })),
        ...Geo,
      }),
    },
    async (req, reply) => {
      const q = req.query;
      const o = options(q);
      const srs = srsParam(q.srs, 'srs');
      const [a, b] = numbers(q.point, 2, 'point');
      const p = gridPoint(a, b, srs);
      const radius = q.radius ?? 100;
      return respond(req, reply, q, `point=${q.point}&radius=${radius}`, o, await service.radius(p.x, p.y, radius, o));
    },
  );
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
function xmlValue(name: string, v: unknown): string {
  if (Array.isArray(v)) return v.map((item) => xmlValue(name, item)).join('');
  if (v && typeof v === 'object')
    return `<${name}>${Object.entries(v)
      .map(([k, x]) => xmlValue(k, x))
      .join('')}</${name}>`;
  return `<${name}>${esc(String(v))}</${name}>`;
}
/** OS's XML form: <AddressAPI><header>…</header><results><DPA>…</DPA></results></AddressAPI>. */
export function toXml(body: { header: Record<string, unknown>; results?: Array<Record<string, unknown>> }): string {
  const results = body.results
    ? `<results>${body.results
        .map((r) =>
          Object.entries(r)
            .map(([k, v]) => xmlValue(k, v))
            .join(''),
        )
        .join('')}</results>`
    : '';
  return `<?xml version="1.0" encoding="UTF-8"?>\n<AddressAPI>${xmlValue('header', body.header)}${results}</AddressAPI>\n`;
}

// The exchange's HTTP surface: /r1/… at the root of the host (X-Road clients join /r1 to the
// server's address, so it cannot sit under a prefix) for data services and the metaservices,
// /listClients, the signed trust list, the log's tree heads and proofs, and X-Road shared
// parameters for X-Road tooling (/verificationconf, /internalconf).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Gateway } from './gateway.js';
import type { DirectoryCache } from './directory.js';
import type { AccessLog } from './log.js';
import { listClients, listMethods, allowedMethods, METASERVICES } from './metaservices.js';
import { parseClient, parseSubsystem } from './ids.js';
import { xroadBody, xroadType } from './errors.js';
import { sharedParams, zip, type TrustList } from './trust.js';
import { toErrorInfo } from '../../kernel/errors.js';
import { randomUUID } from 'node:crypto';

export interface ApiDeps {
  gateway: Gateway;
  directory: DirectoryCache;
  accessLog: AccessLog;
  trustList(): Promise<TrustList>;
  verifyKey(secret: string): Promise<{ serviceId: string | null } | null>;
  publicUrl: string;
}

const bearer = (req: FastifyRequest) => {
  const a = req.headers.authorization;
  return typeof a === 'string' && /^Bearer\s+/i.test(a) ? a.replace(/^Bearer\s+/i, '').trim() : undefined;
};

function xerror(reply: FastifyReply, status: number, type: string, message: string) {
  const detail = (reply.request.headers['x-road-id'] as string | undefined) ?? randomUUID();
  return reply
    .status(status)
    .header('x-road-error', type)
    .type('application/json; charset=utf-8')
    .send(xroadBody(type, message, detail));
}

function headersOf(req: FastifyRequest): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

export function exchangeApi(app: FastifyInstance, deps: ApiDeps) {
  const { directory, accessLog } = deps;

  // X-Road's paths, with their own error handler and raw bodies (any content type passes through).
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 10 * 1024 * 1024 }, (_req, body, done) => done(null, body));
    scope.setErrorHandler((err, req, reply) => {
      const e = toErrorInfo(err);
      if (e.status >= 500) req.log.error({ err }, 'exchange: request failed');
      return xerror(reply, e.status, xroadType(e), e.status >= 500 ? 'The exchange could not process the request' : e.message);
    });

    scope.get('/listClients', async (req, reply) => {
      const q = req.query as Record<string, unknown>;
      const json = String(req.headers.accept ?? '').includes('application/json');
      const r = listClients(await directory.get(), typeof q.xRoadInstance === 'string' ? q.xRoadInstance : undefined, json);
      return reply.type(r.type).send(r.body);
    });

    scope.route({
      method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'],
      url: '/r1/*',
      config: { csrf: false },
      async handler(req, reply) {
        const raw = req.raw.url ?? req.url;
        const q = raw.indexOf('?');
        const target = (q < 0 ? raw : raw.slice(0, q)).slice('/r1/'.length);
        const query = q < 0 ? '' : raw.slice(q);
        if (target.length > 2000) return xerror(reply, 414, 'Client.BadRequest', 'The request URI is longer than 2000 characters');
        const parts = target.split('/');
        if (parts.length === 5 && METASERVICES.has(parts[4])) return metaservice(req, reply, parts.slice(0, 4).join('/'), parts[4]);
        const res = await deps.gateway.handle({
          method: req.method,
          target,
          query,
          headers: headersOf(req),
          body: Buffer.isBuffer(req.body) ? req.body : undefined,
          auth: { apiKey: bearer(req) },
        });
        return reply.status(res.status).headers(res.headers).send(res.body);
      },
    });

    async function metaservice(req: FastifyRequest, reply: FastifyReply, provider: string, name: string) {
      const d = await directory.get();
      const id = parseSubsystem(provider);
      if (!id) return xerror(reply, 400, 'Client.BadRequest', 'The provider must be {instance}/{memberClass}/{memberCode}/{subsystemCode}');
      const sub = d.subsystems.get(`${id.instance}/${id.memberClass}/${id.memberCode}/${id.subsystem}`);
      if (!sub) return xerror(reply, 404, 'Server.ClientProxy.UnknownMember', `No subsystem ${provider} on this exchange`);
      const clientHeader = req.headers['x-road-client'] as string | undefined;
      const headers = {
        'x-road-id': (req.headers['x-road-id'] as string) ?? randomUUID(),
        'x-road-service': `${sub.key}/${name}`,
        ...(clientHeader ? { 'x-road-client': clientHeader } : {}),
      };
      if (name === 'listMethods') return reply.headers(headers).send(listMethods(sub));
      if (name === 'getOpenAPI') {
        const code = (req.query as Record<string, unknown>).serviceCode;
        if (typeof code !== 'string' || !code) return xerror(reply, 400, 'Client.BadRequest', 'getOpenAPI needs ?serviceCode=');
        const s = sub.services.find((x) => x.row.code === code);
        if (!s) return xerror(reply, 404, 'Server.ServerProxy.UnknownService', `No service ${code} in ${sub.key}`);
        return reply.headers(headers).type('application/json; charset=utf-8').send(JSON.stringify(s.row.openapi));
      }
      // allowedMethods: who is asking matters, so the client authenticates as for a data call.
      const client = parseClient(clientHeader);
      if (!client?.subsystem) return xerror(reply, 400, 'Client.MissingHeader', 'The X-Road-Client header is required');
      const clientKey = `${client.instance}/${client.memberClass}/${client.memberCode}/${client.subsystem}`;
      const secret = bearer(req);
      const key = secret ? await deps.verifyKey(secret) : null;
      if (!key?.serviceId)
        return xerror(reply, 401, 'Client.Unauthorized', 'allowedMethods needs an exchange API key: Authorization: Bearer <key>');
      if (d.subsystems.get(clientKey)?.row.service_id !== key.serviceId)
        return xerror(reply, 403, 'Server.ServerProxy.AccessDenied', `The key's service does not own the client subsystem ${clientKey}`);
      return reply.headers(headers).send(allowedMethods(d, sub, clientKey));
    }
  });

  app.get('/exchange/trust', async (_req, reply) => reply.header('cache-control', 'max-age=60').send(await deps.trustList()));

  app.get('/exchange/log/sth', async () => accessLog.sth());

  app.get('/exchange/log/proof/inclusion', async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const hashB64 = typeof q.leaf_hash === 'string' ? q.leaf_hash.replace(/ /g, '+') : '';
    const leaf = Buffer.from(hashB64, 'base64');
    const size = Number(q.tree_size);
    if (leaf.length !== 32)
      return reply.status(400).send({ error: 'bad_request', message: 'leaf_hash must be a base64 SHA-256 leaf hash' });
    const { index, size: current } = await accessLog.locate(leaf);
    if (!Number.isSafeInteger(size) || size < 1 || size > current)
      return reply.status(400).send({ error: 'bad_request', message: `tree_size must be a whole number from 1 to ${current}` });
    if (index === null || index >= size)
      return reply.status(404).send({ error: 'not_found', message: `No such leaf in the tree of size ${size}` });
    return { leaf_index: index, audit_path: (await accessLog.inclusion(index, size)).map((b) => b.toString('base64')) };
  });

  app.get('/exchange/log/proof/consistency', async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const first = Number(q.first);
    const second = Number(q.second);
    const current = await accessLog.size();
    if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 1 || first > second || second > current)
      return reply
        .status(400)
        .send({ error: 'bad_request', message: `first and second must be whole numbers with 1 ≤ first ≤ second ≤ ${current}` });
    return { consistency: (await accessLog.consistency(first, second)).map((b) => b.toString('base64')) };
  });

  // X-Road global configuration, enough for tooling that reads shared parameters.
  const host = new URL(deps.publicUrl).host;
  app.get('/verificationconf', async (_req, reply) => {
    const d = await directory.get();
    const body = zip([
      { name: 'verificationconf/instance-identifier', data: Buffer.from(d.node.instance) },
      { name: `verificationconf/${d.node.instance}/shared-params.xml`, data: Buffer.from(sharedParams(d, host)) },
    ]);
    return reply.type('application/zip').send(body);
  });
  app.get('/internalconf', async (_req, reply) => {
    const d = await directory.get();
    const boundary = 'cityscape-conf';
    const body = `--${boundary}\r\nContent-Type: application/octet-stream\r\nContent-location: /exchange/conf/${encodeURIComponent(d.node.instance)}/shared-params.xml\r\n\r\n--${boundary}--\r\n`;
    return reply.type(`multipart/mixed; boundary=${boundary}`).send(body);
  });
  app.get('/exchange/conf/:instance/shared-params.xml', async (_req, reply) =>
    reply.type('text/xml; charset=utf-8').send(sharedParams(await directory.get(), host)),
  );
}

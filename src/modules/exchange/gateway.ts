// The request path, as a Security Server runs it: parse and check the X-Road request,
// authenticate the client (an `exchange` API key of the catalogue service that owns the client
// subsystem, or — from another node — that node's signature), make the one policy decision,
// sign and forward to the agency's system (or to the node that serves the provider), keep only
// the attributes allowed, append the log entry and wait for it to commit, then answer with
// X-Road's headers, the log receipt and the node's response signature. HTTP (/r1/…) and the
// in-process exchange.fetch() both come through handle().
import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Db } from '../../kernel/db.js';
import type { DirectoryCache, Directory, Service } from './directory.js';
import type { Keyring } from './keys.js';
import type { AccessLog, LogEntry } from './log.js';
import { parseClient, parseService, serviceKey } from './ids.js';
import {
  bad,
  badClient,
  denied,
  internal,
  invalidSignature,
  missingHeader,
  unauthorised,
  unknownService,
  XRoadError,
  xroadBody,
} from './errors.js';
import { decide, BASIS, PURPOSE, type ConsentDecider } from './policy.js';
import { forward, type Forwarded } from './forward.js';
import {
  bodyHash,
  RESPONSE_SIGNATURE_HEADER,
  SIGNATURE_HEADER,
  signRequest,
  signResponse,
  verifyExchangeRequest,
  verifyJws,
  type NonceStore,
} from './jws.js';
import { store } from './store.js';

export interface GatewayRequest {
  method: string;
  target: string; // the raw path after /r1/ (percent-encoded parts, then the service's own path)
  query: string; // '' or '?…'
  headers: Record<string, string | undefined>; // lower-case names
  body?: Buffer;
  auth: { apiKey?: string } | { serviceId: string } | { subsystem: string };
}
export interface GatewayResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  error?: { type: string; message: string };
  log?: { index: number; leaf: string };
}

export interface GatewayDeps {
  db: Db;
  log: Logger;
  directory: DirectoryCache;
  keyring: Keyring;
  accessLog: AccessLog;
  verifyKey(secret: string): Promise<{ serviceId: string | null } | null>;
  /** Whether the person objected to this client's use of this service (cached; cleared when they object or withdraw). */
  objected(subject: string, client: string, serviceId: string): Promise<boolean>;
  consent?: ConsentDecider;
  resolveSubject?: (serviceId: string, sub: string) => Promise<string | null>;
  nodeKey(): Promise<{ kid: string }>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PRINTABLE = /^[\x20-\x7e]{1,200}$/;
const clip = (s: string | undefined | null, n = 200) => (s == null ? null : s.slice(0, n).replace(/[\u0000-\u001f\ud800-\udfff]/g, '?'));
const sha512 = (b: Buffer | string) => createHash('sha512').update(b).digest();
const FORWARDED_HEADERS = ['content-type', 'accept', 'accept-language'];

/** X-Road-Request-Hash: base64 SHA-512(SHA-512(headers) ‖ SHA-512(body)), headers being the request line and X-Road/Exchange headers. */
function requestHash(req: GatewayRequest): { xroad: string; sha256: string; canon: string } {
  const lines = Object.entries(req.headers)
    .filter(([k, v]) => v !== undefined && (k.startsWith('x-road-') || k.startsWith('exchange-')) && k !== SIGNATURE_HEADER)
    .map(([k, v]) => `${k}:${v}`)
    .sort();
  const canon = `${req.method} /r1/${req.target}${req.query}\n${lines.join('\n')}`;
  const xroad = (req.body?.length ? sha512(Buffer.concat([sha512(canon), sha512(req.body)])) : sha512(canon)).toString('base64');
  const sha256 = createHash('sha256')
    .update(canon)
    .update(req.body ?? Buffer.alloc(0))
    .digest('hex');
  return { xroad, sha256, canon };
}

export function createGateway(deps: GatewayDeps) {
  const { db } = deps;
  const peerNonces: NonceStore = { seen: (jti, exp) => store.useNonce(db, jti, exp) };

  async function handle(req: GatewayRequest): Promise<GatewayResponse> {
    const h = req.headers;
    const xRoadId = h['x-road-id'] && PRINTABLE.test(h['x-road-id']) ? h['x-road-id'] : randomUUID();
    const requestId = randomUUID();
    const hash = requestHash(req);
    const d = await deps.directory.get();
    const node = await deps.nodeKey();
    const entry: LogEntry = {
      v: 1,
      id: requestId,
      at: new Date().toISOString(),
      node: d.node.id,
      x_road_id: xRoadId,
      client: clip(h['x-road-client']) ?? '',
      service: clip(req.target.split('/').slice(0, 5).join('/'), 400) ?? '',
      method: clip(req.method, 10)!,
      user_id: clip(h['x-road-userid']),
      issue: clip(h['x-road-issue']),
      represented_party: clip(h['x-road-represented-party']),
      purpose: clip(h['exchange-purpose']),
      basis: clip(h['exchange-legal-basis']),
      subject: null,
      attributes: [],
      outcome: 'refused',
      status: 0,
      error: null,
      request_sha256: hash.sha256,
      response_sha256: null,
      visible_from: null,
    };
    const common = (service: string): Record<string, string> => ({
      'x-road-id': xRoadId,
      'x-road-request-id': requestId,
      'x-road-request-hash': hash.xroad,
      ...(entry.client ? { 'x-road-client': entry.client } : {}),
      ...(service ? { 'x-road-service': service } : {}),
    });
    let serviceForEvent: Service | null = null;
    let consumerServiceId: string | null = null;
    const t0 = Date.now();

    const finish = async (status: number, headers: Record<string, string>, body: Buffer, error?: { type: string; message: string }) => {
      entry.status = status;
      entry.response_sha256 = createHash('sha256').update(body).digest('hex');
      const appended = await deps.accessLog.append(entry, {
        type: 'exchange.request.completed',
        payload: {
          service_id: serviceForEvent?.row.id ?? null,
          consumer_service_id: consumerServiceId,
          outcome: entry.outcome,
          ms: Date.now() - t0,
        },
      });
      const leaf = appended.leafHash.toString('base64');
      const signature = signResponse(node.kid, await deps.keyring.privateKey(node.kid), {
        x_road_id: xRoadId,
        request_hash: hash.xroad,
        status,
        body_sha256: bodyHash(body),
        service: entry.service,
      });
      return {
        status,
        headers: {
          ...headers,
          'exchange-log-leaf': leaf,
          'exchange-log-index': String(appended.index),
          [RESPONSE_SIGNATURE_HEADER]: signature,
        },
        body,
        error,
        log: { index: appended.index, leaf },
      };
    };
    const refuse = (e: XRoadError, service = '') => {
      entry.outcome = e.status >= 500 && e.type.includes('ServiceFailed') ? 'failed' : 'refused';
      entry.error = e.type;
      const body = Buffer.from(JSON.stringify(xroadBody(e.type, e.message, xRoadId)));
      return finish(e.status, { ...common(service), 'content-type': 'application/json; charset=utf-8', 'x-road-error': e.type }, body, {
        type: e.type,
        message: e.message,
      });
    };

    try {
      const parts = req.target.split('/');
      const ref = parts.length >= 5 ? parseService(parts.slice(0, 5).join('/')) : null;
      if (!ref) throw bad('The service identifier must be /r1/{instance}/{memberClass}/{memberCode}/{subsystemCode}/{serviceCode}[/path]');
      const sKey = serviceKey(ref);
      entry.service = sKey;
      const subPath = parts.length > 5 ? '/' + parts.slice(5).join('/') : '';
      if (!h['x-road-client']) throw missingHeader('X-Road-Client');
      const client = parseClient(h['x-road-client']);
      if (!client?.subsystem)
        throw badClient(
          `X-Road-Client must be {instance}/{memberClass}/{memberCode}/{subsystemCode}, got "${clip(h['x-road-client'], 100)}"`,
        );
      const clientKey = `${client.instance}/${client.memberClass}/${client.memberCode}/${client.subsystem}`;
      entry.client = clientKey;
      const purpose = h['exchange-purpose'];
      const basis = h['exchange-legal-basis'];
      const subjectRaw = h['exchange-subject'];
      if (!purpose) throw missingHeader('Exchange-Purpose');
      if (!PURPOSE.test(purpose))
        throw bad(`Exchange-Purpose must be a DPV purpose such as dpv:ServiceProvision, got "${clip(purpose, 80)}"`);
      if (!basis) throw missingHeader('Exchange-Legal-Basis');
      if (!BASIS.test(basis)) throw bad('Exchange-Legal-Basis must be consent:{recordId}, statute:{id} or public-task:{id}');
      if (!subjectRaw) throw missingHeader('Exchange-Subject');
      const requested = h['exchange-attributes']
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean);

      // Who is asking.
      const local = d.subsystems.get(clientKey);
      const remoteClient = d.remote.get(`${client.instance}/${client.memberClass}/${client.memberCode}`);
      const auth = req.auth;
      const fromPeer = 'apiKey' in auth && !auth.apiKey && !local && !!remoteClient && !!h[SIGNATURE_HEADER];
      if (!fromPeer && ('apiKey' in auth || 'serviceId' in auth)) {
        let serviceId: string | null;
        if ('serviceId' in auth) serviceId = auth.serviceId;
        else {
          if (!auth.apiKey)
            throw unauthorised(
              'Send an exchange API key of the catalogue service that owns the client subsystem: Authorization: Bearer <key>',
            );
          const key = await deps.verifyKey(auth.apiKey);
          if (!key?.serviceId) throw unauthorised('The API key is not a live exchange key of a service');
          serviceId = key.serviceId;
        }
        if (!local) throw badClient(`${clientKey} is not a client subsystem registered on this exchange`);
        if (local.row.service_id !== serviceId) throw denied(`The key's service does not own the client subsystem ${clientKey}`);
        consumerServiceId = serviceId;
      } else if ('subsystem' in auth) {
        if (!local || auth.subsystem !== clientKey) throw denied(`Not allowed to act for ${clientKey}`);
      }
      let peerSigned = false;

      // Whose data.
      let subject = subjectRaw;
      if (subjectRaw.startsWith('pairwise:')) {
        const sub = subjectRaw.slice(9);
        const resolved = consumerServiceId && deps.resolveSubject ? await deps.resolveSubject(consumerServiceId, sub) : null;
        if (!resolved) throw bad('Exchange-Subject: the pairwise subject is not known to identity for this service');
        subject = resolved;
      } else if (!UUID.test(subjectRaw) && !(remoteClient && PRINTABLE.test(subjectRaw))) {
        throw bad("Exchange-Subject must be the person's account id, or pairwise:{sub} as identity gave it to your service");
      }
      entry.subject = subject;

      const service = d.services.get(sKey);
      if (!service) {
        const remote = d.remote.get(`${ref.instance}/${ref.memberClass}/${ref.memberCode}`);
        if (remote && local) return await viaPeer(req, d, remote.peer, { clientKey, sKey, subPath, entry, common, finish, refuse, local });
        throw unknownService(`No service ${sKey} is registered on this exchange or its peers`);
      }
      serviceForEvent = service;
      if (!local) {
        // A request from another node: its client member's signature authenticates it.
        if (!remoteClient) throw badClient(`${clientKey} is not a client of this exchange or of any peer`);
        const keys = new Map(remoteClient.member.keys.map((k) => [String(k.kid), k]));
        const v = await verifyExchangeRequest(
          { method: req.method, path: `/r1/${req.target}${req.query}`, body: req.body, signature: h[SIGNATURE_HEADER] },
          { keyFor: (kid) => (keys.has(kid) ? deps.keyring.publicKey(keys.get(kid)!) : null), nonces: peerNonces },
        );
        if (!v.ok) throw invalidSignature(v.reason);
        const c = v.claims;
        if (c.client !== clientKey || c.service !== sKey || c.purpose !== purpose || c.basis !== basis || c.subject !== subjectRaw)
          throw invalidSignature('The signed request does not match its headers');
        peerSigned = true;
      }

      const decision = await decide(
        d,
        { consent: deps.consent, objected: deps.objected },
        {
          client: clientKey,
          consumerServiceId: peerSigned ? null : consumerServiceId,
          service,
          purpose,
          basis,
          subject,
          requested,
        },
      );
      if (!decision.allow) throw denied(decision.message);
      entry.visible_from = decision.visibleFrom;

      const url = new URL(service.row.url.replace(/\/+$/, '') + subPath + req.query);
      const signerKid = local?.member.keys[0]?.kid ?? node.kid;
      const headers: Record<string, string> = {
        accept: 'application/json',
        'x-road-id': xRoadId,
        'x-road-client': clientKey,
        'x-road-service': sKey,
        'exchange-purpose': purpose,
        'exchange-legal-basis': basis,
        'exchange-subject': subject,
        'exchange-attributes': decision.attributes.join(','),
      };
      for (const name of FORWARDED_HEADERS) if (h[name]) headers[name] = h[name]!;
      for (const name of ['x-road-userid', 'x-road-issue', 'x-road-represented-party']) if (h[name]) headers[name] = h[name]!;
      headers[SIGNATURE_HEADER] = signRequest(signerKid, await deps.keyring.privateKey(signerKid), {
        method: req.method,
        path: url.pathname + url.search,
        body_sha256: bodyHash(req.body),
        client: clientKey,
        service: sKey,
        purpose,
        basis,
        subject,
        attributes: decision.attributes,
        x_road_id: xRoadId,
        user_id: h['x-road-userid'] ?? null,
        issue: h['x-road-issue'] ?? null,
      });
      const res = await forward(url, {
        method: req.method,
        headers,
        body: req.body,
        timeoutMs: service.row.timeout_ms,
        maxBytes: service.row.max_bytes,
      });
      return await released(res, decision.attributes, entry, common(sKey), finish);
    } catch (err) {
      if (err instanceof XRoadError) return refuse(err, entry.service);
      deps.log.error({ err, xRoadId }, 'exchange: request failed');
      return refuse(internal(), entry.service);
    }
  }

  /** The provider answered: its own errors pass through; a success passes only the allowed attributes. */
  async function released(
    res: Forwarded,
    allowed: string[],
    entry: LogEntry,
    common: Record<string, string>,
    finish: (s: number, h: Record<string, string>, b: Buffer) => Promise<GatewayResponse>,
  ) {
    if (res.status < 200 || res.status >= 300) {
      entry.outcome = 'provider_error';
      return finish(res.status, { ...res.headers, ...common }, res.body);
    }
    let data: unknown;
    try {
      data = JSON.parse(res.body.toString('utf8'));
    } catch {
      data = undefined;
    }
    if (!data || typeof data !== 'object' || Array.isArray(data)) {
      entry.outcome = 'failed';
      entry.error = 'Server.ServerProxy.ServiceFailed';
      const msg = "The provider's answer is not a JSON object, so the exchange cannot release only the allowed attributes";
      return finish(
        502,
        { ...common, 'content-type': 'application/json; charset=utf-8', 'x-road-error': entry.error },
        Buffer.from(JSON.stringify(xroadBody(entry.error, msg, entry.x_road_id))),
      );
    }
    const kept: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(data as Record<string, unknown>)) if (k === 'matched' || allowed.includes(k)) kept[k] = v;
    entry.outcome = 'released';
    entry.attributes = Object.keys(kept).filter((k) => k !== 'matched');
    return finish(res.status, { ...common, 'content-type': 'application/json; charset=utf-8' }, Buffer.from(JSON.stringify(kept)));
  }

  /** A provider on another node: sign as the client member, forward, check the other node's signature, log here too. */
  async function viaPeer(
    req: GatewayRequest,
    _d: Directory,
    peer: { url: string; node_keys: Array<Record<string, unknown>> },
    ctx: {
      clientKey: string;
      sKey: string;
      subPath: string;
      entry: LogEntry;
      common: (s: string) => Record<string, string>;
      finish: (s: number, h: Record<string, string>, b: Buffer, e?: { type: string; message: string }) => Promise<GatewayResponse>;
      refuse: (e: XRoadError, s?: string) => Promise<GatewayResponse>;
      local: { member: { keys: Array<{ kid: string }> } };
    },
  ): Promise<GatewayResponse> {
    const h = req.headers;
    const path = `/r1/${req.target}${req.query}`;
    const kid = ctx.local.member.keys[0]?.kid;
    if (!kid) throw internal();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(h))
      if (v !== undefined && (k.startsWith('x-road-') || k.startsWith('exchange-') || FORWARDED_HEADERS.includes(k))) headers[k] = v;
    headers['x-road-id'] = ctx.entry.x_road_id;
    headers[SIGNATURE_HEADER] = signRequest(kid, await deps.keyring.privateKey(kid), {
      method: req.method,
      path,
      body_sha256: bodyHash(req.body),
      client: ctx.clientKey,
      service: ctx.sKey,
      purpose: h['exchange-purpose'] ?? null,
      basis: h['exchange-legal-basis'] ?? null,
      subject: h['exchange-subject'] ?? null,
      attributes: [],
      x_road_id: ctx.entry.x_road_id,
      user_id: h['x-road-userid'] ?? null,
      issue: h['x-road-issue'] ?? null,
    });
    const res = await forward(new URL(path, peer.url), {
      method: req.method,
      headers,
      body: req.body,
      timeoutMs: 10_000,
      maxBytes: 10 * 1024 * 1024,
    });
    const keys = new Map(peer.node_keys.map((k) => [String(k.kid), k]));
    const sig = verifyJws(res.headers[RESPONSE_SIGNATURE_HEADER], (k) => (keys.has(k) ? deps.keyring.publicKey(keys.get(k)!) : null));
    if (!sig || sig.payload.body_sha256 !== bodyHash(res.body) || sig.payload.x_road_id !== ctx.entry.x_road_id)
      return ctx.refuse(invalidSignature("The other node's response signature does not verify"), ctx.sKey);
    const xErr = res.headers['x-road-error'];
    ctx.entry.outcome = xErr ? 'refused' : res.status >= 200 && res.status < 300 ? 'released' : 'provider_error';
    ctx.entry.error = xErr ?? null;
    if (ctx.entry.outcome === 'released') {
      try {
        ctx.entry.attributes = Object.keys(JSON.parse(res.body.toString('utf8'))).filter((k) => k !== 'matched');
      } catch {
        /* not JSON: nothing named */
      }
    }
    const passed: Record<string, string> = { ...res.headers };
    for (const k of ['exchange-log-leaf', 'exchange-log-index']) {
      if (passed[k]) passed[`exchange-peer-log-${k.slice(13)}`] = passed[k];
      delete passed[k];
    }
    passed['exchange-peer-response-signature'] = passed[RESPONSE_SIGNATURE_HEADER];
    delete passed[RESPONSE_SIGNATURE_HEADER];
    return ctx.finish(res.status, { ...passed, ...ctx.common(ctx.sKey) }, res.body);
  }

  return { handle };
}
export type Gateway = ReturnType<typeof createGateway>;

// Calling an agency's system (or another node): one HTTP request with a keep-alive agent, a
// deadline for the whole exchange (connect, headers and body), a cap on the response size,
// and every failure turned into a clear X-Road error — never a hang.
import http from 'node:http';
import https from 'node:https';
import { serviceFailed } from './errors.js';

const agents = { http: new http.Agent({ keepAlive: true, maxSockets: 256 }), https: new https.Agent({ keepAlive: true, maxSockets: 256 }) };

export interface Forwarded {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

const HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'server',
  'content-length',
]);

export function forward(
  url: URL,
  opts: { method: string; headers: Record<string, string>; body?: Buffer; timeoutMs: number; maxBytes: number },
): Promise<Forwarded> {
  return new Promise((resolve, reject) => {
    const lib = url.protocol === 'https:' ? https : http;
    let settled = false;
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(e);
    };
    const req = lib.request(
      url,
      {
        method: opts.method,
        agent: url.protocol === 'https:' ? agents.https : agents.http,
        headers: { ...opts.headers, ...(opts.body?.length ? { 'content-length': String(opts.body.length) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > opts.maxBytes) fail(serviceFailed(`The provider's response was larger than ${opts.maxBytes} bytes`));
          else chunks.push(c);
        });
        res.on('error', (e) => fail(serviceFailed(`The provider's response broke off: ${e.message}`)));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers))
            if (v !== undefined && !HOP.has(k)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
          resolve({ status: res.statusCode ?? 502, headers, body: Buffer.concat(chunks) });
        });
      },
    );
    const timer = setTimeout(() => fail(serviceFailed(`The provider did not answer within ${opts.timeoutMs} ms`, 504)), opts.timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) =>
      fail(
        serviceFailed(
          e.code === 'ECONNREFUSED' ? `The provider refused the connection (${url.host})` : `Could not reach the provider: ${e.message}`,
        ),
      ),
    );
    req.end(opts.body);
  });
}

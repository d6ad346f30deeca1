// Security headers for every response: helmet's set, written once per response by one hook,
// and the content security policy. A page that needs an inline script reads reply.cspNonce,
// which makes the nonce (and the policy carrying it) only for that response.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { randomBytes } from 'node:crypto';

export function installSecurityHeaders(app: FastifyInstance, opts: { https: boolean }): void {
  const { https } = opts;
  const securityHeaders: Record<string, string> = {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'origin-agent-cluster': '?1',
    'x-dns-prefetch-control': 'off',
    'x-download-options': 'noopen',
    'x-permitted-cross-domain-policies': 'none',
    'x-xss-protection': '0',
    ...(https ? { 'strict-transport-security': 'max-age=31536000; includeSubDomains' } : {}),
  };
  const csp = (nonce?: string) =>
    [
      "default-src 'self'",
      `script-src 'self'${nonce ? ` 'nonce-${nonce}'` : ''}`,
      "style-src 'self'",
      "img-src 'self' data:",
      "font-src 'self' data:",
      "form-action 'self'",
      "frame-ancestors 'none'",
      "connect-src 'self'",
      "base-uri 'self'",
      "object-src 'none'",
      ...(https ? ['upgrade-insecure-requests'] : []),
    ].join('; ');
  const plainCsp = csp();
  app.decorateReply('cspNonce', {
    getter(this: FastifyReply & { _nonce?: string }) {
      if (!this._nonce) {
        this._nonce = randomBytes(16).toString('base64');
        this.header('content-security-policy', csp(this._nonce));
      }
      return { script: this._nonce, style: this._nonce };
    },
  });
  app.addHook('onSend', async (req, reply) => {
    reply.headers(securityHeaders);
    reply.header('x-request-id', req.id);
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', plainCsp);
  });
}

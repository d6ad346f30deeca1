// Security headers for every response: helmet's set, written once per response by one hook,
// and the content security policy. A page that needs an inline script reads reply.cspNonce,
// which makes the nonce (and the policy carrying it) only for that response.
//
// form-action stays 'self' except where a page's form is meant to lead off the site: Chromium
// holds every redirect that follows a form post to the posting page's form-action, so a page
// whose form ends (after redirects) at a payment's return_url or a relying service's
// redirect_uri must name that origin — and only that one — with reply.allowFormAction(url).
import type { FastifyInstance, FastifyReply } from 'fastify';
import { randomBytes } from 'node:crypto';

declare module 'fastify' {
  interface FastifyReply {
    /** This response's nonce for inline scripts (and styles); reading it puts the nonce in the policy. */
    readonly cspNonce: { script: string; style: string };
    /** Lets a form on this page lead, through redirects, to `url`'s origin (CSP form-action). Ignores anything not http(s). */
    allowFormAction(url: string | null | undefined): void;
  }
}

/** The http(s) origin of a URL, or null (a relative URL, another scheme, not a URL). */
export function formOrigin(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.origin : null;
  } catch {
    return null;
  }
}

/** The one policy every page gets; `formAction`: origins besides 'self' a form may lead to. */
export function contentSecurityPolicy(opts: { nonce?: string; formAction?: Iterable<string>; https?: boolean } = {}): string {
  const extra = [...(opts.formAction ?? [])].map((o) => ` ${o}`).join('');
  return [
    "default-src 'self'",
    `script-src 'self'${opts.nonce ? ` 'nonce-${opts.nonce}'` : ''}`,
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `form-action 'self'${extra}`,
    "frame-ancestors 'none'",
    "connect-src 'self'",
    "base-uri 'self'",
    "object-src 'none'",
    ...(opts.https ? ['upgrade-insecure-requests'] : []),
  ].join('; ');
}

interface CspState {
  _nonce?: string;
  _formOrigins?: Set<string>;
  /** The policy header is ours (not a route's own), so it may be written again. */
  _cspOurs?: boolean;
}

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
  const plainCsp = contentSecurityPolicy({ https });
  const writeCsp = (reply: FastifyReply & CspState) => {
    reply._cspOurs = true;
    reply.header('content-security-policy', contentSecurityPolicy({ nonce: reply._nonce, formAction: reply._formOrigins, https }));
  };
  app.decorateReply('cspNonce', {
    getter(this: FastifyReply & CspState) {
      if (!this._nonce) {
        this._nonce = randomBytes(16).toString('base64');
        writeCsp(this);
      }
      return { script: this._nonce, style: this._nonce };
    },
  });
  app.decorateReply('allowFormAction', function (this: FastifyReply & CspState, url: string | null | undefined) {
    const origin = formOrigin(url);
    if (!origin) return;
    (this._formOrigins ??= new Set()).add(origin);
    if (this._cspOurs || !this.hasHeader('content-security-policy')) writeCsp(this);
  });
  // A callback hook: it runs on every response, and an async one costs a promise and a microtask each time.
  app.addHook('onSend', (req, reply, _payload, done) => {
    reply.headers(securityHeaders);
    reply.header('x-request-id', req.id);
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', plainCsp);
    done();
  });
}

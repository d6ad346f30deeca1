// Signatures between nodes and agencies: compact JWS with Ed25519 (alg EdDSA) over the request
// (method, path, body hash, client, service, purpose, basis, subject, time, nonce) and over the
// response. `verifyExchangeRequest` is the published helper an agency's system uses to check
// what the exchange sends it; it needs only the trust list's public keys and a nonce store.
import { createHash, createPrivateKey, createPublicKey, randomUUID, sign, verify, type KeyObject } from 'node:crypto';

export const SIGNATURE_HEADER = 'exchange-signature';
export const RESPONSE_SIGNATURE_HEADER = 'exchange-response-signature';
/** Seconds either side of now that a signed request's time may be. */
export const WINDOW_SECONDS = 60;

const b64u = (b: Buffer | string) => Buffer.from(b).toString('base64url');
export const bodyHash = (body: Buffer | string | undefined) =>
  createHash('sha256')
    .update(body ?? '')
    .digest('base64url');

export function signJws(header: Record<string, unknown>, payload: unknown, key: KeyObject): string {
  const input = `${b64u(JSON.stringify({ alg: 'EdDSA', ...header }))}.${b64u(JSON.stringify(payload))}`;
  return `${input}.${b64u(sign(null, Buffer.from(input), key))}`;
}

export function decodeJws(token: unknown): { header: Record<string, any>; payload: any; input: string; signature: Buffer } | null {
  if (typeof token !== 'string' || token.length > 16_384) return null;
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => /^[A-Za-z0-9_-]*$/.test(p))) return null;
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    if (!header || typeof header !== 'object' || !payload || typeof payload !== 'object') return null;
    return { header, payload, input: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2], 'base64url') };
  } catch {
    return null;
  }
}

/** Verifies a compact JWS with the key its `kid` names; the payload, or null. */
export function verifyJws(token: unknown, keyFor: (kid: string) => KeyObject | null | undefined): { kid: string; payload: any } | null {
  const d = decodeJws(token);
  if (!d || d.header.alg !== 'EdDSA' || typeof d.header.kid !== 'string') return null;
  const key = keyFor(d.header.kid);
  if (!key) return null;
  try {
    return verify(null, Buffer.from(d.input), key, d.signature) ? { kid: d.header.kid, payload: d.payload } : null;
  } catch {
    return null;
  }
}

/** A public key from the trust list's JWK (OKP / Ed25519). */
export function publicKeyFromJwk(jwk: Record<string, unknown>): KeyObject | null {
  try {
    if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') return null;
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
  } catch {
    return null;
  }
}
export const privateKeyFromPem = (pem: string) => createPrivateKey(pem);

/** What a signed request asserts. */
export interface RequestClaims {
  method: string;
  path: string; // path and query as the receiver sees them
  body_sha256: string;
  client: string;
  service: string;
  purpose: string | null;
  basis: string | null;
  subject: string | null;
  attributes: string[];
  x_road_id: string;
  user_id: string | null;
  issue: string | null;
  iat: number;
  jti: string;
}

export function signRequest(kid: string, key: KeyObject, c: Omit<RequestClaims, 'iat' | 'jti'> & { iat?: number }): string {
  return signJws({ kid, typ: 'exchange-request+jws' }, { ...c, iat: c.iat ?? Math.floor(Date.now() / 1000), jti: randomUUID() }, key);
}

export interface ResponseClaims {
  x_road_id: string;
  request_hash: string;
  status: number;
  body_sha256: string;
  service: string;
  iat: number;
}
export const signResponse = (kid: string, key: KeyObject, c: Omit<ResponseClaims, 'iat'>) =>
  signJws({ kid, typ: 'exchange-response+jws' }, { ...c, iat: Math.floor(Date.now() / 1000) }, key);

/** Remembers nonces for the window; `seen` is true when a nonce was used before. */
export interface NonceStore {
  seen(jti: string, expiresAt: number): boolean | Promise<boolean>;
}
export function memoryNonces(max = 200_000): NonceStore {
  const m = new Map<string, number>();
  return {
    seen(jti, expiresAt) {
      const now = Date.now();
      if (m.size >= max) for (const [k, exp] of m) if (exp < now || m.size >= max) m.delete(k);
      if ((m.get(jti) ?? 0) >= now) return true;
      m.set(jti, expiresAt);
      return false;
    },
  };
}

export type VerifyResult = { ok: true; claims: RequestClaims; kid: string } | { ok: false; reason: string };

/**
 * The published verification helper for an agency's system: checks the signature with a key
 * from the trust list, the method, path and body hash against what arrived, the time window
 * and that the nonce is new.
 */
export async function verifyExchangeRequest(
  req: { method: string; path: string; body?: Buffer | string; signature: string | undefined },
  opts: { keyFor: (kid: string) => KeyObject | null | undefined; nonces: NonceStore; now?: number; windowSeconds?: number },
): Promise<VerifyResult> {
  if (!req.signature) return { ok: false, reason: 'The request is not signed (no Exchange-Signature header)' };
  const v = verifyJws(req.signature, opts.keyFor);
  if (!v) return { ok: false, reason: 'The signature does not verify with any key in the trust list' };
  const c = v.payload as RequestClaims;
  const now = Math.floor((opts.now ?? Date.now()) / 1000);
  const window = opts.windowSeconds ?? WINDOW_SECONDS;
  if (c.method !== req.method.toUpperCase()) return { ok: false, reason: 'The signed method is not the method used' };
  if (c.path !== req.path) return { ok: false, reason: 'The signed path is not the path requested' };
  if (c.body_sha256 !== bodyHash(req.body)) return { ok: false, reason: 'The body is not the body that was signed' };
  if (typeof c.iat !== 'number' || Math.abs(now - c.iat) > window)
    return { ok: false, reason: 'The signed time is outside the allowed window' };
  if (typeof c.jti !== 'string' || !c.jti) return { ok: false, reason: 'The signed request has no nonce' };
  if (await opts.nonces.seen(c.jti, (c.iat + window) * 1000)) return { ok: false, reason: 'The request was replayed (nonce seen before)' };
  return { ok: true, claims: c, kid: v.kid };
}

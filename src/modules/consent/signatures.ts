// Signatures a client sends (the spec's draft → sign → paired flow, or PUT …/signature/). When
// `verificationMethod` is a public key (a JWK as JSON) the signature must verify over
// `payload` — as a JWS (compact, attached or detached payload) or a bare base64url signature —
// or the request is refused. Any other method (a scanned form, a name typed) is stored as
// given and marked unverified: the spec allows non-cryptographic signatures. The platform's
// own signatures name its JWKS (`…/consent/.well-known/jwks.json#kid`) and are checked with it.
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { canonical, sha256 } from './revisions.js';
import type { RevisionRow } from './revisions.js';
import type { Signer } from './keys.js';
import { badRequest } from './errors.js';

const ALGS: Record<string, { hash: string | null; dsa?: 'ieee-p1363' }> = {
  EdDSA: { hash: null },
  ES256: { hash: 'sha256', dsa: 'ieee-p1363' },
  ES384: { hash: 'sha384', dsa: 'ieee-p1363' },
  RS256: { hash: 'sha256' },
  RS384: { hash: 'sha384' },
  RS512: { hash: 'sha512' },
};

function keyFrom(method: string): KeyObject | null {
  const text = method.trim();
  if (!text.startsWith('{')) return null;
  try {
    const jwk = JSON.parse(text) as { kty?: string; d?: unknown };
    if (!jwk.kty) return null;
    if (jwk.d !== undefined)
      throw badRequest('verificationMethod must be a public key: never send a private key', 'signature.verificationMethod');
    return createPublicKey({ key: jwk as any, format: 'jwk' });
  } catch (err) {
    if ((err as { status?: number }).status) throw err;
    throw badRequest('verificationMethod is not a usable public key (JWK)', 'signature.verificationMethod');
  }
}

function check(key: KeyObject, alg: string | undefined, data: Buffer, sig: Buffer): boolean {
  const candidates = alg
    ? [alg]
    : key.asymmetricKeyType === 'ed25519'
      ? ['EdDSA']
      : key.asymmetricKeyType === 'ec'
        ? ['ES256', 'ES384']
        : ['RS256'];
  for (const a of candidates) {
    const spec = ALGS[a];
    if (!spec) continue;
    try {
      if (verify(spec.hash, data, spec.dsa ? { key, dsaEncoding: spec.dsa } : key, sig)) return true;
    } catch {
      /* not this algorithm */
    }
  }
  return false;
}

/** Whether a client's signature over `payload` verifies; throws 400 when a key is given and it does not. */
export function verifyClientSignature(input: { signature: string; verificationMethod: string; payload: string }): boolean {
  const key = keyFrom(input.verificationMethod);
  if (!key) return false;
  const parts = input.signature.split('.');
  let ok = false;
  if (parts.length === 3) {
    let alg: string | undefined;
    try {
      alg = (JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as { alg?: string }).alg;
    } catch {
      alg = undefined;
    }
    const body = parts[1] || Buffer.from(input.payload).toString('base64url');
    const attached = parts[1] ? Buffer.from(parts[1], 'base64url').toString('utf8') : input.payload;
    ok = attached === input.payload && check(key, alg, Buffer.from(`${parts[0]}.${body}`), Buffer.from(parts[2], 'base64url'));
  } else if (/^[A-Za-z0-9_-]+={0,2}$/.test(input.signature)) {
    ok = check(key, undefined, Buffer.from(input.payload), Buffer.from(input.signature, 'base64url'));
  }
  if (!ok) throw badRequest('The signature does not verify with the public key in verificationMethod', 'signature.signature');
  return true;
}

/** A Signature ready for the individual to sign: over a record revision, or a draft record not yet stored. */
export function signingRequest(payloadOf: { snapshot: string; revision?: RevisionRow | null }) {
  const timestamp = new Date().toISOString();
  const fields = {
    verificationPayload: payloadOf.snapshot,
    verificationPayloadHash: sha256(payloadOf.snapshot),
    verificationMethod: '',
    verificationArtifact: '',
    verificationSignedBy: '',
    verificationJwsHeader: '',
    timestamp,
    signedWithoutObjectReference: !payloadOf.revision,
    objectType: 'revision',
    objectReference: payloadOf.revision?.id ?? '',
  };
  return { ...fields, payload: canonical(fields), signature: '' };
}

/** Checks one of the platform's own signatures (a JWS naming a published key). */
export function verifyPlatformSignature(signer: Signer, jws: string, payload: string): boolean {
  const r = signer.verify(jws);
  return !!r && r.payload === payload;
}

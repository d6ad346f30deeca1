// The platform's signing key for consent: one Ed25519 key, made on first start and kept sealed
// (AES-256-GCM with ENCRYPTION_KEY) in consent.signing_keys. It signs every revision (a JWS
// over the chain link) and the receipts; its public half is published as a JWKS at
// /consent/.well-known/jwks.json so anyone can check a signature with any JOSE library.
// Signing is synchronous (node:crypto), so it costs microseconds on the hot path.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, createHash, type KeyObject } from 'node:crypto';
import type { Db } from '../../kernel/db.js';
import { seal, unseal } from '../../kernel/crypto.js';

const LOCK = 7_311_020_513;
const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export interface PublicJwk {
  kty: string;
  crv: string;
  x: string;
  kid: string;
  alg: string;
  use: string;
}

export interface Signer {
  kid: string;
  /** Compact JWS (EdDSA) of `payload`, with `typ` in the protected header. */
  sign(payload: string, typ: string): string;
  /** The payload of a JWS signed by any published key, or null if it does not verify. */
  verify(jws: string): { payload: string; kid: string; typ: string } | null;
  jwks(): { keys: PublicJwk[] };
}

/** Creates the key on first start (safe when several processes start together) and loads every published key. */
export async function loadSigner(db: Db, secret: string): Promise<Signer> {
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK]);
    const { rows } = await tx.query('SELECT 1 FROM consent.signing_keys WHERE retired_at IS NULL');
    if (rows.length) return;
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const jwk = publicKey.export({ format: 'jwk' }) as { kty: string; crv: string; x: string };
    const kid = createHash('sha256').update(`{"crv":"${jwk.crv}","kty":"${jwk.kty}","x":"${jwk.x}"}`).digest('base64url');
    await tx.query('INSERT INTO consent.signing_keys (kid, public_jwk, private_sealed) VALUES ($1, $2, $3)', [
      kid,
      JSON.stringify({ ...jwk, kid, alg: 'EdDSA', use: 'sig' }),
      seal(secret, privateKey.export({ format: 'pem', type: 'pkcs8' }) as string),
    ]);
  });
  const { rows } = await db.query<{ kid: string; public_jwk: PublicJwk; private_sealed: string; retired_at: Date | null }>(
    'SELECT kid, public_jwk, private_sealed, retired_at FROM consent.signing_keys ORDER BY created_at DESC, kid',
  );
  const current = rows.find((r) => !r.retired_at)!;
  const privateKey: KeyObject = createPrivateKey(unseal(secret, current.private_sealed));
  const publics = new Map(rows.map((r) => [r.kid, createPublicKey({ key: r.public_jwk as any, format: 'jwk' })]));
  const jwks = { keys: rows.map((r) => r.public_jwk) };
  return {
    kid: current.kid,
    sign(payload, typ) {
      const input = `${b64url(JSON.stringify({ alg: 'EdDSA', kid: current.kid, typ }))}.${b64url(payload)}`;
      return `${input}.${b64url(sign(null, Buffer.from(input), privateKey))}`;
    },
    verify(jws) {
      const parts = jws.split('.');
      if (parts.length !== 3) return null;
      try {
        const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as { alg?: string; kid?: string; typ?: string };
        const key = header.kid ? publics.get(header.kid) : undefined;
        if (header.alg !== 'EdDSA' || !key) return null;
        if (!verify(null, Buffer.from(`${parts[0]}.${parts[1]}`), key, Buffer.from(parts[2], 'base64url'))) return null;
        return { payload: Buffer.from(parts[1], 'base64url').toString('utf8'), kid: header.kid!, typ: header.typ ?? '' };
      } catch {
        return null;
      }
    },
    jwks: () => jwks,
  };
}

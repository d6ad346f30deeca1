// Signing keys: generated on first start, kept sealed (AES-256-GCM with ENCRYPTION_KEY) in
// identity.keys, rotated by rotateKeys(). The newest key of each kind and algorithm signs;
// the one before it stays published so tokens it signed still verify; older ones retire.
// 'oidc' keys sign ID tokens (ES256, the One Login default, and RS256); the 'core_identity'
// key signs the coreIdentityJWT and is published in a DID document, as One Login does.
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { Db, Queryable } from '../../kernel/db.js';
import { seal, unseal } from '../../kernel/crypto.js';

export const KEYS_CHANNEL = 'identity_keys';
const LOCK = 7_311_020_404;
const WANTED: Array<{ purpose: 'oidc' | 'core_identity'; alg: 'ES256' | 'RS256' }> = [
  { purpose: 'oidc', alg: 'ES256' },
  { purpose: 'oidc', alg: 'RS256' },
  { purpose: 'core_identity', alg: 'ES256' },
];

interface KeyRow {
  kid: string;
  purpose: string;
  alg: string;
  private_jwk: string;
  public_jwk: JWK;
  created_at: Date;
}

export interface LoadedKeys {
  /** Private JWKs for oidc-provider, newest first within each algorithm. */
  oidc: JWK[];
  coreIdentity: { kid: string; privateKey: CryptoKey | Uint8Array; publicJwks: JWK[] };
}

async function newKey(tx: Queryable, secret: string, purpose: string, alg: 'ES256' | 'RS256'): Promise<string> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
  const pub = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(pub);
  const priv = { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
  await tx.query('INSERT INTO identity.keys (kid, purpose, alg, private_jwk, public_jwk) VALUES ($1, $2, $3, $4, $5)', [
    kid,
    purpose,
    alg,
    seal(secret, JSON.stringify(priv)),
    JSON.stringify({ ...pub, kid, alg, use: 'sig' }),
  ]);
  return kid;
}

/** Creates whatever keys are missing (first start). Safe when several processes start together. */
export async function ensureKeys(db: Db, secret: string): Promise<void> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM identity.keys WHERE retired_at IS NULL');
  if (rows[0].n >= WANTED.length) return;
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK]);
    for (const w of WANTED) {
      const have = await tx.query('SELECT 1 FROM identity.keys WHERE purpose = $1 AND alg = $2 AND retired_at IS NULL', [w.purpose, w.alg]);
      if (!have.rows.length) await newKey(tx, secret, w.purpose, w.alg);
    }
  });
}

/** A new key of every kind signs from now on; the previous stays published; older ones retire. */
export async function rotateKeys(db: Db, secret: string): Promise<{ added: string[]; retired: string[] }> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK]);
    const added: string[] = [];
    const retired: string[] = [];
    for (const w of WANTED) {
      const { rows } = await tx.query<{ kid: string }>(
        `SELECT kid FROM identity.keys WHERE purpose = $1 AND alg = $2 AND retired_at IS NULL ORDER BY created_at DESC, kid`,
        [w.purpose, w.alg],
      );
      const old = rows.slice(1).map((r) => r.kid); // everything but the current key
      if (old.length) {
        await tx.query('UPDATE identity.keys SET retired_at = now() WHERE kid = ANY($1::text[])', [old]);
        retired.push(...old);
      }
      added.push(await newKey(tx, secret, w.purpose, w.alg));
    }
    await tx.query(`SELECT pg_notify('${KEYS_CHANNEL}', '')`);
    return { added, retired };
  });
}

export async function loadKeys(db: Db, secret: string): Promise<LoadedKeys> {
  const { rows } = await db.query<KeyRow>(
    `SELECT kid, purpose, alg, private_jwk, public_jwk, created_at FROM identity.keys
      WHERE retired_at IS NULL ORDER BY created_at DESC, kid`,
  );
  const oidc = rows.filter((r) => r.purpose === 'oidc').map((r) => JSON.parse(unseal(secret, r.private_jwk)) as JWK);
  const core = rows.filter((r) => r.purpose === 'core_identity');
  if (!oidc.length || !core.length) throw new Error('identity signing keys are missing (ensureKeys runs at start-up)');
  const current = JSON.parse(unseal(secret, core[0].private_jwk)) as JWK;
  return {
    oidc,
    coreIdentity: { kid: core[0].kid, privateKey: await importJWK(current, 'ES256'), publicJwks: core.map((r) => r.public_jwk) },
  };
}

/** did:web for the issuer: https://host:port/identity → did:web:host%3Aport:identity (document at /identity/did.json). */
export function didFor(issuer: string): string {
  const u = new URL(issuer);
  const path = u.pathname.split('/').filter(Boolean).map(encodeURIComponent);
  return ['did:web', encodeURIComponent(u.host), ...path].join(':');
}

/**
 * The `kid` of a core identity key, as One Login writes it in the coreIdentityJWT's header and
 * as the id of the DID document's verification method: the DID URL `did:web:<host>…#<key id>`.
 * The plain JWKS lists the same kid, so a relying service without a DID resolver picks the key
 * by the header's kid as it would from any JWKS.
 */
export function coreIdentityKid(issuer: string, kid: string): string {
  return `${didFor(issuer)}#${kid}`;
}

/** The public core identity keys as a JWKS, each under the kid the coreIdentityJWT's header names. */
export function coreIdentityJwks(issuer: string, publicJwks: JWK[]): { keys: JWK[] } {
  return { keys: publicJwks.map((jwk) => ({ ...jwk, kid: coreIdentityKid(issuer, jwk.kid!) })) };
}

export function didDocument(issuer: string, publicJwks: JWK[]) {
  const id = didFor(issuer);
  const methods = publicJwks.map((jwk) => ({
    type: 'JsonWebKey',
    id: coreIdentityKid(issuer, jwk.kid!),
    controller: id,
    publicKeyJwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, alg: 'ES256', kid: coreIdentityKid(issuer, jwk.kid!) },
  }));
  return {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/jwk/v1'],
    id,
    assertionMethod: methods,
  };
}

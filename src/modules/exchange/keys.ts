// Signing keys: one Ed25519 pair per member (requests it sends, as X-Road's member signing
// keys) and one for this node (trust list, signed tree heads, responses, forwards from peers).
// Private keys are kept sealed with ENCRYPTION_KEY and unsealed once per process.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { Db, Queryable } from '../../kernel/db.js';
import { seal, unseal } from '../../kernel/crypto.js';
import { privateKeyFromPem, publicKeyFromJwk } from './jws.js';

export interface PublicJwk {
  kid: string;
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  use: 'sig';
  alg: 'EdDSA';
}

export async function createKey(tx: Queryable, encryptionKey: string, kid: string, memberId: string | null): Promise<PublicJwk> {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const x = (publicKey.export({ format: 'jwk' }) as { x: string }).x;
  const jwk: PublicJwk = { kid, kty: 'OKP', crv: 'Ed25519', x, use: 'sig', alg: 'EdDSA' };
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  await tx.query(
    `INSERT INTO exchange.keys (kid, member_id, public_jwk, private_sealed) VALUES ($1, $2, $3, $4) ON CONFLICT (kid) DO NOTHING`,
    [kid, memberId, JSON.stringify(jwk), seal(encryptionKey, pem)],
  );
  return jwk;
}

/** Private and public keys by kid, loaded on first use and remembered by this process. */
export function createKeyring(db: Db, encryptionKey: string) {
  const privates = new Map<string, KeyObject>();
  const publics = new Map<string, KeyObject>();
  return {
    async privateKey(kid: string): Promise<KeyObject> {
      let k = privates.get(kid);
      if (!k) {
        const { rows } = await db.query<{ private_sealed: string }>('SELECT private_sealed FROM exchange.keys WHERE kid = $1', [kid]);
        if (!rows[0]) throw new Error(`no signing key ${kid}`);
        k = privateKeyFromPem(unseal(encryptionKey, rows[0].private_sealed));
        privates.set(kid, k);
      }
      return k;
    },
    publicKey(jwk: Record<string, unknown>): KeyObject | null {
      const kid = String(jwk.kid ?? '');
      let k = publics.get(kid + '|' + String(jwk.x));
      if (!k) {
        k = publicKeyFromJwk(jwk) ?? undefined;
        if (k) publics.set(kid + '|' + String(jwk.x), k);
      }
      return k ?? null;
    },
    forget() {
      privates.clear();
    },
  };
}
export type Keyring = ReturnType<typeof createKeyring>;

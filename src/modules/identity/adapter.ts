// oidc-provider's storage adapter over identity.oidc_models: every session, interaction,
// code, token, grant and replay-detection record is a row, so the provider survives restarts
// and several processes share it. Clients are read from identity.clients (clients.ts).
//
// The table is the truth. Each process also remembers the rows it wrote or read (for at most
// 30 s, never past their expiry): an authorization-code flow otherwise reads the session,
// grant, code and token back from the database it has just written them to. A row changed or
// deleted anywhere is dropped from every process's memory by NOTIFY; a code or refresh token
// is consumed by one atomic UPDATE, so using one twice fails even between processes.
import { errors } from './oidc.js';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Db, Queryable } from '../../kernel/db.js';

export interface ClientSource {
  metadata(clientId: string): Promise<AdapterPayload | undefined>;
}

export const OIDC_CHANNEL = 'identity_oidc';
const CACHED = new Set(['Session', 'Grant', 'AuthorizationCode', 'AccessToken', 'RefreshToken', 'Interaction']);
const CACHE_MS = 30_000;
const CACHE_MAX = 20_000;
/**
 * Sessions, interactions, grants, codes and tokens are written with synchronous_commit off for
 * that one statement: the commit does not wait for the WAL to reach the disk (on a busy
 * machine that wait is most of an authorization's time). If PostgreSQL itself crashed, the
 * last fraction of a second of them could be lost — people would sign in again; nothing is
 * corrupted. The security decisions — consuming a code or refresh token, a client
 * assertion's jti — and every deletion still wait for the flush.
 */
const ASYNC_COMMIT = `WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true))`;

/** A session saved again unchanged within this long is not written again (only its expiry would move). */
const SESSION_REWRITE_MS = 60_000;

interface Entry {
  json: string;
  consumed: number | null;
  grantId?: string;
  accountId?: string;
  until: number;
}

/** What this process remembers of oidc_models, and how other processes tell it to forget. */
export function createModelCache() {
  const map = new Map<string, Entry>();
  const key = (kind: string, id: string) => `${kind}:${id}`;
  return {
    get(kind: string, id: string): Entry | undefined {
      const e = map.get(key(kind, id));
      if (e && Date.now() > e.until) {
        map.delete(key(kind, id));
        return undefined;
      }
      return e;
    },
    set(kind: string, id: string, e: Omit<Entry, 'until'>, expiresAt: number | null) {
      if (!CACHED.has(kind)) return;
      if (map.size >= CACHE_MAX) map.clear();
      map.set(key(kind, id), { ...e, until: Math.min(expiresAt ?? Infinity, Date.now() + CACHE_MS) });
    },
    /** m:<kind>:<id> one row · g:<grantId> everything of a grant · a:<accountId> everything of an account · * all. */
    invalidate(message: string) {
      if (message === '*' || !message) {
        map.clear();
        return;
      }
      const [tag, ...rest] = message.split(':');
      const value = rest.join(':');
      if (tag === 'm') {
        map.delete(value);
        return;
      }
      for (const [k, e] of map) {
        if ((tag === 'g' && (e.grantId === value || k === `Grant:${value}`)) || (tag === 'a' && e.accountId === value)) map.delete(k);
      }
    },
  };
}
export type ModelCache = ReturnType<typeof createModelCache>;

/** Drops rows from every process's memory (this one at once, the others by NOTIFY). */
export async function forgetEverywhere(db: Queryable, cache: ModelCache, message: string): Promise<void> {
  cache.invalidate(message);
  await db.query('SELECT pg_notify($1, $2)', [OIDC_CHANNEL, message]);
}

export function createAdapterFactory(db: Db, clients: ClientSource, cache: ModelCache) {
  // oidc-provider saves the session on every request that reads it, to roll its expiry on;
  // rewriting an identical row each time is a round trip per authorization for nothing.
  const sessionWrites = new Map<string, { json: string; at: number }>();

  return class PostgresAdapter implements Adapter {
    constructor(private readonly kind: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      if (this.kind === 'Client') throw new Error('clients are registered through the identity module, not the provider');
      const expiresAt = expiresIn ? new Date(Date.now() + expiresIn * 1000) : null;
      const accountId = typeof payload.accountId === 'string' ? payload.accountId : undefined;
      const json = JSON.stringify(payload);
      if (this.kind === 'ReplayDetection') {
        // A client assertion's jti is unique: the insert itself is the check, so two requests
        // racing with the same assertion cannot both pass (the provider's find-then-save could).
        const { rowCount } = await db.query(
          `INSERT INTO identity.oidc_models (kind, id, payload, expires_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (kind, id) DO UPDATE SET payload = EXCLUDED.payload, expires_at = EXCLUDED.expires_at
             WHERE identity.oidc_models.expires_at <= now()`,
          [this.kind, id, json, expiresAt],
        );
        if (rowCount === 0) throw new errors.InvalidClientAuth('client assertion tokens must only be used once');
        return;
      }
      if (this.kind === 'Session') {
        const { exp: _exp, iat: _iat, ...rest } = payload as AdapterPayload & { exp?: number };
        const same = JSON.stringify(rest);
        const last = sessionWrites.get(id);
        if (last && last.json === same && Date.now() - last.at < SESSION_REWRITE_MS) return;
        if (sessionWrites.size > 10_000) sessionWrites.clear();
        sessionWrites.set(id, { json: same, at: Date.now() });
      }
      // Committed without waiting for the WAL flush (see ASYNC_COMMIT).
      const { rows } = await db.query<{ updated: boolean }>(
        `${ASYNC_COMMIT} INSERT INTO identity.oidc_models (kind, id, payload, grant_id, user_code, uid, account_id, expires_at)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8 FROM async_commit
         ON CONFLICT (kind, id) DO UPDATE SET payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id,
           user_code = EXCLUDED.user_code, uid = EXCLUDED.uid, account_id = EXCLUDED.account_id, expires_at = EXCLUDED.expires_at
         RETURNING (xmax <> 0) AS updated`,
        [this.kind, id, json, payload.grantId ?? null, payload.userCode ?? null, payload.uid ?? null, accountId ?? null, expiresAt],
      );
      // A row that existed may be in other processes' memory: they drop it.
      if (rows[0]?.updated && CACHED.has(this.kind)) await forgetEverywhere(db, cache, `m:${this.kind}:${id}`);
      cache.set(this.kind, id, { json, consumed: null, grantId: payload.grantId, accountId }, expiresAt?.getTime() ?? null);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.kind === 'Client') return clients.metadata(id);
      const hit = cache.get(this.kind, id);
      if (hit) return this.payload(hit.json, hit.consumed);
      const { rows } = await db.query<{ payload: AdapterPayload; consumed_at: Date | null; expires_at: Date | null }>(
        `SELECT payload, consumed_at, expires_at FROM identity.oidc_models
          WHERE kind = $1 AND id = $2 AND (expires_at IS NULL OR expires_at > now())`,
        [this.kind, id],
      );
      const row = rows[0];
      if (!row) return undefined;
      const consumed = row.consumed_at ? Math.floor(row.consumed_at.getTime() / 1000) : null;
      const p = row.payload;
      cache.set(
        this.kind,
        id,
        { json: JSON.stringify(p), consumed, grantId: p.grantId, accountId: typeof p.accountId === 'string' ? p.accountId : undefined },
        row.expires_at?.getTime() ?? null,
      );
      return consumed ? { ...p, consumed } : p;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return this.one('uid = $2', uid);
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return this.one('user_code = $2', userCode);
    }

    /** Atomic: a code or refresh token used a second time — here or in another process — fails and revokes its grant. */
    async consume(id: string): Promise<void> {
      const { rowCount } = await db.query(
        'UPDATE identity.oidc_models SET consumed_at = now() WHERE kind = $1 AND id = $2 AND consumed_at IS NULL',
        [this.kind, id],
      );
      const hit = cache.get(this.kind, id);
      if (rowCount === 0) {
        const grantId =
          hit?.grantId ??
          (
            await db.query<{ grant_id: string | null }>('SELECT grant_id FROM identity.oidc_models WHERE kind = $1 AND id = $2', [
              this.kind,
              id,
            ])
          ).rows[0]?.grant_id;
        if (grantId) await this.revokeByGrantId(grantId, true);
        throw new errors.InvalidGrant(`${this.kind === 'RefreshToken' ? 'refresh token' : 'authorization code'} already consumed`);
      }
      if (hit) hit.consumed = Math.floor(Date.now() / 1000);
    }

    async destroy(id: string): Promise<void> {
      if (this.kind === 'Session') sessionWrites.delete(id);
      await db.query('DELETE FROM identity.oidc_models WHERE kind = $1 AND id = $2', [this.kind, id]);
      if (CACHED.has(this.kind)) await forgetEverywhere(db, cache, `m:${this.kind}:${id}`);
    }

    /** Every code and token of the grant, whichever model asked (and the grant too, on replay). */
    async revokeByGrantId(grantId: string, withGrant = false): Promise<void> {
      await db.query(`DELETE FROM identity.oidc_models WHERE grant_id = $1${withGrant ? ` OR (kind = 'Grant' AND id = $1)` : ''}`, [
        grantId,
      ]);
      await forgetEverywhere(db, cache, `g:${grantId}`);
    }

    private payload(json: string, consumed: number | null): AdapterPayload {
      const p = JSON.parse(json) as AdapterPayload;
      return consumed ? { ...p, consumed } : p;
    }

    private async one(where: string, value: string): Promise<AdapterPayload | undefined> {
      const { rows } = await db.query<{ payload: AdapterPayload; consumed_at: Date | null }>(
        `SELECT payload, consumed_at FROM identity.oidc_models
          WHERE kind = $1 AND ${where} AND (expires_at IS NULL OR expires_at > now())`,
        [this.kind, value],
      );
      const row = rows[0];
      if (!row) return undefined;
      return row.consumed_at ? { ...row.payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) } : row.payload;
    }
  };
}

/** Rows past their expiry are never read; this removes them, and old codes and sign-ins (run from the workers). */
export async function sweepExpired(db: Db): Promise<number> {
  const { rowCount } = await db.query(`DELETE FROM identity.oidc_models WHERE expires_at < now() - interval '1 minute'`);
  await db.query(`DELETE FROM identity.codes WHERE expires_at < now() - interval '1 day'`);
  await db.query(`DELETE FROM identity.sign_ins WHERE ended_at < now() - interval '30 days'`);
  return rowCount;
}

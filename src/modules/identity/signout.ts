// Ending things on the provider's side: one provider session (its relying services are told
// by back-channel logout), every session and token of an account ("sign out everywhere"), or
// one relying service's grant ("disconnect"). And the list of services an account uses.
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import type { Db } from '../../kernel/db.js';
import { forgetEverywhere, type ModelCache } from './adapter.js';

interface SessionLike {
  accountId?: string;
  authorizations?: Record<string, { sid?: string; grantId?: string }>;
  destroy(): Promise<void>;
  persist(): Promise<unknown>;
}

async function tellClient(provider: Provider, log: Logger, clientId: string, accountId: string, sid: string | undefined): Promise<void> {
  const client = await provider.Client.find(clientId);
  if (!client?.backchannelLogoutUri) return;
  try {
    await (client as unknown as { backchannelLogout(sub: string, sid: string): Promise<void> }).backchannelLogout(accountId, sid ?? '');
  } catch (err) {
    log.warn({ err, clientId }, 'back-channel logout failed');
  }
}

export function createSignOut(db: Db, log: Logger, provider: () => Provider, cache: ModelCache) {
  const dropGrant = async (grantId: string) => {
    await db.query(`DELETE FROM identity.oidc_models WHERE grant_id = $1 OR (kind = 'Grant' AND id = $1)`, [grantId]);
    await forgetEverywhere(db, cache, `g:${grantId}`);
  };

  /** Ends one provider session: each relying service in it is told, its tokens revoked. */
  async function endSession(sessionId: string): Promise<void> {
    const p = provider();
    const session = (await p.Session.find(sessionId)) as unknown as SessionLike | undefined;
    if (!session) return;
    const accountId = session.accountId;
    for (const [clientId, auth] of Object.entries(session.authorizations ?? {})) {
      if (accountId) await tellClient(p, log, clientId, accountId, auth.sid);
      if (auth.grantId) await dropGrant(auth.grantId);
    }
    await session.destroy();
  }

  return {
    endSession,

    async revokeGrants(grantIds: string[]): Promise<void> {
      for (const g of grantIds) await dropGrant(g);
    },

    /** Every provider session of the account ends, then every grant, code and token it holds. */
    async endAll(accountId: string): Promise<void> {
      const { rows } = await db.query<{ id: string }>(`SELECT id FROM identity.oidc_models WHERE kind = 'Session' AND account_id = $1`, [
        accountId,
      ]);
      for (const r of rows) await endSession(r.id);
      await db.query('DELETE FROM identity.oidc_models WHERE account_id = $1', [accountId]);
      await forgetEverywhere(db, cache, `a:${accountId}`);
    },

    /** The relying service loses its grant and tokens, and is told the person signed out. */
    async disconnect(accountId: string, clientId: string): Promise<boolean> {
      const p = provider();
      const grants = await db.query<{ id: string }>(
        `SELECT id FROM identity.oidc_models WHERE kind = 'Grant' AND account_id = $1 AND payload->>'clientId' = $2`,
        [accountId, clientId],
      );
      if (!grants.rows.length) return false;
      const sessions = await db.query<{ id: string }>(
        `SELECT id FROM identity.oidc_models WHERE kind = 'Session' AND account_id = $1 AND payload->'authorizations' ? $2`,
        [accountId, clientId],
      );
      for (const r of sessions.rows) {
        const s = (await p.Session.find(r.id)) as unknown as SessionLike | undefined;
        const auth = s?.authorizations?.[clientId];
        if (!s || !auth) continue;
        await tellClient(p, log, clientId, accountId, auth.sid);
        delete s.authorizations![clientId];
        await s.persist();
      }
      for (const g of grants.rows) await dropGrant(g.id);
      return true;
    },

    /** The relying services this account has a grant with, newest first. */
    async services(accountId: string): Promise<Array<{ clientId: string; since: Date }>> {
      const { rows } = await db.query<{ client_id: string; since: number }>(
        `SELECT payload->>'clientId' AS client_id, min((payload->>'iat')::bigint) AS since FROM identity.oidc_models
          WHERE kind = 'Grant' AND account_id = $1 AND (expires_at IS NULL OR expires_at > now())
          GROUP BY 1 ORDER BY 2 DESC`,
        [accountId],
      );
      return rows.map((r) => ({ clientId: r.client_id, since: new Date(Number(r.since) * 1000) }));
    },
  };
}
export type SignOut = ReturnType<typeof createSignOut>;

// The SQL for identity's own tables (accounts, sign-ins, codes, identity checks, clients).
// Returns plain typed objects; no HTTP, no rules. The provider's rows live in adapter.ts.
import type { Queryable } from '../../kernel/db.js';
import type { PostalAddress } from './evidence.js';
import type { CredentialLevel, IdentityLevel } from './vtr.js';

export interface AccountRow {
  id: string;
  email: string;
  password_hash: string;
  phone: string | null;
  mfa_method: 'app' | 'sms' | null;
  totp_secret: string | null;
  totp_last_step: number | null;
  given_name: string | null;
  family_name: string | null;
  birth_date: string | null;
  address: PostalAddress | null;
  passport: { documentNumber: string; icaoIssuerCode: string; expiryDate: string } | null;
  identity_level: IdentityLevel;
  identity_level_at: Date | null;
  failed_attempts: number;
  locked_until: Date | null;
  signed_out_at: Date | null;
  created_at: Date;
}

export interface ClientRow {
  client_id: string;
  service_id: string;
  name: string;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  auth_method: 'private_key_jwt' | 'client_secret_post';
  jwks: { keys: unknown[] } | null;
  secret: string | null;
  scopes: string[];
  claims: string[];
  max_identity_level: IdentityLevel;
  backchannel_logout_uri: string | null;
  id_token_alg: string;
  refresh_tokens: boolean;
  created_by: string;
  created_at: Date;
  disabled_at: Date | null;
}

const ACCOUNT = `id, email, password_hash, phone, mfa_method, totp_secret, totp_last_step, given_name, family_name, birth_date,
  address, passport, identity_level, identity_level_at, failed_attempts, locked_until, signed_out_at, created_at`;

export const store = {
  async accountById(db: Queryable, id: string): Promise<AccountRow | null> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
    const { rows } = await db.query<AccountRow>(`SELECT ${ACCOUNT} FROM identity.accounts WHERE id = $1`, [id]);
    return rows[0] ?? null;
  },
  async accountByEmail(db: Queryable, email: string): Promise<AccountRow | null> {
    const { rows } = await db.query<AccountRow>(`SELECT ${ACCOUNT} FROM identity.accounts WHERE email = $1`, [email.toLowerCase()]);
    return rows[0] ?? null;
  },
  async insertAccount(db: Queryable, email: string, passwordHash: string): Promise<AccountRow> {
    const { rows } = await db.query<AccountRow>(
      `INSERT INTO identity.accounts (email, password_hash) VALUES ($1, $2) RETURNING ${ACCOUNT}`,
      [email.toLowerCase(), passwordHash],
    );
    return rows[0];
  },
  async setPassword(db: Queryable, id: string, passwordHash: string) {
    await db.query(
      'UPDATE identity.accounts SET password_hash = $2, failed_attempts = 0, locked_until = NULL, updated_at = now() WHERE id = $1',
      [id, passwordHash],
    );
  },
  /** A failed attempt; locks the account for `lockSeconds` once `threshold` failures in a row are reached. */
  async recordFailure(db: Queryable, id: string, threshold: number, lockSeconds: number): Promise<{ locked: boolean }> {
    const { rows } = await db.query<{ locked: boolean }>(
      `UPDATE identity.accounts SET failed_attempts = failed_attempts + 1,
         locked_until = CASE WHEN failed_attempts + 1 >= $2 THEN now() + make_interval(secs => $3) ELSE locked_until END
       WHERE id = $1 RETURNING locked_until IS NOT NULL AND locked_until > now() AS locked`,
      [id, threshold, lockSeconds],
    );
    return rows[0] ?? { locked: false };
  },
  async recordSuccess(db: Queryable, id: string) {
    await db.query(
      'UPDATE identity.accounts SET failed_attempts = 0, locked_until = NULL WHERE id = $1 AND (failed_attempts > 0 OR locked_until IS NOT NULL)',
      [id],
    );
  },
  async setTotp(db: Queryable, id: string, sealedSecret: string, step: number) {
    await db.query(
      `UPDATE identity.accounts SET mfa_method = 'app', totp_secret = $2, totp_last_step = $3, updated_at = now() WHERE id = $1`,
      [id, sealedSecret, step],
    );
  },
  /** Records a used TOTP step; false when that step (or a later one) was already used. */
  async useTotpStep(db: Queryable, id: string, step: number): Promise<boolean> {
    const { rowCount } = await db.query(
      'UPDATE identity.accounts SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)',
      [id, step],
    );
    return rowCount > 0;
  },
  async setSmsMfa(db: Queryable, id: string, phone: string) {
    await db.query(
      `UPDATE identity.accounts SET mfa_method = 'sms', phone = $2, totp_secret = NULL, totp_last_step = NULL, updated_at = now() WHERE id = $1`,
      [id, phone],
    );
  },
  async setIdentity(
    db: Queryable,
    id: string,
    v: {
      level: IdentityLevel;
      givenName: string;
      familyName: string;
      birthDate: string;
      address: PostalAddress | null;
      passport: AccountRow['passport'];
    },
  ) {
    await db.query(
      `UPDATE identity.accounts SET identity_level = $2, identity_level_at = now(), given_name = $3, family_name = $4, birth_date = $5,
         address = COALESCE($6, address), passport = COALESCE($7, passport), updated_at = now() WHERE id = $1`,
      [
        id,
        v.level,
        v.givenName,
        v.familyName,
        v.birthDate,
        v.address ? JSON.stringify(v.address) : null,
        v.passport ? JSON.stringify(v.passport) : null,
      ],
    );
  },
  async insertCheck(
    db: Queryable,
    c: { accountId: string; source: string; kind: string; documentHash: string; matched: boolean; level: string | null },
  ) {
    await db.query(
      `INSERT INTO identity.identity_checks (account_id, source, evidence_kind, document_hash, matched, level) VALUES ($1, $2, $3, $4, $5, $6)`,
      [c.accountId, c.source, c.kind, c.documentHash, c.matched, c.level],
    );
  },
  async recentFailedChecks(db: Queryable, accountId: string, sinceSeconds: number): Promise<number> {
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM identity.identity_checks WHERE account_id = $1 AND NOT matched AND checked_at > now() - make_interval(secs => $2)`,
      [accountId, sinceSeconds],
    );
    return rows[0].n;
  },
  async signOutEverywhere(db: Queryable, accountId: string) {
    await db.query('UPDATE identity.accounts SET signed_out_at = now() WHERE id = $1', [accountId]);
    await db.query('UPDATE identity.sign_ins SET ended_at = now() WHERE account_id = $1 AND ended_at IS NULL', [accountId]);
  },

  // Sign-ins (browser sessions)
  async insertSignIn(db: Queryable, accountId: string, level: CredentialLevel): Promise<string> {
    const { rows } = await db.query<{ id: string }>('INSERT INTO identity.sign_ins (account_id, level) VALUES ($1, $2) RETURNING id', [
      accountId,
      level,
    ]);
    return rows[0].id;
  },
  async raiseSignIn(db: Queryable, id: string, level: CredentialLevel) {
    await db.query('UPDATE identity.sign_ins SET level = $2, raised_at = now() WHERE id = $1', [id, level]);
  },
  async endSignIn(db: Queryable, id: string) {
    await db.query('UPDATE identity.sign_ins SET ended_at = now() WHERE id = $1 AND ended_at IS NULL', [id]);
  },
  async liveSignIn(
    db: Queryable,
    id: string,
  ): Promise<{ id: string; level: CredentialLevel; created_at: Date; raised_at: Date; account: AccountRow } | null> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
    const { rows } = await db.query<{ si_id: string; si_level: CredentialLevel; si_created: Date; si_raised: Date } & AccountRow>(
      `SELECT s.id AS si_id, s.level AS si_level, s.created_at AS si_created, s.raised_at AS si_raised, ${ACCOUNT.split(', ')
        .map((c) => `a.${c.trim()}`)
        .join(', ')}
         FROM identity.sign_ins s JOIN identity.accounts a ON a.id = s.account_id
        WHERE s.id = $1 AND s.ended_at IS NULL AND (a.signed_out_at IS NULL OR a.signed_out_at < s.created_at)`,
      [id],
    );
    const r = rows[0];
    if (!r) return null;
    const { si_id, si_level, si_created, si_raised, ...account } = r;
    return { id: si_id, level: si_level, created_at: si_created, raised_at: si_raised, account: account as AccountRow };
  },

  // One-time codes
  async insertCode(db: Queryable, c: { id: string; purpose: string; subject: string; codeHash: string; ttlSeconds: number }) {
    await db.query(
      `INSERT INTO identity.codes (id, purpose, subject, code_hash, expires_at) VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`,
      [c.id, c.purpose, c.subject, c.codeHash, c.ttlSeconds],
    );
  },
  async codesSentSince(db: Queryable, purpose: string, subject: string, seconds: number): Promise<number> {
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM identity.codes WHERE purpose = $1 AND subject = $2 AND created_at > now() - make_interval(secs => $3)`,
      [purpose, subject, seconds],
    );
    return rows[0].n;
  },
  async latestCode(
    db: Queryable,
    purpose: string,
    subject: string,
  ): Promise<{ id: string; code_hash: string; attempts: number; live: boolean } | null> {
    const { rows } = await db.query<{ id: string; code_hash: string; attempts: number; live: boolean }>(
      `SELECT id, code_hash, attempts, (used_at IS NULL AND expires_at > now()) AS live FROM identity.codes
        WHERE purpose = $1 AND subject = $2 ORDER BY created_at DESC LIMIT 1`,
      [purpose, subject],
    );
    return rows[0] ?? null;
  },
  async codeAttempt(db: Queryable, id: string): Promise<number> {
    const { rows } = await db.query<{ attempts: number }>(
      'UPDATE identity.codes SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts',
      [id],
    );
    return rows[0]?.attempts ?? 0;
  },
  /** Marks a code used; false if it was used (or expired) in the meantime — codes work once. */
  async useCode(db: Queryable, id: string): Promise<boolean> {
    const { rowCount } = await db.query(
      'UPDATE identity.codes SET used_at = now() WHERE id = $1 AND used_at IS NULL AND expires_at > now()',
      [id],
    );
    return rowCount > 0;
  },

  // Relying services
  async insertClient(db: Queryable, c: Omit<ClientRow, 'created_at' | 'disabled_at'>) {
    await db.query(
      `INSERT INTO identity.clients (client_id, service_id, name, redirect_uris, post_logout_redirect_uris, auth_method, jwks, secret,
         scopes, claims, max_identity_level, backchannel_logout_uri, id_token_alg, refresh_tokens, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
      [
        c.client_id,
        c.service_id,
        c.name,
        c.redirect_uris,
        c.post_logout_redirect_uris,
        c.auth_method,
        c.jwks ? JSON.stringify(c.jwks) : null,
        c.secret,
        c.scopes,
        c.claims,
        c.max_identity_level,
        c.backchannel_logout_uri,
        c.id_token_alg,
        c.refresh_tokens,
        c.created_by,
      ],
    );
  },
  async clientById(db: Queryable, clientId: string): Promise<ClientRow | null> {
    const { rows } = await db.query<ClientRow>('SELECT * FROM identity.clients WHERE client_id = $1', [clientId]);
    return rows[0] ?? null;
  },
  async listClients(db: Queryable, serviceIds: string[] | null): Promise<ClientRow[]> {
    const { rows } = await db.query<ClientRow>(
      'SELECT * FROM identity.clients WHERE ($1::uuid[] IS NULL OR service_id = ANY($1::uuid[])) ORDER BY created_at DESC',
      [serviceIds],
    );
    return rows;
  },
  async disableClient(db: Queryable, clientId: string) {
    await db.query('UPDATE identity.clients SET disabled_at = now(), updated_at = now() WHERE client_id = $1 AND disabled_at IS NULL', [
      clientId,
    ]);
  },
};

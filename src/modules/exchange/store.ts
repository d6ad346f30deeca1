// SQL for the exchange's directory: members, subsystems, services and their attributes, legal
// bases, access rights, peers, objections and notification choices. The whole directory is
// small and read on every request, so it is loaded into memory (directory.ts) and reloaded
// in every process when it changes.
import type { Queryable } from '../../kernel/db.js';

export interface MemberRow {
  id: string;
  instance: string;
  member_class: string;
  member_code: string;
  name: string;
  organisation_id: string | null;
}
export interface SubsystemRow {
  id: string;
  member_id: string;
  code: string;
  name: string;
  service_id: string | null;
}
export interface ServiceRow {
  id: string;
  subsystem_id: string;
  code: string;
  version: string;
  title: string;
  title_cy: string | null;
  description: string;
  openapi: Record<string, any>;
  url: string;
  timeout_ms: number;
  max_bytes: number;
  catalogue_service_id: string | null;
}
export interface AttributeRow {
  service_id: string;
  name: string;
  title: string;
  title_cy: string | null;
  dpv_category: string;
  sensitivity: 'normal' | 'special';
}
export interface BasisRow {
  id: string;
  kind: 'statute' | 'public-task';
  title: string;
  title_cy: string | null;
  citation: string;
  url: string | null;
  objection: boolean;
  covert: boolean;
}
export interface RightRow {
  id: string;
  client: string;
  service_id: string;
  purposes: string[];
  attributes: string[];
  bases: string[];
  covert_days: number | null;
  created_by: string;
  created_at: string;
  revoked_at: string | null;
}
export interface PeerRow {
  id: string;
  url: string;
  node_id: string;
  trust: Record<string, any>;
  node_keys: Array<Record<string, unknown>>;
  added_at: string;
  refreshed_at: string;
}
export interface KeyRow {
  kid: string;
  member_id: string | null;
  public_jwk: Record<string, unknown>;
  retired_at: string | null;
}

const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : (v as string));

export const store = {
  async node(db: Queryable) {
    return (await db.query<{ id: string; instance: string }>('SELECT id, instance FROM exchange.node LIMIT 1')).rows[0] ?? null;
  },
  async ensureNode(db: Queryable, id: string, instance: string) {
    await db.query('INSERT INTO exchange.node (id, instance) SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM exchange.node)', [id, instance]);
  },
  members: (db: Queryable) =>
    db.query<MemberRow>('SELECT * FROM exchange.members ORDER BY instance, member_class, member_code').then((r) => r.rows),
  subsystems: (db: Queryable) => db.query<SubsystemRow>('SELECT * FROM exchange.subsystems ORDER BY code').then((r) => r.rows),
  services: (db: Queryable) => db.query<ServiceRow>('SELECT * FROM exchange.services ORDER BY code').then((r) => r.rows),
  attributes: (db: Queryable) => db.query<AttributeRow>('SELECT * FROM exchange.attributes ORDER BY name').then((r) => r.rows),
  bases: (db: Queryable) => db.query<BasisRow>('SELECT * FROM exchange.legal_bases ORDER BY id').then((r) => r.rows),
  keys: (db: Queryable) =>
    db
      .query<KeyRow>('SELECT kid, member_id, public_jwk, retired_at FROM exchange.keys WHERE retired_at IS NULL ORDER BY created_at, kid')
      .then((r) => r.rows),
  async rights(db: Queryable, includeRevoked = false): Promise<RightRow[]> {
    const { rows } = await db.query<RightRow>(
      `SELECT * FROM exchange.rights ${includeRevoked ? '' : 'WHERE revoked_at IS NULL'} ORDER BY created_at, id`,
    );
    return rows.map((r) => ({ ...r, created_at: iso(r.created_at), revoked_at: r.revoked_at ? iso(r.revoked_at) : null }));
  },
  async peers(db: Queryable): Promise<PeerRow[]> {
    const { rows } = await db.query<PeerRow>('SELECT * FROM exchange.peers ORDER BY added_at');
    return rows.map((r) => ({ ...r, added_at: iso(r.added_at), refreshed_at: iso(r.refreshed_at) }));
  },

  async insertMember(tx: Queryable, m: Omit<MemberRow, 'id'>): Promise<MemberRow> {
    const { rows } = await tx.query<MemberRow>(
      `INSERT INTO exchange.members (instance, member_class, member_code, name, organisation_id) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
      [m.instance, m.member_class, m.member_code, m.name, m.organisation_id],
    );
    return rows[0];
  },
  async insertSubsystem(tx: Queryable, s: Omit<SubsystemRow, 'id'>): Promise<SubsystemRow> {
    const { rows } = await tx.query<SubsystemRow>(
      `INSERT INTO exchange.subsystems (member_id, code, name, service_id) VALUES ($1, $2, $3, $4) RETURNING *`,
      [s.member_id, s.code, s.name, s.service_id],
    );
    return rows[0];
  },
  async insertService(tx: Queryable, s: Omit<ServiceRow, 'id'>): Promise<ServiceRow> {
    const { rows } = await tx.query<ServiceRow>(
      `INSERT INTO exchange.services (subsystem_id, code, version, title, title_cy, description, openapi, url, timeout_ms, max_bytes, catalogue_service_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *`,
      [
        s.subsystem_id,
        s.code,
        s.version,
        s.title,
        s.title_cy,
        s.description,
        JSON.stringify(s.openapi),
        s.url,
        s.timeout_ms,
        s.max_bytes,
        s.catalogue_service_id,
      ],
    );
    return rows[0];
  },
  async setServiceUrl(tx: Queryable, id: string, url: string) {
    await tx.query('UPDATE exchange.services SET url = $2 WHERE id = $1', [id, url]);
  },
  async insertAttribute(tx: Queryable, a: AttributeRow) {
    await tx.query(
      `INSERT INTO exchange.attributes (service_id, name, title, title_cy, dpv_category, sensitivity) VALUES ($1, $2, $3, $4, $5, $6)`,
      [a.service_id, a.name, a.title, a.title_cy, a.dpv_category, a.sensitivity],
    );
  },
  async insertBasis(tx: Queryable, b: BasisRow) {
    await tx.query(
      `INSERT INTO exchange.legal_bases (id, kind, title, title_cy, citation, url, objection, covert) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [b.id, b.kind, b.title, b.title_cy, b.citation, b.url, b.objection, b.covert],
    );
  },
  async insertRight(tx: Queryable, r: Omit<RightRow, 'id' | 'created_at' | 'revoked_at'>): Promise<RightRow> {
    const { rows } = await tx.query<RightRow>(
      `INSERT INTO exchange.rights (client, service_id, purposes, attributes, bases, covert_days, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [r.client, r.service_id, r.purposes, r.attributes, r.bases, r.covert_days, r.created_by],
    );
    return { ...rows[0], created_at: iso(rows[0].created_at), revoked_at: null };
  },
  async revokeRight(tx: Queryable, id: string): Promise<boolean> {
    const { rowCount } = await tx.query('UPDATE exchange.rights SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id]);
    return rowCount > 0;
  },
  async upsertPeer(tx: Queryable, p: { url: string; node_id: string; trust: unknown; node_keys: unknown }) {
    const { rows } = await tx.query<PeerRow>(
      `INSERT INTO exchange.peers (url, node_id, trust, node_keys) VALUES ($1, $2, $3, $4)
       ON CONFLICT (url) DO UPDATE SET trust = EXCLUDED.trust, refreshed_at = now() RETURNING *`,
      [p.url, p.node_id, JSON.stringify(p.trust), JSON.stringify(p.node_keys)],
    );
    return rows[0];
  },
  async refreshPeer(tx: Queryable, id: string, trust: unknown) {
    await tx.query('UPDATE exchange.peers SET trust = $2, refreshed_at = now() WHERE id = $1', [id, JSON.stringify(trust)]);
  },

  async object(db: Queryable, subject: string, client: string, serviceId: string, reason: string | null) {
    await db.query(`INSERT INTO exchange.objections (subject, client, service_id, reason) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, [
      subject,
      client,
      serviceId,
      reason,
    ]);
  },
  async withdrawObjection(db: Queryable, subject: string, client: string, serviceId: string) {
    await db.query('DELETE FROM exchange.objections WHERE subject = $1 AND client = $2 AND service_id = $3', [subject, client, serviceId]);
  },
  async objections(db: Queryable, subject: string) {
    return (
      await db.query<{ client: string; service_id: string; created_at: string }>(
        'SELECT client, service_id, created_at FROM exchange.objections WHERE subject = $1',
        [subject],
      )
    ).rows;
  },
  async alerts(db: Queryable, subject: string) {
    const { rows } = await db.query<{ email: boolean; sms: boolean }>('SELECT email, sms FROM exchange.alerts WHERE subject = $1', [
      subject,
    ]);
    return rows[0] ?? { email: false, sms: false };
  },
  async setAlerts(db: Queryable, subject: string, a: { email: boolean; sms: boolean }) {
    await db.query(
      `INSERT INTO exchange.alerts (subject, email, sms) VALUES ($1, $2, $3)
       ON CONFLICT (subject) DO UPDATE SET email = EXCLUDED.email, sms = EXCLUDED.sms, updated_at = now()`,
      [subject, a.email, a.sms],
    );
  },
  async useNonce(db: Queryable, jti: string, expiresAt: number): Promise<boolean> {
    const { rowCount } = await db.query(
      `INSERT INTO exchange.nonces (jti, expires_at) VALUES ($1, to_timestamp($2 / 1000.0)) ON CONFLICT (jti) DO NOTHING`,
      [jti, expiresAt],
    );
    return rowCount === 0; // seen before
  },
  sweepNonces: (db: Queryable) => db.query('DELETE FROM exchange.nonces WHERE expires_at < now()'),
};

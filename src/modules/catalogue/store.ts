// The SQL for the catalogue's tables. Returns plain typed objects; knows no HTTP and no rules.
import type { Queryable } from '../../kernel/db.js';
import type { ApiKey, Decision, OfficeHolder, Organisation, RoadmapItem, Satisfaction, Service, Team } from './schema.js';

const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : d == null ? null : String(d));

const SERVICE_SELECT = `
  SELECT s.id, s.slug, s.name, s.name_cy, s.summary, s.summary_cy, s.description, s.description_cy, s.how_to_apply, s.how_to_apply_cy,
         s.phase, s.start_url, s.platforms, s.platform, s.created_at, s.updated_at,
         json_build_object('id', o.id, 'slug', o.slug, 'name', o.name, 'kind', o.kind) AS organisation,
         CASE WHEN t.id IS NULL THEN NULL ELSE json_build_object('id', t.id, 'slug', t.slug, 'name', t.name, 'name_cy', t.name_cy) END AS team
    FROM catalogue.services s
    JOIN catalogue.organisations o ON o.id = s.organisation_id
    LEFT JOIN catalogue.teams t ON t.id = s.team_id`;

const toService = (r: any): Service => ({ ...r, created_at: iso(r.created_at)!, updated_at: iso(r.updated_at)! });

export const store = {
  // Organisations
  async listOrganisations(db: Queryable, kind?: string): Promise<Organisation[]> {
    const { rows } = await db.query<Organisation>(
      `SELECT id, slug, name, name_cy, kind, summary, summary_cy, website, parent_id, is_demo FROM catalogue.organisations
        WHERE ($1::text IS NULL OR kind = $1) ORDER BY name`,
      [kind ?? null],
    );
    return rows;
  },
  async organisationBy(db: Queryable, by: 'slug' | 'id', value: string): Promise<Organisation | null> {
    if (by === 'id' && !isUuid(value)) return null;
    const { rows } = await db.query<Organisation>(
      `SELECT id, slug, name, name_cy, kind, summary, summary_cy, website, parent_id, is_demo FROM catalogue.organisations WHERE ${by} = $1`,
      [value],
    );
    return rows[0] ?? null;
  },
  async insertOrganisation(db: Queryable, o: Omit<Organisation, 'id' | 'is_demo'>): Promise<Organisation> {
    const { rows } = await db.query<Organisation>(
      `INSERT INTO catalogue.organisations (slug, name, name_cy, kind, summary, website, parent_id, summary_cy)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id, slug, name, name_cy, kind, summary, summary_cy, website, parent_id, is_demo`,
      [o.slug, o.name, o.name_cy, o.kind, o.summary, o.website, o.parent_id, o.summary_cy],
    );
    return rows[0];
  },
  async updateOrganisation(db: Queryable, id: string, o: Omit<Organisation, 'id' | 'is_demo' | 'slug'>): Promise<Organisation> {
    const { rows } = await db.query<Organisation>(
      `UPDATE catalogue.organisations SET name = $2, name_cy = $3, kind = $4, summary = $5, website = $6, parent_id = $7, summary_cy = $8, updated_at = now()
        WHERE id = $1 RETURNING id, slug, name, name_cy, kind, summary, summary_cy, website, parent_id, is_demo`,
      [id, o.name, o.name_cy, o.kind, o.summary, o.website, o.parent_id, o.summary_cy],
    );
    return rows[0];
  },

  // Teams
  async listTeams(db: Queryable, organisationId: string): Promise<Team[]> {
    const { rows } = await db.query<Team>(
      'SELECT id, organisation_id, slug, name, name_cy, email FROM catalogue.teams WHERE organisation_id = $1 ORDER BY name',
      [organisationId],
    );
    return rows;
  },
  async teamBySlug(db: Queryable, organisationId: string, slug: string): Promise<Team | null> {
    const { rows } = await db.query<Team>(
      'SELECT id, organisation_id, slug, name, name_cy, email FROM catalogue.teams WHERE organisation_id = $1 AND slug = $2',
      [organisationId, slug],
    );
    return rows[0] ?? null;
  },
  async insertTeam(db: Queryable, t: Omit<Team, 'id'>): Promise<Team> {
    const { rows } = await db.query<Team>(
      'INSERT INTO catalogue.teams (organisation_id, slug, name, name_cy, email) VALUES ($1, $2, $3, $4, $5) RETURNING id, organisation_id, slug, name, name_cy, email',
      [t.organisation_id, t.slug, t.name, t.name_cy, t.email],
    );
    return rows[0];
  },

  // Services
  async listServices(db: Queryable, f: { organisationId?: string; orgKind?: string; q?: string; phase?: string }): Promise<Service[]> {
    const { rows } = await db.query(
      `${SERVICE_SELECT}
        WHERE ($1::uuid IS NULL OR s.organisation_id = $1) AND ($2::text IS NULL OR o.kind = $2)
          AND ($3::text IS NULL OR s.name ILIKE $3 OR s.summary ILIKE $3 OR coalesce(s.name_cy, '') ILIKE $3 OR o.name ILIKE $3)
          AND ($4::text IS NULL OR s.phase = $4)
        ORDER BY s.name`,
      [f.organisationId ?? null, f.orgKind ?? null, f.q ? `%${f.q.replace(/[%_\\]/g, '\\$&')}%` : null, f.phase ?? null],
    );
    return rows.map(toService);
  },
  async serviceBy(db: Queryable, by: 'slug' | 'id', value: string): Promise<Service | null> {
    if (by === 'id' && !isUuid(value)) return null;
    const { rows } = await db.query(`${SERVICE_SELECT} WHERE s.${by} = $1`, [value]);
    return rows[0] ? toService(rows[0]) : null;
  },
  async insertService(db: Queryable, s: ServiceRow): Promise<string> {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO catalogue.services (slug, name, name_cy, summary, summary_cy, description, phase, organisation_id, team_id, start_url, platforms,
         description_cy, how_to_apply, how_to_apply_cy)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
      [
        ...[
          s.slug,
          s.name,
          s.name_cy,
          s.summary,
          s.summary_cy,
          s.description,
          s.phase,
          s.organisation_id,
          s.team_id,
          s.start_url,
          s.platforms,
        ],
        ...[s.description_cy, s.how_to_apply, s.how_to_apply_cy],
      ],
    );
    return rows[0].id;
  },
  async updateService(db: Queryable, id: string, s: Omit<ServiceRow, 'slug'>): Promise<void> {
    await db.query(
      `UPDATE catalogue.services SET name = $2, name_cy = $3, summary = $4, summary_cy = $5, description = $6, phase = $7,
         organisation_id = $8, team_id = $9, start_url = $10, platforms = $11, description_cy = $12, how_to_apply = $13, how_to_apply_cy = $14,
         updated_at = now() WHERE id = $1`,
      [
        ...[id, s.name, s.name_cy, s.summary, s.summary_cy, s.description, s.phase, s.organisation_id, s.team_id, s.start_url, s.platforms],
        ...[s.description_cy, s.how_to_apply, s.how_to_apply_cy],
      ],
    );
  },
  /** Hold the service's row until the transaction ends: its changes take turns. */
  async lockService(tx: Queryable, id: string): Promise<void> {
    await tx.query('SELECT 1 FROM catalogue.services WHERE id = $1 FOR UPDATE', [id]);
  },
  async serviceRow(db: Queryable, id: string): Promise<ServiceRow | null> {
    const { rows } = await db.query<ServiceRow>(
      `SELECT slug, name, name_cy, summary, summary_cy, description, description_cy, how_to_apply, how_to_apply_cy, phase, organisation_id,
              team_id, start_url, platforms FROM catalogue.services WHERE id = $1`,
      [id],
    );
    return rows[0] ?? null;
  },

  // Office-holders
  async officeHolders(db: Queryable, serviceId: string): Promise<OfficeHolder[]> {
    const { rows } = await db.query<OfficeHolder>(
      `SELECT h.id, h.name, h.role, h.role_cy, h.organisation_id, o.name AS organisation_name, h.contact, h.in_post_since, h.left_post, h.is_demo
         FROM catalogue.office_holders h JOIN catalogue.organisations o ON o.id = h.organisation_id
        WHERE h.service_id = $1 ORDER BY h.left_post DESC NULLS FIRST, h.in_post_since DESC`,
      [serviceId],
    );
    return rows;
  },
  /** Ends the current office-holder's term the day the new one starts, then adds the new one. */
  async replaceOfficeHolder(
    db: Queryable,
    serviceId: string,
    h: {
      name: string;
      role: string;
      role_cy: string | null;
      organisation_id: string;
      contact: string;
      in_post_since: string;
      is_demo: boolean;
    },
  ): Promise<void> {
    await db.query(
      `UPDATE catalogue.office_holders SET left_post = greatest($2::date, in_post_since) WHERE service_id = $1 AND left_post IS NULL`,
      [serviceId, h.in_post_since],
    );
    await db.query(
      `INSERT INTO catalogue.office_holders (service_id, name, role, role_cy, organisation_id, contact, in_post_since, is_demo)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [serviceId, h.name, h.role, h.role_cy, h.organisation_id, h.contact, h.in_post_since, h.is_demo],
    );
  },

  // Decisions and roadmap
  async decisions(db: Queryable, serviceId: string, limit = 20): Promise<Decision[]> {
    const { rows } = await db.query<Decision>(
      `SELECT id, decided_on, decision, decision_cy, reasoning, reasoning_cy, decided_by, decided_by_cy, evidence_url FROM catalogue.decisions
        WHERE service_id = $1 ORDER BY decided_on DESC, created_at DESC LIMIT $2`,
      [serviceId, limit],
    );
    return rows;
  },
  async insertDecision(db: Queryable, serviceId: string, d: Omit<Decision, 'id'>): Promise<Decision> {
    const { rows } = await db.query<Decision>(
      `INSERT INTO catalogue.decisions (service_id, decided_on, decision, reasoning, decided_by, evidence_url, decision_cy, reasoning_cy, decided_by_cy)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       RETURNING id, decided_on, decision, decision_cy, reasoning, reasoning_cy, decided_by, decided_by_cy, evidence_url`,
      [serviceId, d.decided_on, d.decision, d.reasoning, d.decided_by, d.evidence_url, d.decision_cy, d.reasoning_cy, d.decided_by_cy],
    );
    return rows[0];
  },
  async roadmap(db: Queryable, serviceId: string): Promise<RoadmapItem[]> {
    const { rows } = await db.query<RoadmapItem>(
      `SELECT id, status, title, title_cy, description, description_cy, target_date FROM catalogue.roadmap_items WHERE service_id = $1
        ORDER BY array_position(ARRAY['now','next','later','done'], status), target_date NULLS LAST, title`,
      [serviceId],
    );
    return rows;
  },
  async roadmapItem(db: Queryable, serviceId: string, id: string): Promise<RoadmapItem | null> {
    if (!isUuid(id)) return null;
    const { rows } = await db.query<RoadmapItem>(
      'SELECT id, status, title, title_cy, description, description_cy, target_date FROM catalogue.roadmap_items WHERE service_id = $1 AND id = $2',
      [serviceId, id],
    );
    return rows[0] ?? null;
  },
  async upsertRoadmapItem(db: Queryable, serviceId: string, id: string | null, r: Omit<RoadmapItem, 'id'>): Promise<RoadmapItem> {
    const { rows } = id
      ? await db.query<RoadmapItem>(
          `UPDATE catalogue.roadmap_items SET status = $3, title = $4, description = $5, target_date = $6, title_cy = $7, description_cy = $8,
             updated_at = now()
          WHERE service_id = $1 AND id = $2 RETURNING id, status, title, title_cy, description, description_cy, target_date`,
          [serviceId, id, r.status, r.title, r.description, r.target_date, r.title_cy, r.description_cy],
        )
      : await db.query<RoadmapItem>(
          `INSERT INTO catalogue.roadmap_items (service_id, status, title, description, target_date, title_cy, description_cy)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING id, status, title, title_cy, description, description_cy, target_date`,
          [serviceId, r.status, r.title, r.description, r.target_date, r.title_cy, r.description_cy],
        );
    return rows[0];
  },

  // Feedback
  async insertFeedback(db: Queryable, serviceId: string, rating: number, improvement: string): Promise<void> {
    await db.query('INSERT INTO catalogue.feedback (service_id, rating, improvement) VALUES ($1, $2, $3)', [
      serviceId,
      rating,
      improvement,
    ]);
  },
  /** GOV.UK's user satisfaction: (mean rating − 1) / 4 over the last `days` days. */
  async satisfaction(db: Queryable, serviceId: string, days = 30): Promise<Satisfaction> {
    const { rows } = await db.query<{ mean: number | null; n: number }>(
      `SELECT avg(rating)::float8 AS mean, count(*)::int AS n FROM catalogue.feedback
        WHERE service_id = $1 AND created_at > now() - make_interval(days => $2)`,
      [serviceId, days],
    );
    const { mean, n } = rows[0];
    return { score: mean == null ? null : Math.round(((mean - 1) / 4) * 1000) / 1000, responses: n, days };
  },
  async recentComments(
    db: Queryable,
    serviceId: string,
    limit = 20,
  ): Promise<Array<{ rating: number; improvement: string; created_at: string }>> {
    const { rows } = await db.query<any>(
      `SELECT rating, improvement, created_at FROM catalogue.feedback WHERE service_id = $1 AND improvement <> '' ORDER BY created_at DESC LIMIT $2`,
      [serviceId, limit],
    );
    return rows.map((r) => ({ ...r, created_at: iso(r.created_at) }));
  },

  // API keys
  async insertApiKey(
    db: Queryable,
    k: {
      service_id: string | null;
      platform: string;
      type: string;
      name: string;
      hint: string;
      secret_hash: string;
      secret_sealed: string | null;
      created_by: string;
    },
  ): Promise<ApiKey> {
    const { rows } = await db.query(
      `INSERT INTO catalogue.api_keys (service_id, platform, type, name, hint, secret_hash, secret_sealed, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id, service_id, platform, type, name, hint, created_by, created_at, revoked_at, last_used_at`,
      [k.service_id, k.platform, k.type, k.name, k.hint, k.secret_hash, k.secret_sealed, k.created_by],
    );
    return toKey(rows[0]);
  },
  async listApiKeys(db: Queryable, serviceId: string | null): Promise<ApiKey[]> {
    const { rows } = await db.query(
      `SELECT id, service_id, platform, type, name, hint, created_by, created_at, revoked_at, last_used_at FROM catalogue.api_keys
        WHERE service_id IS NOT DISTINCT FROM $1 ORDER BY revoked_at NULLS FIRST, created_at DESC`,
      [serviceId],
    );
    return rows.map(toKey);
  },
  async apiKey(db: Queryable, id: string): Promise<ApiKey | null> {
    if (!isUuid(id)) return null;
    const { rows } = await db.query(
      'SELECT id, service_id, platform, type, name, hint, created_by, created_at, revoked_at, last_used_at FROM catalogue.api_keys WHERE id = $1',
      [id],
    );
    return rows[0] ? toKey(rows[0]) : null;
  },
  async revokeApiKey(db: Queryable, id: string): Promise<void> {
    await db.query('UPDATE catalogue.api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id]);
  },
  /** A service's keys for one platform with their sealed secrets, revoked ones included (newest first). */
  async sealedKeys(
    db: Queryable,
    serviceId: string,
    platform: string,
  ): Promise<Array<{ id: string; type: string; name: string; secret_sealed: string | null; revoked_at: string | null }>> {
    if (!isUuid(serviceId)) return [];
    const { rows } = await db.query<any>(
      `SELECT id, type, name, secret_sealed, revoked_at FROM catalogue.api_keys
        WHERE service_id = $1 AND platform = $2 ORDER BY created_at DESC`,
      [serviceId, platform],
    );
    return rows.map((r) => ({ ...r, revoked_at: iso(r.revoked_at) }));
  },
  /** The unrevoked key with this secret hash, read only. */
  async liveApiKey(db: Queryable, secretHash: string): Promise<(ApiKey & { secret_sealed: string | null }) | null> {
    const { rows } = await db.query(
      `SELECT id, service_id, platform, type, name, hint, created_by, created_at, revoked_at, last_used_at, secret_sealed
         FROM catalogue.api_keys WHERE secret_hash = $1 AND revoked_at IS NULL`,
      [secretHash],
    );
    return rows[0] ? { ...toKey(rows[0]), secret_sealed: rows[0].secret_sealed } : null;
  },
  /** The live key with this secret hash; marks it used (at most once a minute, to spare writes). */
  async useApiKey(db: Queryable, secretHash: string): Promise<(ApiKey & { secret_sealed: string | null }) | null> {
    const { rows } = await db.query(
      `UPDATE catalogue.api_keys SET last_used_at = CASE WHEN last_used_at IS NULL OR last_used_at < now() - interval '1 minute' THEN now() ELSE last_used_at END
        WHERE secret_hash = $1 AND revoked_at IS NULL
        RETURNING id, service_id, platform, type, name, hint, created_by, created_at, revoked_at, last_used_at, secret_sealed`,
      [secretHash],
    );
    return rows[0] ? { ...toKey(rows[0]), secret_sealed: rows[0].secret_sealed } : null;
  },

  // API key use (adoption)
  /** Demo keys (no one holds their secrets: the hashes are of random text), created `created_at`. */
  async insertDemoApiKeys(
    db: Queryable,
    keys: Array<{
      id: string;
      service_id: string;
      platform: string;
      hint: string;
      secret_hash: string;
      created_at: string;
      last_used_at: string | null;
    }>,
  ): Promise<void> {
    await db.query(
      `INSERT INTO catalogue.api_keys (id, service_id, platform, type, name, hint, secret_hash, created_by, created_at, last_used_at)
       SELECT id, service_id, platform, 'live', 'Live key (demo)', hint, secret_hash, 'demo', created_at, last_used_at
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[])
           AS k(id, service_id, platform, hint, secret_hash, created_at, last_used_at)`,
      (['id', 'service_id', 'platform', 'hint', 'secret_hash', 'created_at', 'last_used_at'] as const).map((c) => keys.map((k) => k[c])),
    );
  },
  async addKeyUse(db: Queryable, uses: Array<{ keyId: string; serviceId: string | null; platform: string; day: string; calls: number }>) {
    await db.query(
      `INSERT INTO catalogue.api_key_usage (key_id, day, service_id, platform, calls)
       SELECT * FROM unnest($1::uuid[], $2::date[], $3::uuid[], $4::text[], $5::bigint[])
       ON CONFLICT (key_id, day) DO UPDATE SET calls = catalogue.api_key_usage.calls + excluded.calls`,
      [
        uses.map((u) => u.keyId),
        uses.map((u) => u.day),
        uses.map((u) => u.serviceId),
        uses.map((u) => u.platform),
        uses.map((u) => u.calls),
      ],
    );
  },
  async keyUseSince(
    db: Queryable,
    days: number,
  ): Promise<Array<{ service_id: string; platform: string; calls: number; last_day: string }>> {
    const { rows } = await db.query<any>(
      `SELECT service_id, platform, sum(calls)::float8 AS calls, max(day)::text AS last_day FROM catalogue.api_key_usage
        WHERE service_id IS NOT NULL AND day > current_date - $1::int GROUP BY service_id, platform`,
      [days],
    );
    return rows.map((r) => ({ ...r, calls: Number(r.calls) }));
  },
  async keyUseByMonth(db: Queryable, months: number): Promise<Array<{ month: string; platform: string; service_ids: string[] }>> {
    const { rows } = await db.query<any>(
      `SELECT to_char(date_trunc('month', day), 'YYYY-MM') AS month, platform, array_agg(DISTINCT service_id::text) AS service_ids
         FROM catalogue.api_key_usage
        WHERE service_id IS NOT NULL AND day >= (date_trunc('month', current_date) - make_interval(months => $1::int - 1))::date
        GROUP BY 1, 2 ORDER BY 1, 2`,
      [months],
    );
    return rows;
  },

  // Staff
  async staffByEmail(db: Queryable, email: string): Promise<StaffRow | null> {
    const { rows } = await db.query<StaffRow>(
      `SELECT id, email, name, password_hash, role, organisation_id, failed_logins, locked_until, disabled_at FROM catalogue.staff_users WHERE lower(email) = lower($1)`,
      [email],
    );
    return rows[0] ?? null;
  },
  async staffById(db: Queryable, id: string): Promise<StaffRow | null> {
    if (!isUuid(id)) return null;
    const { rows } = await db.query<StaffRow>(
      `SELECT id, email, name, password_hash, role, organisation_id, failed_logins, locked_until, disabled_at FROM catalogue.staff_users WHERE id = $1`,
      [id],
    );
    return rows[0] ?? null;
  },
  async listStaff(db: Queryable, organisationId: string | null): Promise<Array<Omit<StaffRow, 'password_hash'>>> {
    const { rows } = await db.query<any>(
      `SELECT id, email, name, role, organisation_id, failed_logins, locked_until, disabled_at FROM catalogue.staff_users
        WHERE ($1::uuid IS NULL OR organisation_id = $1) ORDER BY email`,
      [organisationId],
    );
    return rows;
  },
  async upsertStaff(
    db: Queryable,
    s: { email: string; name: string; password_hash: string | null; role: string; organisation_id: string | null },
  ): Promise<string> {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO catalogue.staff_users (email, name, password_hash, role, organisation_id) VALUES (lower($1), $2, $3, $4, $5)
       ON CONFLICT (email) DO UPDATE SET name = excluded.name, password_hash = coalesce(excluded.password_hash, catalogue.staff_users.password_hash),
         role = excluded.role, organisation_id = excluded.organisation_id, failed_logins = 0, locked_until = NULL, disabled_at = NULL
       RETURNING id`,
      [s.email, s.name, s.password_hash, s.role, s.organisation_id],
    );
    return rows[0].id;
  },
  async recordLogin(db: Queryable, id: string, ok: boolean, lockAfter: number, lockMinutes: number): Promise<void> {
    await db.query(
      ok
        ? 'UPDATE catalogue.staff_users SET failed_logins = 0, locked_until = NULL WHERE id = $1'
        : `UPDATE catalogue.staff_users SET failed_logins = failed_logins + 1,
             locked_until = CASE WHEN failed_logins + 1 >= $2 THEN now() + make_interval(mins => $3) ELSE locked_until END WHERE id = $1`,
      ok ? [id] : [id, lockAfter, lockMinutes],
    );
  },
};

export interface ServiceRow {
  slug: string;
  name: string;
  name_cy: string | null;
  summary: string;
  summary_cy: string | null;
  description: string;
  description_cy: string | null;
  how_to_apply: string;
  how_to_apply_cy: string | null;
  phase: string;
  organisation_id: string;
  team_id: string | null;
  start_url: string | null;
  platforms: string[];
}
export interface StaffRow {
  id: string;
  email: string;
  name: string;
  password_hash: string | null;
  role: 'platform_admin' | 'organisation_admin' | 'service_team';
  organisation_id: string | null;
  failed_logins: number;
  locked_until: Date | null;
  disabled_at: Date | null;
}

function toKey(r: any): ApiKey {
  return {
    id: r.id,
    service_id: r.service_id,
    platform: r.platform,
    type: r.type,
    name: r.name,
    hint: r.hint,
    created_by: r.created_by,
    created_at: iso(r.created_at)!,
    revoked_at: iso(r.revoked_at),
    last_used_at: iso(r.last_used_at),
  };
}

export function isUuid(v: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v);
}

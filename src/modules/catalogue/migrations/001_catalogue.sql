-- The service catalogue: organisations, teams, services, accountable office-holders,
-- decisions, roadmap, feedback, staff accounts and API keys.

CREATE TABLE catalogue.organisations (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug        text NOT NULL UNIQUE,
  name        text NOT NULL,
  name_cy     text,
  kind        text NOT NULL CHECK (kind IN ('ministerial_department', 'non_ministerial_department',
                'arms_length_body', 'local_authority', 'partner', 'supplier')),
  summary     text NOT NULL DEFAULT '',
  website     text,
  parent_id   uuid REFERENCES catalogue.organisations(id),
  is_demo     boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE catalogue.teams (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organisation_id uuid NOT NULL REFERENCES catalogue.organisations(id),
  slug            text NOT NULL,
  name            text NOT NULL,
  email           text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organisation_id, slug)
);

CREATE TABLE catalogue.services (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug            text NOT NULL UNIQUE,
  name            text NOT NULL,
  name_cy         text,
  summary         text NOT NULL,
  summary_cy      text,
  description     text NOT NULL DEFAULT '',
  phase           text NOT NULL CHECK (phase IN ('discovery', 'alpha', 'beta', 'live', 'retiring')),
  organisation_id uuid NOT NULL REFERENCES catalogue.organisations(id),
  team_id         uuid REFERENCES catalogue.teams(id),
  start_url       text,
  platforms       text[] NOT NULL DEFAULT '{}',
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX services_organisation ON catalogue.services (organisation_id);

-- Office-holders keep history: the current one has no left_post date.
CREATE TABLE catalogue.office_holders (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  service_id      uuid NOT NULL REFERENCES catalogue.services(id),
  name            text NOT NULL,
  role            text NOT NULL,
  organisation_id uuid NOT NULL REFERENCES catalogue.organisations(id),
  contact         text NOT NULL DEFAULT '',
  in_post_since   date NOT NULL,
  left_post       date,
  is_demo         boolean NOT NULL DEFAULT false,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX office_holders_one_current ON catalogue.office_holders (service_id) WHERE left_post IS NULL;

CREATE TABLE catalogue.decisions (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  service_id   uuid NOT NULL REFERENCES catalogue.services(id),
  decided_on   date NOT NULL,
  decision     text NOT NULL,
  reasoning    text NOT NULL DEFAULT '',
  decided_by   text NOT NULL,
  evidence_url text,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX decisions_service ON catalogue.decisions (service_id, decided_on DESC);

CREATE TABLE catalogue.roadmap_items (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  service_id   uuid NOT NULL REFERENCES catalogue.services(id),
  status       text NOT NULL CHECK (status IN ('now', 'next', 'later', 'done')),
  title        text NOT NULL,
  description  text NOT NULL DEFAULT '',
  target_date  date,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX roadmap_service ON catalogue.roadmap_items (service_id);

CREATE TABLE catalogue.feedback (
  id           bigserial PRIMARY KEY,
  service_id   uuid NOT NULL REFERENCES catalogue.services(id),
  rating       smallint NOT NULL CHECK (rating BETWEEN 1 AND 5), -- 1 very dissatisfied … 5 very satisfied
  improvement  text NOT NULL DEFAULT '',
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX feedback_service_at ON catalogue.feedback (service_id, created_at DESC);

CREATE TABLE catalogue.staff_users (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email           text NOT NULL UNIQUE,
  name            text NOT NULL DEFAULT '',
  password_hash   text,              -- scrypt; null for accounts that sign in elsewhere
  role            text NOT NULL CHECK (role IN ('platform_admin', 'organisation_admin', 'service_team')),
  organisation_id uuid REFERENCES catalogue.organisations(id),
  failed_logins   int NOT NULL DEFAULT 0,
  locked_until    timestamptz,
  disabled_at     timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  CHECK (role = 'platform_admin' OR organisation_id IS NOT NULL)
);

-- Keys are shown once; only a SHA-256 of the secret is kept. secret_sealed is for
-- platforms whose protocol needs the shared secret itself (Notify's HS256 JWTs),
-- encrypted with the configured ENCRYPTION_KEY.
CREATE TABLE catalogue.api_keys (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  service_id   uuid REFERENCES catalogue.services(id), -- null: a catalogue admin key
  platform     text NOT NULL,
  type         text NOT NULL CHECK (type IN ('live', 'test', 'team', 'admin')),
  name         text NOT NULL,
  hint         text NOT NULL,          -- the last 4 characters, to tell keys apart
  secret_hash  text NOT NULL UNIQUE,
  secret_sealed text,
  created_by   text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  revoked_at   timestamptz,
  last_used_at timestamptz
);
CREATE INDEX api_keys_service ON catalogue.api_keys (service_id);

-- The exchange: members and subsystems (X-Road ids), their signing keys and this node's own,
-- data services and the attributes they release, legal bases, access rights, peers (other
-- nodes), citizens' objections and notification choices, and the access log as an RFC 9162
-- Merkle tree (entries, every complete subtree's hash, signed tree heads). No payload is kept.

CREATE TABLE exchange.node (
  id            text PRIMARY KEY,                 -- this node's name in the federation
  instance      text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE exchange.members (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  instance        text NOT NULL,
  member_class    text NOT NULL,
  member_code     text NOT NULL,
  name            text NOT NULL,
  organisation_id uuid UNIQUE,                    -- the catalogue organisation, when there is one
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (instance, member_class, member_code)
);

CREATE TABLE exchange.subsystems (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  member_id    uuid NOT NULL REFERENCES exchange.members (id),
  code         text NOT NULL,
  name         text NOT NULL,
  service_id   uuid,                              -- the catalogue service whose exchange keys act for it
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (member_id, code)
);

-- Ed25519 signing keys: a member's (member_id set) or this node's (member_id null).
CREATE TABLE exchange.keys (
  kid            text PRIMARY KEY,
  member_id      uuid REFERENCES exchange.members (id),
  public_jwk     jsonb NOT NULL,
  private_sealed text NOT NULL,                  -- PKCS#8, sealed with ENCRYPTION_KEY
  created_at     timestamptz NOT NULL DEFAULT now(),
  retired_at     timestamptz
);

CREATE TABLE exchange.services (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  subsystem_id   uuid NOT NULL REFERENCES exchange.subsystems (id),
  code           text NOT NULL,
  version        text NOT NULL DEFAULT 'v1',
  title          text NOT NULL,
  title_cy       text,
  description    text NOT NULL DEFAULT '',
  openapi        jsonb NOT NULL,
  url            text NOT NULL,                   -- the agency's own system that answers
  timeout_ms     integer NOT NULL DEFAULT 5000 CHECK (timeout_ms BETWEEN 100 AND 60000),
  max_bytes      integer NOT NULL DEFAULT 1048576 CHECK (max_bytes BETWEEN 1024 AND 52428800),
  catalogue_service_id uuid,                      -- the public service page it is accountable on
  created_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (subsystem_id, code)
);

CREATE TABLE exchange.attributes (
  service_id     uuid NOT NULL REFERENCES exchange.services (id),
  name           text NOT NULL,
  title          text NOT NULL,
  title_cy       text,
  dpv_category   text NOT NULL,                   -- e.g. dpv-pd:Health, dpv-pd:OfficialID
  sensitivity    text NOT NULL CHECK (sensitivity IN ('normal', 'special')),
  PRIMARY KEY (service_id, name)
);

CREATE TABLE exchange.legal_bases (
  id             text PRIMARY KEY,                -- 'statute:identity-verification', 'public-task:blue-badge'
  kind           text NOT NULL CHECK (kind IN ('statute', 'public-task')),
  title          text NOT NULL,
  title_cy       text,
  citation       text NOT NULL,
  url            text,
  objection      boolean NOT NULL DEFAULT false,  -- the citizen may object (UK GDPR art. 21)
  covert         boolean NOT NULL DEFAULT false,  -- uses may be hidden from the citizen until a release date
  created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE exchange.rights (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  client         text NOT NULL,                   -- client subsystem X-Road id (local or another node's)
  service_id     uuid NOT NULL REFERENCES exchange.services (id),
  purposes       text[] NOT NULL,                 -- DPV purposes
  attributes     text[] NOT NULL,                 -- attribute names of the service
  bases          text[] NOT NULL,                 -- 'consent', 'statute:…', 'public-task:…'
  covert_days    integer,                         -- hide uses from the citizen for this many days (covert bases only)
  created_by     text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  revoked_at     timestamptz
);
CREATE INDEX rights_lookup ON exchange.rights (client, service_id) WHERE revoked_at IS NULL;

CREATE TABLE exchange.peers (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  url            text NOT NULL UNIQUE,
  node_id        text NOT NULL UNIQUE,
  trust          jsonb NOT NULL,                  -- the peer's last verified trust list
  node_keys      jsonb NOT NULL,                  -- pinned when added
  added_at       timestamptz NOT NULL DEFAULT now(),
  refreshed_at   timestamptz NOT NULL DEFAULT now()
);

-- Signed requests seen from peers (replay protection): kept for the timestamp window.
CREATE TABLE exchange.nonces (
  jti            text PRIMARY KEY,
  expires_at     timestamptz NOT NULL
);

CREATE TABLE exchange.objections (
  subject        text NOT NULL,                   -- identity account id
  client         text NOT NULL,
  service_id     uuid NOT NULL REFERENCES exchange.services (id),
  reason         text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (subject, client, service_id)
);

CREATE TABLE exchange.alerts (
  subject        text PRIMARY KEY,
  email          boolean NOT NULL DEFAULT false,
  sms            boolean NOT NULL DEFAULT false,
  updated_at     timestamptz NOT NULL DEFAULT now()
);

-- The access log. entry is the RFC 8785 canonical JSON the leaf hash covers; the other
-- columns repeat some of its fields for the citizen's view and are checked by verify-log.
CREATE TABLE exchange.log_entries (
  leaf_index     bigint PRIMARY KEY,
  leaf_hash      bytea NOT NULL UNIQUE,
  entry          text NOT NULL,
  at             timestamptz NOT NULL,
  subject        text,
  client         text NOT NULL,
  service        text NOT NULL,
  outcome        text NOT NULL,
  x_road_id      text NOT NULL,
  visible_from   timestamptz                      -- covert access: hidden from the citizen until then
);
CREATE INDEX log_entries_subject ON exchange.log_entries (subject, leaf_index DESC) WHERE subject IS NOT NULL;
CREATE INDEX log_entries_x_road_id ON exchange.log_entries (x_road_id);

-- Every complete, aligned subtree: 2^level leaves from index * 2^level.
CREATE TABLE exchange.log_nodes (
  level          smallint NOT NULL,
  idx            bigint NOT NULL,
  hash           bytea NOT NULL,
  PRIMARY KEY (level, idx)
);

CREATE TABLE exchange.log_sths (
  tree_size      bigint PRIMARY KEY,
  root_hash      bytea NOT NULL,
  timestamp      bigint NOT NULL,                 -- milliseconds since the epoch
  signature      bytea NOT NULL,
  kid            text NOT NULL
);

-- Kernel tables: the event outbox and its subscriber cursors, sessions, the audit log.

CREATE TABLE kernel.events (
  id         bigserial PRIMARY KEY,
  -- The writing transaction: readers only take events whose transaction has ended
  -- (below the snapshot's xmin), so an event that commits late is never skipped.
  tx         xid8 NOT NULL DEFAULT pg_current_xact_id(),
  stream     text NOT NULL,          -- e.g. 'catalogue.service:<id>'
  type       text NOT NULL,          -- e.g. 'catalogue.service.created'
  payload    jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_tx_id ON kernel.events (tx, id);

CREATE TABLE kernel.subscriptions (
  name        text PRIMARY KEY,
  last_tx     xid8 NOT NULL DEFAULT '0',
  last_id     bigint NOT NULL DEFAULT 0,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE kernel.sessions (
  id_hash     text PRIMARY KEY,
  data        jsonb NOT NULL DEFAULT '{}',
  expires_at  timestamptz NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_expires ON kernel.sessions (expires_at);

CREATE TABLE kernel.audit_log (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  actor       text NOT NULL,          -- 'staff:<email>', 'apikey:<id>', 'cli'
  action      text NOT NULL,          -- e.g. 'service.update'
  subject     text NOT NULL,          -- e.g. 'catalogue.service:<id>'
  organisation_id uuid,
  before      jsonb,
  after       jsonb
);
CREATE INDEX audit_at ON kernel.audit_log (at DESC);

-- Append-only: the audit log can be read and added to, never changed.
CREATE FUNCTION kernel.audit_log_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'kernel.audit_log is append-only'; END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON kernel.audit_log
  FOR EACH ROW EXECUTE FUNCTION kernel.audit_log_immutable();

-- Forms: a service's form (one per catalogue service), every published version of its
-- definition, citizens' progress through it, submissions with their files, and one delivery
-- row per submission and destination (the unit of "exactly once"). Services and accounts are
-- other modules' ids (no foreign keys across modules); tables that grow carry service_id.

CREATE TABLE forms.forms (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  service_id    uuid NOT NULL UNIQUE,
  slug          text NOT NULL UNIQUE,            -- the service's slug: /forms/{slug}
  live_version  integer,                         -- null: not live
  draft_version integer,                         -- the newest version, previewable
  preview_token text NOT NULL,                   -- /forms/{slug}/preview/{token}
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE forms.versions (
  form_id    uuid NOT NULL REFERENCES forms.forms (id),
  version    integer NOT NULL,
  definition jsonb NOT NULL,
  source     text NOT NULL DEFAULT 'cityscape',  -- 'cityscape' | 'xgovformbuilder' | 'govuk-forms'
  report     jsonb NOT NULL DEFAULT '[]',        -- what an import could not carry over
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (form_id, version)
);

-- A citizen's way through a form: answers so far, server-side (the browser holds only a token).
CREATE TABLE forms.progress (
  id            uuid PRIMARY KEY,
  service_id    uuid NOT NULL,
  form_id       uuid NOT NULL,
  version       integer NOT NULL,
  token_hash    text NOT NULL UNIQUE,
  resume_hash   text UNIQUE,                     -- "save and come back later" link
  key           text NOT NULL,                   -- pseudonymous, for performance and experiments
  preview       boolean NOT NULL DEFAULT false,
  account_id    text,
  data          jsonb NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  submission_id uuid
);
CREATE INDEX progress_expires ON forms.progress (expires_at);

CREATE TABLE forms.submissions (
  id          uuid PRIMARY KEY,
  service_id  uuid NOT NULL,
  form_id     uuid NOT NULL,
  version     integer NOT NULL,
  progress_id uuid NOT NULL UNIQUE,             -- a replayed "submit" can never make a second one
  reference   text NOT NULL UNIQUE,
  language    text NOT NULL,
  answers     jsonb NOT NULL,                   -- [{ page, question, label, value, text, source? }]
  fee         integer,                          -- pence
  payment_id  text,
  account_id  text,
  preview     boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX submissions_service ON forms.submissions (service_id, created_at);

CREATE TABLE forms.files (
  id            uuid PRIMARY KEY,
  service_id    uuid NOT NULL,
  progress_id   uuid NOT NULL,
  submission_id uuid,
  question      text NOT NULL,
  name          text NOT NULL,
  type          text NOT NULL,
  size          integer NOT NULL,
  sha256        text NOT NULL,
  data          bytea NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX files_progress ON forms.files (progress_id);

-- One row per submission and destination. 'api' rows wait for the team to pull and acknowledge.
CREATE TABLE forms.deliveries (
  id              uuid PRIMARY KEY,
  service_id      uuid NOT NULL,
  submission_id   uuid NOT NULL REFERENCES forms.submissions (id),
  kind            text NOT NULL,               -- 'webhook' | 'email' | 'api' | 'confirmation'
  target          text NOT NULL,
  state           text NOT NULL DEFAULT 'pending', -- pending | delivered | failed | acknowledged
  attempts        integer NOT NULL DEFAULT 0,
  last_error      text,
  delivered_at    timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (submission_id, kind, target)
);
CREATE INDEX deliveries_pull ON forms.deliveries (service_id, kind, state, created_at);

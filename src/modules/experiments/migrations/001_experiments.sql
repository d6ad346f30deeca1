-- Experiments: each catalogue service's flag documents (flagd format) per environment, every
-- revision of them, experiments run on a flag, and exposures (who was served which variant).
-- Services are the catalogue's ids (no foreign key across modules). Tables that grow with use
-- (revisions, exposures) carry service_id first.

CREATE TABLE experiments.flag_sets (
  service_id  uuid NOT NULL,
  environment text NOT NULL CHECK (environment IN ('test', 'live')),
  document    jsonb NOT NULL,
  version     integer NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  updated_by  text NOT NULL,
  PRIMARY KEY (service_id, environment)
);

CREATE TABLE experiments.flag_revisions (
  service_id  uuid NOT NULL,
  environment text NOT NULL,
  version     integer NOT NULL,
  document    jsonb NOT NULL,
  changed_by  text NOT NULL,
  summary     text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (service_id, environment, version)
);

CREATE TABLE experiments.experiments (
  id               uuid PRIMARY KEY,
  service_id       uuid NOT NULL,
  environment      text NOT NULL DEFAULT 'live',
  flag_key         text NOT NULL,
  name             text NOT NULL,
  hypothesis       text NOT NULL DEFAULT '',
  control_variant  text NOT NULL,
  primary_metric   text NOT NULL,
  guardrails       text[] NOT NULL DEFAULT '{}',
  mde              double precision NOT NULL DEFAULT 0.05,  -- relative minimum detectable effect
  baseline         double precision,                        -- expected control rate/mean at design
  status           text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'running', 'stopped', 'shipped')),
  shipped_variant  text,
  started_at       timestamptz,
  stopped_at       timestamptz,
  created_by       text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  published        boolean NOT NULL DEFAULT false
);
CREATE INDEX experiments_by_service ON experiments.experiments (service_id, created_at DESC);
CREATE UNIQUE INDEX experiments_one_running ON experiments.experiments (service_id, environment, flag_key) WHERE status = 'running';

-- One row per person per experiment: the first variant they were served and when.
CREATE TABLE experiments.exposures (
  service_id     uuid NOT NULL,
  experiment_id  uuid NOT NULL,
  targeting_key  text NOT NULL,
  variant        text NOT NULL,
  first_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (service_id, experiment_id, targeting_key)
);

-- Performance: raw measurements (range-partitioned by month, a tenant column on every row),
-- per-minute/hour/day rollups kept up to date in the same transaction as each insert, the
-- visitors of page analytics (pseudonymous daily hashes, forgotten after two days), the daily
-- salt, Backdrop-compatible data sets entered by teams, alerts and annotations.
-- Services are the catalogue's, referred to by id only.

CREATE TABLE performance.measurements (
  service_id uuid NOT NULL,             -- the tenant; the platform's own figures use the nil uuid
  at         timestamptz NOT NULL,
  type       text NOT NULL,             -- 'payments.succeeded', 'forms.started', 'page.view', 'custom.…'
  dim        text NOT NULL DEFAULT '',  -- one breakdown: channel, outcome, rating, variant, path …
  key        text,                      -- pseudonymous per-person key (never an email)
  value      double precision,
  props      jsonb
) PARTITION BY RANGE (at);
-- Catches rows for months with no partition yet; maintenance moves them into their month.
CREATE TABLE performance.measurements_default PARTITION OF performance.measurements DEFAULT;
CREATE INDEX measurements_service_type_at ON performance.measurements (service_id, type, at);

-- Rollups: n measurements and the sum of their values per bucket; dim '' is the total over all dims.
CREATE TABLE performance.rollup_minute (
  service_id uuid NOT NULL,
  type       text NOT NULL,
  dim        text NOT NULL,
  bucket     timestamptz NOT NULL,
  n          bigint NOT NULL,
  total      double precision NOT NULL,
  PRIMARY KEY (service_id, type, dim, bucket)
);
CREATE TABLE performance.rollup_hour (LIKE performance.rollup_minute INCLUDING ALL);
CREATE TABLE performance.rollup_day (LIKE performance.rollup_minute INCLUDING ALL);
CREATE INDEX rollup_minute_bucket ON performance.rollup_minute (bucket);

-- Page analytics visitors: hash(daily salt, service, address, user agent). Pruned after two days.
CREATE TABLE performance.visitors (
  service_id uuid NOT NULL,
  day        date NOT NULL,
  visitor    text NOT NULL,
  last_seen  timestamptz NOT NULL,
  PRIMARY KEY (service_id, day, visitor)
);
CREATE INDEX visitors_live ON performance.visitors (service_id, last_seen);

-- Today's salt only: yesterday's is deleted, so yesterday's hashes can never be recomputed.
CREATE TABLE performance.salts (
  day  date PRIMARY KEY,
  salt text NOT NULL
);

-- Backdrop-compatible data sets: /performance/data/{data_group}/{data_type}; data_group is the service slug.
CREATE TABLE performance.data_sets (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  service_id  uuid NOT NULL,
  data_group  text NOT NULL,
  data_type   text NOT NULL,
  public      boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (data_group, data_type)
);
CREATE INDEX data_sets_service ON performance.data_sets (service_id);

-- Team-entered records. Small (weekly figures, costs), and Backdrop's _id upsert needs a
-- uniqueness that spans all time, so this table is not partitioned; it carries the tenant column.
CREATE TABLE performance.records (
  data_set_id uuid NOT NULL REFERENCES performance.data_sets(id) ON DELETE CASCADE,
  service_id  uuid NOT NULL,
  id          text NOT NULL,
  ts          timestamptz,              -- _timestamp, when given
  data        jsonb NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (data_set_id, id)
);
CREATE INDEX records_ts ON performance.records (data_set_id, ts);

-- Who may see a service's figures move: thresholds and week-on-week changes, sent through Notify.
CREATE TABLE performance.alerts (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  service_id  uuid NOT NULL,
  kpi         text NOT NULL,
  rule        text NOT NULL CHECK (rule IN ('below', 'above', 'change')),
  threshold   double precision NOT NULL,
  channel     text NOT NULL CHECK (channel IN ('email', 'sms')),
  recipient   text NOT NULL,
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  last_fired_at timestamptz,
  firing      boolean NOT NULL DEFAULT false
);
CREATE INDEX alerts_service ON performance.alerts (service_id);

-- A note on a chart linking a change to a decision or roadmap item.
CREATE TABLE performance.annotations (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  service_id  uuid NOT NULL,
  on_date     date NOT NULL,
  text        text NOT NULL,
  link        text,
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX annotations_service ON performance.annotations (service_id, on_date);

-- Availability probes: at most one process probes each minute.
CREATE TABLE performance.probe_state (
  id        int PRIMARY KEY CHECK (id = 1),
  last_run  timestamptz NOT NULL
);
INSERT INTO performance.probe_state VALUES (1, 'epoch');

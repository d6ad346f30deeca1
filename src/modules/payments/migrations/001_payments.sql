-- The payments ledger: payments (never a card number or CVC: only brand, first six, last
-- four), their timeline, refunds, idempotency keys, agreements for recurring payments,
-- disputes, webhooks with their delivery log, and no-code payment links.
-- Services are catalogue ids (no foreign key across modules).

CREATE TABLE payments.payments (
  payment_id          text PRIMARY KEY,               -- 26 characters [0-9a-v], like GOV.UK Pay's
  service_id          uuid NOT NULL,
  live                boolean NOT NULL,                -- live or test key: separate ledgers
  key_id              uuid,                            -- the API key that created it
  link_id             uuid,                            -- or the payment link
  amount              integer NOT NULL CHECK (amount >= 0 AND amount <= 10000000),
  description         text NOT NULL,
  reference           text NOT NULL,
  return_url          text,
  email               text,
  language            text NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'cy')),
  delayed_capture     boolean NOT NULL DEFAULT false,
  moto                boolean NOT NULL DEFAULT false,
  authorisation_mode  text NOT NULL DEFAULT 'web' CHECK (authorisation_mode IN ('web', 'moto_api', 'agreement')),
  agreement_id        text,                            -- agreement mode: the agreement charged
  set_up_agreement    text,                            -- web mode: the agreement this payment sets up
  agreement_payment_type text,
  metadata            jsonb,
  prefilled           jsonb,                           -- prefilled_cardholder_details
  status              text NOT NULL DEFAULT 'created'
                      CHECK (status IN ('created', 'started', 'submitted', 'capturable', 'success', 'failed', 'cancelled', 'error')),
  code                text,                            -- P0010 … P0050 when finished unsuccessfully
  can_retry           boolean,
  auth_step           text,                            -- 'authorising' or '3ds' while status is started
  gateway             text NOT NULL,
  provider_id         text,
  gateway_ref         text,                            -- the gateway's 3-D Secure reference
  card                jsonb,                           -- brand, type, first six, last four, expiry, name, billing address
  three_ds_required   boolean,
  token_gen           integer NOT NULL DEFAULT 0,      -- next_url tokens are single use
  journey_hash        text,                            -- the browser the journey is bound to
  one_time_token_hash text UNIQUE,                     -- moto_api
  one_time_token_used boolean NOT NULL DEFAULT false,
  return_token_hash   text,                            -- payment links: the return page
  capture_submit_time timestamptz,
  captured_date       date,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_by_service ON payments.payments (service_id, live, created_at DESC);
CREATE INDEX payments_unfinished ON payments.payments (created_at) WHERE status IN ('created', 'started', 'submitted');
CREATE INDEX payments_by_reference ON payments.payments (service_id, live, reference);
CREATE INDEX payments_by_return_token ON payments.payments (return_token_hash) WHERE return_token_hash IS NOT NULL;

-- Every state a payment has moved to after `created` (which is its created_at), for GET …/events and the console timeline.
CREATE TABLE payments.payment_events (
  id          bigserial PRIMARY KEY,
  payment_id  text NOT NULL REFERENCES payments.payments (payment_id),
  status      text NOT NULL,
  code        text,
  detail      text,                                    -- e.g. 'captured', 'refund submitted'
  at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_events_payment ON payments.payment_events (payment_id, id);

CREATE TABLE payments.refunds (
  refund_id     text PRIMARY KEY,
  payment_id    text NOT NULL REFERENCES payments.payments (payment_id),
  service_id    uuid NOT NULL,
  live          boolean NOT NULL,
  amount        integer NOT NULL CHECK (amount > 0),
  status        text NOT NULL CHECK (status IN ('submitted', 'success', 'error')),
  provider_ref  text,
  refunded_by   text,                                  -- 'apikey:<id>' or 'staff:<email>'
  settled_date  date,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_by_payment ON payments.refunds (payment_id);
CREATE INDEX refunds_by_service ON payments.refunds (service_id, live, created_at DESC);

-- Idempotency-Key: one payment per key and service ledger; the request hash tells a retry from misuse.
CREATE TABLE payments.idempotency_keys (
  service_id    uuid NOT NULL,
  live          boolean NOT NULL,
  key           text NOT NULL,
  request_hash  text NOT NULL,
  payment_id    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (service_id, live, key)
);

CREATE TABLE payments.agreements (
  agreement_id     text PRIMARY KEY,
  service_id       uuid NOT NULL,
  live             boolean NOT NULL,
  reference        text NOT NULL,
  description      text NOT NULL,
  user_identifier  text,
  status           text NOT NULL DEFAULT 'created' CHECK (status IN ('created', 'active', 'cancelled', 'inactive')),
  instrument       jsonb,                              -- payment_instrument as the API shows it
  instrument_token text,                               -- the gateway's token for the saved card (never the card number)
  created_at       timestamptz NOT NULL DEFAULT now(),
  cancelled_at     timestamptz
);
CREATE INDEX agreements_by_service ON payments.agreements (service_id, live, created_at DESC);

CREATE TABLE payments.disputes (
  dispute_id        text PRIMARY KEY,
  payment_id        text NOT NULL REFERENCES payments.payments (payment_id),
  service_id        uuid NOT NULL,
  live              boolean NOT NULL,
  amount            integer NOT NULL,
  fee               integer,
  net_amount        integer,
  reason            text NOT NULL,
  status            text NOT NULL CHECK (status IN ('needs_response', 'under_review', 'lost', 'won')),
  evidence_due_date timestamptz,
  settled_date      date,
  created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX disputes_by_service ON payments.disputes (service_id, live, created_at DESC);

CREATE TABLE payments.webhooks (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  service_id      uuid NOT NULL,
  live            boolean NOT NULL,
  callback_url    text NOT NULL,
  description     text NOT NULL DEFAULT '',
  secret_sealed   text NOT NULL,                       -- the signing secret, sealed with the encryption key
  subscriptions   text[] NOT NULL,
  status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
  created_by      text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_by_service ON payments.webhooks (service_id, live);

CREATE TABLE payments.webhook_messages (
  id              text PRIMARY KEY,                    -- webhook_message_id
  webhook_id      uuid NOT NULL REFERENCES payments.webhooks (id),
  event_id        bigint NOT NULL,                     -- the kernel outbox event it came from
  event_type      text NOT NULL,
  resource_id     text NOT NULL,
  resource_type   text NOT NULL,
  body            text NOT NULL,                       -- exactly the bytes that are signed and sent
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'successful', 'failed', 'will_not_send')),
  attempts        integer NOT NULL DEFAULT 0,
  last_status_code integer,
  created_at      timestamptz NOT NULL DEFAULT now(),
  delivered_at    timestamptz,
  UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_messages_by_webhook ON payments.webhook_messages (webhook_id, created_at DESC);

CREATE TABLE payments.webhook_attempts (
  id              bigserial PRIMARY KEY,
  message_id      text NOT NULL REFERENCES payments.webhook_messages (id),
  at              timestamptz NOT NULL DEFAULT now(),
  status_code     integer,
  result          text NOT NULL,                       -- '200 OK', 'timeout', 'connection refused' …
  response_ms     integer NOT NULL
);
CREATE INDEX webhook_attempts_by_message ON payments.webhook_attempts (message_id, id);

-- No-code payment pages: a fixed or entered amount, a reference prompt, a public address.
CREATE TABLE payments.links (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  service_id      uuid NOT NULL,
  live            boolean NOT NULL,
  slug            text NOT NULL UNIQUE,
  title           text NOT NULL,
  description     text NOT NULL DEFAULT '',
  amount          integer CHECK (amount IS NULL OR (amount > 0 AND amount <= 10000000)),
  reference_label text NOT NULL,
  reference_hint  text NOT NULL DEFAULT '',
  language        text NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'cy')),
  status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
  created_by      text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX links_by_service ON payments.links (service_id);

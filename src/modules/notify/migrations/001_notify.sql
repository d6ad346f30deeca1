-- Notify: per-service settings, versioned templates, notifications and their delivery state,
-- team members and guest list, callbacks, received text messages, files sent by link,
-- precompiled letters. Services are the catalogue's, referred to by id only.

CREATE TABLE notify.services (
  service_id           uuid PRIMARY KEY,
  email_from           text,                 -- local part of the sending address; default: the service slug
  reply_to_email       text,
  sms_sender           text,
  letter_contact_block text,
  restricted           boolean NOT NULL DEFAULT false,   -- trial mode: live keys send only to the team and guest list
  international_sms    boolean NOT NULL DEFAULT false,
  international_letters boolean NOT NULL DEFAULT false,
  rate_limit           int,                  -- requests per minute per key type; null: the configured default
  email_limit          int,
  sms_limit            int,
  letter_limit         int,
  inbound_number       text UNIQUE,          -- the number received text messages arrive on
  updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notify.templates (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  service_id           uuid NOT NULL,
  type                 text NOT NULL CHECK (type IN ('email', 'sms', 'letter')),
  name                 text NOT NULL,
  subject              text,
  body                 text NOT NULL,
  letter_contact_block text,
  postage              text CHECK (postage IN ('first', 'second', 'economy')),
  version              int NOT NULL DEFAULT 1,
  archived             boolean NOT NULL DEFAULT false,
  created_by           text NOT NULL,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz
);
CREATE INDEX templates_service ON notify.templates (service_id, type);

-- Every version a template has had, the current one included.
CREATE TABLE notify.template_versions (
  template_id          uuid NOT NULL REFERENCES notify.templates(id),
  version              int NOT NULL,
  name                 text NOT NULL,
  subject              text,
  body                 text NOT NULL,
  letter_contact_block text,
  postage              text,
  created_by           text NOT NULL,
  created_at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (template_id, version)
);

CREATE TABLE notify.notifications (
  id                   uuid PRIMARY KEY,
  service_id           uuid NOT NULL,
  api_key_id           uuid,                 -- null: sent by another module or from the console
  key_type             text NOT NULL CHECK (key_type IN ('live', 'team', 'test')),
  type                 text NOT NULL CHECK (type IN ('email', 'sms', 'letter')),
  template_id          uuid,
  template_version     int,
  recipient            text,                 -- as given; null for letters
  normalised_to        text,
  reference            text,
  status               text NOT NULL DEFAULT 'created',
  subject              text,
  body                 text NOT NULL,        -- placeholders filled in (Notify Markdown for email and letters)
  address              jsonb,                -- letters: the address lines as printed
  postage              text,
  billable_units       int NOT NULL DEFAULT 0,   -- text message fragments or sheets of paper
  sender               text,                 -- email reply-to or text message sender
  one_click_unsubscribe_url text,
  precompiled          boolean NOT NULL DEFAULT false,
  created_by_name      text,
  simulated            boolean NOT NULL DEFAULT false,   -- test key or a Notify test address: never sent
  scheduled_for        timestamptz,
  created_at           timestamptz NOT NULL DEFAULT now(),
  sent_at              timestamptz,
  completed_at         timestamptz,
  updated_at           timestamptz,
  -- Delivery state: an attempt holds attempt_id until its outcome is written; a lost one
  -- (its process died) is failed after lease_until, never sent again.
  attempts             int NOT NULL DEFAULT 0,
  attempt_id           uuid,
  lease_until          timestamptz,
  next_attempt_at      timestamptz,
  enqueued_at          timestamptz NOT NULL DEFAULT now(),
  provider             text,
  provider_reference   text,
  provider_response    text
);
CREATE INDEX notifications_service_created ON notify.notifications (service_id, created_at DESC, id DESC);
CREATE INDEX notifications_service_reference ON notify.notifications (service_id, reference) WHERE reference IS NOT NULL;
CREATE INDEX notifications_unfinished ON notify.notifications (enqueued_at) WHERE status IN ('created', 'sending');
CREATE INDEX notifications_provider_reference ON notify.notifications (provider_reference) WHERE provider_reference IS NOT NULL;

CREATE TABLE notify.letter_files (
  notification_id      uuid PRIMARY KEY REFERENCES notify.notifications(id),
  pdf                  bytea NOT NULL,
  pages                int NOT NULL
);

-- Team members (besides the service's staff) and the guest list: who team keys and trial mode may reach.
CREATE TABLE notify.recipients_allowed (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  service_id           uuid NOT NULL,
  kind                 text NOT NULL CHECK (kind IN ('member', 'guest')),
  name                 text NOT NULL DEFAULT '',
  email                text,
  phone                text,                 -- normalised, e.g. 447700900123
  created_at           timestamptz NOT NULL DEFAULT now(),
  CHECK (email IS NOT NULL OR phone IS NOT NULL)
);
CREATE INDEX recipients_allowed_service ON notify.recipients_allowed (service_id);

CREATE TABLE notify.callbacks (
  service_id           uuid NOT NULL,
  kind                 text NOT NULL CHECK (kind IN ('delivery_status', 'inbound_sms')),
  url                  text NOT NULL,
  bearer_token_sealed  text NOT NULL,
  updated_at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (service_id, kind)
);

CREATE TABLE notify.received_texts (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  service_id           uuid NOT NULL,
  notify_number        text NOT NULL,
  user_number          text NOT NULL,
  content              text NOT NULL,
  provider_reference   text,
  created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX received_texts_service ON notify.received_texts (service_id, created_at DESC, id DESC);

-- Files sent by link: only a hash of the link's key is kept.
CREATE TABLE notify.documents (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  service_id           uuid NOT NULL,
  filename             text,
  mime_type            text NOT NULL,
  content              bytea NOT NULL,
  key_hash             text NOT NULL,
  confirm_email        boolean NOT NULL DEFAULT true,
  recipient_hash       text,
  expires_at           timestamptz NOT NULL,
  created_at           timestamptz NOT NULL DEFAULT now()
);

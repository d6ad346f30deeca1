-- Consent: organisations' policies and data agreements (with revisions), the individuals
-- they know, consent records with their revisions and signatures, webhooks, delegations,
-- objections to statutory uses, citizens' notice preferences and data protection officers.
-- Organisations, services and accounts are other modules' ids (no foreign key across modules).
-- Every table that grows with use carries organisation_id (or the citizen's account) first.

-- The platform's signing keys (Ed25519): each revision is signed, so anyone with the
-- published public key (/consent/.well-known/jwks.json) can check it.
CREATE TABLE consent.signing_keys (
  kid            text PRIMARY KEY,
  public_jwk     jsonb NOT NULL,
  private_sealed text NOT NULL,                    -- AES-GCM with ENCRYPTION_KEY
  created_at     timestamptz NOT NULL DEFAULT now(),
  retired_at     timestamptz
);

CREATE TABLE consent.policies (
  id                         uuid PRIMARY KEY,
  organisation_id            uuid NOT NULL,
  name                       text NOT NULL,
  version                    text NOT NULL,
  url                        text NOT NULL,
  jurisdiction               text NOT NULL DEFAULT '',
  industry_sector            text NOT NULL DEFAULT '',
  data_retention_period_days integer NOT NULL DEFAULT 0,
  geographic_restriction     text NOT NULL DEFAULT '',
  storage_location           text NOT NULL DEFAULT '',
  revision_id                uuid,                 -- the latest revision
  created_at                 timestamptz NOT NULL DEFAULT now(),
  updated_at                 timestamptz NOT NULL DEFAULT now(),
  deleted_at                 timestamptz
);
CREATE INDEX policies_org ON consent.policies (organisation_id, created_at);

-- A data agreement: one purpose a citizen can agree to. The row is the working copy; what
-- citizens agree to is its latest published revision (revision_id). `pending` holds a
-- change drafted in the staff console until a data protection officer approves it.
CREATE TABLE consent.agreements (
  id                  uuid PRIMARY KEY,
  organisation_id     uuid NOT NULL,
  service_id          uuid NOT NULL,                 -- the catalogue service that asks
  policy_id           uuid REFERENCES consent.policies(id),
  version             text NOT NULL DEFAULT '1.0.0',
  controller_id       text NOT NULL DEFAULT '',
  controller_name     text NOT NULL,
  controller_url      text NOT NULL DEFAULT '',
  purpose             text NOT NULL,                 -- shown to the citizen
  purpose_cy          text,
  purpose_description text NOT NULL DEFAULT '',
  purpose_description_cy text,
  dpv_purpose         text NOT NULL DEFAULT 'dpv:ServiceProvision',
  lawful_basis        text NOT NULL DEFAULT 'consent'
                      CHECK (lawful_basis IN ('consent', 'legal_obligation', 'contract', 'vital_interest', 'public_task', 'legitimate_interest')),
  data_use            text NOT NULL DEFAULT 'data_using_service',
  dpia                text NOT NULL DEFAULT '',
  dpia_date           text NOT NULL DEFAULT '',
  dpia_summary_url    text NOT NULL DEFAULT '',
  active              boolean NOT NULL DEFAULT false,  -- new consent records may be created
  forgettable         boolean NOT NULL DEFAULT false,
  lifecycle           text NOT NULL DEFAULT 'draft' CHECK (lifecycle IN ('draft', 'complete')),
  attributes          jsonb NOT NULL DEFAULT '[]',     -- [{id, name, nameCy, description, sensitivity, category, provider, providerName}]
  partial_allowed     boolean NOT NULL DEFAULT true,   -- the citizen may agree to some facts only
  duration_days       integer,                         -- how long a consent lasts; null: until withdrawn
  compatible_with_version_id text NOT NULL DEFAULT '',
  approval            text NOT NULL DEFAULT 'approved'
                      CHECK (approval IN ('draft', 'submitted', 'approved', 'rejected')),
  pending             jsonb,                           -- a console change awaiting approval
  drafted_by          text,
  submitted_at        timestamptz,
  decided_by          text,
  decided_at          timestamptz,
  decision_note       text,
  revision_id         uuid,                            -- the latest published revision
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  deleted_at          timestamptz
);
CREATE INDEX agreements_org ON consent.agreements (organisation_id, created_at);
CREATE INDEX agreements_service ON consent.agreements (service_id, dpv_purpose) WHERE deleted_at IS NULL;

CREATE TABLE consent.individuals (
  id                   uuid PRIMARY KEY,
  organisation_id      uuid NOT NULL,
  external_id          text NOT NULL DEFAULT '',
  external_id_type     text NOT NULL DEFAULT '',
  identity_provider_id text NOT NULL DEFAULT '',
  account_id           uuid,                           -- the identity account (subject), when known
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  deleted_at           timestamptz
);
CREATE INDEX individuals_org ON consent.individuals (organisation_id, created_at);
CREATE UNIQUE INDEX individuals_account ON consent.individuals (organisation_id, account_id)
  WHERE account_id IS NOT NULL AND deleted_at IS NULL;

-- One record per individual and agreement; its revisions are its history. `attributes` are
-- the facts agreed to (a subset of the agreement's), `status` what the citizen last said.
CREATE TABLE consent.records (
  id                      uuid PRIMARY KEY,
  organisation_id         uuid NOT NULL,
  agreement_id            uuid NOT NULL REFERENCES consent.agreements(id),
  individual_id           uuid NOT NULL REFERENCES consent.individuals(id),
  account_id              uuid,
  service_id              uuid NOT NULL,
  agreement_revision_id   uuid NOT NULL,
  agreement_revision_hash text NOT NULL,
  opt_in                  boolean NOT NULL,
  status                  text NOT NULL CHECK (status IN ('given', 'declined', 'withdrawn')),
  state                   text NOT NULL DEFAULT 'unsigned' CHECK (state IN ('unsigned', 'pending', 'signed')),
  signature_id            uuid,
  attributes              text[] NOT NULL DEFAULT '{}',
  given_at                timestamptz,
  expires_at              timestamptz,
  withdrawn_at            timestamptz,
  delegation_id           uuid,                        -- given by someone acting for the citizen
  via                     text NOT NULL DEFAULT 'api', -- api | page | delegate
  revision_id             uuid,
  reminded_at             timestamptz,                 -- "about to expire" notice sent
  created_at              timestamptz NOT NULL DEFAULT now(),
  updated_at              timestamptz NOT NULL DEFAULT now(),
  UNIQUE (agreement_id, individual_id)
);
CREATE INDEX records_org ON consent.records (organisation_id, created_at, id);
CREATE INDEX records_account ON consent.records (account_id) WHERE account_id IS NOT NULL;
CREATE INDEX records_individual ON consent.records (individual_id);
CREATE INDEX records_expiring ON consent.records (expires_at) WHERE opt_in AND reminded_at IS NULL;

-- The spec's Revision: a locked, serialised snapshot of one row, chained to its predecessor
-- (predecessor_hash) and signed by the platform (signature: a JWS over the link).
CREATE TABLE consent.revisions (
  id                       uuid PRIMARY KEY,
  organisation_id          uuid NOT NULL,
  schema_name              text NOT NULL,
  object_id                uuid NOT NULL,
  seq                      integer NOT NULL,
  timestamp                text NOT NULL,
  authorized_by_individual uuid,
  authorized_by_other      text NOT NULL DEFAULT '',
  serialized_snapshot      text NOT NULL,
  serialized_hash          text NOT NULL,
  predecessor_hash         text NOT NULL DEFAULT '',
  predecessor_signature    text NOT NULL DEFAULT '',
  signature                text NOT NULL,
  successor_id             uuid,
  UNIQUE (object_id, seq)
);
CREATE INDEX revisions_org ON consent.revisions (organisation_id, schema_name);

-- Revisions are locked: only `successor_id` may be set, once. Forgetting (right to be
-- forgotten, forgettable agreements) deletes a whole chain with consent.forget = on.
CREATE FUNCTION consent.revisions_locked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF coalesce(current_setting('consent.forget', true), '') = 'on' THEN RETURN OLD; END IF;
    RAISE EXCEPTION 'consent.revisions are kept (forget a whole chain with consent.forget = on)';
  END IF;
  IF OLD.successor_id IS NOT NULL OR
     (NEW.id, NEW.organisation_id, NEW.schema_name, NEW.object_id, NEW.seq, NEW.timestamp,
      NEW.authorized_by_individual, NEW.authorized_by_other, NEW.serialized_snapshot, NEW.serialized_hash,
      NEW.predecessor_hash, NEW.predecessor_signature, NEW.signature)
     IS DISTINCT FROM
     (OLD.id, OLD.organisation_id, OLD.schema_name, OLD.object_id, OLD.seq, OLD.timestamp,
      OLD.authorized_by_individual, OLD.authorized_by_other, OLD.serialized_snapshot, OLD.serialized_hash,
      OLD.predecessor_hash, OLD.predecessor_signature, OLD.signature) THEN
    RAISE EXCEPTION 'consent.revisions are locked: only successor_id may be set, once';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER revisions_locked BEFORE UPDATE OR DELETE ON consent.revisions
  FOR EACH ROW EXECUTE FUNCTION consent.revisions_locked();

-- The spec's Signature objects (consent records' signatures; drafts are never stored).
CREATE TABLE consent.signatures (
  id                              uuid PRIMARY KEY,
  organisation_id                 uuid NOT NULL,
  record_id                       uuid,
  payload                         text NOT NULL DEFAULT '',
  signature                       text NOT NULL DEFAULT '',
  verification_method             text NOT NULL DEFAULT '',
  verification_payload            text NOT NULL DEFAULT '',
  verification_payload_hash       text NOT NULL DEFAULT '',
  verification_artifact           text NOT NULL DEFAULT '',
  verification_signed_by          text NOT NULL DEFAULT '',
  verification_signed_as          text NOT NULL DEFAULT '',
  verification_jws_header         text NOT NULL DEFAULT '',
  timestamp                       text NOT NULL,
  signed_without_object_reference boolean NOT NULL DEFAULT false,
  object_type                     text NOT NULL DEFAULT 'revision',
  object_reference                text NOT NULL DEFAULT '',
  verified                        boolean NOT NULL DEFAULT false,  -- checked cryptographically here
  created_at                      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX signatures_record ON consent.signatures (record_id);

CREATE TABLE consent.webhooks (
  id                    uuid PRIMARY KEY,
  organisation_id       uuid NOT NULL,
  payload_url           text NOT NULL,
  content_type          text NOT NULL DEFAULT 'application/json',
  subscribed_events     text[] NOT NULL,
  disabled              boolean NOT NULL DEFAULT false,
  secret_sealed         text NOT NULL,
  skip_ssl_verification boolean NOT NULL DEFAULT false,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  deleted_at            timestamptz
);
CREATE INDEX webhooks_org ON consent.webhooks (organisation_id) WHERE deleted_at IS NULL;

CREATE TABLE consent.webhook_deliveries (
  id           uuid PRIMARY KEY,
  webhook_id   uuid NOT NULL REFERENCES consent.webhooks(id),
  event_id     bigint NOT NULL,
  event_type   text NOT NULL,
  body         text NOT NULL,
  status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts     integer NOT NULL DEFAULT 0,
  last_status  integer,
  last_result  text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  UNIQUE (webhook_id, event_id)
);

-- Someone acting for a citizen: a parent, carer or attorney. Scoped to services and purposes,
-- expiring, evidenced, visible to both people and revocable by the person.
CREATE TABLE consent.delegations (
  id                  uuid PRIMARY KEY,
  grantor_account_id  uuid NOT NULL,                   -- the person acted for
  grantor_name        text NOT NULL DEFAULT '',
  delegate_account_id uuid,                            -- set when the invitation is accepted
  delegate_name       text NOT NULL DEFAULT '',
  relationship        text NOT NULL CHECK (relationship IN ('parent', 'carer', 'attorney')),
  service_ids         uuid[],                          -- null: every service
  purposes            text[],                          -- null: every purpose
  expires_at          timestamptz NOT NULL,
  evidence_type       text NOT NULL CHECK (evidence_type IN ('grant', 'lpa', 'parental_link')),
  evidence_ref        text NOT NULL DEFAULT '',
  evidence_detail     text NOT NULL DEFAULT '',
  invite_hash         text UNIQUE,
  invite_expires_at   timestamptz,
  status              text NOT NULL DEFAULT 'invited' CHECK (status IN ('invited', 'active', 'revoked', 'declined')),
  created_at          timestamptz NOT NULL DEFAULT now(),
  accepted_at         timestamptz,
  revoked_at          timestamptz,
  revoked_by          text
);
CREATE INDEX delegations_grantor ON consent.delegations (grantor_account_id);
CREATE INDEX delegations_delegate ON consent.delegations (delegate_account_id);

-- A citizen's objection to a statutory use of their data (where the law allows objecting).
CREATE TABLE consent.objections (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id   uuid NOT NULL,
  use_id       text NOT NULL,
  reason       text NOT NULL DEFAULT '',
  created_at   timestamptz NOT NULL DEFAULT now(),
  withdrawn_at timestamptz
);
CREATE UNIQUE INDEX objections_open ON consent.objections (account_id, use_id) WHERE withdrawn_at IS NULL;

-- How a citizen wants to hear about their agreements (expiry, use).
CREATE TABLE consent.preferences (
  account_id    uuid PRIMARY KEY,
  channel       text NOT NULL DEFAULT 'email' CHECK (channel IN ('email', 'sms', 'none')),
  notify_expiry boolean NOT NULL DEFAULT true,
  notify_use    boolean NOT NULL DEFAULT true,
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Notices sent (at most one "was used" notice per record a day).
CREATE TABLE consent.notices (
  record_id  uuid NOT NULL,
  kind       text NOT NULL CHECK (kind IN ('expiring', 'used')),
  day        date NOT NULL,
  sent_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (record_id, kind, day)
);

-- Staff who approve data agreements for an organisation.
CREATE TABLE consent.dpos (
  organisation_id uuid NOT NULL,
  staff_id        uuid NOT NULL,
  email           text NOT NULL,
  appointed_by    text NOT NULL,
  appointed_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organisation_id, staff_id)
);

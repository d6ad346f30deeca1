-- Identity: citizen accounts and their one-time codes, identity checks and the demo
-- evidence registry, relying services (OIDC clients), signing keys, and the OpenID
-- provider's own state (sessions, codes, tokens, grants) so it survives restarts and is
-- shared by every process.

CREATE TABLE identity.accounts (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email              text NOT NULL UNIQUE,            -- lower-cased
  password_hash      text NOT NULL,                   -- scrypt (kernel/crypto.ts)
  phone              text,                            -- E.164-ish, verified when mfa_method = 'sms'
  mfa_method         text CHECK (mfa_method IN ('app', 'sms')),
  totp_secret        text,                            -- sealed with ENCRYPTION_KEY
  totp_last_step     bigint,                          -- a TOTP code is accepted once
  given_name         text,                            -- verified by an identity check only
  family_name        text,
  birth_date         date,
  address            jsonb,                           -- One Login PostalAddress, with uprn where known
  passport           jsonb,                           -- { documentNumber, icaoIssuerCode, expiryDate }
  identity_level     text NOT NULL DEFAULT 'P0' CHECK (identity_level IN ('P0', 'P1', 'P2')),
  identity_level_at  timestamptz,
  failed_attempts    integer NOT NULL DEFAULT 0,
  locked_until       timestamptz,
  signed_out_at      timestamptz,                     -- "sign out everywhere": sign-ins before this end
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);

-- One row per sign-in (browser session). The kernel session names one; ending it signs out.
CREATE TABLE identity.sign_ins (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id  uuid NOT NULL REFERENCES identity.accounts(id) ON DELETE CASCADE,
  level       text NOT NULL CHECK (level IN ('Cl', 'Cl.Cm')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  raised_at   timestamptz NOT NULL DEFAULT now(),
  ended_at    timestamptz
);
CREATE INDEX sign_ins_account ON identity.sign_ins (account_id) WHERE ended_at IS NULL;

-- One-time codes (email confirmation, password reset, text message sign-in): only an HMAC is kept.
CREATE TABLE identity.codes (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  purpose     text NOT NULL,
  subject     text NOT NULL,                          -- an email address or an account id
  code_hash   text NOT NULL,
  attempts    integer NOT NULL DEFAULT 0,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX codes_subject ON identity.codes (purpose, subject, created_at DESC);

-- The demo authoritative source behind the registry evidence source (fictional people).
CREATE TABLE identity.evidence_records (
  kind             text NOT NULL CHECK (kind IN ('passport', 'driving_licence')),
  document_number  text NOT NULL,
  given_name       text NOT NULL,
  family_name      text NOT NULL,
  birth_date       date NOT NULL,
  expiry_date      date NOT NULL,
  address          jsonb,
  PRIMARY KEY (kind, document_number)
);

-- Every identity check made, matched or not: the level reached and when.
CREATE TABLE identity.identity_checks (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id      uuid NOT NULL REFERENCES identity.accounts(id) ON DELETE CASCADE,
  source          text NOT NULL,
  evidence_kind   text NOT NULL,
  document_hash   text NOT NULL,                      -- SHA-256 of the document number, never the number
  matched         boolean NOT NULL,
  level           text,
  checked_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX identity_checks_account ON identity.identity_checks (account_id, checked_at DESC);

-- Relying services: OpenID Connect clients, each linked to a catalogue service (by id).
CREATE TABLE identity.clients (
  client_id                   text PRIMARY KEY,
  service_id                  uuid NOT NULL,
  name                        text NOT NULL,
  redirect_uris               text[] NOT NULL,
  post_logout_redirect_uris   text[] NOT NULL DEFAULT '{}',
  auth_method                 text NOT NULL CHECK (auth_method IN ('private_key_jwt', 'client_secret_post')),
  jwks                        jsonb,                  -- public keys, for private_key_jwt
  secret                      text,                   -- sealed, for client_secret_post
  scopes                      text[] NOT NULL,
  claims                      text[] NOT NULL DEFAULT '{}',
  max_identity_level          text NOT NULL DEFAULT 'P0' CHECK (max_identity_level IN ('P0', 'P1', 'P2')),
  backchannel_logout_uri      text,
  id_token_alg                text NOT NULL DEFAULT 'ES256',
  refresh_tokens              boolean NOT NULL DEFAULT true,
  created_by                  text NOT NULL,
  created_at                  timestamptz NOT NULL DEFAULT now(),
  updated_at                  timestamptz NOT NULL DEFAULT now(),
  disabled_at                 timestamptz
);
CREATE INDEX clients_service ON identity.clients (service_id);

-- Signing keys: ID tokens ('oidc') and the core identity JWT ('core_identity'). Private
-- halves sealed with ENCRYPTION_KEY. The newest unretired key of each kind signs.
CREATE TABLE identity.keys (
  kid          text PRIMARY KEY,
  purpose      text NOT NULL CHECK (purpose IN ('oidc', 'core_identity')),
  alg          text NOT NULL,
  private_jwk  text NOT NULL,
  public_jwk   jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  retired_at   timestamptz
);

-- oidc-provider's models (Session, Grant, AuthorizationCode, AccessToken, RefreshToken,
-- Interaction, ReplayDetection, …), one row each, through adapter.ts.
CREATE TABLE identity.oidc_models (
  kind         text NOT NULL,
  id           text NOT NULL,
  payload      jsonb NOT NULL,
  grant_id     text,
  user_code    text,
  uid          text,
  account_id   text,
  expires_at   timestamptz,
  consumed_at  timestamptz,
  PRIMARY KEY (kind, id)
);
CREATE INDEX oidc_models_grant ON identity.oidc_models (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX oidc_models_uid ON identity.oidc_models (uid) WHERE uid IS NOT NULL;
CREATE INDEX oidc_models_user_code ON identity.oidc_models (user_code) WHERE user_code IS NOT NULL;
CREATE INDEX oidc_models_account ON identity.oidc_models (kind, account_id) WHERE account_id IS NOT NULL;
CREATE INDEX oidc_models_expires ON identity.oidc_models (expires_at);

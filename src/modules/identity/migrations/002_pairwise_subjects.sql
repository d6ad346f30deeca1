-- Each pairwise `sub` given to a catalogue service, kept when first issued, so a service's
-- `sub` can be turned back into the account (the exchange's `Exchange-Subject: pairwise:{sub}`).
CREATE TABLE identity.pairwise_subjects (
  service_id  uuid NOT NULL,
  sub         text NOT NULL,
  account_id  uuid NOT NULL REFERENCES identity.accounts(id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (service_id, sub)
);
CREATE INDEX pairwise_subjects_account ON identity.pairwise_subjects (account_id);

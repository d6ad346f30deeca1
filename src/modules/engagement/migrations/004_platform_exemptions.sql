-- Exemptions from the rule that new services use the shared platforms (issue #17): each is a
-- decision in the service's catalogue decision log (decision_id), written in the same
-- transaction; this row keeps what the adoption figures need (which platform, until when).
CREATE TABLE engagement.platform_exemptions (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  service_id      uuid NOT NULL,   -- the exempt service (the tenant)
  organisation_id uuid NOT NULL,
  platform        text NOT NULL,
  reason          text NOT NULL,
  expires_on      date NOT NULL,
  decision_id     uuid NOT NULL,
  created_by      text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX platform_exemptions_service ON engagement.platform_exemptions (service_id, platform);

-- "Is this page useful?" on every citizen page: anonymous (no person, no address, no cookie),
-- per page path, and per service where the page is a service's own page.
CREATE TABLE engagement.page_feedback (
  id          bigserial PRIMARY KEY,
  page        text NOT NULL,
  service_id  uuid,
  useful      boolean,                 -- null: a problem report with no yes/no
  text        text NOT NULL DEFAULT '',
  lang        text NOT NULL DEFAULT 'en',
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX page_feedback_service ON engagement.page_feedback (service_id, created_at DESC);
CREATE INDEX page_feedback_created ON engagement.page_feedback (created_at DESC);

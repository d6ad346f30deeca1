-- Every citizen-facing field gets a Welsh version (shown on Welsh pages, English when it has
-- none), and each service says how to apply: its start link leads to that page of ours until
-- the service has a form of its own.

ALTER TABLE catalogue.organisations ADD COLUMN summary_cy text;
ALTER TABLE catalogue.teams ADD COLUMN name_cy text;
ALTER TABLE catalogue.services
  ADD COLUMN description_cy text,
  ADD COLUMN how_to_apply text NOT NULL DEFAULT '',
  ADD COLUMN how_to_apply_cy text;
ALTER TABLE catalogue.office_holders ADD COLUMN role_cy text;
ALTER TABLE catalogue.decisions
  ADD COLUMN decision_cy text,
  ADD COLUMN reasoning_cy text,
  ADD COLUMN decided_by_cy text;
ALTER TABLE catalogue.roadmap_items
  ADD COLUMN title_cy text,
  ADD COLUMN description_cy text;

-- The demo once pointed "Start now" at /start/<slug>, which nothing serves.
UPDATE catalogue.services SET start_url = NULL WHERE start_url = '/start/' || slug;

-- The shared platforms are services in the catalogue too (issue #17): `platform` says which
-- shared platform a service *is* (one service per platform), so each platform has an
-- accountable owner, decisions and a roadmap like any other service.
ALTER TABLE catalogue.services ADD COLUMN platform text UNIQUE;

-- Real use of the platforms: calls per API key per day, counted in memory by verifyApiKey (and
-- recordKeyUse for Notify's own JWT check) and flushed in batches — never a write per request.
-- service_id and platform are copied from the key so the adoption figures need no join.
CREATE TABLE catalogue.api_key_usage (
  key_id      uuid NOT NULL REFERENCES catalogue.api_keys(id),
  day         date NOT NULL,
  service_id  uuid,
  platform    text NOT NULL,
  calls       bigint NOT NULL CHECK (calls > 0),
  PRIMARY KEY (key_id, day)
);
CREATE INDEX api_key_usage_day ON catalogue.api_key_usage (day, platform);

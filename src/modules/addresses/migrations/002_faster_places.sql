-- The OS fields of a place are only ever sent back whole: plain json stores and returns them
-- without conversion (imports write, and look-ups read, much less). And each street key gets
-- the street's own name (without locality and town), so free text can find streets by exact
-- words through a B-tree, or misspelt through a GIN trigram index, before falling back to ranking
-- every key by trigram distance.
ALTER TABLE addresses.place ALTER COLUMN doc TYPE json;
ALTER TABLE addresses.street_key ADD COLUMN street text;
CREATE INDEX street_key_street ON addresses.street_key (street);
-- fastupdate off: a pending list would be scanned on every search until the next VACUUM,
-- and an import adds thousands of keys in one go (it made find 7 times slower until vacuumed).
CREATE INDEX street_key_street_trgm ON addresses.street_key USING gin (street gin_trgm_ops) WITH (fastupdate = off);

-- The audit log becomes a hash chain, so that a change made behind the application's back
-- shows. Each entry holds the SHA-256 (hex) of the previous entry's hash followed by its own
-- canonical content (kernel.audit_canonical: every column as a length-prefixed string, NULL
-- as '~'); the first entry's previous hash is 64 zeros. kernel.audit_head holds the last
-- entry's id and hash: locking it serialises appends, so the chain stays one line however many
-- processes write, and ids are given in chain order with no gaps. TRUNCATE is refused too.
-- `cityscape audit verify` (kernel/audit.ts) recomputes the chain outside the database.

ALTER TABLE kernel.audit_log ADD COLUMN prev_hash text, ADD COLUMN hash text;

CREATE TABLE kernel.audit_head (
  one      boolean PRIMARY KEY DEFAULT true CHECK (one),
  last_id  bigint NOT NULL,
  hash     text NOT NULL
);

CREATE FUNCTION kernel.audit_field(text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN $1 IS NULL THEN '~,' ELSE octet_length($1)::text || ':' || $1 || ',' END
$$;

CREATE FUNCTION kernel.audit_canonical(bigint, timestamptz, text, text, text, uuid, jsonb, jsonb) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT kernel.audit_field($1::text)
      || kernel.audit_field(to_char($2 AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
      || kernel.audit_field($3) || kernel.audit_field($4) || kernel.audit_field($5)
      || kernel.audit_field($6::text) || kernel.audit_field($7::text) || kernel.audit_field($8::text)
$$;

CREATE FUNCTION kernel.audit_hash(prev text, canonical text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(convert_to(prev || canonical, 'UTF8')), 'hex')
$$;

-- Entries written before the chain existed are chained now, in id order.
ALTER TABLE kernel.audit_log DISABLE TRIGGER audit_log_no_update;
DO $$
DECLARE
  r kernel.audit_log%ROWTYPE;
  prev text := repeat('0', 64);
  last bigint := 0;
BEGIN
  FOR r IN SELECT * FROM kernel.audit_log ORDER BY id LOOP
    UPDATE kernel.audit_log
       SET prev_hash = prev,
           hash = kernel.audit_hash(prev, kernel.audit_canonical(r.id, r.at, r.actor, r.action, r.subject, r.organisation_id, r.before, r.after))
     WHERE id = r.id
    RETURNING hash INTO prev;
    last := r.id;
  END LOOP;
  INSERT INTO kernel.audit_head (last_id, hash) VALUES (last, prev);
END $$;
ALTER TABLE kernel.audit_log ENABLE TRIGGER audit_log_no_update;
ALTER TABLE kernel.audit_log ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN hash SET NOT NULL, ALTER COLUMN id DROP DEFAULT;
DROP SEQUENCE IF EXISTS kernel.audit_log_id_seq;

CREATE FUNCTION kernel.audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  head kernel.audit_head%ROWTYPE;
BEGIN
  -- FOR UPDATE waits for any other writer's entry to commit and then reads its hash (or, in a
  -- REPEATABLE READ transaction, fails rather than fork the chain).
  SELECT * INTO head FROM kernel.audit_head FOR UPDATE;
  NEW.id := head.last_id + 1;
  NEW.at := coalesce(NEW.at, now());
  NEW.prev_hash := head.hash;
  NEW.hash := kernel.audit_hash(head.hash,
    kernel.audit_canonical(NEW.id, NEW.at, NEW.actor, NEW.action, NEW.subject, NEW.organisation_id, NEW.before, NEW.after));
  UPDATE kernel.audit_head SET last_id = NEW.id, hash = NEW.hash;
  RETURN NEW;
END $$;
CREATE TRIGGER audit_log_chain BEFORE INSERT ON kernel.audit_log
  FOR EACH ROW EXECUTE FUNCTION kernel.audit_log_chain();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON kernel.audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION kernel.audit_log_immutable();

-- Revisions are written on every change and read by object (the unique (object_id, seq) index);
-- the (organisation_id, schema_name) index only served whole-organisation verification, which
-- reads every revision anyway. One index fewer on the write path.
DROP INDEX consent.revisions_org;

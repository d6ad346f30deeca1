-- AddressBase Premium as supplied (one table per record type, keyed as the specification
-- keys them, so change-only updates apply record by record), plus `place`: one row per
-- OS Places result record (a DPA in English or Welsh, or an LPI), rebuilt from the raw
-- tables for the UPRNs an import touched. Queries read `place` only.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE addresses.street (
  usrn bigint PRIMARY KEY, record_type smallint, swa_org_ref_naming integer, state smallint, state_date date,
  street_surface smallint, street_classification smallint, version smallint, street_start_date date, street_end_date date,
  last_update_date date, record_entry_date date, street_start_x double precision, street_start_y double precision,
  street_start_lat double precision, street_start_long double precision, street_end_x double precision, street_end_y double precision,
  street_end_lat double precision, street_end_long double precision, street_tolerance smallint
);
CREATE TABLE addresses.street_descriptor (
  usrn bigint NOT NULL, language text NOT NULL, street_description text, locality text, town_name text, administrative_area text,
  start_date date, end_date date, last_update_date date, entry_date date,
  PRIMARY KEY (usrn, language)
);
CREATE TABLE addresses.blpu (
  uprn bigint PRIMARY KEY, logical_status smallint, blpu_state smallint, blpu_state_date date, parent_uprn bigint,
  x_coordinate double precision, y_coordinate double precision, latitude double precision, longitude double precision,
  rpc smallint, local_custodian_code integer, country text, start_date date, end_date date, last_update_date date, entry_date date,
  addressbase_postal text, postcode_locator text, multi_occ_count integer
);
CREATE TABLE addresses.xref (
  xref_key text PRIMARY KEY, uprn bigint NOT NULL, cross_reference text, version integer, source text,
  start_date date, end_date date, last_update_date date, entry_date date
);
CREATE INDEX xref_uprn ON addresses.xref (uprn);
CREATE TABLE addresses.lpi (
  lpi_key text PRIMARY KEY, uprn bigint NOT NULL, language text, logical_status smallint,
  start_date date, end_date date, last_update_date date, entry_date date,
  sao_start_number integer, sao_start_suffix text, sao_end_number integer, sao_end_suffix text, sao_text text,
  pao_start_number integer, pao_start_suffix text, pao_end_number integer, pao_end_suffix text, pao_text text,
  usrn bigint, usrn_match_indicator text, area_name text, level text, official_flag text
);
CREATE INDEX lpi_uprn ON addresses.lpi (uprn);
CREATE INDEX lpi_usrn ON addresses.lpi (usrn);
CREATE TABLE addresses.dpa (
  udprn bigint PRIMARY KEY, uprn bigint NOT NULL, organisation_name text, department_name text, sub_building_name text,
  building_name text, building_number integer, dependent_thoroughfare text, thoroughfare text, double_dependent_locality text,
  dependent_locality text, post_town text, postcode text, postcode_type text, delivery_point_suffix text,
  welsh_dependent_thoroughfare text, welsh_thoroughfare text, welsh_double_dependent_locality text, welsh_dependent_locality text,
  welsh_post_town text, po_box_number text, process_date date, start_date date, end_date date, last_update_date date, entry_date date
);
CREATE INDEX dpa_uprn ON addresses.dpa (uprn);
CREATE TABLE addresses.successor (
  succ_key text PRIMARY KEY, uprn bigint NOT NULL, start_date date, end_date date, last_update_date date, entry_date date, successor bigint
);
CREATE TABLE addresses.organisation (
  org_key text PRIMARY KEY, uprn bigint NOT NULL, organisation text, legal_name text,
  start_date date, end_date date, last_update_date date, entry_date date
);
CREATE INDEX organisation_uprn ON addresses.organisation (uprn);
CREATE TABLE addresses.classification (
  class_key text PRIMARY KEY, uprn bigint NOT NULL, classification_code text, class_scheme text, scheme_version text,
  start_date date, end_date date, last_update_date date, entry_date date
);
CREATE INDEX classification_uprn ON addresses.classification (uprn);

-- One row per street and town as people write them, for fuzzy matching of free text.
CREATE TABLE addresses.street_key (
  id bigserial PRIMARY KEY,
  name text NOT NULL UNIQUE
);
CREATE INDEX street_key_trgm ON addresses.street_key USING gist (name gist_trgm_ops);

CREATE TABLE addresses.place (
  id text PRIMARY KEY,                 -- D:<udprn>:<EN|CY> or L:<lpi_key>
  uprn bigint NOT NULL,
  dataset text NOT NULL,               -- DPA | LPI
  lang text NOT NULL,                  -- EN | CY
  outward text, inward text,           -- the postcode, split for full and partial lookups
  pos point NOT NULL,                  -- British National Grid metres
  lat double precision, lng double precision,   -- ETRS89 as supplied
  logical_status smallint, lpi_logical_status smallint, classification_code text, country text,
  street_key_id bigint,
  nums integer[] NOT NULL DEFAULT '{}',
  norm text NOT NULL,                  -- normalised address words, for scoring free text
  sort_key text NOT NULL,
  doc jsonb NOT NULL                   -- the OS Places record without coordinates and match fields
);
CREATE INDEX place_postcode ON addresses.place (outward, inward, sort_key);
CREATE INDEX place_uprn ON addresses.place (uprn);
CREATE INDEX place_street ON addresses.place (street_key_id);
CREATE INDEX place_pos ON addresses.place USING gist (pos);

-- What has been imported (each file's header), and the epoch shown in the API header.
CREATE TABLE addresses.supply (
  id bigserial PRIMARY KEY,
  file_name text NOT NULL, format text NOT NULL, supply_type text, records integer NOT NULL,
  custodian_name text, process_date text, imported_at timestamptz NOT NULL DEFAULT now()
);

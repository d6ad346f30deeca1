-- Demo agencies' own systems (fictional people): each agency's table is its own record,
-- queried only by that agency's endpoint, which answers only requests the exchange signed.

CREATE TABLE registries.people (
  id            text PRIMARY KEY,
  nino          text UNIQUE,
  given_name    text NOT NULL,
  family_name   text NOT NULL,
  birth_date    date NOT NULL,
  sex           text NOT NULL CHECK (sex IN ('F', 'M')),
  address       jsonb NOT NULL,                 -- One Login's PostalAddress shape
  postcode      text NOT NULL,
  council       text                            -- RIVERSIDE, GLANFOR or null
);
CREATE INDEX people_name ON registries.people (lower(family_name), birth_date);

-- DWP: benefit awards.
CREATE TABLE registries.dwp_awards (
  person_id     text NOT NULL REFERENCES registries.people (id),
  benefit       text NOT NULL CHECK (benefit IN ('PIP', 'DLA', 'UC', 'AA')),
  component     text,                           -- PIP: mobility / daily_living; DLA: mobility
  rate          text,                           -- enhanced, standard, higher, lower
  points        integer,
  start_date    date NOT NULL,
  end_date      date
);
CREATE INDEX dwp_awards_person ON registries.dwp_awards (person_id);

-- DVLA: driving licences.
CREATE TABLE registries.dvla_licences (
  licence_number text PRIMARY KEY,
  person_id      text NOT NULL REFERENCES registries.people (id),
  issue_date     date NOT NULL,
  expiry_date    date NOT NULL,
  status         text NOT NULL CHECK (status IN ('valid', 'revoked', 'surrendered')),
  categories     text NOT NULL,
  penalty_points integer NOT NULL DEFAULT 0
);

-- HM Passport Office: passports.
CREATE TABLE registries.hmpo_passports (
  passport_number text PRIMARY KEY,
  person_id       text NOT NULL REFERENCES registries.people (id),
  issue_date      date NOT NULL,
  expiry_date     date NOT NULL,
  status          text NOT NULL CHECK (status IN ('valid', 'cancelled', 'lost', 'stolen'))
);

-- HMRC: income band per tax year.
CREATE TABLE registries.hmrc_income (
  person_id     text NOT NULL REFERENCES registries.people (id),
  tax_year      text NOT NULL,                  -- '2025-26'
  band          text NOT NULL CHECK (band IN ('nil', 'starter', 'basic', 'higher', 'additional')),
  PRIMARY KEY (person_id, tax_year)
);

-- Two councils' council tax accounts.
CREATE TABLE registries.council_tax (
  council        text NOT NULL CHECK (council IN ('RIVERSIDE', 'GLANFOR')),
  account_ref    text NOT NULL,
  person_id      text NOT NULL REFERENCES registries.people (id),
  band           text NOT NULL CHECK (band IN ('A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I')),
  single_person_discount boolean NOT NULL,
  council_tax_reduction  boolean NOT NULL,
  PRIMARY KEY (council, account_ref)
);
CREATE INDEX council_tax_person ON registries.council_tax (person_id);

-- General Register Office: birth entries.
CREATE TABLE registries.births (
  entry_reference text PRIMARY KEY,
  person_id       text REFERENCES registries.people (id),
  given_name      text NOT NULL,
  family_name     text NOT NULL,
  birth_date      date NOT NULL,
  place_of_birth  text NOT NULL,
  district        text NOT NULL,
  mother_name     text NOT NULL,
  father_name     text
);
CREATE INDEX births_name ON registries.births (lower(family_name), birth_date);

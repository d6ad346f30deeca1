-- Engagement: consultations on a service's roadmap items and proposed decisions, their
-- participants, options, comments, moderation trail, Pol.is-style conversations (statements
-- and agree/disagree/pass votes), and the team's "you said, we did" response.
-- Every table carries the owning service id (the tenant column).

CREATE TABLE engagement.consultations (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  service_id         uuid NOT NULL,
  organisation_id    uuid NOT NULL,
  mode               text NOT NULL CHECK (mode IN ('consultation', 'conversation')),
  subject            text NOT NULL CHECK (subject IN ('roadmap', 'proposal', 'general')),
  roadmap_item_id    uuid,
  proposal           text NOT NULL DEFAULT '',
  title              text NOT NULL,
  title_cy           text,
  question           text NOT NULL,
  question_cy        text,
  background         text NOT NULL DEFAULT '',
  background_cy      text,
  eligibility        text NOT NULL CHECK (eligibility IN ('anyone', 'residents', 'staff')),
  area_name          text NOT NULL DEFAULT '',
  area_postcodes     text[] NOT NULL DEFAULT '{}',
  staff_organisation_id uuid,
  allow_anonymous    boolean NOT NULL DEFAULT false,
  opens_on           date NOT NULL,
  closes_on          date NOT NULL,
  promised_kpis      text[] NOT NULL DEFAULT '{}',
  created_by         text NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  -- "You said, we did"
  response           text,
  response_cy        text,
  response_decision_id uuid,
  response_decision  jsonb,            -- the decision as recorded in the catalogue's log
  response_why_not   text,
  responded_at       timestamptz,
  responded_by       text,
  imported_from      text,
  CHECK (closes_on >= opens_on)
);
CREATE INDEX consultations_service ON engagement.consultations (service_id, opens_on DESC);

CREATE TABLE engagement.options (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  consultation_id  uuid NOT NULL REFERENCES engagement.consultations(id),
  service_id       uuid NOT NULL,
  position         int NOT NULL,
  label            text NOT NULL,
  label_cy         text,
  UNIQUE (consultation_id, position)
);

-- One row per person per consultation: who ('acct:<identity account id>', 'staff:<id>' or
-- 'anon:<hash of a browser token>'), a small sequential number (Pol.is's participant id),
-- and, when they asked to be told the outcome, where to tell them.
CREATE TABLE engagement.participants (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  consultation_id  uuid NOT NULL REFERENCES engagement.consultations(id),
  service_id       uuid NOT NULL,
  person           text NOT NULL,
  pid              int NOT NULL,
  notify_email     text,
  told_at          timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (consultation_id, person),
  UNIQUE (consultation_id, pid)
);

CREATE TABLE engagement.option_votes (
  option_id        uuid NOT NULL REFERENCES engagement.options(id),
  participant_id   uuid NOT NULL REFERENCES engagement.participants(id),
  consultation_id  uuid NOT NULL,
  service_id       uuid NOT NULL,
  stance           text NOT NULL CHECK (stance IN ('support', 'oppose')),
  at               timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (option_id, participant_id)
);

CREATE TABLE engagement.comments (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  consultation_id  uuid NOT NULL REFERENCES engagement.consultations(id),
  service_id       uuid NOT NULL,
  participant_id   uuid NOT NULL REFERENCES engagement.participants(id),
  parent_id        uuid REFERENCES engagement.comments(id),
  body             text NOT NULL,
  body_hash        text NOT NULL,
  status           text NOT NULL DEFAULT 'published' CHECK (status IN ('published', 'hidden')),
  hidden_reason    text,
  redacted         boolean NOT NULL DEFAULT false,
  flags            text[] NOT NULL DEFAULT '{}',
  reports          int NOT NULL DEFAULT 0,
  appeal           text CHECK (appeal IN ('pending', 'upheld', 'rejected')),
  appeal_text      text,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comments_consultation ON engagement.comments (consultation_id, created_at);
CREATE INDEX comments_hash ON engagement.comments (consultation_id, body_hash);

-- The moderation trail: every hide, restore, redaction, report and appeal, with its reason.
CREATE TABLE engagement.moderation (
  id               bigserial PRIMARY KEY,
  consultation_id  uuid NOT NULL REFERENCES engagement.consultations(id),
  service_id       uuid NOT NULL,
  target           text NOT NULL,  -- 'comment:<id>' or 'statement:<id>'
  action           text NOT NULL,
  reason           text NOT NULL DEFAULT '',
  actor            text NOT NULL,
  at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX moderation_consultation ON engagement.moderation (consultation_id, at DESC);

-- Conversation mode (Pol.is): short statements and agree (1) / disagree (-1) / pass (0) votes.
CREATE TABLE engagement.statements (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  consultation_id  uuid NOT NULL REFERENCES engagement.consultations(id),
  service_id       uuid NOT NULL,
  tid              int NOT NULL,  -- Pol.is's comment-id
  participant_id   uuid REFERENCES engagement.participants(id),
  body             text NOT NULL,
  body_hash        text NOT NULL,
  moderated        smallint NOT NULL DEFAULT 1 CHECK (moderated IN (-1, 0, 1)),
  mod_reason       text,
  flags            text[] NOT NULL DEFAULT '{}',
  created_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (consultation_id, tid)
);

CREATE TABLE engagement.statement_votes (
  statement_id     uuid NOT NULL REFERENCES engagement.statements(id),
  participant_id   uuid NOT NULL REFERENCES engagement.participants(id),
  consultation_id  uuid NOT NULL,
  service_id       uuid NOT NULL,
  vote             smallint NOT NULL CHECK (vote IN (-1, 0, 1)),
  at               timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (statement_id, participant_id)
);
CREATE INDEX statement_votes_consultation ON engagement.statement_votes (consultation_id);

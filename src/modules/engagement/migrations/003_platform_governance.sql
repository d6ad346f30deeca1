-- Local government's voice in the shared platforms (issue #17): organisations — councils
-- included — ask for things on a platform's roadmap and vote on its roadmap items, one vote
-- per organisation (a second member of its staff changes the organisation's vote, never adds
-- one: the primary key). The platform's owner answers each request with a roadmap item or a
-- decision in the catalogue's log. The organisation's kind is kept as it was when it spoke.
CREATE TABLE engagement.platform_requests (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  service_id        uuid NOT NULL,            -- the platform's catalogue service (the tenant)
  organisation_id   uuid NOT NULL,            -- who asked
  organisation_kind text NOT NULL,
  title             text NOT NULL,
  detail            text NOT NULL DEFAULT '',
  status            text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'planned', 'declined')),
  roadmap_item_id   uuid,                     -- planned: the roadmap item it became
  decision_id       uuid,                     -- answered: the decision in the platform's log
  answer            text,
  created_by        text NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  answered_at       timestamptz
);
CREATE INDEX platform_requests_service ON engagement.platform_requests (service_id, created_at DESC);

CREATE TABLE engagement.platform_votes (
  roadmap_item_id   uuid NOT NULL,
  service_id        uuid NOT NULL,
  organisation_id   uuid NOT NULL,
  organisation_kind text NOT NULL,
  stance            text NOT NULL CHECK (stance IN ('support', 'oppose')),
  voted_by          text NOT NULL,            -- 'staff:<email>' who last set the organisation's vote
  at                timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (roadmap_item_id, organisation_id)
);
CREATE INDEX platform_votes_service ON engagement.platform_votes (service_id);

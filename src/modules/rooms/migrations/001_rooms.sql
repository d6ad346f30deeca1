-- Rooms: calls between staff and the people they invite, each holding one shared dashboard
-- view on the server. Services and staff are other modules' ids (no foreign key across modules).
-- Every table that grows with use carries room_id first (the tenant of a call).

CREATE TABLE rooms.rooms (
  id              uuid PRIMARY KEY,
  title           text NOT NULL,
  service_ids     uuid[] NOT NULL,                 -- catalogue services the call is about (first: sends the invitations)
  organisation_id uuid,                            -- the first service's organisation
  created_by      text NOT NULL,                   -- staff id, or 'cli'
  status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'ended')),
  view            jsonb NOT NULL,                  -- the shared view everyone sees
  view_version    integer NOT NULL DEFAULT 1,
  created_at      timestamptz NOT NULL DEFAULT now(),
  ended_at        timestamptz,
  summary_sent_at timestamptz
);
CREATE INDEX rooms_by_org ON rooms.rooms (organisation_id, created_at DESC);

-- Everyone who is or was in a call: staff join as hosts; guests arrive through an invitation and
-- wait in the lobby until a host admits them. A guest's browser holds a random secret (cookie),
-- stored here as its SHA-256.
CREATE TABLE rooms.participants (
  id           uuid PRIMARY KEY,
  room_id      uuid NOT NULL REFERENCES rooms.rooms (id) ON DELETE CASCADE,
  kind         text NOT NULL CHECK (kind IN ('staff', 'guest')),
  staff_id     text,
  name         text NOT NULL,
  email        text,
  phone        text,
  role         text NOT NULL CHECK (role IN ('host', 'presenter', 'participant')),
  state        text NOT NULL CHECK (state IN ('waiting', 'admitted', 'refused', 'removed')),
  secret_hash  text UNIQUE,
  joined_at    timestamptz,                        -- first connected to the call
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX participants_by_room ON rooms.participants (room_id, created_at);
CREATE UNIQUE INDEX participants_staff ON rooms.participants (room_id, staff_id) WHERE staff_id IS NOT NULL;

-- Invitations: a link that works once (its token stored as SHA-256) until it expires.
CREATE TABLE rooms.invitations (
  id              uuid PRIMARY KEY,
  room_id         uuid NOT NULL REFERENCES rooms.rooms (id) ON DELETE CASCADE,
  name            text NOT NULL,
  channel         text NOT NULL CHECK (channel IN ('email', 'sms')),
  recipient       text NOT NULL,
  token_hash      text NOT NULL UNIQUE,
  expires_at      timestamptz NOT NULL,
  redeemed_at     timestamptz,
  participant_id  uuid REFERENCES rooms.participants (id),
  notification_id text,
  invited_by      text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invitations_by_room ON rooms.invitations (room_id, created_at);

-- The room's record: who changed the view (and to what), chat, admissions, decisions, the end.
CREATE TABLE rooms.log (
  id             bigserial PRIMARY KEY,
  room_id        uuid NOT NULL REFERENCES rooms.rooms (id) ON DELETE CASCADE,
  at             timestamptz NOT NULL DEFAULT now(),
  participant_id uuid,
  actor_name     text NOT NULL,
  kind           text NOT NULL,                    -- view, chat, admit, refuse, remove, role, join, decision, action, end
  detail         jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX log_by_room ON rooms.log (room_id, id);

-- Signalling messages too large for a NOTIFY payload (8000 bytes): the NOTIFY carries the id.
CREATE TABLE rooms.relay (
  id      bigserial PRIMARY KEY,
  room_id uuid NOT NULL,
  body    text NOT NULL,
  at      timestamptz NOT NULL DEFAULT now()
);

-- When a delivery attempt began handing its message to the provider (delivery.ts, handoff.ts).
-- A claim whose lease passed without it never left this system and is queued again; with it,
-- the provider may have the message, so it is failed (technical-failure), never sent twice.
ALTER TABLE notify.notifications ADD COLUMN handoff_at timestamptz;

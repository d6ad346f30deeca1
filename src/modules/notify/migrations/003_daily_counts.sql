-- Messages counted against each service's daily limit per channel, per UK day (limits.ts,
-- batch.ts). A send takes its place under this row's lock in the transaction that writes the
-- notification, so the limit holds exactly however many sends and processes race for it.
-- Test keys and Notify's simulated recipients are not counted.

CREATE TABLE notify.daily_counts (
  service_id  uuid NOT NULL,
  day         date NOT NULL,
  channel     text NOT NULL CHECK (channel IN ('email', 'sms', 'letter')),
  count       integer NOT NULL CHECK (count >= 0),
  PRIMARY KEY (service_id, day, channel)
);

-- Today's sends so far, so a limit holds across the upgrade.
INSERT INTO notify.daily_counts (service_id, day, channel, count)
SELECT service_id, (now() AT TIME ZONE 'Europe/London')::date, type, count(*)
  FROM notify.notifications
 WHERE key_type <> 'test' AND NOT simulated
   AND created_at >= (date_trunc('day', now() AT TIME ZONE 'Europe/London') AT TIME ZONE 'Europe/London')
 GROUP BY service_id, type;

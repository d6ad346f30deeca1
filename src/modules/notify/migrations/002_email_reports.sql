-- Reports mailed back about an email after the relay took it (bounces.ts): delivery status
-- notifications (hard and soft bounces, delays) and abuse complaints. Kept beside the status
-- change they caused, if any; a report that arrives twice is kept once.

CREATE TABLE notify.email_reports (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  notification_id      uuid NOT NULL REFERENCES notify.notifications(id),
  service_id           uuid NOT NULL,
  kind                 text NOT NULL CHECK (kind IN ('bounce', 'delay', 'delivery', 'complaint')),
  action               text NOT NULL DEFAULT '',   -- DSN Action (failed, delayed, delivered…) or the complaint's Feedback-Type
  dsn_status           text NOT NULL DEFAULT '',   -- e.g. 5.1.1
  diagnostic           text,                       -- Diagnostic-Code, or the line a plain-text bounce was read from
  recipient            text,                       -- Final-Recipient (or Original-Rcpt-To)
  new_status           text,                       -- the notification status it set; null: informational only
  received_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (notification_id, kind, action, dsn_status)
);

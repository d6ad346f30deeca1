-- Periodic work that one process does at a time (alerts, availability probes): whoever moves a
-- tick's last_run forward does that round.
CREATE TABLE performance.ticks (
  name      text PRIMARY KEY,
  last_run  timestamptz NOT NULL
);
DROP TABLE performance.probe_state;

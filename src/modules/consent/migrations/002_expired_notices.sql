-- A permission that has ended is marked once (kind 'expired'), so webhooks hear of it once.
ALTER TABLE consent.notices DROP CONSTRAINT notices_kind_check;
ALTER TABLE consent.notices ADD CONSTRAINT notices_kind_check CHECK (kind IN ('expiring', 'used', 'expired'));

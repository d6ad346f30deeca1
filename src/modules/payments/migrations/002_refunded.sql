-- The amount refunded so far (refunds submitted or succeeded) kept on the payment: reserved and
-- released under the payment's row lock by the refund use case, and a CHECK that a payment can
-- never be refunded more than it took. Reads no longer add up the refunds each time.
ALTER TABLE payments.payments ADD COLUMN refunded integer NOT NULL DEFAULT 0;
UPDATE payments.payments p SET refunded = r.total
  FROM (SELECT payment_id, sum(amount)::int AS total FROM payments.refunds WHERE status IN ('submitted', 'success') GROUP BY payment_id) r
 WHERE r.payment_id = p.payment_id;
ALTER TABLE payments.payments ADD CONSTRAINT payments_refunded_within_amount CHECK (refunded >= 0 AND refunded <= amount);

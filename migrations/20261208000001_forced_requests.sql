-- Forced transfers and withdrawals: queued on the base chain by an account's owner (no
-- signature), executed by a batch in queue order like deposits and full exits. Their amount is
-- in `amount`; a forced transfer's payee in `payee`.
ALTER TABLE priority_requests DROP CONSTRAINT priority_requests_kind_check;
ALTER TABLE priority_requests ADD CONSTRAINT priority_requests_kind_check
    CHECK (kind IN ('deposit', 'full_exit', 'forced_transfer', 'forced_withdraw'));
ALTER TABLE priority_requests ADD COLUMN payee BIGINT CHECK (payee >= 0);
ALTER TABLE priority_requests DROP CONSTRAINT priority_requests_check;
ALTER TABLE priority_requests ADD CONSTRAINT priority_requests_fields CHECK (
    (public_key IS NOT NULL) = (kind = 'deposit')
    AND (amount IS NOT NULL) = (kind IN ('deposit', 'forced_transfer', 'forced_withdraw'))
    AND (payee IS NOT NULL) = (kind = 'forced_transfer')
);

ALTER TABLE txs DROP CONSTRAINT txs_kind_check;
ALTER TABLE txs ADD CONSTRAINT txs_kind_check
    CHECK (kind IN ('transfer', 'withdraw', 'deposit', 'full_exit', 'forced_transfer', 'forced_withdraw'));

-- A forced transfer in its payee's history (`GET /v1/accounts/{index}/txs`).
CREATE INDEX txs_forced_payee ON txs ((body->'priority'->>'to'), seq) WHERE kind = 'forced_transfer';

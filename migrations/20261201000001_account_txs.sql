-- `GET /v1/accounts/{index}/txs` (the explorer's account page): an account's transactions as
-- payer (and as depositor or exiting account: `from_index` is the account for those) and as a
-- transfer's payee, newest first, without scanning the whole sequence.
CREATE INDEX txs_from_index ON txs (from_index, seq);
CREATE INDEX txs_transfer_payee ON txs ((body->>'to'), seq) WHERE kind = 'transfer';

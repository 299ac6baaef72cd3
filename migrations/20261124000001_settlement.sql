-- Settlement on the base chain: the settler's submissions and the L1 watcher's priority
-- requests. Documented table by table in db/README.md.

-- Every submitBatch transaction the settler signed, recorded before it is broadcast. A
-- re-priced replacement shares the nonce of the attempt it replaces, so at most one of a
-- batch's attempts with that nonce can be mined.
CREATE TABLE settlement_attempts (
    id BIGSERIAL PRIMARY KEY,
    batch_number BIGINT NOT NULL REFERENCES batches (number),
    nonce BIGINT NOT NULL CHECK (nonce >= 0),
    max_fee_per_gas NUMERIC(78, 0) NOT NULL,
    max_priority_fee_per_gas NUMERIC(78, 0) NOT NULL,
    gas_limit BIGINT NOT NULL,
    tx_hash BYTEA NOT NULL UNIQUE CHECK (length(tx_hash) = 32),
    raw_tx BYTEA NOT NULL,
    -- sent -> mined (its receipt succeeded) | reverted (its receipt failed) | replaced (another
    -- attempt with its nonce was mined, or it was superseded before mining)
    status TEXT NOT NULL DEFAULT 'sent' CHECK (status IN ('sent', 'mined', 'reverted', 'replaced')),
    block_number BIGINT,
    block_hash BYTEA,
    gas_used BIGINT,
    sent_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    mined_at TIMESTAMPTZ
);
CREATE INDEX settlement_attempts_batch ON settlement_attempts (batch_number, id);

-- Deposits and full exits read from the Rollup's events once they have enough confirmations,
-- in queue order (`serial` is the contract's queue position).
CREATE TABLE priority_requests (
    serial BIGINT PRIMARY KEY CHECK (serial >= 0),
    kind TEXT NOT NULL CHECK (kind IN ('deposit', 'full_exit')),
    account_index BIGINT NOT NULL,
    owner BYTEA NOT NULL CHECK (length(owner) = 20),
    -- deposits only: the account's public key (x, y, 32 bytes each) and the amount
    public_key BYTEA CHECK (length(public_key) = 64),
    amount NUMERIC(39, 0),
    deadline_block BIGINT NOT NULL,
    block_number BIGINT NOT NULL,
    block_hash BYTEA NOT NULL CHECK (length(block_hash) = 32),
    tx_hash BYTEA NOT NULL CHECK (length(tx_hash) = 32),
    log_index BIGINT NOT NULL,
    observed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((kind = 'deposit') = (public_key IS NOT NULL AND amount IS NOT NULL))
);

-- How far the watcher has read: every event up to this (confirmed) block is stored.
CREATE TABLE l1_cursor (
    id BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
    contract BYTEA NOT NULL CHECK (length(contract) = 20),
    block_number BIGINT NOT NULL,
    block_hash BYTEA NOT NULL CHECK (length(block_hash) = 32),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Deposits and full exits enter the sequence like transactions (in queue order), so the
-- accepted state, the sealer and the API treat every operation alike.
ALTER TABLE txs DROP CONSTRAINT txs_kind_check;
ALTER TABLE txs ADD CONSTRAINT txs_kind_check CHECK (kind IN ('transfer', 'withdraw', 'deposit', 'full_exit'));

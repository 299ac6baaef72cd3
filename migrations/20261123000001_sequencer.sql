-- Causeway's sequencer and prover pipeline. Documented table by table in db/README.md.

-- The rollup this database serves: one row, written once from the genesis file.
CREATE TABLE rollup (
    id BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
    depth INTEGER NOT NULL CHECK (depth BETWEEN 2 AND 32 AND depth % 2 = 0),
    slots INTEGER NOT NULL CHECK (slots > 0),
    fee_account BIGINT NOT NULL,
    genesis_root BYTEA NOT NULL CHECK (length(genesis_root) = 32),
    genesis JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Accepted transactions, in acceptance order (`seq`, assigned by the single sequencer).
-- A transaction's batch is the batch whose [first_seq, last_seq] range holds its seq.
CREATE TABLE txs (
    seq BIGINT PRIMARY KEY CHECK (seq > 0),
    hash BYTEA NOT NULL UNIQUE CHECK (length(hash) = 32),
    kind TEXT NOT NULL CHECK (kind IN ('transfer', 'withdraw')),
    from_index BIGINT NOT NULL,
    nonce BIGINT NOT NULL,
    body JSONB NOT NULL,
    accepted_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Sealed batches. `status` only moves forward:
-- sealed -> proving -> proved -> submitted -> finalized.
CREATE TABLE batches (
    number BIGINT PRIMARY KEY CHECK (number > 0),
    status TEXT NOT NULL DEFAULT 'sealed'
        CHECK (status IN ('sealed', 'proving', 'proved', 'submitted', 'finalized')),
    old_root BYTEA NOT NULL,
    new_root BYTEA NOT NULL,
    priority_start BIGINT NOT NULL,
    priority_count INTEGER NOT NULL,
    fee_account BIGINT NOT NULL,
    header BYTEA NOT NULL,
    pubdata BYTEA NOT NULL,
    commitment BYTEA NOT NULL,
    first_seq BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    op_count INTEGER NOT NULL,
    fees NUMERIC(39, 0) NOT NULL,
    sealed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    proved_at TIMESTAMPTZ,
    submitted_at TIMESTAMPTZ,
    finalized_at TIMESTAMPTZ,
    CHECK (first_seq <= last_seq + 1)
);
CREATE INDEX batches_last_seq ON batches (last_seq);
CREATE INDEX batches_status ON batches (status, number);

-- Everything a prover needs for a batch (the circuit witness, binary-encoded).
CREATE TABLE batch_witnesses (
    batch_number BIGINT PRIMARY KEY REFERENCES batches (number),
    witness BYTEA NOT NULL
);

-- Each account a batch changed, before and after (104-byte account encoding). Lets the proved
-- state be rebuilt from the sealed state by undoing the batches not yet proved.
CREATE TABLE batch_accounts (
    batch_number BIGINT NOT NULL REFERENCES batches (number),
    account_index BIGINT NOT NULL,
    before BYTEA NOT NULL,
    after BYTEA NOT NULL,
    PRIMARY KEY (batch_number, account_index)
);

-- The state as of the latest sealed batch (every non-empty account).
CREATE TABLE accounts (
    account_index BIGINT PRIMARY KEY,
    account BYTEA NOT NULL,
    batch_number BIGINT NOT NULL
);

-- Accepted transactions that the sealer could not apply (they are in no batch).
CREATE TABLE tx_rejections (
    seq BIGINT PRIMARY KEY REFERENCES txs (seq),
    code TEXT NOT NULL,
    reason TEXT NOT NULL,
    rejected_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One proof job per sealed batch: queued -> claimed (leased) -> done, or back to queued on a
-- failure until max_attempts, then failed.
CREATE TABLE proof_jobs (
    batch_number BIGINT PRIMARY KEY REFERENCES batches (number),
    status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'claimed', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL CHECK (max_attempts > 0),
    worker TEXT,
    lease_expires_at TIMESTAMPTZ,
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (status <> 'claimed' OR (worker IS NOT NULL AND lease_expires_at IS NOT NULL))
);
CREATE INDEX proof_jobs_open ON proof_jobs (batch_number) WHERE status IN ('queued', 'claimed');

-- Verified proofs, one per batch.
CREATE TABLE proofs (
    batch_number BIGINT PRIMARY KEY REFERENCES batches (number),
    proof BYTEA NOT NULL,
    proof_eth BYTEA NOT NULL CHECK (length(proof_eth) = 256),
    worker TEXT NOT NULL,
    prove_ms BIGINT NOT NULL,
    proved_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The deployment this database's rollup belongs to: the base chain's id and the Rollup
-- contract's address. Signatures and batch commitments include them (docs/protocol.md); a
-- database initialised without a base chain serves chain 0 and the zero address.
ALTER TABLE rollup
    ADD COLUMN chain_id BIGINT NOT NULL DEFAULT 0 CHECK (chain_id >= 0),
    ADD COLUMN rollup_address BYTEA NOT NULL DEFAULT '\x0000000000000000000000000000000000000000'::BYTEA
        CHECK (length(rollup_address) = 20);

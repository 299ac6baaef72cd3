-- `causeway restore`: a database rebuilt from the base chain. The row exists from the restore's
-- first write; `finished_at` is set by its last, in the transaction that stores the watcher's
-- position. The services refuse a database whose restore is unfinished, and a rerun of the
-- restore continues after the last batch it stored (each batch is stored in one transaction).
CREATE TABLE restore_progress (
    id BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
    rollup_address BYTEA NOT NULL CHECK (length(rollup_address) = 20),
    -- The newest batch stored by the restore.
    through_batch BIGINT NOT NULL DEFAULT 0,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ
);

-- The sequencer's single-writer fence. A sequencer that takes the single-writer advisory lock
-- starts a new epoch (`UPDATE writer_epochs ... RETURNING epoch`) and every connection of its
-- pool carries that epoch in the session setting `causeway.sequencer_epoch`. A statement that
-- writes the sequencer's tables from a connection carrying another epoch fails, so a sequencer
-- that lost the lock (its lock connection cut, PostgreSQL restarted) cannot write once another
-- has taken over, even before it notices. The check holds the epoch row FOR SHARE until the
-- writing transaction ends, so the next epoch starts only after the last write of the previous
-- one. Connections without the setting (provers, the settler, restore, tests) are not fenced.
CREATE TABLE writer_epochs (
    role TEXT PRIMARY KEY,
    epoch BIGINT NOT NULL
);

INSERT INTO writer_epochs (role, epoch) VALUES ('sequencer', 0);

CREATE FUNCTION causeway_sequencer_fence() RETURNS TRIGGER LANGUAGE plpgsql AS $$
DECLARE
    mine TEXT := current_setting('causeway.sequencer_epoch', true);
    current_epoch BIGINT;
BEGIN
    IF mine IS NULL OR mine = '' THEN
        RETURN NULL;
    END IF;
    SELECT epoch INTO current_epoch FROM writer_epochs WHERE role = 'sequencer' FOR SHARE;
    IF current_epoch IS DISTINCT FROM mine::BIGINT THEN
        RAISE EXCEPTION 'fenced: another sequencer holds the single-writer lock (epoch %, this connection''s %)',
            current_epoch, mine
            USING ERRCODE = 'CW001';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER txs_fence BEFORE INSERT OR UPDATE ON txs
    FOR EACH STATEMENT EXECUTE FUNCTION causeway_sequencer_fence();
CREATE TRIGGER batches_fence BEFORE INSERT ON batches
    FOR EACH STATEMENT EXECUTE FUNCTION causeway_sequencer_fence();
CREATE TRIGGER priority_requests_fence BEFORE INSERT ON priority_requests
    FOR EACH STATEMENT EXECUTE FUNCTION causeway_sequencer_fence();
CREATE TRIGGER l1_cursor_fence BEFORE INSERT OR UPDATE ON l1_cursor
    FOR EACH STATEMENT EXECUTE FUNCTION causeway_sequencer_fence();
CREATE TRIGGER accounts_fence BEFORE INSERT OR UPDATE ON accounts
    FOR EACH STATEMENT EXECUTE FUNCTION causeway_sequencer_fence();

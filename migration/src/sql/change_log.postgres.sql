-- The change log on PostgreSQL (migration 19). One function takes the
-- owner's next sequence number and appends the change; the triggers of
-- `tasks` and `labels` call it for every write that changes something.
-- It locks the owner's row until the writing transaction ends, so numbers
-- are handed out, and become visible, in commit order. The next number
-- is one more than the log's last (or than `users.change_seq`, where the
-- migration numbered the rows that existed already): the owner's row is
-- locked, not rewritten, so a statement that writes many rows does not
-- leave as many versions of it behind.

CREATE FUNCTION record_change(
    owner UUID, kind TEXT, entity BIGINT, action TEXT, fields TEXT, session UUID,
    happened TIMESTAMPTZ
) RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
    floor BIGINT;
    taken BIGINT;
BEGIN
    SELECT change_seq INTO floor FROM users WHERE id = owner FOR NO KEY UPDATE;
    -- No owner: the account is being deleted, and its log with it.
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    SELECT GREATEST(floor, MAX(seq)) + 1 INTO taken FROM changes WHERE user_id = owner;
    INSERT INTO changes (user_id, seq, kind, entity_id, action, fields, session_id, at)
    VALUES (owner, taken, kind, entity, action, fields, session, happened);
    RETURN taken;
END $$;

CREATE FUNCTION record_task_change() RETURNS TRIGGER LANGUAGE plpgsql AS $$
DECLARE
    action TEXT := 'updated';
    fields TEXT := '';
    happened TIMESTAMPTZ := NEW.updated_at;
BEGIN
    IF TG_OP = 'INSERT' THEN
        action := 'created';
    ELSIF OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL THEN
        action := 'deleted';
        happened := NEW.deleted_at;
    ELSIF OLD.deleted_at IS NOT NULL AND NEW.deleted_at IS NULL THEN
        action := 'restored';
    ELSE
        fields := concat_ws(',',
            CASE WHEN NEW.title IS DISTINCT FROM OLD.title THEN 'title' END,
            CASE WHEN NEW.description IS DISTINCT FROM OLD.description THEN 'description' END,
            CASE WHEN NEW.completed IS DISTINCT FROM OLD.completed THEN 'completed' END,
            CASE WHEN NEW.priority IS DISTINCT FROM OLD.priority THEN 'priority' END,
            CASE WHEN NEW.due_date IS DISTINCT FROM OLD.due_date
                   OR NEW.due_at IS DISTINCT FROM OLD.due_at THEN 'due' END,
            CASE WHEN NEW.time_zone IS DISTINCT FROM OLD.time_zone THEN 'time_zone' END,
            CASE WHEN NEW.labels IS DISTINCT FROM OLD.labels THEN 'labels' END,
            CASE WHEN NEW.parent_id IS DISTINCT FROM OLD.parent_id THEN 'parent_id' END,
            CASE WHEN NEW.position IS DISTINCT FROM OLD.position THEN 'position' END);
    END IF;
    NEW.change_seq := record_change(
        NEW.user_id, 'task', NEW.id, action, fields, NEW.changed_by, happened);
    RETURN NEW;
END $$;

-- A purge first stamps the rows with who and when (an update that records
-- nothing), then deletes them.
CREATE FUNCTION record_task_purge() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    PERFORM record_change(
        OLD.user_id, 'task', OLD.id, 'purged', '', OLD.changed_by, OLD.updated_at);
    RETURN NULL;
END $$;

CREATE FUNCTION record_label_change() RETURNS TRIGGER LANGUAGE plpgsql AS $$
DECLARE
    action TEXT := 'created';
    fields TEXT := '';
BEGIN
    IF TG_OP = 'UPDATE' THEN
        action := 'updated';
        fields := concat_ws(',',
            CASE WHEN NEW.name IS DISTINCT FROM OLD.name THEN 'name' END,
            CASE WHEN NEW.color IS DISTINCT FROM OLD.color THEN 'color' END);
    END IF;
    NEW.change_seq := record_change(
        NEW.user_id, 'label', NEW.id, action, fields, NEW.changed_by, NEW.updated_at);
    RETURN NEW;
END $$;

CREATE FUNCTION record_label_deletion() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    PERFORM record_change(
        OLD.user_id, 'label', OLD.id, 'deleted', '', OLD.changed_by, OLD.updated_at);
    RETURN NULL;
END $$;

CREATE TRIGGER tasks_created BEFORE INSERT ON tasks
    FOR EACH ROW EXECUTE FUNCTION record_task_change();
-- Every write of a task bumps its version, except the trash's, which sets
-- or clears `deleted_at`: an update that does neither is no change.
CREATE TRIGGER tasks_changed BEFORE UPDATE ON tasks
    FOR EACH ROW
    WHEN (NEW.version <> OLD.version OR NEW.deleted_at IS DISTINCT FROM OLD.deleted_at)
    EXECUTE FUNCTION record_task_change();
CREATE TRIGGER tasks_purged AFTER DELETE ON tasks
    FOR EACH ROW EXECUTE FUNCTION record_task_purge();
CREATE TRIGGER labels_created BEFORE INSERT ON labels
    FOR EACH ROW EXECUTE FUNCTION record_label_change();
CREATE TRIGGER labels_changed BEFORE UPDATE ON labels
    FOR EACH ROW
    WHEN (NEW.name IS DISTINCT FROM OLD.name OR NEW.color IS DISTINCT FROM OLD.color)
    EXECUTE FUNCTION record_label_change();
CREATE TRIGGER labels_deleted AFTER DELETE ON labels
    FOR EACH ROW EXECUTE FUNCTION record_label_deletion();

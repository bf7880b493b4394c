-- The change log on PostgreSQL, set-based (migration 20): the rules of
-- migration 19, with a statement's changes appended by one INSERT per
-- statement instead of one per row.
--
-- A row trigger only numbers the row (`change_seq`); a statement trigger
-- then reads the statement's rows from its transition tables and appends
-- their changes at once. The numbers a transaction has handed out are kept
-- in two of the transaction's settings: `taskpulse.last_change`, the last
-- owner's (`<owner>:<number>`, read with no parsing: a statement writes
-- one owner's rows), and `taskpulse.change_seqs`, every other owner's (a
-- JSON object). So numbering a row needs neither a query nor a lock once
-- the owner is known; a rolled-back savepoint rolls back those settings
-- with the changes they numbered. The first number of an owner in a
-- transaction locks the owner's row until the transaction ends, as
-- before: numbers are handed out, and become visible, in commit order.

-- Hands out `n` consecutive numbers of `owner`'s log and returns the first
-- (NULL when the owner is gone: the account is being deleted, and its log
-- with it).
CREATE FUNCTION take_change_seqs(owner UUID, n BIGINT) RETURNS BIGINT
LANGUAGE plpgsql AS $$
DECLARE
    latest TEXT := current_setting('taskpulse.last_change', true);
    mine TEXT := owner::TEXT;
    others JSONB;
    last BIGINT;
BEGIN
    IF left(latest, 36) = mine THEN
        last := substr(latest, 38)::BIGINT;
    ELSE
        others := COALESCE(
            NULLIF(current_setting('taskpulse.change_seqs', true), ''), '{}')::JSONB;
        IF length(latest) > 37 THEN
            others := jsonb_set(others, ARRAY[left(latest, 36)],
                to_jsonb(substr(latest, 38)::BIGINT));
            PERFORM set_config('taskpulse.change_seqs', others::TEXT, true);
        END IF;
        last := (others ->> mine)::BIGINT;
        IF last IS NULL THEN
            SELECT change_seq INTO last FROM users WHERE id = owner FOR NO KEY UPDATE;
            IF NOT FOUND THEN
                RETURN NULL;
            END IF;
            SELECT GREATEST(last, MAX(seq)) INTO last FROM changes WHERE user_id = owner;
        END IF;
    END IF;
    PERFORM set_config('taskpulse.last_change', mine || ':' || (last + n), true);
    RETURN last + 1;
END $$;

-- Numbers a task or label row that an INSERT or UPDATE changes.
CREATE FUNCTION number_change() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    NEW.change_seq := take_change_seqs(NEW.user_id, 1);
    RETURN NEW;
END $$;

-- Appends the changes of the rows a DELETE erased (the caller has stamped
-- them with who and when), numbered per owner in id order; the trigger's
-- arguments are the kind and the action.
CREATE FUNCTION record_erasures() RETURNS TRIGGER LANGUAGE plpgsql AS $$
DECLARE
    owner UUID;
    erased BIGINT;
    first BIGINT;
BEGIN
    FOR owner, erased IN
        SELECT user_id, COUNT(*) FROM old_rows GROUP BY user_id ORDER BY user_id
    LOOP
        first := take_change_seqs(owner, erased);
        CONTINUE WHEN first IS NULL;
        INSERT INTO changes (user_id, seq, kind, entity_id, action, fields, session_id, at)
        SELECT user_id, first - 1 + ROW_NUMBER() OVER (ORDER BY id), TG_ARGV[0], id,
            TG_ARGV[1], '', changed_by, updated_at
        FROM old_rows WHERE user_id = owner;
    END LOOP;
    RETURN NULL;
END $$;

-- Appends the changes of the rows an INSERT created; the trigger's
-- argument is the kind.
CREATE FUNCTION record_creations() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO changes (user_id, seq, kind, entity_id, action, fields, session_id, at)
    SELECT user_id, change_seq, TG_ARGV[0], id, 'created', '', changed_by, updated_at
    FROM new_rows;
    RETURN NULL;
END $$;

-- Every write of a task bumps its version, except the trash's, which sets
-- or clears `deleted_at`: an update that does neither is no change.
CREATE FUNCTION record_task_updates() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO changes (user_id, seq, kind, entity_id, action, fields, session_id, at)
    SELECT new_row.user_id, new_row.change_seq, 'task', new_row.id,
        CASE
            WHEN old_row.deleted_at IS NULL AND new_row.deleted_at IS NOT NULL THEN 'deleted'
            WHEN old_row.deleted_at IS NOT NULL AND new_row.deleted_at IS NULL THEN 'restored'
            ELSE 'updated'
        END,
        CASE WHEN old_row.deleted_at IS DISTINCT FROM new_row.deleted_at THEN '' ELSE concat_ws(',',
            CASE WHEN new_row.title IS DISTINCT FROM old_row.title THEN 'title' END,
            CASE WHEN new_row.description IS DISTINCT FROM old_row.description THEN 'description' END,
            CASE WHEN new_row.completed IS DISTINCT FROM old_row.completed THEN 'completed' END,
            CASE WHEN new_row.priority IS DISTINCT FROM old_row.priority THEN 'priority' END,
            CASE WHEN new_row.due_date IS DISTINCT FROM old_row.due_date
                   OR new_row.due_at IS DISTINCT FROM old_row.due_at THEN 'due' END,
            CASE WHEN new_row.time_zone IS DISTINCT FROM old_row.time_zone THEN 'time_zone' END,
            CASE WHEN new_row.labels IS DISTINCT FROM old_row.labels THEN 'labels' END,
            CASE WHEN new_row.parent_id IS DISTINCT FROM old_row.parent_id THEN 'parent_id' END,
            CASE WHEN new_row.position IS DISTINCT FROM old_row.position THEN 'position' END)
        END,
        new_row.changed_by,
        CASE WHEN old_row.deleted_at IS NULL AND new_row.deleted_at IS NOT NULL
            THEN new_row.deleted_at ELSE new_row.updated_at END
    FROM old_rows AS old_row JOIN new_rows AS new_row ON new_row.id = old_row.id
    WHERE new_row.version <> old_row.version OR new_row.deleted_at IS DISTINCT FROM old_row.deleted_at;
    RETURN NULL;
END $$;

CREATE FUNCTION record_label_updates() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO changes (user_id, seq, kind, entity_id, action, fields, session_id, at)
    SELECT new_row.user_id, new_row.change_seq, 'label', new_row.id, 'updated',
        concat_ws(',',
            CASE WHEN new_row.name IS DISTINCT FROM old_row.name THEN 'name' END,
            CASE WHEN new_row.color IS DISTINCT FROM old_row.color THEN 'color' END),
        new_row.changed_by, new_row.updated_at
    FROM old_rows AS old_row JOIN new_rows AS new_row ON new_row.id = old_row.id
    WHERE new_row.name IS DISTINCT FROM old_row.name OR new_row.color IS DISTINCT FROM old_row.color;
    RETURN NULL;
END $$;

CREATE TRIGGER tasks_numbered_on_insert BEFORE INSERT ON tasks
    FOR EACH ROW EXECUTE FUNCTION number_change();
CREATE TRIGGER tasks_numbered_on_update BEFORE UPDATE ON tasks
    FOR EACH ROW
    WHEN (NEW.version <> OLD.version OR NEW.deleted_at IS DISTINCT FROM OLD.deleted_at)
    EXECUTE FUNCTION number_change();
CREATE TRIGGER tasks_created AFTER INSERT ON tasks
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION record_creations('task');
CREATE TRIGGER tasks_changed AFTER UPDATE ON tasks
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION record_task_updates();
CREATE TRIGGER tasks_purged AFTER DELETE ON tasks
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION record_erasures('task', 'purged');
CREATE TRIGGER labels_numbered_on_insert BEFORE INSERT ON labels
    FOR EACH ROW EXECUTE FUNCTION number_change();
CREATE TRIGGER labels_numbered_on_update BEFORE UPDATE ON labels
    FOR EACH ROW
    WHEN (NEW.name IS DISTINCT FROM OLD.name OR NEW.color IS DISTINCT FROM OLD.color)
    EXECUTE FUNCTION number_change();
CREATE TRIGGER labels_created AFTER INSERT ON labels
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION record_creations('label');
CREATE TRIGGER labels_changed AFTER UPDATE ON labels
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION record_label_updates();
CREATE TRIGGER labels_deleted AFTER DELETE ON labels
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION record_erasures('label', 'deleted');

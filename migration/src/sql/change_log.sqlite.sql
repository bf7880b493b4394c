-- The change log on SQLite (migration 19): the rules of
-- change_log.postgres.sql. SQLite's triggers cannot set NEW, so each
-- trigger writes the row's `change_seq` after the fact (an update that
-- keeps the version, so it records nothing); its writers take the
-- database's write lock, so numbers follow commit order.

CREATE TRIGGER tasks_created AFTER INSERT ON tasks BEGIN
    UPDATE users SET change_seq = change_seq + 1 WHERE id = NEW.user_id;
    UPDATE tasks SET change_seq = (SELECT change_seq FROM users WHERE id = NEW.user_id)
        WHERE id = NEW.id;
    INSERT INTO changes (user_id, seq, kind, entity_id, action, fields, session_id, at)
        SELECT id, change_seq, 'task', NEW.id, 'created', '', NEW.changed_by, NEW.updated_at
        FROM users WHERE id = NEW.user_id;
END;

CREATE TRIGGER tasks_changed AFTER UPDATE ON tasks
    WHEN NEW.version <> OLD.version OR NEW.deleted_at IS NOT OLD.deleted_at
BEGIN
    UPDATE users SET change_seq = change_seq + 1 WHERE id = NEW.user_id;
    UPDATE tasks SET change_seq = (SELECT change_seq FROM users WHERE id = NEW.user_id)
        WHERE id = NEW.id;
    INSERT INTO changes (user_id, seq, kind, entity_id, action, fields, session_id, at)
        SELECT id, change_seq, 'task', NEW.id,
            CASE
                WHEN OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL THEN 'deleted'
                WHEN OLD.deleted_at IS NOT NULL AND NEW.deleted_at IS NULL THEN 'restored'
                ELSE 'updated'
            END,
            CASE WHEN OLD.deleted_at IS NOT NEW.deleted_at THEN '' ELSE rtrim(
                CASE WHEN NEW.title IS NOT OLD.title THEN 'title,' ELSE '' END
                || CASE WHEN NEW.description IS NOT OLD.description THEN 'description,' ELSE '' END
                || CASE WHEN NEW.completed IS NOT OLD.completed THEN 'completed,' ELSE '' END
                || CASE WHEN NEW.priority IS NOT OLD.priority THEN 'priority,' ELSE '' END
                || CASE WHEN NEW.due_date IS NOT OLD.due_date OR NEW.due_at IS NOT OLD.due_at
                        THEN 'due,' ELSE '' END
                || CASE WHEN NEW.time_zone IS NOT OLD.time_zone THEN 'time_zone,' ELSE '' END
                || CASE WHEN NEW.labels IS NOT OLD.labels THEN 'labels,' ELSE '' END
                || CASE WHEN NEW.parent_id IS NOT OLD.parent_id THEN 'parent_id,' ELSE '' END
                || CASE WHEN NEW.position IS NOT OLD.position THEN 'position,' ELSE '' END,
                ',') END,
            NEW.changed_by,
            CASE WHEN OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL
                THEN NEW.deleted_at ELSE NEW.updated_at END
        FROM users WHERE id = NEW.user_id;
END;

CREATE TRIGGER tasks_purged AFTER DELETE ON tasks BEGIN
    UPDATE users SET change_seq = change_seq + 1 WHERE id = OLD.user_id;
    INSERT INTO changes (user_id, seq, kind, entity_id, action, fields, session_id, at)
        SELECT id, change_seq, 'task', OLD.id, 'purged', '', OLD.changed_by, OLD.updated_at
        FROM users WHERE id = OLD.user_id;
END;

CREATE TRIGGER labels_created AFTER INSERT ON labels BEGIN
    UPDATE users SET change_seq = change_seq + 1 WHERE id = NEW.user_id;
    UPDATE labels SET change_seq = (SELECT change_seq FROM users WHERE id = NEW.user_id)
        WHERE id = NEW.id;
    INSERT INTO changes (user_id, seq, kind, entity_id, action, fields, session_id, at)
        SELECT id, change_seq, 'label', NEW.id, 'created', '', NEW.changed_by, NEW.updated_at
        FROM users WHERE id = NEW.user_id;
END;

CREATE TRIGGER labels_changed AFTER UPDATE ON labels
    WHEN NEW.name IS NOT OLD.name OR NEW.color IS NOT OLD.color
BEGIN
    UPDATE users SET change_seq = change_seq + 1 WHERE id = NEW.user_id;
    UPDATE labels SET change_seq = (SELECT change_seq FROM users WHERE id = NEW.user_id)
        WHERE id = NEW.id;
    INSERT INTO changes (user_id, seq, kind, entity_id, action, fields, session_id, at)
        SELECT id, change_seq, 'label', NEW.id, 'updated',
            rtrim(
                CASE WHEN NEW.name IS NOT OLD.name THEN 'name,' ELSE '' END
                || CASE WHEN NEW.color IS NOT OLD.color THEN 'color,' ELSE '' END,
                ','),
            NEW.changed_by, NEW.updated_at
        FROM users WHERE id = NEW.user_id;
END;

CREATE TRIGGER labels_deleted AFTER DELETE ON labels BEGIN
    UPDATE users SET change_seq = change_seq + 1 WHERE id = OLD.user_id;
    INSERT INTO changes (user_id, seq, kind, entity_id, action, fields, session_id, at)
        SELECT id, change_seq, 'label', OLD.id, 'deleted', '', OLD.changed_by, OLD.updated_at
        FROM users WHERE id = OLD.user_id;
END;

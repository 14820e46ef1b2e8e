-- A change to an hour's openings bumps its version in
-- opening_hours_dirty: the hour is packed from a read snapshot, beside the
-- writer, and the packed row is stored only if the version is still the
-- one the snapshot read, that is if no opening of the hour changed since
-- (store/reports_hours.go).
ALTER TABLE opening_hours_dirty ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

DROP TRIGGER openings_hours_insert;
CREATE TRIGGER openings_hours_insert AFTER INSERT ON openings BEGIN
	INSERT INTO opening_hours_dirty (hour, sender_id, channel) VALUES (NEW.opened_at / 3600000, NEW.sender_id, NEW.channel)
	ON CONFLICT (hour, sender_id, channel) DO UPDATE SET version = version + 1;
END;

DROP TRIGGER openings_hours_delete;
CREATE TRIGGER openings_hours_delete AFTER DELETE ON openings BEGIN
	INSERT INTO opening_hours_dirty (hour, sender_id, channel) VALUES (OLD.opened_at / 3600000, OLD.sender_id, OLD.channel)
	ON CONFLICT (hour, sender_id, channel) DO UPDATE SET version = version + 1;
END;

DROP TRIGGER openings_hours_update;
CREATE TRIGGER openings_hours_update AFTER UPDATE ON openings BEGIN
	INSERT INTO opening_hours_dirty (hour, sender_id, channel) VALUES (OLD.opened_at / 3600000, OLD.sender_id, OLD.channel)
	ON CONFLICT (hour, sender_id, channel) DO UPDATE SET version = version + 1;
	INSERT INTO opening_hours_dirty (hour, sender_id, channel) VALUES (NEW.opened_at / 3600000, NEW.sender_id, NEW.channel)
	ON CONFLICT (hour, sender_id, channel) DO UPDATE SET version = version + 1;
END;

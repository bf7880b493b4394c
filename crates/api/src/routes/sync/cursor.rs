//! The opaque cursors of `…/changes` and `…/activity`: base64url (no
//! padding) of a tag byte and big-endian fields. They are not secret (a
//! client can only point one at its own log, which it may read anyway);
//! the domain refuses another user's or one ahead of the log.

use chrono::{DateTime, Utc};
use data_encoding::BASE64URL_NOPAD;
use taskpulse_domain::changes::{ActivityCursor, ChangeSeq, SyncCursor};
use taskpulse_domain::user::UserId;
use uuid::Uuid;

/// The tag of a sync cursor.
const SYNC: u8 = b'S';
/// The tag of an activity cursor.
const ACTIVITY: u8 = b'A';

/// Why a cursor was refused (the 422's message).
pub(super) const MALFORMED: &str = "not a cursor this user was given";

/// A sync cursor as clients see it.
pub(super) fn encode_sync(cursor: SyncCursor) -> String {
    let mut bytes = vec![SYNC, u8::from(cursor.snapshot)];
    bytes.extend_from_slice(cursor.owner.as_uuid().as_bytes());
    bytes.extend_from_slice(&cursor.seq.get().to_be_bytes());
    bytes.extend_from_slice(&cursor.started.timestamp_micros().to_be_bytes());
    BASE64URL_NOPAD.encode(&bytes)
}

/// The sync cursor `raw` encodes, if it is one.
pub(super) fn decode_sync(raw: &str) -> Option<SyncCursor> {
    let bytes = BASE64URL_NOPAD.decode(raw.as_bytes()).ok()?;
    let (&tag, rest) = bytes.split_first()?;
    let (&snapshot, rest) = rest.split_first()?;
    if tag != SYNC || snapshot > 1 || rest.len() != 32 {
        return None;
    }
    let (owner, rest) = rest.split_at(16);
    let (seq, started) = rest.split_at(8);
    Some(SyncCursor {
        owner: owner_of(owner)?,
        seq: ChangeSeq::new(u64::from_be_bytes(seq.try_into().ok()?)),
        started: DateTime::<Utc>::from_timestamp_micros(i64::from_be_bytes(
            started.try_into().ok()?,
        ))?,
        snapshot: snapshot == 1,
    })
}

/// An activity cursor as clients see it.
pub(super) fn encode_activity(cursor: ActivityCursor) -> String {
    let mut bytes = vec![ACTIVITY];
    bytes.extend_from_slice(cursor.owner.as_uuid().as_bytes());
    bytes.extend_from_slice(&cursor.before.get().to_be_bytes());
    BASE64URL_NOPAD.encode(&bytes)
}

/// The activity cursor `raw` encodes, if it is one.
pub(super) fn decode_activity(raw: &str) -> Option<ActivityCursor> {
    let bytes = BASE64URL_NOPAD.decode(raw.as_bytes()).ok()?;
    let (&tag, rest) = bytes.split_first()?;
    if tag != ACTIVITY || rest.len() != 24 {
        return None;
    }
    let (owner, before) = rest.split_at(16);
    Some(ActivityCursor {
        owner: owner_of(owner)?,
        before: ChangeSeq::new(u64::from_be_bytes(before.try_into().ok()?)),
    })
}

fn owner_of(bytes: &[u8]) -> Option<UserId> {
    Uuid::from_slice(bytes).ok().map(UserId::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_come_back_as_they_went() {
        let owner = UserId::new_random();
        let sync = SyncCursor {
            owner,
            seq: ChangeSeq::new(42),
            started: DateTime::<Utc>::from_timestamp_micros(1_765_000_000_123_456).expect("a time"),
            snapshot: true,
        };
        assert_eq!(decode_sync(&encode_sync(sync)), Some(sync));
        let activity = ActivityCursor {
            owner,
            before: ChangeSeq::new(7),
        };
        assert_eq!(decode_activity(&encode_activity(activity)), Some(activity));
    }

    #[test]
    fn anything_else_is_no_cursor() {
        let owner = UserId::new_random();
        let activity = encode_activity(ActivityCursor {
            owner,
            before: ChangeSeq::new(7),
        });
        for raw in ["", "!!", "AAAA", "S", activity.as_str(), &"A".repeat(5000)] {
            assert_eq!(decode_sync(raw), None, "{raw}");
        }
        let sync = SyncCursor {
            owner,
            seq: ChangeSeq::new(1),
            started: Utc::now(),
            snapshot: false,
        };
        assert_eq!(decode_activity(&encode_sync(sync)), None);
    }
}

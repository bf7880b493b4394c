//! The [`SecurityLog`](crate::security_log::SecurityLog) contract.

use super::{Storage, at, user};
use crate::security_log::{RecordedEvent, SecurityEvent, SecurityEventKind};
use crate::session::{ClientInfo, SessionId};
use crate::user::UserId;

fn event(user_id: UserId, kind: SecurityEventKind, seconds: i64) -> SecurityEvent {
    SecurityEvent {
        user_id,
        kind,
        session_id: None,
        client: ClientInfo::default(),
        at: at(seconds),
    }
}

async fn record(storage: &Storage, event: SecurityEvent) {
    storage
        .security_log
        .record(event)
        .await
        .expect("event recorded");
}

async fn list(
    storage: &Storage,
    user: UserId,
    before: Option<i64>,
    limit: u32,
) -> Vec<RecordedEvent> {
    storage
        .security_log
        .list(user, before, limit)
        .await
        .expect("events listed")
}

/// An event comes back whole, newest first, and only to its own user.
pub async fn events_are_listed_newest_first_to_their_user_only(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    let bob = user(storage, "bob@example.com").await;
    let full = SecurityEvent {
        session_id: Some(SessionId::new_random()),
        client: ClientInfo {
            user_agent: Some("contract-suite/1.0".into()),
            ip: Some("192.0.2.7".into()),
            request_id: Some("req-1".into()),
        },
        ..event(ada, SecurityEventKind::LoginSucceeded, 1)
    };
    record(storage, event(ada, SecurityEventKind::Registered, 0)).await;
    record(storage, event(bob, SecurityEventKind::LoginFailed, 1)).await;
    record(storage, full.clone()).await;

    let adas = list(storage, ada, None, 10).await;
    let bobs = list(storage, bob, None, 10).await;
    let nobodys = list(storage, UserId::new_random(), None, 10).await;

    let kinds: Vec<SecurityEventKind> = adas.iter().map(|e| e.event.kind).collect();
    assert_eq!(
        kinds,
        [
            SecurityEventKind::LoginSucceeded,
            SecurityEventKind::Registered
        ]
    );
    assert_eq!(adas[0].event, full, "every field is kept");
    assert!(adas[0].id > adas[1].id, "ids grow with each event");
    assert_eq!(bobs.len(), 1);
    assert_eq!(bobs[0].event.user_id, bob);
    assert!(nobodys.is_empty());
}

/// `limit` caps a page and `before` continues below the last id seen.
pub async fn the_listing_pages_by_id(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    for seconds in 0..5 {
        record(storage, event(ada, SecurityEventKind::LoginFailed, seconds)).await;
    }

    let first = list(storage, ada, None, 2).await;
    let second = list(storage, ada, Some(first[1].id), 2).await;
    let last = list(storage, ada, Some(second[1].id), 2).await;
    let beyond = list(storage, ada, Some(last[0].id), 2).await;

    let seconds = |page: &[RecordedEvent]| -> Vec<_> { page.iter().map(|e| e.event.at).collect() };
    assert_eq!(seconds(&first), [at(4), at(3)]);
    assert_eq!(seconds(&second), [at(2), at(1)]);
    assert_eq!(seconds(&last), [at(0)]);
    assert!(beyond.is_empty());
}

/// Deleting an account deletes its events and no one else's.
pub async fn deleting_a_user_deletes_their_events(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    let bob = user(storage, "bob@example.com").await;
    record(storage, event(ada, SecurityEventKind::Registered, 0)).await;
    record(storage, event(bob, SecurityEventKind::Registered, 0)).await;

    storage.users.delete(ada).await.expect("user deleted");

    assert!(list(storage, ada, None, 10).await.is_empty());
    assert_eq!(list(storage, bob, None, 10).await.len(), 1);
}

//! Credential changes are atomic (issue #25, item 4; ASVS 5.0 V2.3.3): a
//! failure injected at the last step of a password change, a reset and a
//! refresh-token rotation leaves everything as it was, on SQLite and on
//! PostgreSQL.

use chrono::{Duration, Utc};
use sea_orm::ConnectionTrait;
use taskpulse_domain::ports::{SessionRepository, UserRepository};
use taskpulse_domain::reset::PasswordResetStore;
use taskpulse_domain::session::{
    ClientInfo, NewSession, Rotation, SessionId, SessionLifetime, TokenHash,
};
use taskpulse_domain::user::PasswordHash;
use taskpulse_infra::{
    Database, PoolSettings, SeaPasswordResetStore, SeaSessionRepository, SeaUserRepository,
};

use super::{drop_postgres, insert_user, postgres, sqlite};

/// Makes every update of a session fail, the last step of each credential
/// change.
async fn fail_session_updates(db: &Database) {
    let sql = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            "CREATE FUNCTION injected_failure() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$; \
             CREATE TRIGGER injected_failure BEFORE UPDATE ON sessions \
             FOR EACH ROW EXECUTE FUNCTION injected_failure();"
        }
        _ => {
            "CREATE TRIGGER injected_failure BEFORE UPDATE ON sessions \
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END;"
        }
    };
    db.execute_unprepared(sql).await.expect("trigger created");
}

async fn heal(db: &Database) {
    let sql = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => "DROP TRIGGER injected_failure ON sessions",
        _ => "DROP TRIGGER injected_failure",
    };
    db.execute_unprepared(sql).await.expect("trigger dropped");
}

fn hash(token: &str) -> TokenHash {
    TokenHash::new(token.into())
}

async fn credential_changes_are_atomic(db: &Database) {
    let (users, sessions, resets) = (
        SeaUserRepository::new(db.clone()),
        SeaSessionRepository::new(db.clone()),
        SeaPasswordResetStore::new(db.clone()),
    );
    let ada = insert_user(db).await;
    let now = Utc::now();
    sessions
        .start(NewSession {
            id: SessionId::new_random(),
            user_id: ada,
            created_at: now,
            expires_at: now + Duration::days(1),
            refresh_hash: hash("first"),
            client: ClientInfo::default(),
        })
        .await
        .expect("started");
    resets
        .create(&hash("reset"), ada, 0, now, now + Duration::hours(1))
        .await
        .expect("stored");
    let lifetime = SessionLifetime {
        idle: Duration::days(1),
        absolute: Duration::days(90),
    };

    fail_session_updates(db).await;
    let changed = users
        .change_password(ada, PasswordHash::new("changed".into()), 0, now)
        .await;
    let rotated = sessions
        .rotate(&hash("first"), &hash("second"), now, lifetime)
        .await;
    let redeemed = resets
        .redeem(&hash("reset"), PasswordHash::new("reset".into()), now)
        .await;
    heal(db).await;

    assert!(changed.is_err(), "{changed:?}");
    assert!(rotated.is_err(), "{rotated:?}");
    assert!(redeemed.is_err(), "{redeemed:?}");
    let credentials = users
        .find_credentials_by_id(ada)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(credentials.password_hash, PasswordHash::new("x".into()));
    assert_eq!(credentials.token_version, 0);
    assert_eq!(sessions.list_live(ada, now).await.expect("read").len(), 1);
    assert_eq!(
        resets.find(&hash("reset"), now).await.expect("read"),
        Some((ada, 0)),
        "the reset token is still unused"
    );
    let retried = sessions
        .rotate(&hash("first"), &hash("second"), now, lifetime)
        .await
        .expect("rotated");
    assert!(
        matches!(retried, Rotation::Rotated { .. }),
        "the refresh token was not used up: {retried:?}"
    );
    let reset = resets
        .redeem(&hash("reset"), PasswordHash::new("reset".into()), now)
        .await;
    assert!(reset.expect("redeemed"));
    assert!(sessions.list_live(ada, now).await.expect("read").is_empty());
}

#[tokio::test]
async fn a_failed_credential_change_changes_nothing_on_sqlite_and_postgres() {
    let (lite, path) = sqlite().await;
    credential_changes_are_atomic(&lite).await;
    lite.close().await.expect("closed");
    let _ = std::fs::remove_file(path);
    let Some((db, name)) = postgres(&PoolSettings::default()).await else {
        return;
    };
    credential_changes_are_atomic(&db).await;
    db.close().await.expect("closed");
    drop_postgres(&name).await;
}

//! The SQL form of "the bearer is live" ([`Bearer::admit`] is the Rust
//! form): every task statement carries it, so a revoked token (a session
//! ended, a personal access token revoked, a password changed) finds and
//! changes nothing.

use sea_orm::sea_query::{Expr, ExprTrait, LockType, Query, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait};
use taskpulse_domain::{Bearer, Credential, Result};
use uuid::Uuid;

use crate::db::to_domain;
use crate::entities::{personal_access_tokens as tokens, sessions, users};

/// Whether `bearer` is live: its user exists and is active at its token
/// version, and its credential, if it names one, is live
/// ([`credential_live`]). Uncorrelated, so the database evaluates it once
/// per statement.
pub(crate) fn live(bearer: &Bearer) -> SimpleExpr {
    let mut user = Query::select();
    user.expr(Expr::val(1))
        .from(users::Entity)
        .and_where(Expr::col((users::Entity, users::Column::Id)).eq(bearer.user_id.as_uuid()))
        .and_where(Expr::col((users::Entity, users::Column::IsActive)).eq(true))
        .and_where(
            Expr::col((users::Entity, users::Column::TokenVersion)).eq(bearer.token_version),
        );
    if let Some(credential) = bearer.credential {
        user.and_where(credential_live(credential));
    }
    Expr::exists(user)
}

/// Whether `credential` belongs to the `users` row of the enclosing query
/// and is live: a session that has not ended, or a personal access token
/// that is not revoked (its expiry is checked in memory).
pub(crate) fn credential_live(credential: Credential) -> SimpleExpr {
    let owner = (users::Entity, users::Column::Id);
    let mut found = Query::select();
    found.expr(Expr::val(1));
    match credential {
        Credential::Session(id) => found
            .from(sessions::Entity)
            .and_where(Expr::col((sessions::Entity, sessions::Column::Id)).eq(id.as_uuid()))
            .and_where(Expr::col((sessions::Entity, sessions::Column::UserId)).equals(owner))
            .and_where(Expr::col((sessions::Entity, sessions::Column::EndedAt)).is_null()),
        Credential::AccessToken(id) => found
            .from(tokens::Entity)
            .and_where(Expr::col((tokens::Entity, tokens::Column::Id)).eq(id.as_uuid()))
            .and_where(Expr::col((tokens::Entity, tokens::Column::UserId)).equals(owner))
            .and_where(Expr::col((tokens::Entity, tokens::Column::RevokedAt)).is_null()),
    };
    Expr::exists(found)
}

/// Whether the bearer is live, and if so, keeps every other step that
/// calls this for the same owner out until `txn` ends: on PostgreSQL by
/// locking the owner's row (which also holds off a password change);
/// SQLite's transaction holds the database's write lock already.
///
/// Every write of a task or label also locks the owner's row, where the
/// change log's trigger takes the next sequence number, so that numbers
/// follow commit order. A transaction takes it here, before any task
/// row; a single-statement update takes it first too ([`owner_locked`]):
/// one order for every writer, so that two never wait on each other.
pub(crate) async fn lock_owner(txn: &impl ConnectionTrait, bearer: &Bearer) -> Result<bool> {
    let mut select = Query::select();
    select
        .column(users::Column::Id)
        .from(users::Entity)
        .and_where(users::Column::Id.eq(bearer.user_id.as_uuid()))
        .and_where(live(bearer))
        .lock(LockType::Update);
    let row = txn.query_one(&select).await.map_err(to_domain)?;
    Ok(row.is_some())
}

/// The owner's row, locked for the rest of the transaction (on
/// PostgreSQL; SQLite has one writer at a time): a condition that a
/// single-statement update of the owner's task rows carries so that it
/// takes the owner's lock before theirs (see [`lock_owner`]). True while
/// the owner exists; uncorrelated, so evaluated once, before any row.
pub(crate) fn owner_locked(bearer: &Bearer) -> SimpleExpr {
    let mut owner = Query::select();
    owner
        .expr(Expr::val(1))
        .from(users::Entity)
        .and_where(users::Column::Id.eq(bearer.user_id.as_uuid()))
        .lock(LockType::NoKeyUpdate);
    Expr::exists(owner)
}

/// The session a write of the bearer's is attributed to in the change
/// log (the rows' `changed_by`).
pub(crate) fn author(bearer: &Bearer) -> Option<Uuid> {
    bearer.session_id().map(|session| session.as_uuid())
}

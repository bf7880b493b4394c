//! The SQL form of "the bearer is live" ([`Bearer::admit`] is the Rust
//! form): every task statement carries it, so a revoked token finds and
//! changes nothing.

use sea_orm::sea_query::{Expr, ExprTrait, LockType, Query, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait};
use taskpulse_domain::{Bearer, Result};

use crate::db::to_domain;
use crate::entities::{sessions, users};

/// Whether `bearer` is live: its user exists and is active at its token
/// version, and its session, if it names one, is its user's and has not
/// ended. Uncorrelated, so the database evaluates it once per statement.
pub(crate) fn live(bearer: &Bearer) -> SimpleExpr {
    let mut user = Query::select();
    user.expr(Expr::val(1))
        .from(users::Entity)
        .and_where(Expr::col((users::Entity, users::Column::Id)).eq(bearer.user_id.as_uuid()))
        .and_where(Expr::col((users::Entity, users::Column::IsActive)).eq(true))
        .and_where(
            Expr::col((users::Entity, users::Column::TokenVersion)).eq(bearer.token_version),
        );
    if let Some(session) = bearer.session_id {
        user.inner_join(
            sessions::Entity,
            Expr::col((sessions::Entity, sessions::Column::Id))
                .eq(session.as_uuid())
                .and(
                    Expr::col((sessions::Entity, sessions::Column::UserId))
                        .equals((users::Entity, users::Column::Id)),
                )
                .and(Expr::col((sessions::Entity, sessions::Column::EndedAt)).is_null()),
        );
    }
    Expr::exists(user)
}

/// Whether the bearer is live, and if so, keeps every other step that
/// calls this for the same owner out until `txn` ends: on PostgreSQL by
/// locking the owner's row (which also holds off a password change);
/// SQLite's transaction holds the database's write lock already.
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

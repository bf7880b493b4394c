//! Database failures as the domain's errors: the one mapping every
//! repository uses.

use sea_orm::sqlx;
use sea_orm::{DbErr, RuntimeErr, SqlErr};
use taskpulse_domain::Error;

/// Whether `err` means the database could not be reached (as opposed to a
/// bad query or data).
pub(crate) fn is_unavailable(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => matches!(
            &**e,
            sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed
                | sqlx::Error::Protocol(_)
        ),
        _ => false,
    }
}

/// Maps a database failure to the domain's error: unreachable →
/// `Unavailable`, anything else → `Internal`.
pub(crate) fn to_domain(err: DbErr) -> Error {
    if is_unavailable(&err) {
        Error::Unavailable
    } else {
        Error::internal(err)
    }
}

/// Whether `err` is a unique-constraint violation.
pub(crate) fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

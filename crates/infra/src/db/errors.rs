//! Database failures as the domain's errors: the one mapping every
//! repository uses.

use sea_orm::sqlx;
use sea_orm::{DbErr, RuntimeErr, SqlErr};
use taskpulse_domain::Error;

/// Whether `err` means the database could not be reached or serve (as
/// opposed to a bad query or data): no connection, a broken one, the
/// server ending the session or starting up, or too many connections.
pub(crate) fn is_unavailable(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match &**e {
                sqlx::Error::Database(e) => e
                    .code()
                    .is_some_and(|code| ends_session(&code) || code == TOO_MANY_CONNECTIONS),
                sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed
                | sqlx::Error::Protocol(_) => true,
                _ => false,
            }
        }
        _ => false,
    }
}

/// Whether SQLSTATE `code` means the server ended the session or lost the
/// connection (classes 08 and 57P: shutdown, start-up, idle session
/// timeout, lost connection).
pub(crate) fn ends_session(code: &str) -> bool {
    code.starts_with("08") || code.starts_with("57P")
}

/// SQLSTATE `too_many_connections`.
const TOO_MANY_CONNECTIONS: &str = "53300";

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

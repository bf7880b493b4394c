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

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::sync::Arc;

    use sea_orm::ConnAcquireErr;
    use sea_orm::sqlx::error::{DatabaseError, ErrorKind};

    use super::*;

    /// A database error with a SQLSTATE, as the server would send it.
    #[derive(Debug, thiserror::Error)]
    #[error("SQLSTATE {0}")]
    struct ServerSaid(&'static str);

    impl DatabaseError for ServerSaid {
        fn message(&self) -> &str {
            self.0
        }

        fn code(&self) -> Option<Cow<'_, str>> {
            Some(Cow::Borrowed(self.0))
        }

        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }

        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }

        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }

        fn kind(&self) -> ErrorKind {
            ErrorKind::Other
        }
    }

    fn query_failed(code: &'static str) -> DbErr {
        let err = sqlx::Error::Database(Box::new(ServerSaid(code)));
        DbErr::Query(RuntimeErr::SqlxError(Arc::new(err)))
    }

    #[test]
    fn a_server_that_cannot_serve_is_unavailable() {
        for code in ["08006", "57P01", "57P03", "53300"] {
            assert!(is_unavailable(&query_failed(code)), "{code}");
            assert!(matches!(to_domain(query_failed(code)), Error::Unavailable));
        }
        let no_connection = DbErr::ConnectionAcquire(ConnAcquireErr::Timeout);
        assert!(matches!(to_domain(no_connection), Error::Unavailable));
    }

    #[test]
    fn a_bad_statement_is_internal() {
        for code in ["42601", "23505", "22001"] {
            assert!(!is_unavailable(&query_failed(code)), "{code}");
            assert!(matches!(to_domain(query_failed(code)), Error::Internal(_)));
        }
    }
}

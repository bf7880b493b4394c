//! The storage ports on SeaORM, one repository per table, for SQLite and
//! PostgreSQL alike: every statement is built from the entities.

pub mod access_tokens;
pub mod changes;
pub mod idempotency;
pub mod job_leases;
pub mod labels;
mod live;
pub mod rate_limits;
pub mod resets;
pub mod second_factors;
pub mod security_log;
pub mod sessions;
pub mod tasks;
pub mod users;
pub mod verifications;

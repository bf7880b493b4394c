//! TaskPulse's domain: the task and account rules, free of I/O.
//!
//! The crate holds validated value types ([`user`], [`task`]), the ports the
//! rules need from the outside world ([`ports`]), and the two services that
//! apply them: [`AuthService`] (accounts and access tokens) and
//! [`TaskService`] (a user's tasks).
//!
//! # Ownership
//!
//! Every [`TaskService`] call takes the acting user. A task of another user is
//! reported as [`Error::NotFound`], exactly like a task that does not exist,
//! so a caller can never learn that someone else's task exists. Repository
//! ports take the owner too and must put it in every query.
//!
//! # Plugging in storage
//!
//! Implement [`ports::UserRepository`] and [`ports::TaskRepository`] (and the
//! hashing, token and clock ports) for your storage, wrap them in `Arc`, and
//! hand them to [`AuthService::new`] and [`TaskService::new`].

pub mod auth;
pub mod error;
pub mod idempotency;
pub mod ports;
pub mod session;
pub mod task;
pub mod tasks;
mod text;
pub mod user;

pub use auth::{
    AuthPorts, AuthService, AuthSettings, Principal, ProfileChanges, SessionView, Tokens,
};
pub use error::{Error, Result};
pub use idempotency::IdempotencyService;
pub use tasks::TaskService;

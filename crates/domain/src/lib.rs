//! TaskPulse's domain: the task and account rules, free of I/O.
//!
//! This crate is the whole of TaskPulse's behaviour without its server:
//! validated values ([`user`], [`task`], [`session`], [`idempotency`]), the
//! ports through which the rules reach storage, cryptography and time
//! ([`ports`]), and the services that apply the rules: [`AuthService`]
//! (accounts, sign-in with lock-out, sessions with rotating refresh tokens,
//! access-token checks), [`TaskService`] (a user's tasks) and
//! [`IdempotencyService`] (at-most-once requests). It does no I/O and
//! starts no runtime: its async functions run on any executor.
//!
//! # The ports
//!
//! | port | what it keeps or does |
//! |---|---|
//! | [`UserRepository`](ports::UserRepository) | accounts, unique by lower-cased email; token version and lock-out state |
//! | [`TaskRepository`](ports::TaskRepository) | tasks, always addressed through their owner |
//! | [`SessionRepository`](ports::SessionRepository) | sessions and their refresh tokens, by hash |
//! | [`IdempotencyStore`](idempotency::IdempotencyStore) | idempotency keys per owner, with the first answer |
//! | [`PasswordHasher`](ports::PasswordHasher) | password hashes |
//! | [`TokenCodec`](ports::TokenCodec) | signed access tokens |
//! | [`OpaqueTokens`](ports::OpaqueTokens) | random refresh tokens and their hashes |
//! | [`EmailVerificationStore`](verification::EmailVerificationStore) | email-verification links, by hash |
//! | [`SecurityLog`](security_log::SecurityLog) | each account's security events, for its user and the operator |
//! | [`AccessTokenStore`](access_token::AccessTokenStore) | personal access tokens, by the hash of their secret |
//! | [`Clock`](ports::Clock) | the current time |
//!
//! Each port method's documentation says what it must do and which
//! [`Error`] it must answer when; that is the contract an adapter follows.
//!
//! # Plugging in storage
//!
//! Implement the ports (the `taskpulse-infra` crate does it with SeaORM on
//! SQLite and PostgreSQL), wrap the adapters in `Arc`, and hand them to
//! [`AuthService::new`] (through [`AuthPorts`]), [`TaskService::new`] and
//! [`IdempotencyService::new`]. Nothing else holds state: services are
//! cheap to build once and share.
//!
//! Two features help:
//!
//! - `memory`: in-memory adapters for every port, in [`memory`] (one
//!   shared store, a fast test hasher, an HMAC token codec, clocks), for
//!   programs that embed the rules without a database and for fast tests.
//! - `testing`: the port contract suite, in [`testing`]: one check per rule
//!   of the storage ports, which any adapter can run against itself with
//!   [`port_contract_tests!`].
//!
//! # Ownership
//!
//! [`TaskService::for_owner`] opens the tasks of the owner a request
//! addresses for the request's bearer, and only the bearer's own: another
//! user's tasks are reported as [`Error::NotFound`], exactly like a task
//! that does not exist, so a caller can never learn that someone else's
//! task exists. Repository ports take the bearer and must put its user in
//! every query.
//!
//! # Example
//!
//! With the `memory` feature: register, create a task, list it, and see
//! that another user cannot read it.
//!
//! ```
//! # #[cfg(feature = "memory")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//!
//! use chrono::Duration;
//! use taskpulse_domain::memory::{
//!     HmacCodec, HmacOneTimeCodes, MemoryStore, RecordingMailer, SystemClock, TestPasswordHasher, UuidTokens,
//! };
//! use taskpulse_domain::ports::LockoutPolicy;
//! use taskpulse_domain::rate_limit::RateLimiter;
//! use taskpulse_domain::session::ClientInfo;
//! use taskpulse_domain::task::{NewTask, TaskQuery, Title};
//! use taskpulse_domain::user::{Email, Password, Registration, UserName};
//! use taskpulse_domain::{AuthPorts, AuthService, AuthSettings, Error, TaskService};
//!
//! let store = MemoryStore::new();
//! let clock = Arc::new(SystemClock);
//! let auth = AuthService::new(
//!     AuthPorts {
//!         users: Arc::new(store.users()),
//!         sessions: Arc::new(store.sessions()),
//!         hasher: Arc::new(TestPasswordHasher),
//!         tokens: Arc::new(HmacCodec::new(b"an example secret, 32 bytes long")),
//!         opaque: Arc::new(UuidTokens),
//!         access_tokens: Arc::new(store.access_tokens()),
//!         token_secrets: Arc::new(UuidTokens),
//!         factors: Arc::new(store.second_factors()),
//!         codes: Arc::new(HmacOneTimeCodes),
//!         mailer: Arc::new(RecordingMailer::new()),
//!         security: Arc::new(store.security_log()),
//!         verifications: Arc::new(store.email_verifications()),
//!         limiter: RateLimiter::new(Arc::new(store.rate_limits()), clock.clone()),
//!         clock: clock.clone(),
//!     },
//!     AuthSettings {
//!         access_token_ttl: Duration::hours(1),
//!         refresh_token_ttl: Duration::days(30),
//!         session_max_lifetime: Duration::days(90),
//!         lockout: LockoutPolicy {
//!             max_failures: 5,
//!             lockout: Duration::minutes(15),
//!         },
//!         max_external_token_ttl: Duration::days(1),
//!         require_verified_email: false,
//!         verification_ttl: Duration::hours(24),
//!     },
//! );
//! let tasks = TaskService::new(
//!     Arc::new(store.tasks()),
//!     Arc::new(store.labels()),
//!     Arc::new(store.users()),
//!     Arc::new(store.changes()),
//!     clock,
//!     Duration::days(30),
//! );
//!
//! futures_executor::block_on(async {
//!     let ada = auth
//!         .register(
//!             Registration {
//!                 name: UserName::parse("Ada")?,
//!                 email: Email::parse("ada@example.com")?,
//!                 password: Password::parse("correct horse battery")?,
//!             },
//!             ClientInfo::default(),
//!         )
//!         .await?;
//!     // A request's bearer: the token checked in memory; storage acts only
//!     // while the bearer is still live.
//!     let bearer = auth.bearer(&ada.access_token)?;
//!     let me = bearer.user_id;
//!     let mine = tasks.for_owner(bearer, Some(me)).await?;
//!     let new = NewTask::new(Title::parse("Write the report")?);
//!     let task = mine.create(new).await?;
//!
//!     let page = mine.list(&TaskQuery::default()).await?;
//!     assert_eq!(page.total, 1);
//!     assert_eq!(page.tasks[0].id, task.id);
//!     assert_eq!(page.tasks[0].title, "Write the report");
//!
//!     let someone_else = taskpulse_domain::user::UserId::new_random();
//!     let peek = tasks.for_owner(bearer, Some(someone_else)).await;
//!     assert!(matches!(peek, Err(Error::NotFound)));
//!     Ok(())
//! })
//! # }
//! # #[cfg(not(feature = "memory"))]
//! # fn main() {}
//! ```

#![deny(missing_docs)]
// The guide links to the feature-gated modules, which exist only with them.
#![cfg_attr(
    not(all(feature = "memory", feature = "testing")),
    allow(rustdoc::broken_intra_doc_links)
)]

pub mod access_token;
pub mod auth;
pub mod bearer;
pub mod changes;
pub mod error;
pub mod idempotency;
pub mod jobs;
pub mod label;
pub mod mail;
#[cfg(feature = "memory")]
pub mod memory;
pub mod ports;
pub mod rate_limit;
pub mod reset;
pub mod second_factor;
pub mod security_log;
pub mod session;
pub mod task;
pub mod tasks;
#[cfg(feature = "testing")]
pub mod testing;
mod text;
pub mod user;
pub mod verification;

pub use auth::{
    AuthPorts, AuthService, AuthSettings, Principal, ProfileChanges, SecondFactorStatus,
    SessionView, SignIn, Tokens, TotpEnrolment,
};
pub use bearer::Bearer;
pub use error::{Error, Result};
pub use idempotency::IdempotencyService;
pub use tasks::{OwnerTasks, TaskService, TrashPurge};

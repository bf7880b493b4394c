//! In-memory adapters for every port (feature `memory`): for programs that
//! embed the rules without a database, and for fast tests.
//!
//! The storage adapters share one [`MemoryStore`], so that they see
//! each other's data as the SeaORM adapters see one database: deleting a
//! user deletes their tasks, sessions and idempotency keys, and a token
//! check sees the sessions. Every method takes one lock over the whole
//! store, which makes each call atomic (conditional writes, refresh-token
//! rotation, idempotency claims) and the adapters safe to share between
//! threads. Nothing is persisted.
//!
//! Their behaviour is the port contract that [`testing`](crate::testing)
//! checks, the same as the SQL adapters', with two differences where the
//! ports say nothing: sessions and idempotency keys of an owner that was
//! never stored are accepted (a database refuses them with a foreign key),
//! and search folds the case of all of Unicode (as PostgreSQL does;
//! SQLite folds ASCII only).
//!
//! The other adapters: [`TestPasswordHasher`] (fast and NOT for
//! production), [`HmacCodec`] (signed access tokens), [`UuidTokens`]
//! (refresh tokens), [`MemoryPasswordResets`] (password reset),
//! [`MemorySecondFactors`] and [`HmacOneTimeCodes`] (TOTP),
//! [`MemorySecurityLog`] (security events), [`MemoryAccessTokens`]
//! (personal access tokens), [`MemoryEmailVerifications`]
//! (verified email),
//! [`RecordingMailer`] (email), [`SystemClock`] and [`FixedClock`].
//!
//! ```
//! use taskpulse_domain::Bearer;
//! use taskpulse_domain::memory::{FixedClock, MemoryStore};
//! use taskpulse_domain::ports::{Clock, TaskRepository, UserRepository};
//! use taskpulse_domain::task::{NewTask, TaskQuery, Title};
//! use taskpulse_domain::user::{Email, NewUser, PasswordHash, User, UserId, UserName};
//!
//! let store = MemoryStore::new();
//! let (users, tasks) = (store.users(), store.tasks());
//! let clock = FixedClock::new(chrono::Utc::now());
//! let ada = User {
//!     id: UserId::new_random(),
//!     email: Email::parse("ada@example.com")?,
//!     name: UserName::parse("Ada")?,
//!     is_active: true,
//!     email_verified: false,
//!     created_at: clock.now(),
//!     updated_at: clock.now(),
//! };
//! // Tasks are stored for a live bearer: an active user at its token version.
//! let bearer = Bearer {
//!     user_id: ada.id,
//!     credential: None,
//!     token_version: 0,
//! };
//! let new = NewTask::new(Title::parse("Water the plants")?);
//!
//! let page = futures_executor::block_on(async {
//!     let password_hash = PasswordHash::new("hash".into());
//!     users.create(NewUser { user: ada, password_hash }).await?;
//!     tasks.create(&bearer, new, clock.now()).await?;
//!     tasks.list(&bearer, &TaskQuery::default()).await
//! })?;
//!
//! assert_eq!(page.total, 1);
//! assert_eq!(page.tasks[0].version, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod access_tokens;
mod changes;
mod clock;
mod hasher;
mod hex;
mod idempotency;
mod jobs;
mod labels;
mod mail;
mod one_time_codes;
mod opaque;
mod rate_limits;
mod resets;
mod second_factors;
mod security_log;
mod sessions;
mod tasks;
mod token;
mod trash;
mod users;
mod verifications;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};

pub use access_tokens::MemoryAccessTokens;
pub use changes::MemoryChanges;
pub use clock::{FixedClock, SystemClock};
pub use hasher::TestPasswordHasher;
pub use idempotency::MemoryIdempotency;
pub use jobs::MemoryJobLeases;
pub use labels::MemoryLabels;
pub use mail::RecordingMailer;
pub use one_time_codes::HmacOneTimeCodes;
pub use opaque::UuidTokens;
pub use rate_limits::MemoryRateLimits;
pub use resets::MemoryPasswordResets;
pub use second_factors::MemorySecondFactors;
pub use security_log::MemorySecurityLog;
pub use sessions::MemorySessions;
pub use tasks::MemoryTasks;
pub use token::HmacCodec;
pub use users::MemoryUsers;
pub use verifications::MemoryEmailVerifications;

use crate::access_token::AccessTokenId;
use crate::idempotency::IdempotencyKey;
use crate::label::{Label, LabelId};
use crate::second_factor::TotpFactor;
use crate::security_log::RecordedEvent;
use crate::session::{SessionId, TokenHash};
use crate::task::{Task, TaskId};
use crate::user::UserId;

/// Every table of the store.
#[derive(Debug, Clone, Default)]
struct Tables {
    users: HashMap<UserId, users::UserRow>,
    tasks: BTreeMap<TaskId, Task>,
    trash: BTreeMap<TaskId, trash::Trashed>,
    last_task_id: i64,
    labels: BTreeMap<LabelId, Label>,
    last_label_id: i64,
    sessions: HashMap<SessionId, sessions::SessionRow>,
    refresh_tokens: HashMap<TokenHash, sessions::RefreshRow>,
    idempotency_keys: HashMap<(UserId, IdempotencyKey), idempotency::KeyRow>,
    password_resets: HashMap<TokenHash, resets::ResetRow>,
    rate_limits: HashMap<String, i64>,
    totp_factors: HashMap<UserId, TotpFactor>,
    recovery_codes: HashMap<UserId, Vec<(TokenHash, bool)>>,
    challenges: HashMap<TokenHash, second_factors::ChallengeRow>,
    security_events: Vec<RecordedEvent>,
    email_verifications: HashMap<TokenHash, verifications::VerificationRow>,
    job_leases: HashMap<String, DateTime<Utc>>,
    changes: HashMap<UserId, changes::OwnerLog>,
    access_tokens: HashMap<AccessTokenId, access_tokens::TokenRow>,
}

/// One in-memory storage, shared by its repositories. Cloning it gives
/// another handle to the same data.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    tables: Arc<Mutex<Tables>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Its [`PasswordResetStore`](crate::reset::PasswordResetStore).
    pub fn password_resets(&self) -> MemoryPasswordResets {
        MemoryPasswordResets::new(self.clone())
    }

    /// Its [`UserRepository`](crate::ports::UserRepository).
    pub fn users(&self) -> MemoryUsers {
        MemoryUsers::new(self.clone())
    }

    /// Its [`TaskRepository`](crate::ports::TaskRepository).
    pub fn tasks(&self) -> MemoryTasks {
        MemoryTasks::new(self.clone())
    }

    /// Its [`LabelRepository`](crate::ports::LabelRepository).
    pub fn labels(&self) -> MemoryLabels {
        MemoryLabels::new(self.clone())
    }

    /// Its [`SessionRepository`](crate::ports::SessionRepository).
    pub fn sessions(&self) -> MemorySessions {
        MemorySessions::new(self.clone())
    }

    /// Its [`SecondFactorStore`](crate::second_factor::SecondFactorStore).
    pub fn second_factors(&self) -> MemorySecondFactors {
        MemorySecondFactors::new(self.clone())
    }

    /// Its [`EmailVerificationStore`](crate::verification::EmailVerificationStore).
    pub fn email_verifications(&self) -> MemoryEmailVerifications {
        MemoryEmailVerifications::new(self.clone())
    }

    /// Its [`SecurityLog`](crate::security_log::SecurityLog).
    pub fn security_log(&self) -> MemorySecurityLog {
        MemorySecurityLog::new(self.clone())
    }

    /// Its [`RateLimitStore`](crate::rate_limit::RateLimitStore).
    pub fn rate_limits(&self) -> MemoryRateLimits {
        MemoryRateLimits::new(self.clone())
    }

    /// Its [`ChangeFeed`](crate::changes::ChangeFeed).
    pub fn changes(&self) -> MemoryChanges {
        MemoryChanges::new(self.clone())
    }

    /// Its [`JobLeases`](crate::jobs::JobLeases).
    pub fn job_leases(&self) -> MemoryJobLeases {
        MemoryJobLeases::new(self.clone())
    }

    /// Its [`AccessTokenStore`](crate::access_token::AccessTokenStore).
    pub fn access_tokens(&self) -> MemoryAccessTokens {
        MemoryAccessTokens::new(self.clone())
    }

    /// Its [`IdempotencyStore`](crate::idempotency::IdempotencyStore).
    pub fn idempotency(&self) -> MemoryIdempotency {
        MemoryIdempotency::new(self.clone())
    }

    /// The tables, for one atomic step. Every method checks before it
    /// writes, so a panic elsewhere cannot have left a row half-written, and
    /// a poisoned lock is taken over.
    fn lock(&self) -> MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

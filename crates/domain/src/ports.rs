//! The ports: what the rules need from storage, cryptography and time.
//!
//! Adapters implement these traits; the services only ever see the traits.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

pub use crate::bearer::TokenSubject;
use crate::bearer::{Bearer, Credential};
use crate::error::{Result, TokenRejection};
use crate::label::{Label, LabelChanges, LabelId, NewLabel};
use crate::session::{NewSession, Rotation, Session, SessionId, SessionLifetime, TokenHash};
use crate::task::{
    BatchRefusal, NewTask, PageLimit, Precondition, StoredKey, StoredTask, Task, TaskChanges,
    TaskId, TaskOp, TaskPage, TaskQuery, TrashPage, TrashQuery,
};
use crate::user::{Credentials, Email, NewUser, PasswordHash, User, UserId, UserName};

/// How a failed login is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failures in a row that lock the account.
    pub max_failures: u32,
    /// How long a lock lasts.
    pub lockout: chrono::Duration,
}

/// Storage of accounts.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait UserRepository: Send + Sync {
    /// Stores a new account.
    ///
    /// # Errors
    /// [`Error::EmailTaken`](crate::Error::EmailTaken) when another account
    /// has the same (lower-cased) email; [`Error::Unavailable`](crate::Error::Unavailable)
    /// when storage cannot be reached.
    async fn create(&self, user: NewUser) -> Result<User>;

    /// The account with this id, if any.
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn find_by_id(&self, id: UserId) -> Result<Option<User>>;

    /// The account, its token version, and whether `credential` is live
    /// (a session of this user that has not ended, or a personal access
    /// token of this user that is not revoked): what [`Bearer::admit`]
    /// decides from.
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn find_token_subject(
        &self,
        id: UserId,
        credential: Option<Credential>,
    ) -> Result<Option<TokenSubject>>;

    /// The account with this email and its password material, if any.
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn find_credentials(&self, email: &Email) -> Result<Option<Credentials>>;

    /// The account with this id and its password material, if any.
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn find_credentials_by_id(&self, id: UserId) -> Result<Option<Credentials>>;

    /// Replaces the stored password hash without revoking anything (used to
    /// upgrade old schemes).
    ///
    /// # Errors
    /// [`Error::NotFound`](crate::Error::NotFound) when the account is gone;
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn set_password_hash(
        &self,
        id: UserId,
        hash: PasswordHash,
        now: DateTime<Utc>,
    ) -> Result<()>;

    /// Sets a new password in one atomic step, provided the account's token
    /// version is still `version` (the one its current password was
    /// checked under): stores the hash, bumps the token version by one (so
    /// every earlier access token stops working), lifts any lock-out and
    /// ends every session of the user (so every refresh token stops
    /// working). A failure part-way changes nothing. False, changing
    /// nothing, when the account is gone or its token version has moved on
    /// (another change or a reset came first).
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn change_password(
        &self,
        id: UserId,
        hash: PasswordHash,
        version: i64,
        now: DateTime<Utc>,
    ) -> Result<bool>;

    /// Counts one failed login atomically (it must hold across server
    /// replicas): a count whose lock has expired starts again at one, and
    /// reaching `policy.max_failures` locks the account until
    /// `now + policy.lockout`. True when this very failure brought the
    /// count to `policy.max_failures` (of concurrent failures, exactly one
    /// does); false for a missing account.
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn record_failed_login(
        &self,
        id: UserId,
        now: DateTime<Utc>,
        policy: LockoutPolicy,
    ) -> Result<bool>;

    /// After a right password: sets the failure count to zero and lifts an
    /// expired lock, in one atomic step, unless the account is locked at
    /// `now` (a lock that concurrent failures set while the password was
    /// being checked counts). False, changing nothing, when it is locked or
    /// missing.
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn clear_failed_logins(&self, id: UserId, now: DateTime<Utc>) -> Result<bool>;

    /// Changes the display name (the email changes only through a
    /// verification link, see
    /// [`EmailVerificationStore`](crate::verification::EmailVerificationStore)).
    ///
    /// # Errors
    /// [`Error::NotFound`](crate::Error::NotFound) when the account is gone;
    /// [`Error::Unavailable`](crate::Error::Unavailable).
    async fn rename(&self, id: UserId, name: UserName, now: DateTime<Utc>) -> Result<User>;

    /// Deletes the account; its tasks and sessions go with it.
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn delete(&self, id: UserId) -> Result<()>;
}

/// Storage of sessions and their refresh tokens (by hash only).
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait SessionRepository: Send + Sync {
    /// Stores a new session with its first refresh token.
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn start(&self, session: NewSession) -> Result<()>;

    /// Uses up the refresh token hashed `presented` and stores `next` in its
    /// place, in one atomic step: of two concurrent presentations only one
    /// rotates, the other sees [`Rotation::Reused`]; a failure part-way
    /// leaves the presented token as it was. The token's session must be
    /// live at `now` by its stored expiry and by `lifetime`'s absolute end
    /// ([`SessionLifetime::ends_at`] of its start), else it is
    /// [`Rotation::Invalid`]. The next token, and the session, expire at
    /// [`SessionLifetime::token_expires_at`].
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn rotate(
        &self,
        presented: &TokenHash,
        next: &TokenHash,
        now: DateTime<Utc>,
        lifetime: SessionLifetime,
    ) -> Result<Rotation>;

    /// Ends the user's session `id`; false when the user has no such live session.
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn end(&self, user: UserId, id: SessionId, now: DateTime<Utc>) -> Result<bool>;

    /// Ends the session the refresh token hashed `presented` belongs to, if any.
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn end_by_token(&self, presented: &TokenHash, now: DateTime<Utc>) -> Result<()>;

    /// Ends every live session of the user except `except`.
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn end_all(
        &self,
        user: UserId,
        except: Option<SessionId>,
        now: DateTime<Utc>,
    ) -> Result<()>;

    /// The user's live sessions, newest first.
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn list_live(&self, user: UserId, now: DateTime<Utc>) -> Result<Vec<Session>>;
}

/// Opaque random tokens (refresh tokens) and their stored hashes.
#[cfg_attr(test, mockall::automock)]
pub trait OpaqueTokens: Send + Sync {
    /// A new token of at least 128 random bits, and its hash.
    ///
    /// # Errors
    /// [`Error::Internal`](crate::Error::Internal) when no randomness is available.
    fn generate(&self) -> Result<(String, TokenHash)>;

    /// The hash of a presented token.
    fn hash(&self, token: &str) -> TokenHash;
}

/// Storage of tasks. Every method takes the [`Bearer`] of the request and
/// MUST act on the bearer's own tasks only (another user's task behaves
/// exactly like a missing one) and only while the bearer is live, as
/// [`Bearer::admit`] decides it from what storage holds at that moment:
/// the user exists and is active at the bearer's token version, and the
/// bearer's session, if it names one, is that user's and has not ended.
/// For a bearer that is not live, reads find nothing and writes change
/// nothing; the service then asks the [`UserRepository`] why.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait TaskRepository: Send + Sync {
    /// One page of the bearer's tasks matching `query` (see
    /// [`TaskQuery::matches`]), in its order ([`TaskQuery::order`]), and the
    /// number of matches before paging (an empty page for a bearer that is
    /// not live); with them, where it can read it in the same step, the
    /// owner's latest change ([`TaskPage::latest`]).
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn list(&self, bearer: &Bearer, query: &TaskQuery) -> Result<TaskPage>;

    /// Stores a new task of the bearer at version 1 with both timestamps set
    /// to `now`, after its siblings ([`Position::after`](crate::task::Position::after) the last of them);
    /// `None`, storing nothing, for a bearer that is not live. Its labels
    /// are the bearer's labels of those names; a name the bearer has no
    /// label of yet makes a new label (no color) in the same step.
    ///
    /// # Errors
    /// [`Error::TooManyLabels`](crate::Error::TooManyLabels) (field `labels`) when
    /// new labels would take the bearer past
    /// [`MAX_LABELS_PER_USER`](crate::label::MAX_LABELS_PER_USER);
    /// [`Error::Placement`](crate::Error::Placement) when its parent is not
    /// one of the bearer's tasks or is already [`MAX_DEPTH`](crate::task::MAX_DEPTH) levels deep
    /// ([`check_parent`](crate::task::check_parent));
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn create(
        &self,
        bearer: &Bearer,
        task: NewTask,
        now: DateTime<Utc>,
    ) -> Result<Option<Task>>;

    /// The bearer's task with this id, if any (and if the bearer is live).
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn get(&self, bearer: &Bearer, id: TaskId) -> Result<Option<Task>>;

    /// Applies non-empty `changes` atomically and returns the task as it
    /// now is: checks the precondition, writes, bumps `version` by exactly
    /// one and sets `updated_at` to `now`. Changes whose every value the
    /// task already has ([`TaskChanges::is_kept_by`]) write nothing: the
    /// task comes back as it is.
    ///
    /// A [`Placement`](crate::task::Placement) is checked and applied in the same step, and no
    /// concurrent move of the owner's tasks can come between: the new
    /// parent by [`check_parent`](crate::task::check_parent), the key by [`place`](crate::task::place) among the other
    /// children of the new parent, writing the renumbered siblings' keys
    /// too (each of them one version more, changed `now`). New labels are
    /// found or made as on [`TaskRepository::create`], in the same step.
    ///
    /// # Errors
    /// [`Error::NotFound`](crate::Error::NotFound) when the bearer has no such task;
    /// [`Error::PreconditionFailed`](crate::Error::PreconditionFailed) when it is at
    /// another version (nothing changes); one of the two for a bearer that
    /// is not live; [`Error::Placement`](crate::Error::Placement) for a
    /// placement that breaks a rule (nothing changes);
    /// [`Error::TooManyLabels`](crate::Error::TooManyLabels) as on create;
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn update(
        &self,
        bearer: &Bearer,
        id: TaskId,
        changes: TaskChanges,
        precondition: Precondition,
        now: DateTime<Utc>,
    ) -> Result<Task>;

    /// Flips `completed` in one atomic step, like [`TaskRepository::update`].
    ///
    /// # Errors
    /// As [`TaskRepository::update`].
    async fn toggle(
        &self,
        bearer: &Bearer,
        id: TaskId,
        precondition: Precondition,
        now: DateTime<Utc>,
    ) -> Result<Task>;

    /// Moves the task and its subtasks, at every level, to the trash at
    /// `now`, in one atomic step with the precondition check: they are no
    /// longer listed, read, changed or chosen as a parent, until
    /// [`TaskRepository::restore`] brings them back.
    ///
    /// # Errors
    /// As [`TaskRepository::update`].
    async fn delete(
        &self,
        bearer: &Bearer,
        id: TaskId,
        precondition: Precondition,
        now: DateTime<Utc>,
    ) -> Result<()>;

    /// One page of the bearer's trash (see [`TrashQuery`]): the tasks
    /// deleted on their own, not the subtasks deleted with them (empty for
    /// a bearer that is not live).
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn trash(&self, bearer: &Bearer, query: &TrashQuery) -> Result<TrashPage>;

    /// At most `limit` of the bearer's tasks, live or in the trash (each
    /// subtask too), in the order they were created, after `after` (from
    /// the first without one); none for a bearer that is not live.
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn stored(
        &self,
        bearer: &Bearer,
        after: Option<StoredKey>,
        limit: PageLimit,
    ) -> Result<Vec<StoredTask>>;

    /// Brings the bearer's deleted task `id` (one the trash lists) back
    /// with the subtasks deleted with it, each one version more, changed
    /// `now`. When its parent is no longer there (deleted since, or
    /// erased), it comes back at the top level, after the last top-level
    /// task.
    ///
    /// # Errors
    /// [`Error::NotFound`](crate::Error::NotFound) when the bearer's trash
    /// lists no such task; [`Error::PreconditionFailed`](crate::Error::PreconditionFailed)
    /// when it is at another version; one of the two for a bearer that is
    /// not live; [`Error::Unavailable`](crate::Error::Unavailable) when
    /// storage cannot be reached.
    async fn restore(
        &self,
        bearer: &Bearer,
        id: TaskId,
        precondition: Precondition,
        now: DateTime<Utc>,
    ) -> Result<Task>;

    /// Erases the bearer's deleted task `id` (one the trash lists) and
    /// everything under it, for good, at `now` (the time of their
    /// tombstones in the change log).
    ///
    /// # Errors
    /// [`Error::NotFound`](crate::Error::NotFound) when the bearer's trash
    /// lists no such task (or the bearer is not live);
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn purge(&self, bearer: &Bearer, id: TaskId, now: DateTime<Utc>) -> Result<()>;

    /// Erases every user's tasks deleted before `before`, with everything
    /// under them, at `now`; answers how many tasks it erased.
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn purge_deleted_before(&self, before: DateTime<Utc>, now: DateTime<Utc>) -> Result<u64>;

    /// Applies `ops` in order, each as its own method would, all in one
    /// atomic step at `now`: either every op is written (the tasks as they
    /// now are, `None` for a delete), or the first op refused is named and
    /// nothing is written. A bearer that is not live has its first op
    /// refused as `NotFound`.
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached
    /// (nothing is written).
    async fn apply_all(
        &self,
        bearer: &Bearer,
        ops: Vec<TaskOp>,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<Vec<Option<Task>>, BatchRefusal>>;
}

/// Where labels are stored, always scoped by the bearer's user and only
/// while the bearer is live (as for [`TaskRepository`]). Names are matched
/// by [`LabelName::key`](crate::label::LabelName::key).
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait LabelRepository: Send + Sync {
    /// The bearer's labels, by name key (empty for a bearer that is not
    /// live).
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn list(&self, bearer: &Bearer) -> Result<Vec<Label>>;

    /// Stores a new label with both timestamps `now`; `None`, storing
    /// nothing, for a bearer that is not live.
    ///
    /// # Errors
    /// [`Error::LabelTaken`](crate::Error::LabelTaken) when the bearer has a
    /// label of that name;
    /// [`Error::TooManyLabels`](crate::Error::TooManyLabels) (field `name`)
    /// when the bearer has [`MAX_LABELS_PER_USER`](crate::label::MAX_LABELS_PER_USER);
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn create(
        &self,
        bearer: &Bearer,
        label: NewLabel,
        now: DateTime<Utc>,
    ) -> Result<Option<Label>>;

    /// The bearer's label with this id, if any.
    ///
    /// # Errors
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn get(&self, bearer: &Bearer, id: LabelId) -> Result<Option<Label>>;

    /// Applies non-empty `changes` in one atomic step, `updated_at` set to
    /// `now`. A new name (a new spelling included) shows on every task
    /// that carries the label, each of those tasks one version more and
    /// changed `now`.
    ///
    /// # Errors
    /// [`Error::NotFound`](crate::Error::NotFound) when the bearer has no such label
    /// (or is not live); [`Error::LabelTaken`](crate::Error::LabelTaken) when another
    /// of the bearer's labels has the new name;
    /// [`Error::Unavailable`](crate::Error::Unavailable) when storage cannot be reached.
    async fn update(
        &self,
        bearer: &Bearer,
        id: LabelId,
        changes: LabelChanges,
        now: DateTime<Utc>,
    ) -> Result<Label>;

    /// Deletes the label and takes it off every task that carries it, each
    /// of those tasks one version more and changed `now`, in one atomic
    /// step.
    ///
    /// # Errors
    /// As [`LabelRepository::update`], but for `LabelTaken`.
    async fn delete(&self, bearer: &Bearer, id: LabelId, now: DateTime<Utc>) -> Result<()>;
}

/// Whether a password matched a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PasswordCheck {
    /// The password is wrong.
    Mismatch,
    /// The password is right; `needs_rehash` says the hash was made by an
    /// older scheme or cost and should be replaced.
    Match {
        /// Whether to store a fresh hash.
        needs_rehash: bool,
    },
}

/// Password hashing. Implementations must keep slow hashing off the
/// threads that serve requests.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// Hashes a password with the current scheme. Callers validate new
    /// passwords first (see [`Password`](crate::user::Password)).
    ///
    /// # Errors
    /// [`Error::Internal`](crate::Error::Internal) if hashing fails.
    async fn hash(&self, password: &str) -> Result<PasswordHash>;

    /// Checks `password` against `hash`. Unknown hash formats are a mismatch.
    ///
    /// # Errors
    /// [`Error::Internal`](crate::Error::Internal) if hashing fails.
    async fn verify(&self, password: &str, hash: &PasswordHash) -> Result<PasswordCheck>;

    /// A hash of a random password made with the current scheme and cost,
    /// verified against when an email is unknown so that the answer takes
    /// as long as for a known one.
    fn dummy_hash(&self) -> PasswordHash;
}

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessClaims {
    /// The user (`sub`).
    pub user_id: UserId,
    /// Issue time (`iat`), when the token says.
    pub issued_at: Option<DateTime<Utc>>,
    /// Expiry time (`exp`).
    pub expires_at: DateTime<Utc>,
    /// The time before which it must not be accepted (`nbf`), if any.
    pub not_before: Option<DateTime<Utc>>,
    /// Unique token id (`jti`).
    pub token_id: Uuid,
    /// The session the token belongs to (`sid`), if any.
    pub session_id: Option<SessionId>,
    /// The user's token version when it was issued (`ver`; 0 when absent).
    pub token_version: i64,
}

/// Signing and checking of access tokens.
#[cfg_attr(test, mockall::automock)]
pub trait TokenCodec: Send + Sync {
    /// Signs `claims` into a token string.
    ///
    /// # Errors
    /// [`Error::Internal`](crate::Error::Internal) if signing fails.
    fn encode(&self, claims: &AccessClaims) -> Result<String>;

    /// Checks a token's signature, algorithm, issuer and audience and
    /// returns its claims. Expiry is NOT checked here: the service compares
    /// `expires_at` with its clock.
    ///
    /// # Errors
    /// [`TokenRejection::Invalid`] for anything that is not a token this
    /// service signed.
    fn decode(&self, token: &str) -> Result<AccessClaims, TokenRejection>;
}

/// The current time.
#[cfg_attr(test, mockall::automock)]
pub trait Clock: Send + Sync {
    /// Now, in UTC.
    fn now(&self) -> DateTime<Utc>;
}

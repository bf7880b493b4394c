//! What the handlers share: the services, and the database for health
//! checks. Built once, in [`startup`](crate::startup).

use taskpulse_domain::rate_limit::RateLimiter;
use taskpulse_domain::reset::PasswordResetService;
use taskpulse_domain::{AuthService, IdempotencyService, TaskService, TrashPurge};
use taskpulse_infra::Database;

/// What the handlers share.
#[derive(Debug)]
pub struct AppState {
    /// Account rules.
    pub auth: AuthService,
    /// Task rules.
    pub tasks: TaskService,
    /// The scheduled purge of the trash.
    pub trash_purge: TrashPurge,
    /// `Idempotency-Key` handling.
    pub idempotency: IdempotencyService,
    /// Password reset by email.
    pub resets: PasswordResetService,
    /// Rate limits shared by every replica.
    pub limiter: RateLimiter,
    /// The database, for health checks.
    pub db: Database,
}

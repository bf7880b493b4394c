//! SeaORM entities. Private to infra: repositories map them to domain types.

pub(crate) mod changes;
pub(crate) mod email_verifications;
pub(crate) mod idempotency_keys;
pub(crate) mod job_leases;
pub(crate) mod labels;
pub(crate) mod mfa_challenges;
pub(crate) mod password_reset_tokens;
pub(crate) mod personal_access_tokens;
pub(crate) mod rate_limits;
pub(crate) mod recovery_codes;
pub(crate) mod refresh_tokens;
pub(crate) mod security_events;
pub(crate) mod sessions;
pub(crate) mod task_labels;
pub(crate) mod tasks;
pub(crate) mod totp_factors;
pub(crate) mod users;

//! API tests: the real server over HTTP, on SQLite, on PostgreSQL (with
//! and without TLS) and on PostgreSQL through PgBouncer in transaction mode.
//!
//! Each test is written once as `async fn name(app: &TestApp)` and listed in
//! a `backends!` block, which makes `name::sqlite`, `name::postgres`,
//! `name::postgres_plain` (`sslmode=disable`) and `name::pgbouncer`
//! (skipped unless `TASKPULSE_TEST_PGBOUNCER_URL` is set).

#[macro_use]
mod helpers;

mod abuse;
mod account;
mod auth;
mod bad_input;
mod batch;
mod compat;
mod concurrency;
mod labels;
mod logs;
mod metrics;
mod openapi;
mod outage;
mod password_reset;
mod personal_access_tokens;
mod planning;
mod redoc;
mod replicas;
mod second_factor;
mod security_events;
mod service;
mod sessions;
mod smtp_sink;
mod sync;
mod tasks;
mod tokens;
mod trash;
mod tree;
mod validation;
mod verification;

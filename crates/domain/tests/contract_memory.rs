//! The port contract suite on the in-memory adapters: one fresh
//! `MemoryStore` per check, run by a plain executor (no async runtime).

use std::sync::Arc;

use taskpulse_domain::memory::MemoryStore;
use taskpulse_domain::testing::{Check, Storage};

fn on_a_fresh_store(check: Check) {
    let store = MemoryStore::new();
    let storage = Storage {
        users: Arc::new(store.users()),
        tasks: Arc::new(store.tasks()),
        labels: Arc::new(store.labels()),
        sessions: Arc::new(store.sessions()),
        idempotency: Arc::new(store.idempotency()),
        password_resets: Arc::new(store.password_resets()),
        rate_limits: Arc::new(store.rate_limits()),
        second_factors: Arc::new(store.second_factors()),
        security_log: Arc::new(store.security_log()),
        email_verifications: Arc::new(store.email_verifications()),
        job_leases: Arc::new(store.job_leases()),
        changes: Arc::new(store.changes()),
        access_tokens: Arc::new(store.access_tokens()),
    };
    futures_executor::block_on(check(storage));
}

mod memory {
    taskpulse_domain::port_contract_tests!(super::on_a_fresh_store);
}

//! A mailer that keeps what it is given.

use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;

use crate::error::Result;
use crate::mail::{EmailChangeMail, LockoutMail, Mailer, ResetMail, VerificationMail};

/// [`Mailer`] that keeps every email it is given, for tests and programs
/// that deliver mail themselves.
#[derive(Debug, Clone, Default)]
pub struct RecordingMailer {
    outbox: Arc<Mutex<Outbox>>,
}

#[derive(Debug, Default)]
struct Outbox {
    resets: Vec<ResetMail>,
    lockouts: Vec<LockoutMail>,
    verifications: Vec<VerificationMail>,
    email_changes: Vec<EmailChangeMail>,
}

impl RecordingMailer {
    /// A mailer with an empty outbox.
    pub fn new() -> Self {
        Self::default()
    }

    /// The reset emails sent so far, oldest first.
    pub fn sent(&self) -> Vec<ResetMail> {
        self.outbox().resets.clone()
    }

    /// The lock-out notices sent so far, oldest first.
    pub fn lockouts(&self) -> Vec<LockoutMail> {
        self.outbox().lockouts.clone()
    }

    /// The verification links sent so far, oldest first.
    pub fn verifications(&self) -> Vec<VerificationMail> {
        self.outbox().verifications.clone()
    }

    /// The change-of-address notices sent so far, oldest first.
    pub fn email_changes(&self) -> Vec<EmailChangeMail> {
        self.outbox().email_changes.clone()
    }

    fn outbox(&self) -> std::sync::MutexGuard<'_, Outbox> {
        self.outbox.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl Mailer for RecordingMailer {
    async fn send_reset(&self, mail: ResetMail) -> Result<()> {
        self.outbox().resets.push(mail);
        Ok(())
    }

    async fn send_lockout(&self, mail: LockoutMail) -> Result<()> {
        self.outbox().lockouts.push(mail);
        Ok(())
    }

    async fn send_verification(&self, mail: VerificationMail) -> Result<()> {
        self.outbox().verifications.push(mail);
        Ok(())
    }

    async fn send_email_change(&self, mail: EmailChangeMail) -> Result<()> {
        self.outbox().email_changes.push(mail);
        Ok(())
    }
}

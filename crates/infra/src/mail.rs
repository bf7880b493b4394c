//! Outgoing mail: the reset email, the verification link, the notice of an
//! email change and the lock-out notice (plain text and HTML), sent in the
//! background over SMTP, or written to the log in development.

use std::net::IpAddr;
use std::sync::Arc;

use async_trait::async_trait;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use percent_encoding::percent_decode_str;
use taskpulse_domain::mail::{EmailChangeMail, LockoutMail, Mailer, ResetMail, VerificationMail};
use taskpulse_domain::user::Email;
use taskpulse_domain::{Error, Result};

/// What every message needs: the sender and the links to the reset and
/// verification pages.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// `From:`, e.g. `TaskPulse <no-reply@example.com>`.
    pub from: String,
    /// The reset page; `{token}` is replaced by the token.
    pub reset_url: String,
    /// The email-verification page; `{token}` is replaced by the token.
    pub verify_url: String,
}

/// A mail setting the server cannot work with.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct MailConfigError(String);

/// The reset email's subject, text and HTML.
fn reset_message(mail: &ResetMail, settings: &MailSettings) -> (String, String, String) {
    let link = settings.reset_url.replace("{token}", &mail.token);
    let minutes = mail.valid_for.num_minutes();
    let subject = "Reset your TaskPulse password".to_owned();
    let text = format!(
        "Hello {name},\n\nSomeone asked to reset the password of your TaskPulse account. \
         To choose a new one, open this link within {minutes} minutes:\n\n{link}\n\n\
         The link works once. If you did not ask for it, ignore this email: your password stays as it is.\n\n\
         TaskPulse\n",
        name = mail.name.as_str()
    );
    let html = format!(
        "<!doctype html><html><body><p>Hello {name},</p>\
         <p>Someone asked to reset the password of your TaskPulse account. \
         To choose a new one, open this link within {minutes} minutes:</p>\
         <p><a href=\"{link}\">Reset my TaskPulse password</a></p>\
         <p>The link works once. If you did not ask for it, ignore this email: your password stays as it is.</p>\
         <p>TaskPulse</p></body></html>",
        name = escape_html(mail.name.as_str()),
        link = escape_html(&link),
    );
    (subject, text, html)
}

/// The lock-out notice's subject, text and HTML.
fn lockout_message(mail: &LockoutMail) -> (String, String, String) {
    let until = mail.locked_until.format("%Y-%m-%d %H:%M UTC");
    let subject = "Your TaskPulse account is locked for a while".to_owned();
    let text = format!(
        "Hello {name},\n\nAfter {failures} failed sign-ins in a row, sign-ins to your TaskPulse \
         account are refused until {until}, even with the right password. Devices that are \
         signed in already keep working.\n\n\
         If this was not you, someone may be guessing your password: choose a new one with \
         \"Forgot password\", which also lifts the lock at once.\n\n\
         TaskPulse\n",
        name = mail.name.as_str(),
        failures = mail.failures,
    );
    let html = format!(
        "<!doctype html><html><body><p>Hello {name},</p>\
         <p>After {failures} failed sign-ins in a row, sign-ins to your TaskPulse account are \
         refused until {until}, even with the right password. Devices that are signed in \
         already keep working.</p>\
         <p>If this was not you, someone may be guessing your password: choose a new one with \
         \u{201c}Forgot password\u{201d}, which also lifts the lock at once.</p>\
         <p>TaskPulse</p></body></html>",
        name = escape_html(mail.name.as_str()),
        failures = mail.failures,
    );
    (subject, text, html)
}

/// The verification link's subject, text and HTML.
fn verification_message(
    mail: &VerificationMail,
    settings: &MailSettings,
) -> (String, String, String) {
    let link = settings.verify_url.replace("{token}", &mail.token);
    let hours = mail.valid_for.num_hours();
    let (subject, why) = if mail.change {
        (
            "Confirm the new email of your TaskPulse account",
            "Someone asked to move your TaskPulse account to this address. The change takes \
             effect when you open this link",
        )
    } else {
        (
            "Confirm your TaskPulse email",
            "Welcome to TaskPulse. To confirm that this address is yours, open this link",
        )
    };
    let text = format!(
        "Hello {name},\n\n{why} within {hours} hours:\n\n{link}\n\n\
         The link works once. If you did not ask for it, ignore this email.\n\n\
         TaskPulse\n",
        name = mail.name.as_str()
    );
    let html = format!(
        "<!doctype html><html><body><p>Hello {name},</p>\
         <p>{why} within {hours} hours:</p>\
         <p><a href=\"{link}\">Confirm this address</a></p>\
         <p>The link works once. If you did not ask for it, ignore this email.</p>\
         <p>TaskPulse</p></body></html>",
        name = escape_html(mail.name.as_str()),
        link = escape_html(&link),
    );
    (subject.to_owned(), text, html)
}

/// The change-of-address notice's subject, text and HTML.
fn email_change_message(mail: &EmailChangeMail) -> (String, String, String) {
    let subject = "Your TaskPulse account is moving to another email".to_owned();
    let text = format!(
        "Hello {name},\n\nSomeone signed in to your TaskPulse account asked to move it from \
         this address to {new}. The change takes effect when a link sent there is opened.\n\n\
         If this was not you, change your password now: that signs out every device and \
         stops the change.\n\n\
         TaskPulse\n",
        name = mail.name.as_str(),
        new = mail.new_email.as_str(),
    );
    let html = format!(
        "<!doctype html><html><body><p>Hello {name},</p>\
         <p>Someone signed in to your TaskPulse account asked to move it from this address to \
         {new}. The change takes effect when a link sent there is opened.</p>\
         <p>If this was not you, change your password now: that signs out every device and \
         stops the change.</p>\
         <p>TaskPulse</p></body></html>",
        name = escape_html(mail.name.as_str()),
        new = escape_html(mail.new_email.as_str()),
    );
    (subject, text, html)
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// [`Mailer`] that writes messages to the log instead of sending them:
/// whole (token included) in development and test, and only the fact of a
/// request in production.
#[derive(Debug, Clone)]
pub struct LogMailer {
    settings: MailSettings,
    reveal: bool,
}

impl LogMailer {
    /// A log mailer; `reveal` logs the whole message, token included.
    pub fn new(settings: MailSettings, reveal: bool) -> Self {
        Self { settings, reveal }
    }
}

#[async_trait]
impl Mailer for LogMailer {
    async fn send_reset(&self, mail: ResetMail) -> Result<()> {
        if self.reveal {
            let (subject, text, _) = reset_message(&mail, &self.settings);
            tracing::info!(to = %mail.to.as_str(), %subject, "mail (log transport):\n{text}");
        } else {
            tracing::info!("password reset requested (log transport: no mail sent)");
        }
        Ok(())
    }

    async fn send_lockout(&self, mail: LockoutMail) -> Result<()> {
        if self.reveal {
            let (subject, text, _) = lockout_message(&mail);
            tracing::info!(to = %mail.to.as_str(), %subject, "mail (log transport):\n{text}");
        } else {
            tracing::info!("an account was locked (log transport: no mail sent)");
        }
        Ok(())
    }

    async fn send_verification(&self, mail: VerificationMail) -> Result<()> {
        if self.reveal {
            let (subject, text, _) = verification_message(&mail, &self.settings);
            tracing::info!(to = %mail.to.as_str(), %subject, "mail (log transport):\n{text}");
        } else {
            tracing::info!("email verification sent (log transport: no mail sent)");
        }
        Ok(())
    }

    async fn send_email_change(&self, mail: EmailChangeMail) -> Result<()> {
        if self.reveal {
            let (subject, text, _) = email_change_message(&mail);
            tracing::info!(to = %mail.to.as_str(), %subject, "mail (log transport):\n{text}");
        } else {
            tracing::info!("email change notice sent (log transport: no mail sent)");
        }
        Ok(())
    }
}

/// [`Mailer`] over SMTP. Each message is handed to a background task, so a
/// slow or failing server never delays a request; failures are logged.
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    settings: MailSettings,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// A mailer for `smtp_url`: `smtps://user:pass@host:465` (implicit
    /// TLS), `smtp://user:pass@host:587` (STARTTLS required, no plain-text
    /// fallback), or `smtp://host:port?tls=none` (plain text, loopback
    /// hosts only).
    ///
    /// # Errors
    /// [`MailConfigError`] naming what is wrong with the URL or the sender.
    pub fn new(smtp_url: &str, settings: MailSettings) -> Result<Self, MailConfigError> {
        let bad = |what: &str| MailConfigError(format!("mail.smtp_url: {what}"));
        let url = url::Url::parse(smtp_url).map_err(|e| bad(&e.to_string()))?;
        let host = url
            .host_str()
            .ok_or_else(|| bad("no host"))?
            .trim_matches(['[', ']'])
            .to_owned();
        let plain = url
            .query_pairs()
            .any(|(key, value)| key == "tls" && value == "none");
        let builder = match (url.scheme(), plain) {
            ("smtps", false) => AsyncSmtpTransport::<Tokio1Executor>::relay(&host)
                .map_err(|e| bad(&e.to_string()))?
                .port(url.port().unwrap_or(465)),
            ("smtp", false) => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&host)
                .map_err(|e| bad(&e.to_string()))?
                .port(url.port().unwrap_or(587)),
            ("smtp", true) if is_loopback(&host) => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host)
                    .port(url.port().unwrap_or(25))
            }
            ("smtp", true) => return Err(bad("tls=none is only allowed to a loopback host")),
            _ => return Err(bad("the scheme must be smtp or smtps")),
        };
        let builder = if url.username().is_empty() {
            builder
        } else {
            let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
            builder.credentials(Credentials::new(
                decode(url.username()),
                decode(url.password().unwrap_or_default()),
            ))
        };
        let from = settings
            .from
            .parse()
            .map_err(|e| MailConfigError(format!("mail.from: {e}")))?;
        Ok(Self {
            transport: builder.build(),
            from,
            settings,
        })
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl SmtpMailer {
    /// Hands `(subject, text, html)` to `to` over to a background task;
    /// `what` names the mail in the log.
    fn send(
        &self,
        to: &Email,
        (subject, text, html): (String, String, String),
        what: &'static str,
    ) -> Result<()> {
        let to: Mailbox = to.as_str().parse().map_err(Error::internal)?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .multipart(MultiPart::alternative_plain_html(text, html))
            .map_err(Error::internal)?;
        let transport = self.transport.clone();
        tokio::spawn(async move {
            match transport.send(message).await {
                Ok(_) => tracing::info!("{what} delivered to the SMTP server"),
                Err(err) => tracing::warn!(error = %err, "{what} could not be sent"),
            }
        });
        Ok(())
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send_reset(&self, mail: ResetMail) -> Result<()> {
        let message = reset_message(&mail, &self.settings);
        self.send(&mail.to, message, "password reset mail")
    }

    async fn send_lockout(&self, mail: LockoutMail) -> Result<()> {
        self.send(&mail.to, lockout_message(&mail), "lock-out notice")
    }

    async fn send_verification(&self, mail: VerificationMail) -> Result<()> {
        let message = verification_message(&mail, &self.settings);
        self.send(&mail.to, message, "verification mail")
    }

    async fn send_email_change(&self, mail: EmailChangeMail) -> Result<()> {
        self.send(&mail.to, email_change_message(&mail), "email change notice")
    }
}

/// The mailer for `mail.transport`.
///
/// # Errors
/// [`MailConfigError`] for an unknown transport or a bad SMTP URL.
pub fn mailer(
    transport: &str,
    smtp_url: Option<&str>,
    settings: MailSettings,
    reveal_in_log: bool,
) -> Result<Arc<dyn Mailer>, MailConfigError> {
    match transport {
        "log" => Ok(Arc::new(LogMailer::new(settings, reveal_in_log))),
        "smtp" => {
            let url = smtp_url.ok_or_else(|| {
                MailConfigError("mail.smtp_url is required with mail.transport = smtp".into())
            })?;
            Ok(Arc::new(SmtpMailer::new(url, settings)?))
        }
        other => Err(MailConfigError(format!(
            "mail.transport must be log or smtp, not {other:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use taskpulse_domain::user::UserName;

    use super::*;

    fn settings() -> MailSettings {
        MailSettings {
            from: "TaskPulse <no-reply@localhost>".into(),
            reset_url: "https://app.example/reset?token={token}".into(),
            verify_url: "https://app.example/verify?token={token}".into(),
        }
    }

    #[test]
    fn the_message_has_the_link_the_lifetime_and_the_product_name() {
        let mail = ResetMail {
            to: Email::parse("ada@example.com").expect("valid"),
            name: UserName::parse("Ada <b>").expect("valid"),
            token: "T0K3N".into(),
            valid_for: Duration::hours(1),
        };

        let (subject, text, html) = reset_message(&mail, &settings());

        assert!(subject.contains("TaskPulse"));
        assert!(
            text.contains("https://app.example/reset?token=T0K3N") && text.contains("60 minutes")
        );
        assert!(
            html.contains("href=\"https://app.example/reset?token=T0K3N\"")
                && html.contains("Ada &lt;b&gt;")
        );
    }

    #[test]
    fn the_lockout_notice_says_until_when_and_how_to_lift_it() {
        let mail = LockoutMail {
            to: Email::parse("ada@example.com").expect("valid"),
            name: UserName::parse("Ada <b>").expect("valid"),
            failures: 5,
            locked_until: chrono::DateTime::parse_from_rfc3339("2026-12-07T10:15:00Z")
                .expect("valid")
                .to_utc(),
        };

        let (subject, text, html) = lockout_message(&mail);

        assert!(subject.contains("TaskPulse") && subject.contains("locked"));
        assert!(text.contains("5 failed sign-ins") && text.contains("2026-12-07 10:15 UTC"));
        assert!(text.contains("Forgot password"));
        assert!(html.contains("Ada &lt;b&gt;") && html.contains("2026-12-07 10:15 UTC"));
    }

    #[test]
    fn the_verification_link_says_what_it_confirms_and_for_how_long() {
        for change in [false, true] {
            let mail = VerificationMail {
                to: Email::parse("ada@example.com").expect("valid"),
                name: UserName::parse("Ada").expect("valid"),
                token: "tok&en".into(),
                valid_for: Duration::hours(24),
                change,
            };

            let (subject, text, html) = verification_message(&mail, &settings());

            assert!(text.contains("https://app.example/verify?token=tok&en"));
            assert!(html.contains("https://app.example/verify?token=tok&amp;en"));
            assert!(text.contains("within 24 hours"));
            assert_eq!(subject.contains("new email"), change, "{subject}");
            assert_eq!(text.contains("move your TaskPulse account"), change);
        }
    }

    #[test]
    fn the_change_notice_names_the_new_address_and_what_to_do() {
        let mail = EmailChangeMail {
            to: Email::parse("ada@example.com").expect("valid"),
            name: UserName::parse("Ada").expect("valid"),
            new_email: Email::parse("mallory@example.com").expect("valid"),
        };

        let (subject, text, html) = email_change_message(&mail);

        assert!(subject.contains("TaskPulse"));
        assert!(text.contains("mallory@example.com") && html.contains("mallory@example.com"));
        assert!(text.contains("change your password now"));
    }

    #[test]
    fn plain_text_smtp_is_only_for_loopback_hosts() {
        assert!(SmtpMailer::new("smtp://127.0.0.1:2525?tls=none", settings()).is_ok());
        assert!(SmtpMailer::new("smtp://localhost:2525?tls=none", settings()).is_ok());
        assert!(SmtpMailer::new("smtp://mail.example.com:25?tls=none", settings()).is_err());
        assert!(SmtpMailer::new("smtps://user:p%40ss@mail.example.com", settings()).is_ok());
        assert!(SmtpMailer::new("http://mail.example.com", settings()).is_err());
    }
}

//! Users and the validated values an account is made of.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::text::{char_len, is_forbidden_control};

/// A user's identifier (a UUID).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(Uuid);

impl UserId {
    /// A new random identifier.
    pub fn new_random() -> Self {
        Self(Uuid::new_v4())
    }

    /// The UUID inside.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl From<Uuid> for UserId {
    fn from(id: Uuid) -> Self {
        Self(id)
    }
}

impl FromStr for UserId {
    type Err = uuid::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Self)
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Why a display name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UserNameError {
    /// Empty after trimming, or longer than 100 characters.
    #[error("must be 1 to 100 characters")]
    Length,
    /// Holds a control character other than tab or newline.
    #[error("must not contain control characters")]
    ControlCharacter,
}

/// A display name: 1–100 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserName(String);

impl UserName {
    /// Longest name, in characters.
    pub const MAX_CHARS: usize = 100;

    /// Trims `raw` and checks it.
    ///
    /// # Errors
    /// [`UserNameError`] names the broken rule.
    pub fn parse(raw: &str) -> Result<Self, UserNameError> {
        let name = raw.trim();
        if name.is_empty() || char_len(name) > Self::MAX_CHARS {
            return Err(UserNameError::Length);
        }
        if name.chars().any(is_forbidden_control) {
            return Err(UserNameError::ControlCharacter);
        }
        Ok(Self(name.to_owned()))
    }

    /// The name as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why an email address was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmailError {
    /// Longer than 254 characters.
    #[error("must be at most 254 characters")]
    TooLong,
    /// Not of the form `local@domain.tld`.
    #[error("must be a valid email address")]
    Invalid,
}

/// An email address, trimmed and lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Longest address, in characters.
    pub const MAX_CHARS: usize = 254;

    /// Trims and lower-cases `raw`, then checks it is `local@domain.tld`.
    ///
    /// # Errors
    /// [`EmailError`] names the broken rule.
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let email = raw.trim().to_lowercase();
        if char_len(&email) > Self::MAX_CHARS {
            return Err(EmailError::TooLong);
        }
        let (local, domain) = email.split_once('@').ok_or(EmailError::Invalid)?;
        if !is_valid_local_part(local) || !is_valid_domain(domain) {
            return Err(EmailError::Invalid);
        }
        Ok(Self(email))
    }

    /// The address as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_valid_local_part(local: &str) -> bool {
    !local.is_empty()
        && char_len(local) <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !"@\"(),:;<>[\\]".contains(c))
}

fn is_valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let Some(tld) = labels.last() else {
        return false;
    };
    labels.len() >= 2
        && char_len(tld) >= 2
        && tld.chars().all(char::is_alphabetic)
        && labels.iter().all(|label| {
            !label.is_empty()
                && char_len(label) <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

/// Why a new password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordError {
    /// Fewer than 8 or more than 128 characters.
    #[error("must be 8 to 128 characters")]
    Length,
    /// Among the bundled list of most common passwords.
    #[error("is too common")]
    TooCommon,
    /// Guessable in fewer than 10^10 tries by the zxcvbn estimator (whose
    /// word lists come from breached passwords, and which sees keyboard
    /// patterns, dates, repeats and l33t substitutions); says why.
    #[error("is too easy to guess: {0}")]
    Guessable(String),
}

/// A new password that passed the rules: 8–128 characters, every one
/// counted (never trimmed or truncated), not a common password, and not
/// guessable ([`Password::MIN_STRENGTH`]).
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Fewest characters.
    pub const MIN_CHARS: usize = 8;
    /// Most characters.
    pub const MAX_CHARS: usize = 128;
    /// The lowest zxcvbn score accepted: 3, "safely unguessable"
    /// (about 10^10 guesses or more).
    pub const MIN_STRENGTH: zxcvbn::Score = zxcvbn::Score::Three;
    /// How many of its first characters the strength estimate looks at.
    pub const SCORED_CHARS: usize = 32;

    /// Checks a new password.
    ///
    /// # Errors
    /// [`PasswordError`] names the broken rule.
    pub fn parse(raw: &str) -> Result<Self, PasswordError> {
        let len = char_len(raw);
        if !(Self::MIN_CHARS..=Self::MAX_CHARS).contains(&len) {
            return Err(PasswordError::Length);
        }
        if is_common_password(raw) {
            return Err(PasswordError::TooCommon);
        }
        // Only a prefix is scored: zxcvbn's time grows steeply with length
        // (hundreds of ms for 64 crafted characters, on the thread serving
        // the request), and a password whose first characters are
        // unguessable is unguessable.
        let scored: String = raw.chars().take(Self::SCORED_CHARS).collect();
        let strength = zxcvbn::zxcvbn(&scored, &[]);
        if strength.score() < Self::MIN_STRENGTH {
            return Err(PasswordError::Guessable(why_guessable(strength.feedback())));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The password itself, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// zxcvbn's warning and first suggestion, as one sentence or two.
fn why_guessable(feedback: Option<&zxcvbn::feedback::Feedback>) -> String {
    let warning = feedback.and_then(zxcvbn::feedback::Feedback::warning);
    let suggestion = feedback.and_then(|f| f.suggestions().first());
    match (warning, suggestion) {
        (Some(warning), Some(suggestion)) => format!("{warning} {suggestion}"),
        (Some(warning), None) => warning.to_string(),
        (None, Some(suggestion)) => suggestion.to_string(),
        (None, None) => "add another word or two; uncommon words are better.".to_owned(),
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

static COMMON_PASSWORDS: &str = include_str!("../data/common-passwords.txt");

/// Whether `raw` (compared case-insensitively) is on the bundled list of
/// the most common passwords.
pub fn is_common_password(raw: &str) -> bool {
    static SET: OnceLock<std::collections::HashSet<&'static str>> = OnceLock::new();
    let set = SET.get_or_init(|| COMMON_PASSWORDS.lines().map(str::trim).collect());
    set.contains(raw.to_lowercase().as_str())
}

/// A stored password hash. Its text says which scheme produced it.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a hash read from storage or produced by a hasher.
    pub fn new(hash: String) -> Self {
        Self(hash)
    }

    /// The hash text, for storage.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

/// An account as clients may see it (no password material).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Identifier.
    pub id: UserId,
    /// Lower-cased email address.
    pub email: Email,
    /// Display name.
    pub name: UserName,
    /// Whether the account may sign in.
    pub is_active: bool,
    /// Whether a link sent to `email` was followed.
    pub email_verified: bool,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
    /// When the account last changed.
    pub updated_at: DateTime<Utc>,
}

/// A user together with their password material and lock-out state.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The account.
    pub user: User,
    /// Its password hash.
    pub password_hash: PasswordHash,
    /// Until when logins are refused after repeated failures, if locked.
    pub locked_until: Option<DateTime<Utc>>,
    /// Failed logins in a row.
    pub failed_logins: u32,
    /// Bumped on every password change.
    pub token_version: i64,
}

impl Credentials {
    /// Whether repeated failures have logins refused at `now`.
    pub fn is_locked_at(&self, now: DateTime<Utc>) -> bool {
        self.locked_until.is_some_and(|until| until > now)
    }
}

/// Everything needed to store a new account.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// The account, as it will be stored.
    pub user: User,
    /// Hash of the chosen password.
    pub password_hash: PasswordHash,
}

/// The validated input of a registration.
#[derive(Debug, Clone)]
pub struct Registration {
    /// Display name.
    pub name: UserName,
    /// Email address.
    pub email: Email,
    /// Chosen password.
    pub password: Password,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_is_trimmed() {
        assert_eq!(UserName::parse("  Ada \n").map(|n| n.0), Ok("Ada".into()));
    }

    #[test]
    fn name_bounds_count_characters_not_bytes() {
        assert!(UserName::parse(&"é".repeat(100)).is_ok());
        assert_eq!(
            UserName::parse(&"é".repeat(101)),
            Err(UserNameError::Length)
        );
        assert_eq!(UserName::parse("   "), Err(UserNameError::Length));
    }

    #[test]
    fn name_refuses_control_characters_but_allows_tab_and_newline() {
        assert_eq!(
            UserName::parse("A\u{7}da"),
            Err(UserNameError::ControlCharacter)
        );
        assert!(UserName::parse("A\tda\nL").is_ok());
    }

    #[test]
    fn email_is_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").map(|e| e.0),
            Ok("ada@example.com".into())
        );
    }

    #[test]
    fn email_needs_local_part_domain_and_tld() {
        for bad in [
            "ada",
            "@example.com",
            "ada@",
            "ada@example",
            "ada@@example.com",
            "a da@example.com",
            "ada@exa_mple.com",
            "ada@example.c0m",
        ] {
            assert_eq!(Email::parse(bad), Err(EmailError::Invalid), "{bad}");
        }
    }

    #[test]
    fn each_rule_of_the_local_part_and_the_domain_refuses_on_its_own() {
        let local = |part: &str| format!("{part}@example.com");
        let domain = |part: &str| format!("ada@{part}");
        for bad in [
            local(&"a".repeat(65)),
            local(".ada"),
            local("ada."),
            local("a..da"),
            local("a\u{7f}da"),
            local("a\"da"),
            local("a,da"),
            local("a:da"),
            local("a<da"),
            local("a[da"),
            domain("example.c"),
            domain("example..com"),
            domain(".example.com"),
            domain(&format!("{}.com", "d".repeat(64))),
            domain("-example.com"),
            domain("example-.com"),
            domain("exa mple.com"),
            domain("com"),
        ] {
            assert_eq!(Email::parse(&bad), Err(EmailError::Invalid), "{bad}");
        }
        for good in [
            local(&"a".repeat(64)),
            local("a.d-a+tag"),
            domain(&format!("{}.com", "d".repeat(63))),
            domain("ex-am-ple.co"),
            domain("sub.example.com"),
            domain("bücher.de"),
        ] {
            assert_eq!(
                Email::parse(&good).map(|e| e.as_str().to_owned()),
                Ok(good.clone())
            );
        }
    }

    #[test]
    fn a_user_id_reads_back_from_its_text_and_its_uuid() {
        let id = UserId::new_random();

        assert_ne!(id, UserId::new_random());
        assert_eq!(id.to_string(), id.as_uuid().to_string());
        assert_eq!(id.to_string().parse::<UserId>(), Ok(id));
        assert_eq!(UserId::from(id.as_uuid()), id);
        assert!("not a uuid".parse::<UserId>().is_err());
    }

    #[test]
    fn email_of_exactly_254_characters_is_the_longest() {
        let domain = |last: usize| format!("{0}.{0}.{1}.com", "d".repeat(60), "e".repeat(last));
        let longest = format!("{}@{}", "a".repeat(64), domain(63));
        let one_more = format!("{}@{}", "a".repeat(64), "x".to_owned() + &domain(63));
        assert_eq!(longest.chars().count(), 254);
        assert!(Email::parse(&longest).is_ok());
        assert_eq!(one_more.chars().count(), 255);
        assert_eq!(Email::parse(&one_more), Err(EmailError::TooLong));
    }

    #[test]
    fn email_is_at_most_254_characters() {
        let ok = format!("{}@{}.com", "a".repeat(60), "b".repeat(60));
        assert!(Email::parse(&ok).is_ok());
        let domain = format!("{0}.{0}.{0}.{0}", "d".repeat(60));
        let long = format!("{}@{}.com", "a".repeat(10), domain);
        assert_eq!(Email::parse(&long), Err(EmailError::TooLong));
    }

    #[test]
    fn guessable_passwords_are_refused_saying_why_and_random_ones_pass() {
        for guessable in ["P@ssw0rd1", "Summer2024!", "hunter22hunter22", "Tr0ub4!x"] {
            let refused = Password::parse(guessable);
            assert!(
                matches!(&refused, Err(PasswordError::Guessable(why)) if why.len() > 10),
                "{guessable}: {refused:?}"
            );
        }
        let why = Password::parse("Summer2024!")
            .expect_err("refused")
            .to_string();
        assert!(why.starts_with("is too easy to guess: "), "{why}");
        for generated in [
            "kX9#mQ2$vL7pR4nW",
            "rNz4w-Kp8q-Ty2m",
            "correct horse battery staple",
            "aB3dE6gH9jK2",
        ] {
            assert!(Password::parse(generated).is_ok(), "{generated}");
        }
    }

    #[test]
    fn only_the_first_32_characters_are_scored() {
        let crafted: String = " .,?!'-/_:;+()@$\"#&*<>=[]\\~%^{}|1234567890"
            .chars()
            .cycle()
            .take(128)
            .collect();
        let parsed = Password::parse(&crafted);
        assert!(parsed.is_ok(), "{parsed:?}");
        let weak_start = format!("{}{}", "password".repeat(4), "kX9#mQ2$vL7pR4nW");
        assert!(matches!(
            Password::parse(&weak_start),
            Err(PasswordError::Guessable(_))
        ));
    }

    #[test]
    fn password_length_counts_every_character() {
        let not_length = |raw: &str| !matches!(Password::parse(raw), Err(PasswordError::Length));
        assert_eq!(Password::parse("kX9#mQ2"), Err(PasswordError::Length));
        assert!(not_length("kX9#mQ2$"));
        assert!(not_length(&"ü".repeat(128)));
        assert_eq!(
            Password::parse(&"ü".repeat(129)),
            Err(PasswordError::Length)
        );
        assert!(Password::parse("kX9#mQ2$vL7pR4nW-ü").is_ok());
    }

    #[test]
    fn password_is_not_trimmed() {
        assert_eq!(
            Password::parse(" Tr0ub4!x ").map(|p| p.0),
            Ok(" Tr0ub4!x ".into())
        );
    }

    #[test]
    fn common_passwords_are_refused_case_insensitively() {
        assert_eq!(Password::parse("password"), Err(PasswordError::TooCommon));
        assert_eq!(
            Password::parse("PassWord123"),
            Err(PasswordError::TooCommon)
        );
        assert!(COMMON_PASSWORDS.lines().count() >= 10_000);
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let password = Password::parse("Tr0ub4dor&3x").expect("valid");
        assert!(!format!("{password:?}").contains("Tr0ub4dor"));
        assert!(!format!("{:?}", PasswordHash::new("$2b$secret".into())).contains("secret"));
    }
}

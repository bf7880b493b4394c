//! Labels: names a user groups tasks by, each matched case-insensitively
//! within that user's labels, and the validated values they are made of.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use crate::text::{char_len, fold};
use crate::user::UserId;

/// The most labels one user may have.
pub const MAX_LABELS_PER_USER: usize = 500;

/// The most labels one task may carry.
pub const MAX_LABELS_PER_TASK: usize = 20;

/// A label's identifier: a positive 64-bit integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LabelId(i64);

/// A label id that is not a positive 64-bit integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("label ids are positive 64-bit integers")]
pub struct LabelIdError;

impl LabelId {
    /// Accepts positive values only.
    ///
    /// # Errors
    /// [`LabelIdError`] for zero or negative values.
    pub fn new(id: i64) -> Result<Self, LabelIdError> {
        if id > 0 {
            Ok(Self(id))
        } else {
            Err(LabelIdError)
        }
    }

    /// The integer inside.
    pub fn get(self) -> i64 {
        self.0
    }
}

impl FromStr for LabelId {
    type Err = LabelIdError;

    /// Parses plain decimal digits (no sign, no spaces).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(LabelIdError);
        }
        s.parse::<i64>()
            .map_err(|_| LabelIdError)
            .and_then(Self::new)
    }
}

impl fmt::Display for LabelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Why a label name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LabelNameError {
    /// Empty after trimming, or longer than 50 characters.
    #[error("must be 1 to 50 characters")]
    Length,
    /// Holds a control character.
    #[error("must not contain control characters")]
    ControlCharacter,
}

/// A label name: 1–50 characters after trimming, no control characters.
/// Two names are the same label when their [`LabelName::key`]s are equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LabelName(String);

impl LabelName {
    /// Longest name, in characters.
    pub const MAX_CHARS: usize = 50;

    /// Trims `raw` and checks it.
    ///
    /// # Errors
    /// [`LabelNameError`] names the broken rule.
    pub fn parse(raw: &str) -> Result<Self, LabelNameError> {
        let name = raw.trim();
        if name.is_empty() || char_len(name) > Self::MAX_CHARS {
            return Err(LabelNameError::Length);
        }
        if name.chars().any(char::is_control) {
            return Err(LabelNameError::ControlCharacter);
        }
        Ok(Self(name.to_owned()))
    }

    /// The name as given (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What it is matched by: lower-cased character by character.
    pub fn key(&self) -> String {
        fold(&self.0)
    }
}

/// A color that is not `#RRGGBB`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be a color, #RRGGBB in hexadecimal digits")]
pub struct ColorError;

/// A label color, `#RRGGBB`, kept in lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Color(String);

impl Color {
    /// Checks `raw`.
    ///
    /// # Errors
    /// [`ColorError`] unless `#` and six hexadecimal digits.
    pub fn parse(raw: &str) -> Result<Self, ColorError> {
        let digits = raw.strip_prefix('#').ok_or(ColorError)?;
        if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(raw.to_ascii_lowercase()))
        } else {
            Err(ColorError)
        }
    }

    /// `#rrggbb`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A stored label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Identifier.
    pub id: LabelId,
    /// The owning user.
    pub owner: UserId,
    /// The name, in its stored spelling.
    pub name: String,
    /// Its color, if any.
    pub color: Option<Color>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Time of the last change.
    pub updated_at: DateTime<Utc>,
}

/// A label to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLabel {
    /// The name.
    pub name: LabelName,
    /// Its color, if any.
    pub color: Option<Color>,
}

/// Changes to a label; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelChanges {
    /// A new name (a rename shows on every task that carries the label).
    pub name: Option<LabelName>,
    /// A new color; `Some(None)` clears it.
    pub color: Option<Option<Color>>,
}

/// Why a task's label list was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("at most 20 labels")]
pub struct TaskLabelsError;

/// The labels a task carries, in the order given, each name once (by
/// [`LabelName::key`], the first spelling kept), at most
/// [`MAX_LABELS_PER_TASK`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskLabels(Vec<LabelName>);

impl TaskLabels {
    /// Drops repeated names and checks the count.
    ///
    /// # Errors
    /// [`TaskLabelsError`] for more than [`MAX_LABELS_PER_TASK`] names.
    pub fn new(names: Vec<LabelName>) -> Result<Self, TaskLabelsError> {
        let mut keys = std::collections::HashSet::new();
        let mut kept = Vec::new();
        for name in names {
            if keys.insert(name.key()) {
                if kept.len() == MAX_LABELS_PER_TASK {
                    // Stops at once: a body of thousands of names costs no more.
                    return Err(TaskLabelsError);
                }
                kept.push(name);
            }
        }
        Ok(Self(kept))
    }

    /// The names, in order.
    pub fn names(&self) -> &[LabelName] {
        &self.0
    }

    /// Whether a task carrying `stored` (names in their stored spelling)
    /// carries exactly these labels, in this order.
    pub fn are(&self, stored: &[String]) -> bool {
        self.0.len() == stored.len()
            && self
                .0
                .iter()
                .zip(stored)
                .all(|(name, s)| name.key() == fold(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(raw: &str) -> LabelName {
        LabelName::parse(raw).expect("a valid name")
    }

    #[test]
    fn names_are_trimmed_bounded_and_free_of_control_characters() {
        assert_eq!(name("  Home ").as_str(), "Home");
        assert_eq!(LabelName::parse(" "), Err(LabelNameError::Length));
        assert_eq!(
            LabelName::parse(&"é".repeat(51)),
            Err(LabelNameError::Length)
        );
        assert!(LabelName::parse(&"é".repeat(50)).is_ok());
        for bad in ["a\tb", "a\nb", "a\u{7f}", "a\u{85}b"] {
            assert_eq!(
                LabelName::parse(bad),
                Err(LabelNameError::ControlCharacter),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn names_match_ignoring_case() {
        assert_eq!(name("ÜBER Work").key(), name("über work").key());
    }

    #[test]
    fn colors_are_six_hex_digits() {
        assert_eq!(Color::parse("#A0b1C2").map(|c| c.0), Ok("#a0b1c2".into()));
        for bad in ["A0B1C2", "#A0B1C", "#A0B1C2D", "#G0B1C2", "#a0b1c２"] {
            assert_eq!(Color::parse(bad), Err(ColorError), "{bad}");
        }
    }

    #[test]
    fn a_task_carries_each_label_once_and_at_most_twenty() {
        let labels =
            TaskLabels::new(vec![name("Home"), name("home"), name("Work")]).expect("two labels");
        assert_eq!(labels.names(), [name("Home"), name("Work")]);
        assert!(labels.are(&["HOME".into(), "work".into()]));
        assert!(!labels.are(&["Work".into(), "Home".into()]));
        let many = (0..21).map(|i| name(&format!("l{i}"))).collect();
        assert_eq!(TaskLabels::new(many), Err(TaskLabelsError));
    }
}

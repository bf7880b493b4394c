//! The validated values a task is made of: its id, title, description
//! and priority.

use std::fmt;
use std::str::FromStr;

use crate::text::{char_len, is_forbidden_control};

/// A task's identifier: a positive 64-bit integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(i64);

/// A task id that is not a positive 64-bit integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("task ids are positive 64-bit integers")]
pub struct TaskIdError;

impl TaskId {
    /// Accepts positive values only.
    ///
    /// # Errors
    /// [`TaskIdError`] for zero or negative values.
    pub fn new(id: i64) -> Result<Self, TaskIdError> {
        if id > 0 {
            Ok(Self(id))
        } else {
            Err(TaskIdError)
        }
    }

    /// The integer inside.
    pub fn get(self) -> i64 {
        self.0
    }
}

impl FromStr for TaskId {
    type Err = TaskIdError;

    /// Parses plain decimal digits (no sign, no spaces).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TaskIdError);
        }
        s.parse::<i64>()
            .map_err(|_| TaskIdError)
            .and_then(Self::new)
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Why a title was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TitleError {
    /// Empty after trimming, or longer than 200 characters.
    #[error("must be 1 to 200 characters")]
    Length,
    /// Holds a control character other than tab or newline.
    #[error("must not contain control characters")]
    ControlCharacter,
}

/// A task title: 1–200 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    /// Longest title, in characters.
    pub const MAX_CHARS: usize = 200;

    /// Trims `raw` and checks it.
    ///
    /// # Errors
    /// [`TitleError`] names the broken rule.
    pub fn parse(raw: &str) -> Result<Self, TitleError> {
        let title = raw.trim();
        if title.is_empty() || char_len(title) > Self::MAX_CHARS {
            return Err(TitleError::Length);
        }
        if title.chars().any(is_forbidden_control) {
            return Err(TitleError::ControlCharacter);
        }
        Ok(Self(title.to_owned()))
    }

    /// The title as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a description was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DescriptionError {
    /// Longer than 1000 characters.
    #[error("must be at most 1000 characters")]
    TooLong,
    /// Holds a NUL character, which no text column can store.
    #[error("must not contain NUL characters")]
    Nul,
}

/// A task description: at most 1000 characters, kept as given, without
/// NUL characters (PostgreSQL cannot store them; other control characters
/// are kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description(String);

impl Description {
    /// Longest description, in characters.
    pub const MAX_CHARS: usize = 1000;

    /// Checks the length of `raw`.
    ///
    /// # Errors
    /// [`DescriptionError`] when it is too long.
    pub fn parse(raw: &str) -> Result<Self, DescriptionError> {
        if char_len(raw) > Self::MAX_CHARS {
            return Err(DescriptionError::TooLong);
        }
        if raw.contains('\0') {
            return Err(DescriptionError::Nul);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The description as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How urgent a task is: 0 (none, the default) to 4 (urgent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Priority(u8);

/// A priority outside 0–4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be an integer from 0 to 4")]
pub struct PriorityError;

impl Priority {
    /// The most urgent.
    pub const MAX: u8 = 4;

    /// Checks the bounds.
    ///
    /// # Errors
    /// [`PriorityError`] outside 0–4.
    pub fn new(value: i64) -> Result<Self, PriorityError> {
        match u8::try_from(value) {
            Ok(p) if p <= Self::MAX => Ok(Self(p)),
            _ => Err(PriorityError),
        }
    }

    /// The number inside.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl FromStr for Priority {
    type Err = PriorityError;

    /// Parses one decimal digit, `0` to `4`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.as_bytes() {
            [digit @ b'0'..=b'9'] => Self::new(i64::from(digit - b'0')),
            _ => Err(PriorityError),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn title_is_trimmed_and_bounded_in_characters() {
        assert_eq!(Title::parse("  Write  ").map(|t| t.0), Ok("Write".into()));
        assert!(Title::parse(&"漢".repeat(200)).is_ok());
        assert_eq!(Title::parse(&"漢".repeat(201)), Err(TitleError::Length));
        assert_eq!(Title::parse(" \t "), Err(TitleError::Length));
    }

    #[test]
    fn title_refuses_control_characters() {
        assert_eq!(Title::parse("a\u{0}b"), Err(TitleError::ControlCharacter));
        assert_eq!(Title::parse("a\u{1b}b"), Err(TitleError::ControlCharacter));
        assert!(Title::parse("a\tb\nc").is_ok());
    }

    #[test]
    fn description_is_at_most_1000_characters() {
        assert!(Description::parse(&"é".repeat(1000)).is_ok());
        assert_eq!(
            Description::parse(&"é".repeat(1001)),
            Err(DescriptionError::TooLong)
        );
    }

    #[test]
    fn description_refuses_nul_but_keeps_other_control_characters() {
        assert_eq!(Description::parse("a\0b"), Err(DescriptionError::Nul));
        assert!(Description::parse("a\u{7}\tb\r\n").is_ok());
    }

    #[test]
    fn task_ids_are_positive_decimal_integers() {
        assert_eq!("17".parse::<TaskId>().map(TaskId::get), Ok(17));
        for bad in [
            "0",
            "-1",
            "+1",
            " 1",
            "1.0",
            "abc",
            "",
            "9223372036854775808",
        ] {
            assert_eq!(bad.parse::<TaskId>(), Err(TaskIdError), "{bad:?}");
        }
    }

    #[test]
    fn priority_is_0_to_4() {
        assert_eq!(Priority::new(4).map(Priority::get), Ok(4));
        assert_eq!(Priority::default().get(), 0);
        for bad in [-1, 5, 256, i64::MAX] {
            assert_eq!(Priority::new(bad), Err(PriorityError), "{bad}");
        }
        assert_eq!("3".parse::<Priority>().map(Priority::get), Ok(3));
        for bad in ["5", "-1", "03", "", " 1", "x"] {
            assert_eq!(bad.parse::<Priority>(), Err(PriorityError), "{bad:?}");
        }
    }
}

//! Small helpers shared by the validated text types.

/// Whether `c` is a control character other than tab and newline.
pub(crate) fn is_forbidden_control(c: char) -> bool {
    c.is_control() && c != '\t' && c != '\n'
}

/// Number of Unicode scalar values in `s`.
pub(crate) fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// Lower-cases character by character, as SQL's `lower()` does (no
/// context: a final `Σ` becomes `σ`, as anywhere else).
pub(crate) fn fold(text: &str) -> String {
    text.chars().flat_map(char::to_lowercase).collect()
}

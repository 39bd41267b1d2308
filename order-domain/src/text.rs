//! Bounded, printable text: the building block of every string-valued type.

use std::fmt;

/// A value that could not be parsed into a domain type.
///
/// `field` names the input (`"customerEmail"`, `"billingAddress.city"`, …) so that a host can
/// tell the client exactly which field to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidValue {
    /// The value was empty (after trimming surrounding whitespace).
    #[error("{field} must not be empty")]
    Empty {
        /// The input field.
        field: &'static str,
    },
    /// The value was longer than the field allows.
    #[error("{field} must be at most {max} characters long")]
    TooLong {
        /// The input field.
        field: &'static str,
        /// The maximum length in characters.
        max: usize,
    },
    /// The value contained a control character (CR, LF, NUL, …).
    #[error("{field} must not contain control characters")]
    ControlCharacter {
        /// The input field.
        field: &'static str,
    },
    /// The value did not have the required shape.
    #[error("{field} {expected}")]
    Format {
        /// The input field.
        field: &'static str,
        /// What the field must look like, phrased to follow the field name.
        expected: &'static str,
    },
}

/// Trims `raw` and checks it is non-empty, at most `max` characters and free of control
/// characters. Returns the trimmed text.
pub(crate) fn bounded(field: &'static str, raw: &str, max: usize) -> Result<String, InvalidValue> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(InvalidValue::Empty { field });
    }
    if value.chars().count() > max {
        return Err(InvalidValue::TooLong { field, max });
    }
    if value.chars().any(char::is_control) {
        return Err(InvalidValue::ControlCharacter { field });
    }
    Ok(value.to_owned())
}

/// Like [`bounded`], but an empty or absent value is `None` rather than an error.
pub(crate) fn optional(field: &'static str, raw: Option<&str>, max: usize) -> Result<Option<String>, InvalidValue> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(value) => bounded(field, value, max).map(Some),
    }
}

/// Defines a newtype over a bounded string whose characters all satisfy a predicate.
///
/// The type gets `parse`, `as_str`, `Display`, `AsRef<str>`, `TryFrom<String>`, `From<T> for
/// String`, and serde support that goes through `parse`.
macro_rules! text_type {
    (
        $(#[$meta:meta])*
        $name:ident, field = $field:literal, max = $max:literal,
        allowed = $allowed:expr, expected = $expected:literal
        $(, normalize = $normalize:expr)?
        $(, whole = $whole:expr)?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The longest accepted value, in characters.
            pub const MAX_LEN: usize = $max;

            /// Parses and normalizes a raw value.
            ///
            /// # Errors
            /// [`InvalidValue`] when the value is empty, too long, contains a control character
            /// or a character outside the allowed set.
            pub fn parse(raw: impl AsRef<str>) -> Result<Self, $crate::text::InvalidValue> {
                let value = $crate::text::bounded($field, raw.as_ref(), $max)?;
                $(let value: String = ($normalize)(value);)?
                let allowed: fn(char) -> bool = $allowed;
                if !value.chars().all(allowed) {
                    return Err($crate::text::InvalidValue::Format { field: $field, expected: $expected });
                }
                $(
                    let whole: fn(&str) -> bool = $whole;
                    if !whole(&value) {
                        return Err($crate::text::InvalidValue::Format { field: $field, expected: $expected });
                    }
                )?
                Ok(Self(value))
            }

            /// The value as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::text::InvalidValue;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }
    };
}
pub(crate) use text_type;

/// Free text shown to people (descriptions, reasons): printable, bounded, trimmed.
macro_rules! free_text_type {
    ($(#[$meta:meta])* $name:ident, field = $field:literal, max = $max:literal) => {
        $crate::text::text_type!(
            $(#[$meta])*
            $name, field = $field, max = $max, allowed = |_| true, expected = "is not valid text"
        );
    };
}

/// `true` for the characters of an identifier: ASCII letters, digits, `_` and `-`.
pub(crate) fn is_identifier_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

free_text_type!(
    /// Why something happened (a cancellation, a refund): free text, at most 500 characters.
    Reason, field = "reason", max = 500
);

free_text_type!(
    /// A line description as the customer sees it on the invoice, at most 200 characters.
    Description, field = "description", max = 200
);

impl Reason {
    /// A reason written by the system itself; the text is known to be valid.
    pub(crate) fn system(text: &str) -> Self {
        Self(text.to_owned())
    }
}

/// Writes a list of items separated by `, `.
pub(crate) fn comma_separated<T: fmt::Display>(items: &[T]) -> String {
    items.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_trims_and_refuses_control_characters() {
        assert_eq!(bounded("f", "  abc ", 3).unwrap(), "abc");
        assert_eq!(bounded("f", "   ", 3), Err(InvalidValue::Empty { field: "f" }));
        assert_eq!(bounded("f", "abcd", 3), Err(InvalidValue::TooLong { field: "f", max: 3 }));
        assert_eq!(bounded("f", "a\r\nb", 10), Err(InvalidValue::ControlCharacter { field: "f" }));
        assert_eq!(bounded("f", "a\u{0}b", 10), Err(InvalidValue::ControlCharacter { field: "f" }));
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert!(bounded("f", "ééé", 3).is_ok());
    }

    #[test]
    fn optional_treats_blank_as_absent() {
        assert_eq!(optional("f", Some("  "), 3).unwrap(), None);
        assert_eq!(optional("f", None, 3).unwrap(), None);
        assert_eq!(optional("f", Some("x"), 3).unwrap(), Some("x".to_owned()));
    }

    #[test]
    fn reason_refuses_line_breaks() {
        assert!(Reason::parse("changed my mind").is_ok());
        assert!(Reason::parse("line\nbreak").is_err());
    }
}

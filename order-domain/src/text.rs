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
    /// The value contains a character that a printed document (the tax invoice, the receipt)
    /// cannot show; see [`is_printable`].
    #[error(
        "{field} contains {character:?} (U+{code:04X}), which cannot be printed on a tax invoice; \
         write it in Latin, Greek, Cyrillic, Armenian, Hebrew or Arabic letters, without emoji",
        code = u32::from(*character)
    )]
    Unprintable {
        /// The input field.
        field: &'static str,
        /// The first character that cannot be printed.
        character: char,
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

impl InvalidValue {
    /// The same refusal, naming `field` instead: for a value validated as one kind (a
    /// [`Reason`]) but sent under another name (a refund's `reference`).
    #[must_use]
    pub fn in_field(self, name: &'static str) -> Self {
        match self {
            Self::Empty { .. } => Self::Empty { field: name },
            Self::TooLong { max, .. } => Self::TooLong { field: name, max },
            Self::ControlCharacter { .. } => Self::ControlCharacter { field: name },
            Self::Unprintable { character, .. } => Self::Unprintable { field: name, character },
            Self::Format { expected, .. } => Self::Format { field: name, expected },
        }
    }
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

/// The characters a printed document can show, as inclusive ranges of code points: the
/// scripts of names and addresses that the invoice font (DejaVu Sans, regular and bold) draws
/// whole, and only the parts of each block it draws.
///
/// - Latin: ASCII, Latin-1, Latin Extended-A and -B, IPA and spacing modifier letters (ʻ ʼ),
///   combining diacritics, Latin Extended Additional (Vietnamese);
/// - Greek and Coptic (modern Greek), Cyrillic and the Cyrillic Supplement as far as drawn;
/// - Armenian; Hebrew letters and points; Arabic letters, marks and digits of Arabic and
///   Persian (the Urdu letters ہ and ے are not drawn) — both right to left, shaped;
/// - punctuation (dashes, quotes, ‰, …), currency signs, letterlike symbols (№, ℅, ™).
///
/// Not printable, so refused wherever such text is accepted: CJK and every other script, and
/// emoji. Embedding fonts for them (a CJK font is 10–20 MB) would multiply the size of every
/// binary and Lambda package; see ARCHITECTURE.md, "Every accepted name prints". The renderer's
/// tests (`adapters-documents`) check every character accepted here against both fonts.
pub const PRINTABLE: &[(char, char)] = &[
    // Latin.
    (' ', '~'),
    ('\u{A0}', '\u{24F}'),
    ('\u{250}', '\u{2E9}'),
    ('\u{300}', '\u{34E}'),
    ('\u{1E00}', '\u{1EF9}'),
    // Greek and Cyrillic.
    ('\u{370}', '\u{377}'),
    ('\u{37A}', '\u{37F}'),
    ('\u{384}', '\u{38A}'),
    ('\u{38C}', '\u{38C}'),
    ('\u{38E}', '\u{3A1}'),
    ('\u{3A3}', '\u{525}'),
    // Armenian.
    ('\u{531}', '\u{556}'),
    ('\u{559}', '\u{55F}'),
    ('\u{561}', '\u{587}'),
    ('\u{589}', '\u{58A}'),
    // Hebrew.
    ('\u{5B0}', '\u{5C3}'),
    ('\u{5C6}', '\u{5C7}'),
    ('\u{5D0}', '\u{5EA}'),
    ('\u{5F0}', '\u{5F4}'),
    // Arabic.
    ('\u{60C}', '\u{60C}'),
    ('\u{61B}', '\u{61B}'),
    ('\u{61F}', '\u{61F}'),
    ('\u{621}', '\u{63A}'),
    ('\u{640}', '\u{655}'),
    ('\u{660}', '\u{670}'),
    ('\u{679}', '\u{6BF}'),
    ('\u{6C6}', '\u{6C8}'),
    ('\u{6CB}', '\u{6CC}'),
    ('\u{6CE}', '\u{6CE}'),
    ('\u{6D0}', '\u{6D0}'),
    ('\u{6D5}', '\u{6D5}'),
    ('\u{6F0}', '\u{6F9}'),
    // Punctuation, currency signs, letterlike symbols.
    ('\u{2010}', '\u{2027}'),
    ('\u{2030}', '\u{205E}'),
    ('\u{20A0}', '\u{20B5}'),
    ('\u{20B8}', '\u{20BA}'),
    ('\u{20BD}', '\u{20BD}'),
    ('\u{2100}', '\u{2109}'),
    ('\u{210B}', '\u{2149}'),
];

/// `true` when `c` can be printed on a tax invoice or receipt: it lies in [`PRINTABLE`].
///
/// ```
/// use order_domain::is_printable;
///
/// assert!("Zoë Nkosi-O'Brien".chars().all(is_printable));
/// assert!("Ζωή · Юлия · Սարգիս · שרה · محمد · Nguyễn · № 5".chars().all(is_printable));
/// assert!(!is_printable('王'));
/// assert!(!is_printable('😀'));
/// ```
pub fn is_printable(c: char) -> bool {
    PRINTABLE.iter().any(|(first, last)| (*first..=*last).contains(&c))
}

/// Like [`bounded`], and every character [`is_printable`]: text that lands on a printed
/// document.
pub(crate) fn printed(field: &'static str, raw: &str, max: usize) -> Result<String, InvalidValue> {
    let value = bounded(field, raw, max)?;
    match value.chars().find(|c| !is_printable(*c)) {
        Some(character) => Err(InvalidValue::Unprintable { field, character }),
        None => Ok(value),
    }
}

/// Like [`printed`], but an empty or absent value is `None` rather than an error.
pub(crate) fn optional_printed(
    field: &'static str,
    raw: Option<&str>,
    max: usize,
) -> Result<Option<String>, InvalidValue> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(value) => printed(field, value, max).map(Some),
    }
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

text_type!(
    /// A line description as the customer sees it on the invoice, at most 200 characters, every
    /// one [printable](is_printable).
    Description, field = "description", max = 200, allowed = is_printable,
    expected = "contains a character that cannot be printed on a tax invoice (only Latin, Greek, Cyrillic, Armenian, Hebrew or Arabic letters, without emoji)"
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
    fn descriptions_are_printable_and_reasons_free() {
        assert!(Description::parse("Managed WordPress — Ζωή's site, 12 months").is_ok());
        assert!(Description::parse("虚拟主机").is_err());
        assert!(Description::parse("Hosting 🚀").is_err());
        // A reason is only ever emailed (any script an email client shows), never printed.
        assert!(Reason::parse("客户取消 🙏").is_ok());
    }

    #[test]
    fn the_printable_ranges_are_disjoint() {
        let mut ranges = PRINTABLE.to_vec();
        ranges.sort_unstable();
        for pair in ranges.windows(2) {
            assert!(pair[0].0 <= pair[0].1 && pair[0].1 < pair[1].0, "{pair:?}");
        }
        assert!(!is_printable('\u{200B}') && !is_printable('\u{202E}'), "invisible and bidi controls");
    }

    #[test]
    fn reason_refuses_line_breaks() {
        assert!(Reason::parse("changed my mind").is_ok());
        assert!(Reason::parse("line\nbreak").is_err());
    }
}

//! Email addresses, normalized for lookup.

use serde::{Deserialize, Serialize};

use crate::text::{InvalidValue, bounded};

/// A customer's email address, normalized so that one person is one key.
///
/// Normalization trims surrounding whitespace and lower-cases the whole address. Strictly, the
/// local part is case-sensitive, but no mail provider the platform's customers use treats it so,
/// and guest checkout resolves tenants by email: `Thandi@Example.co.za` and
/// `thandi@example.co.za` must find the same tenant, never create two.
///
/// The address is at most 254 characters (the SMTP path limit), has one `@`, a local part of at
/// most 64 characters without spaces, quotes or angle brackets, and a domain of at least two
/// dot-separated labels.
///
/// ```
/// use order_domain::Email;
/// let email = Email::parse("  Thandi.Nkosi@Example.CO.ZA ").unwrap();
/// assert_eq!(email.as_str(), "thandi.nkosi@example.co.za");
/// assert!(Email::parse("not-an-email").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

const FIELD: &str = "email";
const EXPECTED: &str = "must be an address like name@example.co.za";

impl Email {
    /// The longest accepted address, in characters.
    pub const MAX_LEN: usize = 254;

    /// Parses and normalizes an address.
    ///
    /// # Errors
    /// [`InvalidValue`] when the address is empty, longer than 254 characters, contains a
    /// control character, or is not shaped like `local@domain.tld`.
    pub fn parse(raw: impl AsRef<str>) -> Result<Self, InvalidValue> {
        let value = bounded(FIELD, raw.as_ref(), Self::MAX_LEN)?.to_lowercase();
        let invalid = InvalidValue::Format { field: FIELD, expected: EXPECTED };
        let (local, domain) = value.rsplit_once('@').ok_or(invalid.clone())?;
        if !is_local_part(local) || !is_domain(domain) {
            return Err(invalid);
        }
        Ok(Self(value))
    }

    /// The normalized address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after the `@`.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, domain)| domain)
    }
}

fn is_local_part(local: &str) -> bool {
    const FORBIDDEN: &[char] = &['@', '"', '(', ')', ',', ':', ';', '<', '>', '[', ']', '\\'];
    !local.is_empty()
        && local.chars().count() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && !local.chars().any(|c| c.is_whitespace() || FORBIDDEN.contains(&c))
}

fn is_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.chars().count() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = InvalidValue;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses() {
        for ok in ["a@b.co", "first.last+tag@sub.example.co.za", "x_y-z@xn--bcher-kva.example", "zoë@exämple.com"] {
            assert!(Email::parse(ok).is_ok(), "{ok} should be accepted");
        }
    }

    #[test]
    fn refuses_malformed_addresses() {
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@localhost",
            "a b@example.com",
            "a@exa mple.com",
            ".a@example.com",
            "a.@example.com",
            "a..b@example.com",
            "a@-x.com",
            "a@x-.com",
            "a@x..com",
            "<a@example.com>",
            "a@example.com\r\nBcc: b@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn enforces_length_limits() {
        let local = "a".repeat(64);
        assert!(Email::parse(format!("{local}@example.com")).is_ok());
        assert!(Email::parse(format!("a{local}@example.com")).is_err());
        let long_domain = format!("{}.com", vec!["b".repeat(63); 4].join("."));
        let too_long = format!("a@{long_domain}");
        assert!(too_long.len() > 254);
        assert!(matches!(Email::parse(too_long), Err(InvalidValue::TooLong { max: 254, .. })));
    }

    #[test]
    fn normalizes_case_and_whitespace() {
        assert_eq!(Email::parse(" A@B.CO ").unwrap(), Email::parse("a@b.co").unwrap());
        assert_eq!(Email::parse("a@B.co").unwrap().domain(), "b.co");
    }
}

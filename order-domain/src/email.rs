//! Email addresses, in one canonical form so that one person is one key.

use std::borrow::Cow;

use icu_normalizer::{ComposingNormalizerBorrowed, DecomposingNormalizerBorrowed};
use icu_properties::props::{DefaultIgnorableCodePoint, GeneralCategory};
use icu_properties::{CodePointMapData, CodePointSetData};
use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};
use serde::{Deserialize, Serialize};

use crate::text::{InvalidValue, bounded};

/// A customer's email address in its canonical form, so that one person is one key.
///
/// Guest checkout resolves tenants by email, and the tenant directory's uniqueness key is this
/// form. So every spelling of one address parses to the same value, and what cannot be brought
/// to one spelling is refused rather than stored as a second key. Everything that compares or
/// stores an address (the tenant directory of every backend, events, stored orders, HTTP
/// bodies) holds an `Email`, and deserializing one goes through [`Email::parse`].
///
/// # The canonical form
///
/// `local@domain`, surrounding whitespace trimmed, where:
///
/// - the **local part** is lower-cased and in Unicode Normalization Form C: decomposed (NFD),
///   lower-cased (Unicode default case conversion), recomposed (NFC, Unicode Standard Annex
///   #15). NFC is the form RFC 6532 §3.1 asks of UTF-8 in mail addresses (RFC 6531 allows UTF-8
///   there); decomposing first lets the lower-casing see the same letters whatever the spelling.
///   Strictly the local part is case-sensitive (RFC 5321 §2.4), but no mail provider the
///   platform's customers use treats it so: `Thandi@…` and `thandi@…` must find one tenant.
/// - the **domain** goes through IDNA processing (UTS #46 ToASCII, non-transitional: its mapping
///   — case, width, `。` for `.` — NFC, and the validity, Bidi and joiner rules of IDNA 2008,
///   RFC 5891/5893; STD3 ASCII rules) and is kept in its Unicode form, the ToUnicode of that
///   result: lower-case U-labels, ASCII labels lower-cased. `bücher.co.za`, `BÜCHER.co.za`,
///   `bu\u{308}cher.co.za` (a combining diaeresis) and `xn--bcher-kva.co.za` are one domain.
///
/// The domain is kept as U-labels rather than A-labels (RFC 5890 §2.3.2.1 makes them
/// equivalent) because that is what people typed and read — on invoices, in emails, in the API —
/// and because keys stored before this rule (lower-cased as typed; keyboards type NFC) stay the
/// same. [`Email::to_ascii`] gives the A-label form that SMTP without SMTPUTF8 (RFC 5321) and
/// Amazon SES need.
///
/// # What is refused
///
/// - An address not shaped `local@domain.tld`; in the local part whitespace, quotes and the other
///   specials of RFC 5322 (no quoted local parts), a dot at either end or two in a row.
/// - In the local part, what NFC cannot bring to one spelling: **invisible characters** (Unicode's
///   `Default_Ignorable_Code_Point`: zero-width spaces and joiners, soft hyphens, direction
///   marks, variation selectors), with which one visible address would be many keys;
///   **compatibility characters** (those NFKC changes: full-width letters, ligatures,
///   superscripts), a second spelling of plain letters that NFC keeps apart — refused as the
///   PRECIS IdentifierClass refuses them (RFC 8264 §9.17); and **unassigned code points**, whose
///   normalization a later Unicode version may change (the Unicode Normalization Stability
///   Policy covers assigned characters only).
/// - A domain that UTS #46 refuses: disallowed code points, an `xn--` label that is not valid
///   Punycode, a label breaking the Bidi or joiner rules, a leading or trailing hyphen; a domain
///   of one label; a label longer than 63 or a name longer than 253 octets in its ASCII form
///   (RFC 1035 §2.3.4).
/// - More than 254 characters in the canonical form, or 64 in its local part (the SMTP path
///   limits of RFC 5321 §4.5.3.1); an input four times that long is refused before normalizing.
///
/// ```
/// use order_domain::Email;
/// let email = Email::parse("  Thandi.Nkosi@Example.CO.ZA ").unwrap();
/// assert_eq!(email.as_str(), "thandi.nkosi@example.co.za");
///
/// // A precomposed ë, or e and a combining diaeresis; a Unicode or a Punycode domain: one address.
/// let zoe = Email::parse("zo\u{eb}@b\u{fc}cher.co.za").unwrap();
/// assert_eq!(Email::parse("ZOE\u{308}@xn--bcher-kva.co.za").unwrap(), zoe);
/// assert_eq!(zoe.as_str(), "zoë@bücher.co.za");
/// assert_eq!(zoe.to_ascii(), "zoë@xn--bcher-kva.co.za");
///
/// assert!(Email::parse("not-an-email").is_err());
/// assert!(Email::parse("zoe\u{200b}@example.co.za").is_err(), "an invisible character");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

const FIELD: &str = "email";
const SHAPE: InvalidValue =
    InvalidValue::Format { field: FIELD, expected: "must be an address like name@example.co.za" };
const INVISIBLE: InvalidValue = InvalidValue::Format {
    field: FIELD,
    expected: "must not contain invisible characters (zero-width spaces or joiners, soft hyphens, direction \
               marks, variation selectors)",
};
const COMPATIBILITY: InvalidValue = InvalidValue::Format {
    field: FIELD,
    expected: "must not contain compatibility characters (full-width letters, ligatures, superscripts) \
               before the @; type the plain letters",
};
const UNASSIGNED: InvalidValue =
    InvalidValue::Format { field: FIELD, expected: "must not contain characters that Unicode has not assigned" };
const DOMAIN: InvalidValue = InvalidValue::Format {
    field: FIELD,
    expected: "must have a valid domain name after the @ (IDNA, UTS #46), like example.co.za or bücher.co.za",
};

/// The longest local part, in characters.
const MAX_LOCAL_LEN: usize = 64;
/// The longest domain in its ASCII form, in octets, and its longest label.
const MAX_DOMAIN_LEN: usize = 253;
const MAX_LABEL_LEN: usize = 63;

impl Email {
    /// The longest accepted address, in characters of the canonical form.
    pub const MAX_LEN: usize = 254;

    /// Decomposition and recomposition can change a string's length by a few characters; an input
    /// longer than this cannot be a valid address however it normalizes.
    const MAX_INPUT_LEN: usize = 4 * Self::MAX_LEN;

    /// Parses an address and brings it to its canonical form (see [`Email`]).
    ///
    /// # Errors
    /// [`InvalidValue`] when the address is empty, too long, contains a control character, is
    /// not shaped like `local@domain.tld`, or contains what the canonical form refuses (see
    /// [`Email`]: invisible, compatibility or unassigned characters before the `@`, a domain that
    /// IDNA refuses).
    pub fn parse(raw: impl AsRef<str>) -> Result<Self, InvalidValue> {
        let too_long = InvalidValue::TooLong { field: FIELD, max: Self::MAX_LEN };
        let raw = bounded(FIELD, raw.as_ref(), Self::MAX_INPUT_LEN).map_err(|e| match e {
            InvalidValue::TooLong { .. } => too_long.clone(),
            other => other,
        })?;
        let (local, domain) = raw.rsplit_once('@').ok_or(SHAPE)?;
        let local = canonical_local_part(local)?;
        let (domain, ascii_domain) = canonical_domain(domain)?;
        let address = format!("{local}@{domain}");
        if address.chars().count() > Self::MAX_LEN {
            return Err(too_long);
        }
        if !is_ascii_domain(&ascii_domain) {
            return Err(DOMAIN);
        }
        Ok(Self(address))
    }

    /// The canonical address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the `@`.
    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(local, _)| local)
    }

    /// The part after the `@`, in its Unicode form (U-labels).
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, domain)| domain)
    }

    /// The address with its domain in ASCII (A-labels, `xn--…`), as SMTP without the SMTPUTF8
    /// extension (RFC 5321) and Amazon SES take it. The local part is as it is: a non-ASCII one
    /// can only be delivered with SMTPUTF8 (RFC 6531).
    pub fn to_ascii(&self) -> String {
        let domain = self.domain();
        // The domain is the ToUnicode of a successful ToASCII with these very options, so this
        // ToASCII succeeds; should it not, the Unicode form is still the right address.
        let ascii = domain_to_ascii(domain).unwrap_or(Cow::Borrowed(domain));
        format!("{}@{ascii}", self.local_part())
    }
}

/// NFD, lower case, NFC; then refuses what that does not bring to one spelling.
fn canonical_local_part(raw: &str) -> Result<String, InvalidValue> {
    let decomposed = DecomposingNormalizerBorrowed::new_nfd().normalize(raw);
    let local = ComposingNormalizerBorrowed::new_nfc().normalize(&decomposed.to_lowercase()).into_owned();
    let ignorable = CodePointSetData::new::<DefaultIgnorableCodePoint>();
    if local.chars().any(|c| ignorable.contains(c)) {
        return Err(INVISIBLE);
    }
    let category = CodePointMapData::<GeneralCategory>::new();
    if local.chars().any(|c| category.get(c) == GeneralCategory::Unassigned) {
        return Err(UNASSIGNED);
    }
    if ComposingNormalizerBorrowed::new_nfkc().normalize(&local) != local {
        return Err(COMPATIBILITY);
    }
    if !is_local_part(&local) {
        return Err(SHAPE);
    }
    Ok(local)
}

/// The UTS #46 processing of an email domain: the same options wherever a domain is converted.
/// Lengths are checked by the caller, on the ASCII form, so that an over-long address is
/// reported as too long rather than as an invalid domain.
fn domain_to_ascii(domain: &str) -> Result<Cow<'_, str>, idna::Errors> {
    Uts46::new().to_ascii(domain.as_bytes(), AsciiDenyList::STD3, Hyphens::CheckFirstLast, DnsLength::Ignore)
}

/// The domain's Unicode (canonical) and ASCII forms.
///
/// The input is put in NFC first: UTS #46 maps code point by code point before it normalizes,
/// so two canonically equivalent spellings could map differently (`ᾀ` followed by a combining
/// grave maps to `ἀὶ`, its decomposed spelling to `ἂι`).
fn canonical_domain(raw: &str) -> Result<(String, String), InvalidValue> {
    let composed = ComposingNormalizerBorrowed::new_nfc().normalize(raw);
    let ascii = domain_to_ascii(&composed).map_err(|_| DOMAIN)?.into_owned();
    let (unicode, valid) = Uts46::new().to_unicode(ascii.as_bytes(), AsciiDenyList::STD3, Hyphens::CheckFirstLast);
    valid.map_err(|_| DOMAIN)?;
    Ok((unicode.into_owned(), ascii))
}

fn is_local_part(local: &str) -> bool {
    const FORBIDDEN: &[char] = &['@', '"', '(', ')', ',', ':', ';', '<', '>', '[', ']', '\\'];
    !local.is_empty()
        && local.chars().count() <= MAX_LOCAL_LEN
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && !local.chars().any(|c| c.is_whitespace() || c.is_control() || FORBIDDEN.contains(&c))
}

/// At least two labels, each of letters, digits and inner hyphens (ToASCII with the STD3 rules
/// has made them so), within the DNS lengths.
fn is_ascii_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    domain.len() <= MAX_DOMAIN_LEN
        && labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= MAX_LABEL_LEN
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
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
            "a@example.com.",
            "a@exa_mple.com",
            "<a@example.com>",
            "\"a b\"@example.com",
            "a@[192.0.2.1]",
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
        let huge = format!("{}@example.com", "a".repeat(5000));
        assert!(matches!(Email::parse(huge), Err(InvalidValue::TooLong { max: 254, .. })));
    }

    #[test]
    fn the_limits_apply_to_the_canonical_form() {
        // 64 letters with their accents decomposed are 128 characters, and still 64 letters.
        let nfd = "e\u{301}".repeat(64);
        assert_eq!(
            Email::parse(format!("{nfd}@example.com")).unwrap(),
            Email::parse(format!("{}@example.com", "é".repeat(64))).unwrap()
        );
        // A DNS label is at most 63 octets in its ASCII form: 60 ü are one character each but
        // their A-label is longer.
        let umlauts = "ü".repeat(60);
        assert!(matches!(Email::parse(format!("a@{umlauts}.com")), Err(InvalidValue::Format { .. })));
    }

    #[test]
    fn normalizes_case_and_whitespace() {
        assert_eq!(Email::parse(" A@B.CO ").unwrap(), Email::parse("a@b.co").unwrap());
        assert_eq!(Email::parse("a@B.co").unwrap().domain(), "b.co");
    }

    #[test]
    fn equivalent_spellings_are_one_address() {
        let groups: &[(&str, &[&str])] = &[
            // Precomposed ë, e + combining diaeresis, upper case of either.
            (
                "zoë@example.co.za",
                &[
                    "zo\u{eb}@example.co.za",
                    "zoe\u{308}@example.co.za",
                    "ZO\u{cb}@Example.CO.ZA",
                    "ZOE\u{308}@example.co.za",
                ],
            ),
            // A Unicode domain, its Punycode, its upper case, decomposed, full-width, an ideographic full stop.
            (
                "someone@bücher.co.za",
                &[
                    "someone@b\u{fc}cher.co.za",
                    "someone@xn--bcher-kva.co.za",
                    "someone@XN--BCHER-KVA.CO.ZA",
                    "someone@B\u{dc}CHER.co.za",
                    "someone@bu\u{308}cher.co.za",
                    "someone@\u{ff42}\u{fc}\u{ff43}\u{ff48}\u{ff45}\u{ff52}.co.za",
                    "someone@bücher\u{3002}co.za",
                ],
            ),
            // Two combining marks in either order are one letter (canonical ordering).
            (
                "nguyễn.vệ@example.vn",
                &[
                    "nguye\u{302}\u{303}n.ve\u{323}\u{302}@example.vn",
                    "nguye\u{302}\u{303}n.ve\u{302}\u{323}@example.vn",
                    "NGUY\u{1ec4}N.V\u{1ec6}@example.vn",
                ],
            ),
            // A Hangul syllable or its jamo.
            ("한@example.kr", &["\u{d55c}@example.kr", "\u{1112}\u{1161}\u{11ab}@example.kr"]),
            // UTS #46 maps the iota subscript to ι: NFC first, so every spelling maps alike.
            (
                "x@\u{1f02}\u{3b9}.gr",
                &["x@\u{1f80}\u{300}.gr", "x@\u{3b1}\u{313}\u{345}\u{300}.gr", "x@\u{3b1}\u{313}\u{300}\u{345}.gr"],
            ),
            // Singleton decompositions: the Kelvin and Ångström signs are K and Å.
            ("kelvin.åsa@example.se", &["\u{212a}elvin.\u{212b}sa@example.se"]),
        ];
        for (canonical, spellings) in groups {
            for spelling in *spellings {
                let email = Email::parse(spelling).unwrap_or_else(|e| panic!("{spelling:?}: {e}"));
                assert_eq!(email.as_str(), *canonical, "{spelling:?}");
            }
        }
    }

    #[test]
    fn the_ascii_form_has_a_labels() {
        let email = Email::parse("Zoë@Bücher.co.za").unwrap();
        assert_eq!((email.local_part(), email.domain()), ("zoë", "bücher.co.za"));
        assert_eq!(email.to_ascii(), "zoë@xn--bcher-kva.co.za");
        assert_eq!(Email::parse("a@example.com").unwrap().to_ascii(), "a@example.com");
    }

    #[test]
    fn refuses_what_it_will_not_normalize() {
        let cases = [
            ("zoe\u{200b}@example.co.za", INVISIBLE),
            ("zo\u{ad}e@example.co.za", INVISIBLE),
            ("zoe\u{200d}@example.co.za", INVISIBLE),
            ("\u{202e}zoe@example.co.za", INVISIBLE),
            ("\u{2764}\u{fe0f}@example.co.za", INVISIBLE),
            ("\u{ff5a}\u{ff4f}\u{ff45}@example.co.za", COMPATIBILITY),
            ("\u{fb01}nn@example.co.za", COMPATIBILITY),
            ("x\u{b2}@example.co.za", COMPATIBILITY),
            ("zoe\u{ffff}@example.co.za", UNASSIGNED),
            ("someone@xn--zz.co.za", DOMAIN),
            ("someone@xn--bcher-kva-.co.za", DOMAIN),
            ("someone@a\u{627}b.com", DOMAIN),
        ];
        for (raw, expected) in cases {
            assert_eq!(Email::parse(raw), Err(expected.clone()), "{raw:?}");
        }
        assert!(INVISIBLE.to_string().starts_with("email must not contain invisible characters"));
    }

    #[test]
    fn deserializing_goes_through_the_canonical_form() {
        let email: Email = serde_json::from_str("\"ZOE\\u0308@xn--bcher-kva.co.za\"").unwrap();
        assert_eq!(email.as_str(), "zoë@bücher.co.za");
        assert!(serde_json::from_str::<Email>("\"zoe\\u200b@example.co.za\"").is_err());
    }
}

//! Properties of [`Email`]: equivalent spellings of one address parse to one value, and the
//! canonical form is a fixed point.
//!
//! Decomposed spellings are made with `unicode-normalization`, not with the ICU4X normalizer
//! `Email` uses, and the expected canonical form is built by hand, so a property cannot pass
//! by sharing the implementation's mistake. Punycode spellings come from `idna`, whose output
//! the unit tests pin for known names (`bücher` is `xn--bcher-kva`).

#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

use order_domain::Email;
use proptest::prelude::*;
use proptest::sample::select;
use unicode_normalization::UnicodeNormalization;

/// Lower-case letters in NFC, each one that upper-casing and lower-casing give back: ASCII,
/// precomposed Latin letters (some with two marks, ǖ ệ ễ), letters without a decomposition
/// (ø ł), Cyrillic (й decomposes), Greek (ά decomposes), and a Hangul syllable (decomposes into
/// jamo).
const LOCAL_LETTERS: &[char] = &[
    'a', 'b', 'k', 'z', '0', '7', 'é', 'ë', 'ö', 'ü', 'ñ', 'ç', 'å', 'ø', 'ł', 'ő', 'ǖ', 'ệ', 'ễ', 'й', 'ё', 'ж', 'ά',
    '한',
];
/// What may join letters inside a local part.
const LOCAL_JOINERS: &[char] = &['.', '+', '_', '-'];
/// Letters of domain labels, in their UTS #46 mapped (lower-case NFC) form.
const DOMAIN_LETTERS: &[char] = &['a', 'e', 'q', 'z', '1', '9', 'ü', 'ö', 'ä', 'é', 'ñ', 'å', 'ж', 'й', '한'];
const TOP_LEVEL: &[&str] = &["co.za", "com", "de", "рф"];

/// A canonical local part: 1 to 3 runs of letters joined by `.`, `+`, `_` or `-`.
fn local_part() -> impl Strategy<Value = String> {
    let run = prop::collection::vec(select(LOCAL_LETTERS), 1..=8).prop_map(|c| c.into_iter().collect::<String>());
    (run.clone(), prop::collection::vec((select(LOCAL_JOINERS), run), 0..=2)).prop_map(|(first, rest)| {
        rest.into_iter().fold(first, |mut local, (joiner, run)| {
            local.push(joiner);
            local.push_str(&run);
            local
        })
    })
}

/// A canonical domain: one or two labels and a top-level domain.
fn domain() -> impl Strategy<Value = String> {
    let label = prop::collection::vec(select(DOMAIN_LETTERS), 1..=10).prop_map(|c| c.into_iter().collect::<String>());
    (prop::collection::vec(label, 1..=2), select(TOP_LEVEL))
        .prop_map(|(labels, tld)| format!("{}.{tld}", labels.join(".")))
}

/// `text` with the letters chosen by `upper` in upper case.
fn recase(text: &str, upper: &[bool]) -> String {
    text.chars()
        .zip(upper.iter().chain(std::iter::repeat(&false)))
        .flat_map(|(c, &up)| if up { c.to_uppercase().collect::<Vec<_>>() } else { vec![c] })
        .collect()
}

fn nfd(text: &str) -> String {
    text.nfd().collect()
}

/// Characters that make normalization interesting: ASCII, Latin-1 and Latin Extended letters,
/// combining marks (in any order), Greek (with the iota subscript U+0345), Hangul jamo, the
/// Kelvin and Ångström signs, a zero-width joiner, full-width letters, dots and `@`.
fn tricky_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::char::range('a', 'z'),
        2 => prop::char::range('A', 'Z'),
        3 => prop::char::range('\u{c0}', '\u{17f}'),
        3 => prop::char::range('\u{300}', '\u{36f}'),
        2 => prop::char::range('\u{370}', '\u{3ff}'),
        1 => prop::char::range('\u{1100}', '\u{11ff}'),
        1 => prop::char::range('\u{1e00}', '\u{1fff}'),
        1 => select(&['\u{212a}', '\u{212b}', '\u{200d}', '\u{ff41}', '\u{3002}', 'ß', 'ς', 'Σ', 'İ'][..]),
        2 => select(&['.', '-', '_', '@'][..]),
    ]
}

fn tricky_address() -> impl Strategy<Value = String> {
    let part = || prop::collection::vec(tricky_char(), 1..=12).prop_map(|c| c.into_iter().collect::<String>());
    (part(), part(), select(TOP_LEVEL)).prop_map(|(local, domain, tld)| format!("{local}@{domain}.{tld}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// NFC or NFD, upper or lower case, a Unicode or a Punycode domain: one address, in the
    /// canonical form (lower-case NFC local part, lower-case U-label domain).
    #[test]
    fn equivalent_spellings_parse_to_one_email(
        local in local_part(),
        domain in domain(),
        upper in prop::collection::vec(any::<bool>(), 0..=32),
    ) {
        let canonical = format!("{local}@{domain}");
        let punycode = idna::domain_to_ascii(&domain).unwrap();
        prop_assert!(punycode.is_ascii());
        let mixed = recase(&local, &upper);
        let spellings = [
            canonical.clone(),
            format!("{}@{}", nfd(&local), nfd(&domain)),
            format!("{mixed}@{}", domain.to_uppercase()),
            format!("{}@{}", nfd(&mixed), nfd(&domain.to_uppercase())),
            format!("{local}@{punycode}"),
            format!("{}@{}", nfd(&mixed), punycode.to_uppercase()),
            format!("  {mixed}@{punycode} "),
        ];
        for spelling in &spellings {
            let email = Email::parse(spelling);
            prop_assert!(email.is_ok(), "{:?} refused: {:?}", spelling, email);
            prop_assert_eq!(email.unwrap().to_string(), canonical.clone(), "spelling {:?}", spelling);
        }
        prop_assert_eq!(Email::parse(&canonical).unwrap().to_ascii(), format!("{local}@{punycode}"));
    }

    /// Whatever is accepted is accepted again as itself, and its decomposed or composed spelling
    /// is accepted as the same address (or refused alike).
    #[test]
    fn the_canonical_form_is_a_fixed_point(raw in tricky_address()) {
        let parsed = Email::parse(&raw).ok();
        if let Some(email) = &parsed {
            prop_assert_eq!(Email::parse(email.as_str()).ok(), Some(email.clone()), "canonical {:?}", email.as_str());
            let json = serde_json::to_string(email).unwrap();
            prop_assert_eq!(&serde_json::from_str::<Email>(&json).unwrap(), email);
        }
        let decomposed: String = raw.nfd().collect();
        let composed: String = raw.nfc().collect();
        prop_assert_eq!(Email::parse(&decomposed).ok(), parsed.clone(), "NFD of {:?}", raw);
        prop_assert_eq!(Email::parse(&composed).ok(), parsed, "NFC of {:?}", raw);
    }
}

#[test]
fn the_fixed_point_property_sees_accepted_addresses() {
    // Guards the generator above: a property over refused inputs only would prove nothing.
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = tricky_address();
    let accepted = (0..500).filter(|_| Email::parse(strategy.new_tree(&mut runner).unwrap().current()).is_ok()).count();
    assert!(accepted >= 50, "only {accepted} of 500 generated addresses are accepted");
}

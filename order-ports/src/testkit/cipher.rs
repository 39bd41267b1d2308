//! The contracts of [`FieldCipher`].

use crate::PortError;
use crate::cipher::FieldCipher;

use super::{assert_error, must};

/// Runs every contract of [`FieldCipher`]: `cipher` and `other_key` are the same kind of cipher
/// under two different keys.
///
/// # Panics
/// When the contract is broken.
pub fn field_cipher_contract(cipher: &dyn FieldCipher, other_key: &dyn FieldCipher) {
    let plaintext = br#"{"name":"Thandi Nkosi","line1":"12 Long Street"}"#;
    let sealed = must(cipher.seal(plaintext, b"order_1"), "seal");
    assert!(!sealed.windows(11).any(|w| w == b"Long Street"), "no plaintext in the sealed value");
    assert_eq!(must(cipher.open(&sealed, b"order_1"), "open"), plaintext, "opens under the same key and context");
    assert_eq!(must(cipher.open(&must(cipher.seal(b"", b"c"), "seal"), b"c"), "open"), b"", "empty values too");

    let invalid = |e: &PortError| matches!(e, PortError::InvalidData(_));
    assert_error(cipher.open(&sealed, b"order_2"), invalid, "another context");
    assert_error(other_key.open(&sealed, b"order_1"), invalid, "another key");
    for i in [0, sealed.len() / 2, sealed.len() - 1] {
        let mut tampered = sealed.clone();
        tampered[i] ^= 0x80;
        assert_error(cipher.open(&tampered, b"order_1"), invalid, "a tampered byte");
    }
    assert_error(cipher.open(&sealed[..sealed.len() - 1], b"order_1"), invalid, "a truncated value");
    assert_error(cipher.open(b"", b"order_1"), invalid, "nothing at all");
}

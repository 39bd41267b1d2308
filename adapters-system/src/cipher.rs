//! AES-256-GCM field encryption: the [`FieldCipher`] both the in-memory and the AWS
//! repositories seal billing addresses with.

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use order_ports::{FieldCipher, PortError, PortResult};

/// Length of the random nonce prepended to every sealed value (96 bits, as GCM expects).
const NONCE_LEN: usize = 12;

/// Why a key could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CipherKeyError {
    /// The key text is not hexadecimal.
    #[error("the field encryption key is not hexadecimal")]
    NotHex,
    /// The key is not 256 bits long.
    #[error("the field encryption key must be 32 bytes (64 hex digits), got {0} bytes")]
    WrongLength(usize),
}

/// A 256-bit AES key, from configuration (a secret store, a typed config struct), never from
/// the environment inside a library. Its `Debug` output hides the key.
#[derive(Clone, PartialEq, Eq)]
pub struct CipherKey([u8; 32]);

impl CipherKey {
    /// Wraps 32 raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Parses 64 hexadecimal digits.
    ///
    /// # Errors
    /// [`CipherKeyError`] when the text is not hex or not 32 bytes long.
    pub fn from_hex(text: &str) -> Result<Self, CipherKeyError> {
        let bytes = hex::decode(text.trim()).map_err(|_| CipherKeyError::NotHex)?;
        let len = bytes.len();
        <[u8; 32]>::try_from(bytes).map(Self).map_err(|_| CipherKeyError::WrongLength(len))
    }
}

impl fmt::Debug for CipherKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CipherKey(<redacted>)")
    }
}

/// AES-256-GCM with a random 96-bit nonce per value.
///
/// A sealed value is `nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes)`; the `context` (such as
/// the order id) is the associated data, so a value copied onto another record does not open.
///
/// ```
/// use adapters_system::{AesGcmCipher, CipherKey};
/// use order_ports::FieldCipher;
///
/// let cipher = AesGcmCipher::new(&CipherKey::from_bytes([7; 32]));
/// let sealed = cipher.seal(b"12 Long Street", b"order_1").unwrap();
/// assert_eq!(cipher.open(&sealed, b"order_1").unwrap(), b"12 Long Street");
/// assert!(cipher.open(&sealed, b"order_2").is_err());
/// ```
#[derive(Clone)]
pub struct AesGcmCipher {
    cipher: Aes256Gcm,
}

impl AesGcmCipher {
    /// A cipher under `key`.
    pub fn new(key: &CipherKey) -> Self {
        Self { cipher: Aes256Gcm::new(&key.0.into()) }
    }
}

impl fmt::Debug for AesGcmCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AesGcmCipher { key: <redacted> }")
    }
}

impl FieldCipher for AesGcmCipher {
    fn seal(&self, plaintext: &[u8], context: &[u8]) -> PortResult<Vec<u8>> {
        let mut nonce = [0_u8; NONCE_LEN];
        getrandom::fill(&mut nonce)
            .map_err(|e| PortError::InvalidData(format!("no randomness for an encryption nonce: {e}")))?;
        let ciphertext = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad: context })
            .map_err(|_| PortError::InvalidData("field encryption failed".into()))?;
        let mut sealed = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    fn open(&self, sealed: &[u8], context: &[u8]) -> PortResult<Vec<u8>> {
        if sealed.len() < NONCE_LEN {
            return Err(PortError::InvalidData("sealed field is too short".into()));
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        self.cipher.decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad: context }).map_err(|_| {
            PortError::InvalidData("sealed field does not open: tampered with, or another key or context".into())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher(byte: u8) -> AesGcmCipher {
        AesGcmCipher::new(&CipherKey::from_bytes([byte; 32]))
    }

    #[test]
    fn seals_with_a_fresh_nonce_and_opens() {
        let c = cipher(1);
        let a = c.seal(b"address", b"ctx").unwrap();
        let b = c.seal(b"address", b"ctx").unwrap();
        assert_ne!(a, b, "each seal draws a new nonce");
        assert_eq!(a.len(), NONCE_LEN + b"address".len() + 16);
        assert!(!a.windows(7).any(|w| w == b"address"), "no plaintext in the sealed value");
        assert_eq!(c.open(&a, b"ctx").unwrap(), b"address");
        assert_eq!(c.open(&b, b"ctx").unwrap(), b"address");
    }

    #[test]
    fn refuses_every_tampered_byte() {
        let c = cipher(2);
        let sealed = c.seal(b"12 Long Street", b"order_1").unwrap();
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert!(matches!(c.open(&bad, b"order_1"), Err(PortError::InvalidData(_))), "byte {i} flipped");
        }
        assert!(matches!(c.open(&sealed[..sealed.len() - 1], b"order_1"), Err(PortError::InvalidData(_))));
        assert!(matches!(c.open(&sealed[..5], b"order_1"), Err(PortError::InvalidData(_))));
    }

    #[test]
    fn refuses_another_key_or_context() {
        let sealed = cipher(3).seal(b"secret", b"order_1").unwrap();
        assert!(matches!(cipher(4).open(&sealed, b"order_1"), Err(PortError::InvalidData(_))));
        assert!(matches!(cipher(3).open(&sealed, b"order_2"), Err(PortError::InvalidData(_))));
    }

    #[test]
    fn keys_parse_from_hex_and_never_print() {
        let key = CipherKey::from_hex(&"ab".repeat(32)).unwrap();
        assert_eq!(key, CipherKey::from_bytes([0xab; 32]));
        assert_eq!(CipherKey::from_hex("zz"), Err(CipherKeyError::NotHex));
        assert_eq!(CipherKey::from_hex(&"ab".repeat(16)), Err(CipherKeyError::WrongLength(16)));
        assert!(!format!("{key:?}").contains("ab"));
        assert!(!format!("{:?}", AesGcmCipher::new(&key)).contains("ab"));
    }
}

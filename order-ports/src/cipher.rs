//! Field-level encryption of personal data before it is stored.

use crate::error::PortResult;

/// Encrypts and decrypts single fields (the billing address) with authenticated encryption,
/// beyond the storage's own encryption at rest. Repositories of every family seal personal
/// data through this port before writing it and open it after reading.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait FieldCipher: Send + Sync {
    /// Encrypts `plaintext`; `context` (such as the order id) is bound to the ciphertext as
    /// associated data, so a sealed value copied onto another record does not open.
    ///
    /// # Errors
    /// [`InvalidData`](crate::PortError::InvalidData) if encryption fails.
    fn seal(&self, plaintext: &[u8], context: &[u8]) -> PortResult<Vec<u8>>;

    /// Decrypts what [`FieldCipher::seal`] produced with the same `context`.
    ///
    /// # Errors
    /// [`InvalidData`](crate::PortError::InvalidData) when the value was tampered with, sealed
    /// under another key or another context.
    fn open(&self, sealed: &[u8], context: &[u8]) -> PortResult<Vec<u8>>;
}

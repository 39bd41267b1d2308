//! Opaque page cursors, signed and bound to the tenant they were issued for.
//!
//! A cursor is `base64url(repository cursor) "." base64url(HMAC-SHA256(key, tenant ‖ 0 ‖ repository
//! cursor))` (base64url without padding: RFC 4648 §5; HMAC: RFC 2104). A cursor altered by a client, or issued for another tenant, fails the MAC and is
//! refused before the repository sees it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use order_domain::TenantId;
use order_ports::PageCursor;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The cursor key is too short.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the cursor signing key must be at least 32 bytes")]
pub struct WeakCursorKey;

/// Signs and verifies page cursors.
#[derive(Clone)]
pub struct CursorSigner {
    mac: HmacSha256,
}

impl std::fmt::Debug for CursorSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorSigner { .. }")
    }
}

/// A cursor that was not issued by this server for this tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the cursor is not valid for this listing")]
pub struct InvalidCursor;

impl CursorSigner {
    /// The shortest key accepted.
    pub const MIN_KEY_LEN: usize = 32;

    /// A signer with `key`, from configuration.
    ///
    /// # Errors
    /// [`WeakCursorKey`] when the key is shorter than [`CursorSigner::MIN_KEY_LEN`] bytes.
    pub fn new(key: &[u8]) -> Result<Self, WeakCursorKey> {
        if key.len() < Self::MIN_KEY_LEN {
            return Err(WeakCursorKey);
        }
        let mac = <HmacSha256 as Mac>::new_from_slice(key).map_err(|_| WeakCursorKey)?;
        Ok(Self { mac })
    }

    fn mac(&self, tenant: &TenantId, cursor: &str) -> HmacSha256 {
        let mut mac = self.mac.clone();
        mac.update(tenant.as_str().as_bytes());
        mac.update(&[0]);
        mac.update(cursor.as_bytes());
        mac
    }

    /// The opaque cursor a client is given.
    pub fn sign(&self, tenant: &TenantId, cursor: &PageCursor) -> String {
        let tag = self.mac(tenant, &cursor.0).finalize().into_bytes();
        format!("{}.{}", URL_SAFE_NO_PAD.encode(cursor.0.as_bytes()), URL_SAFE_NO_PAD.encode(tag))
    }

    /// The repository cursor inside `opaque`, if this server issued it for `tenant`.
    ///
    /// # Errors
    /// [`InvalidCursor`] for anything else.
    pub fn verify(&self, tenant: &TenantId, opaque: &str) -> Result<PageCursor, InvalidCursor> {
        let (payload, tag) = opaque.split_once('.').ok_or(InvalidCursor)?;
        let cursor = URL_SAFE_NO_PAD.decode(payload).map_err(|_| InvalidCursor)?;
        let cursor = String::from_utf8(cursor).map_err(|_| InvalidCursor)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| InvalidCursor)?;
        self.mac(tenant, &cursor).verify_slice(&tag).map_err(|_| InvalidCursor)?;
        Ok(PageCursor(cursor))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_cursor_verifies_only_for_its_tenant_and_unaltered() {
        let signer = CursorSigner::new(b"0123456789abcdef0123456789abcdef").unwrap();
        let acme = TenantId::parse("tenant_acme").unwrap();
        let other = TenantId::parse("tenant_other").unwrap();
        let opaque = signer.sign(&acme, &PageCursor("abc|1|x".into()));
        assert_eq!(signer.verify(&acme, &opaque).unwrap(), PageCursor("abc|1|x".into()));
        assert!(CursorSigner::new(b"short").is_err());
        assert_eq!(signer.verify(&other, &opaque), Err(InvalidCursor));
        let forged = format!("{}{}", URL_SAFE_NO_PAD.encode("abc|2|x"), &opaque[opaque.find('.').unwrap()..]);
        assert_eq!(signer.verify(&acme, &forged), Err(InvalidCursor));
        assert_eq!(CursorSigner::new(&[9; 32]).unwrap().verify(&acme, &opaque), Err(InvalidCursor));
    }
}

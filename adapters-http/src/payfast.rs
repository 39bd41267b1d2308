//! PayFast Instant Transaction Notifications (ITN): the verifier port and PayFast's rules, as
//! PayFast's developer documentation describes them ("Step 4: Confirm payment is successful":
//! the source check, the signature, the merchant, the status).
//!
//! An ITN is a form post from PayFast. It is believed only when it comes from an allowed
//! source address, its MD5 signature (over the fields in the order received, `signature`
//! excluded, values URL-encoded as PHP's `urlencode` does, with the passphrase appended) matches,
//! it names our merchant id and its `payment_status` is `COMPLETE`. The route then confirms it as
//! a payment of `amount_gross`; that the amount equals the order total to the cent is the
//! domain's rule (`OrderError::AmountMismatch`), checked where the order is loaded, once. Anything
//! refused changes nothing.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use md5::{Digest, Md5};
use order_domain::{Currency, Money, OrderId, PaymentId};

/// A verified notification: which order, which payment, how much.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedItn {
    /// The order (PayFast's `m_payment_id`, which we set to the order id).
    pub order_id: OrderId,
    /// PayFast's `pf_payment_id`.
    pub payment_id: PaymentId,
    /// `amount_gross`.
    pub amount: Money,
}

/// Why a notification was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ItnRefusal {
    /// The sender is not on the allow-list.
    #[error("source address {0} is not allowed")]
    UnknownSource(IpAddr),
    /// A required field is missing or malformed.
    #[error("field {0} is missing or malformed")]
    Malformed(&'static str),
    /// The signature does not match.
    #[error("signature mismatch")]
    BadSignature,
    /// Not our merchant id.
    #[error("merchant id mismatch")]
    WrongMerchant,
    /// Not a completed payment.
    #[error("payment status is not COMPLETE")]
    NotComplete,
}

/// The verifier port: hosts hold an `Arc<dyn ItnVerifier>`, tests may substitute their own.
pub trait ItnVerifier: Send + Sync {
    /// Verifies the form `fields` (in the order received) sent from `peer` (the unspecified
    /// address when the host cannot tell).
    ///
    /// # Errors
    /// An [`ItnRefusal`] naming the first check that failed: MUST refuse a notification whose
    /// source, signature, merchant or status does not check out.
    fn verify(&self, fields: &[(String, String)], peer: IpAddr) -> Result<VerifiedItn, ItnRefusal>;
}

/// An IPv4 or IPv6 network in CIDR notation (RFC 4632), e.g. `197.97.145.144/28`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// Whether `ip` is in this network (IPv4-mapped IPv6 addresses count as IPv4).
    ///
    /// ```
    /// # use adapters_http::payfast::IpNet;
    /// let payfast: IpNet = "197.97.145.144/28".parse().unwrap();
    /// assert!(payfast.contains("197.97.145.150".parse().unwrap()));
    /// assert!(!payfast.contains("197.97.145.160".parse().unwrap()));
    /// ```
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// A network that is not `address[/prefix]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an IP network (address or address/prefix)")]
pub struct InvalidIpNet(String);

impl FromStr for IpNet {
    type Err = InvalidIpNet;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidIpNet(text.to_owned());
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let addr: IpAddr = addr.trim().parse().map_err(|_| invalid())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) => prefix.trim().parse::<u8>().map_err(|_| invalid())?,
            None => max,
        };
        if prefix > max {
            return Err(invalid());
        }
        Ok(Self { addr, prefix })
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// The networks PayFast documents as its ITN senders.
pub const PAYFAST_NETWORKS: [&str; 4] =
    ["197.97.145.144/28", "41.74.179.192/27", "102.216.36.0/28", "102.216.36.128/28"];

/// How to verify PayFast notifications.
#[derive(Debug, Clone)]
pub struct PayfastConfig {
    /// Our merchant id.
    pub merchant_id: String,
    /// The passphrase set in the PayFast dashboard, if any.
    pub passphrase: Option<String>,
    /// Who may send notifications (the peer address of the connection).
    pub allowed_sources: Vec<IpNet>,
}

/// PayFast's rules: the default [`ItnVerifier`].
#[derive(Debug, Clone)]
pub struct PayfastVerifier {
    config: PayfastConfig,
}

impl PayfastVerifier {
    /// A verifier with `config`.
    pub fn new(config: PayfastConfig) -> Self {
        Self { config }
    }
}

fn field<'a>(fields: &'a [(String, String)], name: &'static str) -> Result<&'a str, ItnRefusal> {
    fields.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str()).ok_or(ItnRefusal::Malformed(name))
}

impl ItnVerifier for PayfastVerifier {
    fn verify(&self, fields: &[(String, String)], peer: IpAddr) -> Result<VerifiedItn, ItnRefusal> {
        if !self.config.allowed_sources.iter().any(|net| net.contains(peer)) {
            return Err(ItnRefusal::UnknownSource(peer));
        }
        let received = field(fields, "signature")?;
        let expected = signature(fields, self.config.passphrase.as_deref());
        if !constant_time_eq(received.trim().to_ascii_lowercase().as_bytes(), expected.as_bytes()) {
            return Err(ItnRefusal::BadSignature);
        }
        if field(fields, "merchant_id")? != self.config.merchant_id {
            return Err(ItnRefusal::WrongMerchant);
        }
        if field(fields, "payment_status")? != "COMPLETE" {
            return Err(ItnRefusal::NotComplete);
        }
        let order_id =
            OrderId::parse(field(fields, "m_payment_id")?).map_err(|_| ItnRefusal::Malformed("m_payment_id"))?;
        let payment_id =
            PaymentId::parse(field(fields, "pf_payment_id")?).map_err(|_| ItnRefusal::Malformed("pf_payment_id"))?;
        let amount = Money::parse(field(fields, "amount_gross")?, Currency::ZAR)
            .map_err(|_| ItnRefusal::Malformed("amount_gross"))?;
        Ok(VerifiedItn { order_id, payment_id, amount })
    }
}

/// PayFast's signature: MD5 (lower-case hex) of `key=urlencode(value)&…` over the fields in
/// the order received, `signature` excluded, then `&passphrase=urlencode(passphrase)`.
pub fn signature(fields: &[(String, String)], passphrase: Option<&str>) -> String {
    let mut text = fields
        .iter()
        .filter(|(key, _)| key != "signature")
        .map(|(key, value)| format!("{key}={}", php_urlencode(value)))
        .collect::<Vec<_>>()
        .join("&");
    if let Some(passphrase) = passphrase.filter(|p| !p.is_empty()) {
        text.push_str("&passphrase=");
        text.push_str(&php_urlencode(passphrase));
    }
    hex::encode(Md5::digest(text.as_bytes()))
}

/// PHP's `urlencode`: letters, digits and `-_.` stay; space becomes `+`; everything else is
/// `%XX` with upper-case hex.
fn php_urlencode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => out.push(char::from(byte)),
            b' ' => out.push('+'),
            other => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(char::from(HEX[usize::from(other >> 4)]));
                out.push(char::from(HEX[usize::from(other & 0x0f)]));
            }
        }
    }
    out
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn php_urlencode_matches_php() {
        assert_eq!(php_urlencode("Jane Doe & Co.*~/"), "Jane+Doe+%26+Co.%2A%7E%2F");
        assert_eq!(php_urlencode("R1 349.00"), "R1+349.00");
    }

    #[test]
    fn networks_contain_their_addresses() {
        let net: IpNet = "197.97.145.144/28".parse().unwrap();
        assert!(net.contains("197.97.145.159".parse().unwrap()));
        assert!(!net.contains("197.97.145.160".parse().unwrap()));
        assert!(net.contains("::ffff:197.97.145.150".parse().unwrap()));
        let one: IpNet = "127.0.0.1".parse().unwrap();
        assert!(one.contains("127.0.0.1".parse().unwrap()));
        assert!(!one.contains("127.0.0.2".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<IpNet>().is_err());
    }

    #[test]
    fn the_signature_covers_fields_in_order_with_the_passphrase() {
        let fields: Vec<(String, String)> =
            [("merchant_id", "10000100"), ("item_name", "Order #1"), ("signature", "ignored")]
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
        let expected = hex::encode(Md5::digest(b"merchant_id=10000100&item_name=Order+%231&passphrase=salt+pepper"));
        assert_eq!(signature(&fields, Some("salt pepper")), expected);
        let reordered: Vec<_> = fields.iter().rev().cloned().collect();
        assert_ne!(signature(&reordered, Some("salt pepper")), expected);
    }
}

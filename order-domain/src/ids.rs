//! Identifiers: each a validated newtype, so a `TenantId` can never be passed where a `CartId`
//! is expected and nothing downstream re-checks them.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ulid::Ulid;

use crate::text::{InvalidValue, is_identifier_char, text_type};

text_type!(
    /// A tenant (a customer site) of the BBWS platform, e.g. `tenant_01HZX…`.
    /// ASCII letters, digits, `_` and `-`; at most 64 characters.
    TenantId, field = "tenantId", max = 64, allowed = is_identifier_char,
    expected = "may contain only letters, digits, '_' and '-'"
);

text_type!(
    /// The shopping cart an order was created from, e.g. `cart_abc123`.
    /// ASCII letters, digits, `_` and `-`; at most 64 characters.
    CartId, field = "cartId", max = 64, allowed = is_identifier_char,
    expected = "may contain only letters, digits, '_' and '-'"
);

text_type!(
    /// A stock-keeping unit: ASCII letters, digits, `_`, `-` and `.`; at most 64 characters.
    Sku, field = "sku", max = 64, allowed = |c| is_identifier_char(c) || c == '.',
    expected = "may contain only letters, digits, '_', '-' and '.'"
);

text_type!(
    /// A campaign (promotion) code such as `SUMMER2025`. Codes are case-insensitive and stored
    /// upper-cased; ASCII letters, digits, `_` and `-`; at most 32 characters.
    CampaignCode, field = "campaignCode", max = 32, allowed = is_identifier_char,
    expected = "may contain only letters, digits, '_' and '-'",
    normalize = |v: String| v.to_ascii_uppercase()
);

text_type!(
    /// A payment's id at the payment provider (PayFast's `pf_payment_id`, or the payment
    /// service's own id). ASCII letters, digits, `_`, `-`, `.` and `:`; at most 100 characters.
    PaymentId, field = "paymentId", max = 100,
    allowed = |c| is_identifier_char(c) || c == '.' || c == ':',
    expected = "may contain only letters, digits, '_', '-', '.' and ':'"
);

text_type!(
    /// The id of the request that caused an event (an HTTP host's `X-Request-Id`), carried in
    /// the event's envelope so that the processors' logs can be joined to the request's.
    /// Visible ASCII only (no spaces); at most 128 characters.
    CorrelationId, field = "correlationId", max = 128, allowed = |c| c.is_ascii_graphic(),
    expected = "may contain only visible ASCII characters"
);

/// An order's id: `order_` followed by a ULID, so ids sort by the time they were issued and
/// carry that time (see [`OrderId::issued_at`]).
///
/// The domain never generates randomness or reads the clock: an id generator port supplies
/// the timestamp and entropy and calls [`OrderId::from_parts`].
///
/// ```
/// use order_domain::OrderId;
/// let id = OrderId::parse("order_01JDQ2Z7Y8E6T3VY0M5K9C4B2A").unwrap();
/// assert_eq!(id.to_string(), "order_01JDQ2Z7Y8E6T3VY0M5K9C4B2A");
/// assert!(OrderId::parse("01JDQ2Z7Y8E6T3VY0M5K9C4B2A").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrderId(Ulid);

impl OrderId {
    /// The prefix every order id starts with.
    pub const PREFIX: &'static str = "order_";

    /// Builds an id from the moment it is issued and 80 bits of entropy (higher bits of
    /// `entropy` are ignored).
    pub fn from_parts(issued_at: DateTime<Utc>, entropy: u128) -> Self {
        // Ids are issued after 1970; a negative timestamp would be a broken clock.
        let millis = u64::try_from(issued_at.timestamp_millis()).unwrap_or(0);
        Self(Ulid::from_parts(millis, entropy))
    }

    /// Parses `order_<ULID>`. The ULID part is case-insensitive and printed upper-case.
    ///
    /// # Errors
    /// [`InvalidValue::Format`] when the prefix or the ULID is missing or malformed.
    pub fn parse(raw: impl AsRef<str>) -> Result<Self, InvalidValue> {
        const INVALID: InvalidValue =
            InvalidValue::Format { field: "orderId", expected: "must be 'order_' followed by a 26-character ULID" };
        let raw = raw.as_ref().trim();
        let ulid = raw.strip_prefix(Self::PREFIX).ok_or(INVALID)?;
        if ulid.len() != ulid::ULID_LEN {
            return Err(INVALID);
        }
        Ulid::from_string(ulid).map(Self).map_err(|_| INVALID)
    }

    /// The moment the id was issued (millisecond precision).
    pub fn issued_at(&self) -> DateTime<Utc> {
        let millis = i64::try_from(self.0.timestamp_ms()).unwrap_or(i64::MAX);
        DateTime::from_timestamp_millis(millis).unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", Self::PREFIX, self.0)
    }
}

impl FromStr for OrderId {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for OrderId {
    type Error = InvalidValue;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<OrderId> for String {
    fn from(value: OrderId) -> Self {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn order_id_round_trips_and_carries_its_time() {
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 10, 30, 0).unwrap();
        let id = OrderId::from_parts(at, 42);
        let text = id.to_string();
        assert!(text.starts_with("order_"));
        assert_eq!(text.len(), 6 + 26);
        assert_eq!(OrderId::parse(&text).unwrap(), id);
        assert_eq!(OrderId::parse(format!("order_{}", text[6..].to_lowercase())).unwrap(), id);
        assert_eq!(id.issued_at(), at);
    }

    #[test]
    fn order_ids_sort_by_issue_time() {
        let early = OrderId::from_parts(Utc.timestamp_millis_opt(1_000).unwrap(), u128::MAX);
        let late = OrderId::from_parts(Utc.timestamp_millis_opt(1_001).unwrap(), 0);
        assert!(early < late);
        assert!(early.to_string() < late.to_string());
    }

    #[test]
    fn order_id_refuses_other_shapes() {
        for bad in [
            "",
            "order_",
            "ORDER_01JDQ2Z7Y8E6T3VY0M5K9C4B2A",
            "order_01JDQ2Z7Y8E6T3VY0M5K9C4B2",
            "order_01JDQ2Z7Y8E6T3VY0M5K9C4B2AA",
            "order_01JDQ2Z7Y8E6T3VY0M5K9C4B2U",
        ] {
            assert!(OrderId::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn identifiers_refuse_foreign_characters() {
        assert!(TenantId::parse("tenant_abc-1").is_ok());
        assert!(TenantId::parse("tenant abc").is_err());
        assert!(TenantId::parse("TENANT#x").is_err());
        assert!(TenantId::parse("a".repeat(65)).is_err());
        assert!(CartId::parse("cart/1").is_err());
        assert!(Sku::parse("WEB-HOST.PRO").is_ok());
        assert!(PaymentId::parse("pf:123.4").is_ok());
    }

    #[test]
    fn campaign_codes_are_case_insensitive() {
        assert_eq!(CampaignCode::parse(" summer2025 ").unwrap().as_str(), "SUMMER2025");
    }

    #[test]
    fn identifiers_deserialize_through_their_constructor() {
        let ok: TenantId = serde_json::from_str("\"tenant_1\"").unwrap();
        assert_eq!(ok.as_str(), "tenant_1");
        assert!(serde_json::from_str::<TenantId>("\"tenant 1\"").is_err());
        assert!(serde_json::from_str::<OrderId>("\"nope\"").is_err());
    }
}

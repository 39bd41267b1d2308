//! The cart service's JSON (`openapi/cart-service.yaml`) and its conversion to domain types.
//!
//! The wire types hold plain strings and numbers; every value reaches the domain through its
//! constructor ([`CartId::parse`], [`Sku::parse`], [`Money::parse`], [`OrderLine::new`],
//! [`CartSnapshot::new`]), so a cart the domain would refuse is refused here, with the line
//! and field named. Unknown properties are ignored (the API may grow).

use order_domain::{CartId, CartOwner, CartSnapshot, Currency, Description, Money, OrderLine, Quantity, Sku, TenantId};
use serde::{Deserialize, Serialize};

/// `GET /internal/carts/{cartId}` → 200.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CartDto {
    cart_id: String,
    /// Whose cart it is: a tenant id, or `null` for a guest checkout's cart. Required: a cart
    /// whose owner is not stated cannot be checked against the caller (`deserialize_with` keeps
    /// serde from reading a missing field as `None`).
    #[serde(deserialize_with = "Option::<String>::deserialize")]
    tenant_id: Option<String>,
    active: bool,
    currency: String,
    lines: Vec<CartLineDto>,
}

/// One line of [`CartDto`]: `unitPrice` is a VAT-inclusive decimal string in major units.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CartLineDto {
    sku: String,
    description: String,
    quantity: u32,
    unit_price: String,
}

/// `PUT /internal/carts/{cartId}/status` request body.
#[derive(Debug, Serialize)]
pub(crate) struct CartStatusDto {
    pub(crate) active: bool,
}

/// An RFC 9457 problem body; only what is worth a log line.
#[derive(Debug, Deserialize)]
pub(crate) struct ProblemDto {
    title: Option<String>,
    detail: Option<String>,
}

impl ProblemDto {
    /// `title: detail` (either may be missing), at most 200 characters, or `None` when the body
    /// is not a problem document.
    pub(crate) fn summary(body: &[u8]) -> Option<String> {
        let problem: ProblemDto = serde_json::from_slice(body).ok()?;
        let text = match (problem.title, problem.detail) {
            (Some(title), Some(detail)) => format!("{title}: {detail}"),
            (Some(text), None) | (None, Some(text)) => text,
            (None, None) => return None,
        };
        Some(text.chars().filter(|c| !c.is_control()).take(200).collect())
    }
}

/// What the cart service says about a cart.
#[derive(Debug)]
pub(crate) enum CartState {
    /// An active cart and its lines.
    Active(CartSnapshot),
    /// A cart that is no longer active; its lines are not read (its owner is checked).
    Inactive,
}

/// Why an answer is not a usable cart.
#[derive(Debug, thiserror::Error)]
pub(crate) enum InvalidCart {
    /// Not JSON, or not the shape the API describes.
    #[error("is not a cart as the API describes it: {0}")]
    Shape(#[source] serde_json::Error),
    /// The answer is about another cart.
    #[error("is about another cart ({0:?})")]
    OtherCart(String),
    /// The currency is not a known ISO 4217 code.
    #[error("currency: {0}")]
    Currency(String),
    /// The owner is not a tenant id.
    #[error("tenantId: {0}")]
    Owner(String),
    /// A line the domain refuses (1-based line number).
    #[error("line {line}: {problem}")]
    Line { line: usize, problem: String },
    /// The lines as a whole (none, too many).
    #[error("{0}")]
    Lines(String),
}

impl CartDto {
    /// Parses an answer body.
    pub(crate) fn parse(body: &[u8]) -> Result<Self, InvalidCart> {
        serde_json::from_slice(body).map_err(InvalidCart::Shape)
    }

    /// Whose the cart is, checking that it is the one asked for; its lines are not read.
    pub(crate) fn owner(&self, asked: &CartId) -> Result<CartOwner, InvalidCart> {
        if self.cart_id != asked.as_str() {
            return Err(InvalidCart::OtherCart(self.cart_id.chars().take(64).collect()));
        }
        match &self.tenant_id {
            None => Ok(CartOwner::Guest),
            Some(tenant) => {
                TenantId::parse(tenant).map(CartOwner::Tenant).map_err(|e| InvalidCart::Owner(e.to_string()))
            }
        }
    }

    /// The cart in domain terms, checking that it is the one asked for.
    pub(crate) fn into_domain(self, asked: &CartId) -> Result<CartState, InvalidCart> {
        let owner = self.owner(asked)?;
        if !self.active {
            return Ok(CartState::Inactive);
        }
        let currency = Currency::parse(&self.currency).map_err(|e| InvalidCart::Currency(e.to_string()))?;
        let lines = self
            .lines
            .into_iter()
            .enumerate()
            .map(|(index, line)| {
                line.into_domain(currency).map_err(|problem| InvalidCart::Line { line: index + 1, problem })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let snapshot = CartSnapshot::new(asked.clone(), owner, lines).map_err(|e| InvalidCart::Lines(e.to_string()))?;
        Ok(CartState::Active(snapshot))
    }
}

impl CartLineDto {
    fn into_domain(self, currency: Currency) -> Result<OrderLine, String> {
        let sku = Sku::parse(&self.sku).map_err(|e| e.to_string())?;
        let description = Description::parse(&self.description).map_err(|e| e.to_string())?;
        let quantity = Quantity::new(self.quantity).map_err(|e| e.to_string())?;
        let unit_price = Money::parse(&self.unit_price, currency).map_err(|e| format!("unitPrice: {e}"))?;
        OrderLine::new(sku, description, quantity, unit_price).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use order_domain::testing::line;

    use super::*;

    fn cart(id: &str) -> CartId {
        CartId::parse(id).unwrap()
    }

    fn convert(json: &str) -> Result<CartState, InvalidCart> {
        CartDto::parse(json.as_bytes())?.into_domain(&cart("cart_1"))
    }

    fn cart_json(currency: &str, lines: &str) -> String {
        format!(
            r#"{{"cartId":"cart_1","tenantId":"tenant_acme","active":true,"currency":"{currency}","lines":[{lines}]}}"#
        )
    }

    #[test]
    fn a_cart_becomes_a_snapshot_through_the_domain_constructors() {
        let json = cart_json(
            "ZAR",
            r#"{"sku":"HOSTING-PRO","description":"Product HOSTING-PRO","quantity":2,"unitPrice":"575.00","extra":1}"#,
        );
        let Ok(CartState::Active(snapshot)) = convert(&json) else { panic!("not active") };
        let acme = CartOwner::Tenant(TenantId::parse("tenant_acme").unwrap());
        assert_eq!(snapshot, CartSnapshot::new(cart("cart_1"), acme, vec![line("HOSTING-PRO", "575.00", 2)]).unwrap());
    }

    #[test]
    fn the_owner_is_a_tenant_or_null_for_a_guest_and_must_be_stated() {
        let lines = r#""lines":[{"sku":"A","description":"A","quantity":1,"unitPrice":"1.00"}]"#;
        let guest = format!(r#"{{"cartId":"cart_1","tenantId":null,"active":true,"currency":"ZAR",{lines}}}"#);
        let Ok(CartState::Active(snapshot)) = convert(&guest) else { panic!("not active") };
        assert_eq!(snapshot.owner(), &CartOwner::Guest);
        let unstated = format!(r#"{{"cartId":"cart_1","active":true,"currency":"ZAR",{lines}}}"#);
        let error = convert(&unstated).map(|_| ()).unwrap_err().to_string();
        assert!(error.contains("missing field `tenantId`"), "{error}");
        let bad = format!(r#"{{"cartId":"cart_1","tenantId":"not a tenant","active":true,"currency":"ZAR",{lines}}}"#);
        let error = convert(&bad).map(|_| ()).unwrap_err().to_string();
        assert!(error.starts_with("tenantId: "), "{error}");
    }

    #[test]
    fn an_inactive_cart_is_not_read_further() {
        let json = r#"{"cartId":"cart_1","tenantId":null,"active":false,"currency":"???","lines":[]}"#;
        assert!(matches!(convert(json), Ok(CartState::Inactive)));
    }

    #[test]
    fn every_refusal_names_what_was_wrong() {
        let line = |sku: &str, quantity: &str, price: &str| {
            format!(r#"{{"sku":"{sku}","description":"Hosting","quantity":{quantity},"unitPrice":"{price}"}}"#)
        };
        let good = line("HOSTING-PRO", "1", "575.00");
        let cases = [
            ("not json".to_owned(), "is not a cart as the API describes it: expected ident"),
            (r#"{"cartId":"cart_1","tenantId":null,"active":true}"#.to_owned(), "missing field `currency`"),
            (
                r#"{"cartId":"cart_2","tenantId":null,"active":true,"currency":"ZAR","lines":[]}"#.to_owned(),
                "another cart (\"cart_2\")",
            ),
            (cart_json("XXX", &good), "currency: 'XXX' is not a known ISO 4217 currency code"),
            (cart_json("ZAR", ""), "an order needs at least one line"),
            (cart_json("ZAR", &format!("{good},{}", line("BAD SKU", "1", "1.00"))), "line 2: sku may contain only"),
            (cart_json("ZAR", &line("A", "0", "1.00")), "line 1: quantity must be from 1 to 10000"),
            (cart_json("ZAR", &line("A", "-1", "1.00")), "invalid value: integer `-1`, expected u32"),
            (
                cart_json("ZAR", &line("A", "1", "12.345")),
                "line 1: unitPrice: ZAR amounts have at most 2 decimal places",
            ),
            (cart_json("ZAR", &line("A", "1", "-5.00")), "line 1: unitPrice: an amount must not be negative"),
            (cart_json("ZAR", &line("A", "1", "R5")), "line 1: unitPrice: 'R5' is not a decimal amount"),
            (cart_json("ZAR", &line("A", "10000", "999999999999.00")), "line 1: an amount must not exceed"),
        ];
        for (json, expected) in cases {
            let error = convert(&json).map(|_| ()).unwrap_err().to_string();
            assert!(error.contains(expected), "{json}\n  gave {error:?}\n  expected {expected:?}");
        }
    }

    #[test]
    fn problem_bodies_are_summarised_for_the_log() {
        assert_eq!(
            ProblemDto::summary(br#"{"title":"Busy","detail":"try later"}"#).as_deref(),
            Some("Busy: try later")
        );
        assert_eq!(ProblemDto::summary(br#"{"detail":"line\nbreak"}"#).as_deref(), Some("linebreak"));
        assert_eq!(ProblemDto::summary(b"<html>"), None);
        assert_eq!(ProblemDto::summary(b"{}"), None);
    }
}

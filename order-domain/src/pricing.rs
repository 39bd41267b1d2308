//! Pricing: from a trusted cart snapshot and an optional campaign to an order's totals.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ids::{CampaignCode, CartId, Sku, TenantId};
use crate::money::{Currency, CurrencyPolicy, Money, MoneyError};
use crate::text::{Description, InvalidValue};
use crate::vat::{VatError, VatRate, VatTable};

/// A number of items on a line: 1 to 10 000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Quantity(u32);

impl Quantity {
    /// The largest quantity on one line.
    pub const MAX: u32 = 10_000;

    /// A quantity from 1 to [`Quantity::MAX`].
    ///
    /// # Errors
    /// [`InvalidValue::Format`] outside that range.
    pub fn new(value: u32) -> Result<Self, InvalidValue> {
        if (1..=Self::MAX).contains(&value) {
            Ok(Self(value))
        } else {
            Err(InvalidValue::Format { field: "quantity", expected: "must be from 1 to 10000" })
        }
    }

    /// The count.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for Quantity {
    type Error = InvalidValue;
    fn try_from(value: u32) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Quantity> for u32 {
    fn from(value: Quantity) -> Self {
        value.0
    }
}

/// Why an order could not be priced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    /// An order needs at least one line.
    #[error("an order needs at least one line")]
    NoLines,
    /// An order has at most [`CartSnapshot::MAX_LINES`] lines.
    #[error("an order has at most {max} lines, this one has {count}")]
    TooManyLines {
        /// The limit.
        max: usize,
        /// The lines given.
        count: usize,
    },
    /// All lines of an order are in one currency.
    #[error("all lines must be in {expected}; line {line} is in {found}")]
    MixedCurrencies {
        /// The currency of the first line.
        expected: Currency,
        /// The other currency.
        found: Currency,
        /// The 1-based line number.
        line: usize,
    },
    /// A campaign was offered for a different code than the one requested.
    #[error("campaign {offered} does not match the requested code {requested}")]
    CampaignCodeMismatch {
        /// The code on the order.
        requested: CampaignCode,
        /// The campaign given.
        offered: CampaignCode,
    },
    /// The campaign is not valid at this moment.
    #[error("campaign {0} is not active")]
    CampaignNotActive(CampaignCode),
    /// A fixed-amount campaign in another currency than the order.
    #[error("campaign {code} is in {campaign}, the order is in {order}")]
    CampaignCurrencyMismatch {
        /// The campaign.
        code: CampaignCode,
        /// The campaign's currency.
        campaign: Currency,
        /// The order's currency.
        order: Currency,
    },
    /// An amount was invalid, too large, or in a refused currency.
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// No VAT rate applies.
    #[error(transparent)]
    Vat(#[from] VatError),
}

/// One line of an order: what, how many, and the VAT-inclusive unit price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "OrderLineWire")]
pub struct OrderLine {
    sku: Sku,
    description: Description,
    quantity: Quantity,
    unit_price: Money,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OrderLineWire {
    sku: Sku,
    description: Description,
    quantity: Quantity,
    unit_price: Money,
}

impl TryFrom<OrderLineWire> for OrderLine {
    type Error = PricingError;
    fn try_from(w: OrderLineWire) -> Result<Self, Self::Error> {
        OrderLine::new(w.sku, w.description, w.quantity, w.unit_price)
    }
}

impl OrderLine {
    /// A line.
    ///
    /// # Errors
    /// [`PricingError::Money`] with [`MoneyError::TooLarge`] when the line total would exceed
    /// [`Money::MAX`].
    pub fn new(
        sku: Sku,
        description: Description,
        quantity: Quantity,
        unit_price: Money,
    ) -> Result<Self, PricingError> {
        unit_price.times(quantity.get())?;
        Ok(Self { sku, description, quantity, unit_price })
    }

    /// The SKU.
    pub fn sku(&self) -> &Sku {
        &self.sku
    }

    /// The description shown on the invoice.
    pub fn description(&self) -> &Description {
        &self.description
    }

    /// How many.
    pub fn quantity(&self) -> Quantity {
        self.quantity
    }

    /// The VAT-inclusive price of one item.
    pub fn unit_price(&self) -> Money {
        self.unit_price
    }

    /// `unit price × quantity`, VAT-inclusive.
    pub fn line_total(&self) -> Money {
        // Checked in `new`: the product fits.
        self.unit_price.times(self.quantity.get()).unwrap_or(self.unit_price)
    }
}

/// Whose a cart is, as the cart service says: a tenant's (its signed-in customers shop in it) or
/// an anonymous guest's (only the shopper holding its id has it).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CartOwner {
    /// A guest checkout's cart: it belongs to no tenant.
    Guest,
    /// A cart of this tenant.
    Tenant(TenantId),
}

impl CartOwner {
    /// The owner of an order's cart for the tenant the order is created for (`None`: a guest
    /// order).
    pub fn of_order(tenant: Option<&TenantId>) -> Self {
        tenant.map_or(Self::Guest, |tenant| Self::Tenant(tenant.clone()))
    }

    /// Whether a cart of this owner may become an order of `tenant` (`None`: a guest order):
    /// only its owner's (see [`CartSnapshot::may_become_order_of`]).
    pub fn may_order_for(&self, tenant: Option<&TenantId>) -> bool {
        *self == Self::of_order(tenant)
    }
}

/// A cart as the cart service priced it: the trusted source of an order's lines, and whose cart
/// it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartSnapshot {
    cart_id: CartId,
    owner: CartOwner,
    lines: Vec<OrderLine>,
}

impl CartSnapshot {
    /// The most lines an order may have.
    pub const MAX_LINES: usize = 100;

    /// A snapshot of `owner`'s cart with 1 to [`CartSnapshot::MAX_LINES`] lines in one currency.
    ///
    /// # Errors
    /// [`PricingError::NoLines`], [`PricingError::TooManyLines`] or
    /// [`PricingError::MixedCurrencies`].
    pub fn new(cart_id: CartId, owner: CartOwner, lines: Vec<OrderLine>) -> Result<Self, PricingError> {
        check_lines(&lines)?;
        Ok(Self { cart_id, owner, lines })
    }

    /// The cart.
    pub fn cart_id(&self) -> &CartId {
        &self.cart_id
    }

    /// Whose cart it is.
    pub fn owner(&self) -> &CartOwner {
        &self.owner
    }

    /// Whether this cart may become an order of `tenant` (`None`: a guest order): only its
    /// owner's. A tenant's cart never becomes a guest order or another tenant's order, and a
    /// guest's cart never becomes a tenant's order; whoever asks otherwise is answered as if
    /// the cart did not exist, so a cart id learnt elsewhere reveals nothing.
    ///
    /// ```
    /// # use order_domain::{CartId, CartOwner, CartSnapshot, TenantId};
    /// # use order_domain::testing::line;
    /// let acme = TenantId::parse("tenant_acme").unwrap();
    /// let cart = CartSnapshot::new(
    ///     CartId::parse("cart_1").unwrap(),
    ///     CartOwner::Tenant(acme.clone()),
    ///     vec![line("HOSTING-PRO", "575.00", 1)],
    /// )
    /// .unwrap();
    /// assert!(cart.may_become_order_of(Some(&acme)));
    /// assert!(!cart.may_become_order_of(Some(&TenantId::parse("tenant_other").unwrap())));
    /// assert!(!cart.may_become_order_of(None), "not a guest's cart");
    /// ```
    pub fn may_become_order_of(&self, tenant: Option<&TenantId>) -> bool {
        self.owner.may_order_for(tenant)
    }

    /// The lines.
    pub fn lines(&self) -> &[OrderLine] {
        &self.lines
    }

    /// The currency all lines are in.
    pub fn currency(&self) -> Currency {
        currency_of(&self.lines)
    }

    pub(crate) fn into_parts(self) -> (CartId, Vec<OrderLine>) {
        (self.cart_id, self.lines)
    }
}

/// The currency of a non-empty, single-currency list of lines.
pub(crate) fn currency_of(lines: &[OrderLine]) -> Currency {
    lines.first().map_or(Currency::ZAR, |line| line.unit_price.currency())
}

pub(crate) fn check_lines(lines: &[OrderLine]) -> Result<(), PricingError> {
    let first = lines.first().ok_or(PricingError::NoLines)?;
    if lines.len() > CartSnapshot::MAX_LINES {
        return Err(PricingError::TooManyLines { max: CartSnapshot::MAX_LINES, count: lines.len() });
    }
    let expected = first.unit_price.currency();
    if let Some((index, line)) = lines.iter().enumerate().find(|(_, l)| l.unit_price.currency() != expected) {
        return Err(PricingError::MixedCurrencies { expected, found: line.unit_price.currency(), line: index + 1 });
    }
    Ok(())
}

/// A percentage greater than 0 and at most 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Decimal", into = "Decimal")]
pub struct Percentage(Decimal);

impl Percentage {
    /// A percentage in `(0, 100]`.
    ///
    /// # Errors
    /// [`InvalidValue::Format`] outside that range.
    pub fn new(value: Decimal) -> Result<Self, InvalidValue> {
        if value > Decimal::ZERO && value <= Decimal::ONE_HUNDRED {
            Ok(Self(value.normalize()))
        } else {
            Err(InvalidValue::Format { field: "percentage", expected: "must be above 0 and at most 100" })
        }
    }

    /// The value in percent.
    pub fn get(self) -> Decimal {
        self.0
    }
}

impl TryFrom<Decimal> for Percentage {
    type Error = InvalidValue;
    fn try_from(value: Decimal) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Percentage> for Decimal {
    fn from(value: Percentage) -> Self {
        value.0
    }
}

/// What a campaign takes off the subtotal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Discount {
    /// A percentage of the subtotal, rounded half up to the cent.
    Percentage(Percentage),
    /// A fixed amount, capped at the subtotal (a total never goes below zero).
    FixedAmount(Money),
}

/// A promotion rule from the campaign catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Campaign {
    /// The code customers enter.
    pub code: CampaignCode,
    /// What it takes off.
    pub discount: Discount,
    /// First moment it applies (inclusive); `None`: always has.
    pub valid_from: Option<DateTime<Utc>>,
    /// Moment it stops applying (exclusive); `None`: never ends.
    pub valid_until: Option<DateTime<Utc>>,
}

impl Campaign {
    /// `true` when the campaign applies at `at`.
    pub fn is_active_at(&self, at: DateTime<Utc>) -> bool {
        self.valid_from.is_none_or(|from| from <= at) && self.valid_until.is_none_or(|until| at < until)
    }
}

/// An order's totals. All amounts are VAT-inclusive; `vat` is the VAT contained in `total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Totals {
    /// The sum of the line totals.
    pub subtotal: Money,
    /// What the campaign took off (zero without one).
    pub discount: Money,
    /// The VAT contained in `total`.
    pub vat: Money,
    /// What the customer pays: `subtotal − discount`.
    pub total: Money,
    /// The VAT rate applied.
    pub vat_rate: VatRate,
}

/// Sums line totals.
pub(crate) fn subtotal_of(lines: &[OrderLine]) -> Result<Money, MoneyError> {
    lines.iter().try_fold(Money::zero(currency_of(lines)), |sum, line| sum.checked_add(line.line_total()))
}

/// The rules an order is priced by: the VAT table and the accepted currencies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PricingRules {
    /// VAT rates with their effective dates.
    pub vat: VatTable,
    /// Currencies accepted for orders.
    pub currencies: CurrencyPolicy,
}

impl PricingRules {
    /// South African VAT, rand only: the default.
    pub fn south_africa() -> Self {
        Self::default()
    }

    /// Prices a cart at `at`, with an optional campaign.
    ///
    /// ```
    /// use order_domain::*;
    /// let line = OrderLine::new(
    ///     Sku::parse("HOSTING-PRO").unwrap(),
    ///     Description::parse("Pro hosting, 12 months").unwrap(),
    ///     Quantity::new(2).unwrap(),
    ///     Money::parse("575.00", Currency::ZAR).unwrap(),
    /// ).unwrap();
    /// let cart = CartSnapshot::new(CartId::parse("cart_1").unwrap(), CartOwner::Guest, vec![line]).unwrap();
    /// let totals = PricingRules::south_africa().price(&cart, None, order_domain::testing::now()).unwrap();
    /// assert_eq!(totals.total.to_string(), "ZAR 1150.00");
    /// assert_eq!(totals.vat.to_string(), "ZAR 150.00");
    /// ```
    ///
    /// # Errors
    /// [`PricingError`] when the currency is not accepted, the campaign is not active or is in
    /// another currency, an amount overflows, or no VAT rate applies.
    pub fn price(
        &self,
        cart: &CartSnapshot,
        campaign: Option<&Campaign>,
        at: DateTime<Utc>,
    ) -> Result<Totals, PricingError> {
        let currency = cart.currency();
        self.currencies.check(currency)?;
        let subtotal = subtotal_of(cart.lines())?;
        let discount = match campaign {
            None => Money::zero(currency),
            Some(campaign) => discount_for(campaign, subtotal, at)?,
        };
        let total = subtotal.checked_sub(discount)?;
        let vat_rate = self.vat.rate_at(at)?;
        Ok(Totals { subtotal, discount, vat: vat_rate.included_in(total), total, vat_rate })
    }
}

fn discount_for(campaign: &Campaign, subtotal: Money, at: DateTime<Utc>) -> Result<Money, PricingError> {
    if !campaign.is_active_at(at) {
        return Err(PricingError::CampaignNotActive(campaign.code.clone()));
    }
    match campaign.discount {
        Discount::Percentage(percent) => Ok(subtotal.fraction_half_up(percent.get(), Decimal::ONE_HUNDRED)),
        Discount::FixedAmount(amount) => {
            if amount.currency() != subtotal.currency() {
                return Err(PricingError::CampaignCurrencyMismatch {
                    code: campaign.code.clone(),
                    campaign: amount.currency(),
                    order: subtotal.currency(),
                });
            }
            Ok(amount.min(subtotal)?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn zar(text: &str) -> Money {
        Money::parse(text, Currency::ZAR).unwrap()
    }

    fn line(price: &str, quantity: u32) -> OrderLine {
        OrderLine::new(
            Sku::parse("SKU-1").unwrap(),
            Description::parse("Item").unwrap(),
            Quantity::new(quantity).unwrap(),
            zar(price),
        )
        .unwrap()
    }

    fn cart(lines: Vec<OrderLine>) -> CartSnapshot {
        CartSnapshot::new(CartId::parse("cart_1").unwrap(), CartOwner::Guest, lines).unwrap()
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap()
    }

    fn campaign(discount: Discount) -> Campaign {
        Campaign { code: CampaignCode::parse("SUMMER2025").unwrap(), discount, valid_from: None, valid_until: None }
    }

    #[test]
    fn quantity_bounds() {
        assert!(Quantity::new(0).is_err());
        assert!(Quantity::new(1).is_ok());
        assert!(Quantity::new(10_000).is_ok());
        assert!(Quantity::new(10_001).is_err());
        assert!(serde_json::from_str::<Quantity>("0").is_err());
    }

    #[test]
    fn prices_without_campaign() {
        let totals =
            PricingRules::default().price(&cart(vec![line("199.00", 2), line("0.99", 1)]), None, now()).unwrap();
        assert_eq!(totals.subtotal, zar("398.99"));
        assert_eq!(totals.discount, zar("0"));
        assert_eq!(totals.total, zar("398.99"));
        assert_eq!(totals.vat, zar("52.04")); // 52.0422…
    }

    #[test]
    fn percentage_discount_rounds_half_up() {
        // 10 % of 0.25 = 0.025 → 0.03.
        let c = campaign(Discount::Percentage(Percentage::new(Decimal::TEN).unwrap()));
        let totals = PricingRules::default().price(&cart(vec![line("0.25", 1)]), Some(&c), now()).unwrap();
        assert_eq!(totals.discount, zar("0.03"));
        assert_eq!(totals.total, zar("0.22"));
    }

    #[test]
    fn fixed_discount_never_goes_below_zero() {
        let c = campaign(Discount::FixedAmount(zar("500")));
        let totals = PricingRules::default().price(&cart(vec![line("100", 1)]), Some(&c), now()).unwrap();
        assert_eq!(totals.discount, zar("100"));
        assert!(totals.total.is_zero());
        assert!(totals.vat.is_zero());
    }

    #[test]
    fn campaign_must_be_active_and_in_the_order_currency() {
        let mut c = campaign(Discount::Percentage(Percentage::new(Decimal::TEN).unwrap()));
        c.valid_until = Some(now());
        assert!(matches!(
            PricingRules::default().price(&cart(vec![line("1", 1)]), Some(&c), now()),
            Err(PricingError::CampaignNotActive(_))
        ));
        let usd = Money::parse("1", Currency::parse("USD").unwrap()).unwrap();
        let c = campaign(Discount::FixedAmount(usd));
        assert!(matches!(
            PricingRules::default().price(&cart(vec![line("1", 1)]), Some(&c), now()),
            Err(PricingError::CampaignCurrencyMismatch { .. })
        ));
    }

    #[test]
    fn refuses_unaccepted_currency() {
        let usd = Money::parse("1", Currency::parse("USD").unwrap()).unwrap();
        let l =
            OrderLine::new(Sku::parse("S").unwrap(), Description::parse("d").unwrap(), Quantity::new(1).unwrap(), usd)
                .unwrap();
        let result = PricingRules::default().price(&cart(vec![l]), None, now());
        assert!(matches!(result, Err(PricingError::Money(MoneyError::UnsupportedCurrency { .. }))));
    }

    #[test]
    fn line_count_and_currency_mix_are_checked() {
        let id = CartId::parse("c").unwrap();
        assert_eq!(CartSnapshot::new(id.clone(), CartOwner::Guest, vec![]), Err(PricingError::NoLines));
        assert!(CartSnapshot::new(id.clone(), CartOwner::Guest, vec![line("1", 1); 100]).is_ok());
        assert_eq!(
            CartSnapshot::new(id.clone(), CartOwner::Guest, vec![line("1", 1); 101]),
            Err(PricingError::TooManyLines { max: 100, count: 101 })
        );
        let usd = Money::parse("1", Currency::parse("USD").unwrap()).unwrap();
        let other =
            OrderLine::new(Sku::parse("S").unwrap(), Description::parse("d").unwrap(), Quantity::new(1).unwrap(), usd)
                .unwrap();
        assert!(matches!(
            CartSnapshot::new(id, CartOwner::Guest, vec![line("1", 1), other]),
            Err(PricingError::MixedCurrencies { line: 2, .. })
        ));
    }

    #[test]
    fn huge_lines_are_refused_not_overflowed() {
        let result = OrderLine::new(
            Sku::parse("S").unwrap(),
            Description::parse("d").unwrap(),
            Quantity::new(10_000).unwrap(),
            zar("999999999999.99"),
        );
        assert_eq!(result, Err(PricingError::Money(MoneyError::TooLarge)));
    }

    #[test]
    fn lines_deserialize_strictly() {
        let json = r#"{"sku":"A","description":"Thing","quantity":2,"unitPrice":{"amount":"10.00","currency":"ZAR"}}"#;
        let l: OrderLine = serde_json::from_str(json).unwrap();
        assert_eq!(l.line_total(), zar("20"));
        assert!(serde_json::from_str::<OrderLine>(&json.replace("\"quantity\":2", "\"quantity\":0")).is_err());
        assert!(serde_json::from_str::<OrderLine>(&json.replace("}}", "},\"lineTotal\":1}")).is_err());
    }
}

//! Fixtures: orders, a supplier, a template store, and PDF text extraction.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use order_domain::testing::{line, new_order, now, zar};
use order_domain::{
    ActorKind, BillingAddress, BillingAddressInput, Campaign, CampaignCode, CartId, CartSnapshot, Discount, Order,
    OrderLine, Payment, PaymentId, PaymentMethod, PricingRules, Quantity, Sku, VatNumber,
};
use order_ports::{
    DocumentKind, DocumentNumber, DocumentRequest, InvoiceReference, PortError, PortResult, Supplier, TemplateSource,
};

/// A name built to break things: markup, quotes, symbols, Arabic and Hebrew (what the domain
/// accepts: no emoji), 120 characters.
pub const HOSTILE_NAME: &str = "<script>alert(1)</script> \"O'Brien\" & ‰№™ محمد עברית";

/// `HOSTILE_NAME` padded to exactly 120 characters (the longest name an address accepts).
pub fn hostile_name() -> String {
    let mut name = HOSTILE_NAME.to_owned();
    while name.chars().count() < 120 {
        name.push('x');
    }
    name
}

pub fn supplier() -> Supplier {
    Supplier {
        id: "bbws".into(),
        name: "Big Beard Web Solutions (Pty) Ltd".into(),
        trading_name: None,
        address: vec!["Unit 4, 21 Dock Road".into(), "V&A Waterfront".into(), "Cape Town 8001".into()],
        vat_number: Some(VatNumber::parse("4760123456").unwrap()),
        email: Some("accounts@bigbeard.co.za".into()),
    }
}

pub fn request<'a>(kind: DocumentKind, order: &'a Order, supplier: &'a Supplier) -> DocumentRequest<'a> {
    let invoice = InvoiceReference { number: DocumentNumber::invoice(42), issued_at: order.created_at() };
    let (number, invoice, reason) = match kind {
        DocumentKind::ProForma => (None, None, None),
        DocumentKind::TaxInvoice => (Some(invoice.number), None, None),
        DocumentKind::Receipt => (None, Some(invoice), None),
        DocumentKind::CreditNote => {
            (Some(DocumentNumber::credit_note(7)), Some(invoice), Some("Order cancelled: ordered the wrong plan"))
        }
    };
    DocumentRequest { kind, order, supplier, number, invoice, issued_at: order.created_at(), reason }
}

fn create(mut new: order_domain::NewOrder) -> Order {
    new.id = order_domain::OrderId::from_parts(now(), 7);
    Order::create(new, &PricingRules::south_africa(), ActorKind::Customer, now()).unwrap().0
}

/// The domain fixture: two lines, R1,349.00, abridged.
pub fn small_order() -> Order {
    create(new_order())
}

/// A registered business buying R8,000.00 of hosting with a 10 % campaign: full form.
pub fn large_order() -> Order {
    let mut new = new_order();
    new.cart = CartSnapshot::new(
        CartId::parse("cart_big").unwrap(),
        order_domain::CartOwner::of_order(new.tenant_id.as_ref()),
        vec![line("DEDICATED-1", "6500.00", 1), line("SSL-EV", "1500.00", 1)],
    )
    .unwrap();
    new.campaign_code = Some(CampaignCode::parse("SPRING10").unwrap());
    new.campaign = Some(Campaign {
        code: CampaignCode::parse("SPRING10").unwrap(),
        discount: Discount::Percentage(order_domain::Percentage::new(rust_decimal::Decimal::from(10)).unwrap()),
        valid_from: None,
        valid_until: None,
    });
    new.billing_address = BillingAddress::parse(&BillingAddressInput {
        name: "Sipho Dlamini".into(),
        company: Some("Dlamini Logistics CC".into()),
        vat_number: Some("4123456789".into()),
        line1: "88 Smith Street".into(),
        line2: Some("Suite 5".into()),
        city: "Durban".into(),
        province: Some("KwaZulu-Natal".into()),
        postal_code: "4001".into(),
        country: "ZA".into(),
    })
    .unwrap();
    create(new)
}

/// An order of `count` distinct lines (at most 100).
pub fn order_with_lines(count: u32) -> Order {
    let mut new = new_order();
    let lines: Vec<OrderLine> = (1..=count)
        .map(|i| {
            OrderLine::new(
                Sku::parse(format!("SKU-{i:03}")).unwrap(),
                order_domain::Description::parse(format!("Item number {i:03} with a fairly descriptive name")).unwrap(),
                Quantity::new(i % 3 + 1).unwrap(),
                zar(&format!("{i}.50")),
            )
            .unwrap()
        })
        .collect();
    new.cart = CartSnapshot::new(
        CartId::parse("cart_many").unwrap(),
        order_domain::CartOwner::of_order(new.tenant_id.as_ref()),
        lines,
    )
    .unwrap();
    create(new)
}

/// An order billed to [`hostile_name`], with a hostile description too.
pub fn hostile_order() -> Order {
    let mut new = new_order();
    let mut input: BillingAddressInput = new.billing_address.clone().into();
    input.name = hostile_name();
    input.line1 = "<b>12</b> \"Long\" Street & 'Co' — شارع".into();
    new.billing_address = BillingAddress::parse(&input).unwrap();
    new.cart = CartSnapshot::new(
        CartId::parse("cart_evil").unwrap(),
        order_domain::CartOwner::of_order(new.tenant_id.as_ref()),
        vec![
            OrderLine::new(
                Sku::parse("EVIL-1").unwrap(),
                order_domain::Description::parse(format!("{} {}", HOSTILE_NAME, "W".repeat(190 - 60))).unwrap(),
                Quantity::new(1).unwrap(),
                zar("99.00"),
            )
            .unwrap(),
        ],
    )
    .unwrap();
    create(new)
}

/// `order` paid in full with PayFast payment `pf_1`.
pub fn paid(mut order: Order) -> Order {
    let payment = Payment {
        payment_id: PaymentId::parse("pf_1234567").unwrap(),
        amount: order.totals().total,
        method: PaymentMethod::Payfast,
        paid_at: now() + chrono::Duration::minutes(5),
    };
    order.confirm_payment(payment, ActorKind::PaymentService, now() + chrono::Duration::minutes(5)).unwrap();
    order
}

/// A parsed PDF: its page count and the text of each page.
pub struct Parsed {
    pub pages: Vec<String>,
}

impl Parsed {
    pub fn text(&self) -> String {
        self.pages.join("\n")
    }
}

/// Opens `bytes` with lopdf and extracts each page's text.
pub fn parse_pdf(bytes: &[u8]) -> Parsed {
    let document = lopdf::Document::load_mem(bytes).expect("a PDF lopdf can open");
    let numbers: Vec<u32> = document.get_pages().keys().copied().collect();
    let pages = numbers.iter().map(|n| document.extract_text(&[*n]).expect("extractable text")).collect();
    Parsed { pages }
}

/// Asserts `haystack` contains every needle, naming the missing ones.
#[track_caller]
pub fn assert_contains_all(haystack: &str, needles: &[&str]) {
    let missing: Vec<&&str> = needles.iter().filter(|n| !haystack.contains(**n)).collect();
    assert!(missing.is_empty(), "missing {missing:?} in:\n{haystack}");
}

/// A template store in a map, counting reads, able to fail.
#[derive(Default)]
pub struct MapTemplates {
    templates: Mutex<HashMap<String, String>>,
    pub reads: Mutex<Vec<String>>,
    pub unavailable: Mutex<bool>,
}

impl MapTemplates {
    pub fn with(entries: &[(&str, &str)]) -> Self {
        let store = Self::default();
        for (path, text) in entries {
            store.put(path, text);
        }
        store
    }

    pub fn put(&self, path: &str, text: &str) {
        self.templates.lock().unwrap().insert(path.to_owned(), text.to_owned());
    }
}

#[async_trait]
impl TemplateSource for MapTemplates {
    async fn get(&self, path: &str) -> PortResult<Option<String>> {
        self.reads.lock().unwrap().push(path.to_owned());
        if *self.unavailable.lock().unwrap() {
            return Err(PortError::transient("template bucket unreachable"));
        }
        Ok(self.templates.lock().unwrap().get(path).cloned())
    }
}

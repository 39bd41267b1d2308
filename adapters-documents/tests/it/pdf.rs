//! The PDF invoice and receipt renderer, checked by parsing what it writes.

use adapters_documents::PdfRenderer;
use order_domain::testing::{line, new_order};
use order_domain::{ActorKind, CartId, CartSnapshot, Order, PricingRules};
use order_ports::{DocumentKind, DocumentNumber, DocumentRenderer, PortError, Supplier};

use crate::support::*;

fn render(kind: DocumentKind, order: &Order) -> Vec<u8> {
    let supplier = supplier();
    let pdf = PdfRenderer::new().unwrap().render(&request(kind, order, &supplier)).unwrap();
    assert_eq!(pdf.content_type, "application/pdf");
    pdf.bytes
}

/// The extracted lines of `text`, trimmed.
fn lines(text: &str) -> Vec<&str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).collect()
}

/// Asserts that each of `expected` is a whole line of `text`, in this order.
#[track_caller]
fn assert_lines_in_order(text: &str, expected: &[&str]) {
    let lines = lines(text);
    let mut from = 0;
    for wanted in expected {
        match lines[from..].iter().position(|l| l == wanted) {
            Some(i) => from += i + 1,
            None => panic!("{wanted:?} not found after line {from} in {lines:#?}"),
        }
    }
}

fn order_of(prices: &[&str]) -> Order {
    let mut new = new_order();
    let items = prices.iter().enumerate().map(|(i, p)| line(&format!("ITEM-{i}"), p, 1)).collect();
    new.cart = CartSnapshot::new(
        CartId::parse("cart_x").unwrap(),
        order_domain::CartOwner::of_order(new.tenant_id.as_ref()),
        items,
    )
    .unwrap();
    Order::create(new, &PricingRules::south_africa(), ActorKind::Customer, order_domain::testing::now()).unwrap().0
}

#[test]
fn abridged_invoice_shows_every_required_field() {
    let order = small_order();
    let text = parse_pdf(&render(DocumentKind::TaxInvoice, &order)).text();
    assert_contains_all(
        &text,
        &[
            "Tax Invoice",
            "Abridged tax invoice",
            // Supplier: name, address, VAT number.
            "Big Beard Web Solutions (Pty) Ltd",
            "Unit 4, 21 Dock Road",
            "V&A Waterfront",
            "Cape Town 8001",
            "VAT no. 4760123456",
            "accounts@bigbeard.co.za",
            // Recipient: name and address.
            "Thandi Nkosi",
            "12 Long Street",
            "Western Cape",
            "South Africa",
            "thandi@example.co.za",
            // Serial number, date of issue, order.
            "INV-000042",
            "Date of issue",
            "25 November 2026",
            &order.id().to_string(),
        ],
    );
    // Each line: quantity, unit price, amount, description.
    assert_lines_in_order(
        &text,
        &[
            "Description",
            "Qty",
            "Unit price",
            "Amount",
            "2",
            "R575.00",
            "R1,150.00",
            "Product HOSTING-PRO",
            "1",
            "R199.00",
            "R199.00",
            "Product DOMAIN-COZA",
        ],
    );
    // Totals.
    assert_lines_in_order(
        &text,
        &[
            "Subtotal",
            "R1,349.00",
            "Discount",
            "R0.00",
            "VAT (15%) included",
            "R175.96",
            "Total (ZAR)",
            "R1,349.00",
            "All amounts include VAT.",
        ],
    );
    assert!(!text.contains("Excl. VAT"), "the abridged form has no VAT-exclusive column");
    assert_contains_all(&text, &["INV-000042 · Page 1 of 1"]);
}

#[test]
fn invoice_above_five_thousand_rand_uses_the_full_form() {
    let order = large_order();
    assert_eq!(order.totals().total, order_domain::testing::zar("7200.00"));
    let text = parse_pdf(&render(DocumentKind::TaxInvoice, &order)).text();
    assert_contains_all(
        &text,
        &[
            "Tax Invoice",
            "Full tax invoice",
            // The registered recipient: name, company, full address, VAT number.
            "Sipho Dlamini",
            "Dlamini Logistics CC",
            "88 Smith Street",
            "Suite 5",
            "Durban 4001",
            "KwaZulu-Natal",
            "VAT no. 4123456789",
            "VAT no. 4760123456",
            "INV-000042",
            "25 November 2026",
        ],
    );
    // Per line: quantity, VAT-inclusive unit price, the line's share of the discount, and its
    // value after it excluding VAT, its VAT and its value: the discount (R800) is shared
    // 650 : 150, the VAT (R939.13) 763.04 : 176.09, so the lines add up to the totals exactly.
    assert_lines_in_order(&text, &["Description", "Qty", "Unit price", "Discount", "Excl. VAT", "VAT", "Amount"]);
    assert_lines_in_order(
        &text,
        &["1", "R6,500.00", "-R650.00", "R5,086.96", "R763.04", "R5,850.00", "Product DEDICATED-1"],
    );
    assert_lines_in_order(
        &text,
        &["1", "R1,500.00", "-R150.00", "R1,173.91", "R176.09", "R1,350.00", "Product SSL-EV"],
    );
    assert!(text.contains("The discount is shared across the lines in proportion to their value."));
    // Totals: R8,000 less 10 % is R7,200, of which VAT is 7,200 × 15/115 = R939.13.
    assert_lines_in_order(
        &text,
        &[
            "Subtotal",
            "R8,000.00",
            "Discount",
            "-R800.00",
            "Total excl. VAT",
            "R6,260.87",
            "VAT (15%)",
            "R939.13",
            "Total (ZAR)",
            "R7,200.00",
        ],
    );
}

#[test]
fn the_form_changes_above_exactly_five_thousand_rand() {
    let at_limit = parse_pdf(&render(DocumentKind::TaxInvoice, &order_of(&["4000.00", "1000.00"]))).text();
    assert!(at_limit.contains("Abridged tax invoice") && !at_limit.contains("Full tax invoice"));
    let above = parse_pdf(&render(DocumentKind::TaxInvoice, &order_of(&["4000.00", "1000.01"]))).text();
    assert!(above.contains("Full tax invoice") && !above.contains("Abridged tax invoice"));
    assert_contains_all(&above, &["R5,000.01", "Total excl. VAT"]);
}

#[test]
fn receipt_refers_to_the_invoice_and_shows_the_payment() {
    let order = paid(small_order());
    let text = parse_pdf(&render(DocumentKind::Receipt, &order)).text();
    assert_contains_all(
        &text,
        &[
            "Receipt",
            "Receipt for tax invoice INV-000042",
            "Invoice no.",
            "INV-000042",
            "Receipt date",
            "Big Beard Web Solutions (Pty) Ltd",
            "Thandi Nkosi",
            "Product HOSTING-PRO",
            "R1,349.00",
            "R175.96",
        ],
    );
    assert_lines_in_order(
        &text,
        &[
            "Payment id",
            "pf_1234567",
            "Method",
            "PayFast",
            "Paid on",
            "25 November 2026, 12:05 SAST",
            "Amount paid",
            "R1,349.00",
        ],
    );
    assert!(!text.contains("Tax Invoice "), "a receipt is not titled as a tax invoice:\n{text}");
}

#[test]
fn an_unpaid_order_has_no_receipt() {
    let order = small_order();
    let supplier = supplier();
    let result = PdfRenderer::new().unwrap().render(&request(DocumentKind::Receipt, &order, &supplier));
    assert!(matches!(result, Err(PortError::InvalidData(ref m)) if m.contains("no payment")), "{result:?}");
}

#[test]
fn a_hundred_lines_paginate_with_the_table_header_on_every_page() {
    let order = order_with_lines(100);
    let parsed = parse_pdf(&render(DocumentKind::TaxInvoice, &order));
    let count = parsed.pages.len();
    assert!(count >= 3, "100 lines need several pages, got {count}");
    for (i, page) in parsed.pages.iter().enumerate() {
        assert_contains_all(
            page,
            &[
                "Tax Invoice",
                "INV-000042",
                "Description",
                "Qty",
                "Unit price",
                "Amount",
                &format!("Page {} of {count}", i + 1),
            ],
        );
        if i > 0 {
            assert!(page.contains("Tax Invoice INV-000042 (continued)"), "page {}:\n{page}", i + 1);
        }
    }
    // Every line exactly once, in order (descriptions may wrap: compare with whitespace
    // collapsed), and the totals once, at the end.
    let all = parsed.text();
    let flowing = all.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut from = 0;
    for i in 1..=100 {
        let description = format!("Item number {i:03} with a fairly descriptive name");
        assert_eq!(flowing.matches(&description).count(), 1, "{description}");
        let at = flowing.find(&description).unwrap();
        assert!(at >= from, "{description} is out of order");
        from = at;
    }
    let last = parsed.pages.last().unwrap();
    let total = adapters_documents::format::money(order.totals().total);
    assert_lines_in_order(last, &["Subtotal", "Total (ZAR)", &total]);
    assert_eq!(all.matches("Subtotal").count(), 1);
}

#[test]
fn the_same_request_gives_the_same_bytes() {
    let order = large_order();
    let first = render(DocumentKind::TaxInvoice, &order);
    let again = render(DocumentKind::TaxInvoice, &order);
    assert_eq!(first, again);
    // And the bytes do depend on the request.
    let supplier = supplier();
    let mut other = request(DocumentKind::TaxInvoice, &order, &supplier);
    other.number = Some(DocumentNumber::invoice(43));
    let renumbered = PdfRenderer::new().unwrap().render(&other).unwrap().bytes;
    assert_ne!(first, renumbered);
    assert!(parse_pdf(&renumbered).text().contains("INV-000043"));
}

#[test]
fn a_hostile_customer_renders_without_panicking() {
    let order = hostile_order();
    for kind in [DocumentKind::TaxInvoice, DocumentKind::Receipt] {
        let order = if kind == DocumentKind::Receipt { paid(order.clone()) } else { order.clone() };
        let text = parse_pdf(&render(kind, &order)).text();
        // Markup and quotes are printed as text; the 120-character name wraps and survives.
        assert_contains_all(&text, &["<script>alert(1)</script>", "\"O'Brien\" &", "<b>12</b> \"Long\" Street & 'Co'"]);
        let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(squeezed.contains(&"x".repeat(120 - HOSTILE_NAME.chars().count())), "{text}");
        // The long description wraps over several lines and loses nothing.
        assert!(squeezed.contains(&"W".repeat(130)), "{text}");
    }
}

#[test]
fn odd_supplier_text_renders_too() {
    let order = small_order();
    let supplier = Supplier {
        id: "x".into(),
        name: "Tab\tand\r\nnewline Ltd 🚀".into(),
        trading_name: Some("Tab\tTrading 🚀".into()),
        address: vec![String::new(), "日本語 street".into(), "x".repeat(400)],
        vat_number: None,
        email: None,
    };
    let pdf = PdfRenderer::new().unwrap().render(&request(DocumentKind::TaxInvoice, &order, &supplier)).unwrap();
    let text = parse_pdf(&pdf.bytes).text();
    assert_contains_all(&text, &["Tab and", "newline Ltd ?", "trading as Tab Trading ?", "??? street"]);
}

#[test]
fn a_pro_forma_invoice_says_it_is_not_a_tax_invoice_and_takes_no_serial_number() {
    let order = small_order();
    let text = parse_pdf(&render(DocumentKind::ProForma, &order)).text();
    assert_contains_all(
        &text,
        &["Pro Forma Invoice", "This is not a tax invoice", "Thandi Nkosi", "R1,349.00", "VAT (15%) included"],
    );
    assert!(!text.contains("INV-"), "no number from the tax-invoice sequence:\n{text}");
    assert!(!text.contains("Invoice no."));
    assert!(!text.contains("Tax Invoice"), "never titled a tax invoice");
    assert_contains_all(&text, &[&format!("Pro forma for {} · Page 1 of 1", order.id())]);
}

#[test]
fn a_credit_note_names_the_invoice_it_adjusts_its_reason_and_the_vat_it_credits() {
    let order = small_order();
    let text = parse_pdf(&render(DocumentKind::CreditNote, &order)).text();
    assert_contains_all(
        &text,
        &[
            "Credit Note",
            "Adjusts tax invoice INV-000042 in full",
            "Credit note no.",
            "CN-000007",
            "Tax invoice no.",
            "INV-000042",
            "Invoice date",
            "25 November 2026",
            "Reason for the credit",
            "Order cancelled: ordered the wrong plan",
            // Supplier and recipient as on the invoice.
            "Big Beard Web Solutions (Pty) Ltd",
            "VAT no. 4760123456",
            "Thandi Nkosi",
            // The amount of the adjustment and the VAT in it.
            "VAT (15%) in the credit",
            "R175.96",
            "Total credited (ZAR)",
            "R1,349.00",
            "CN-000007 · Page 1 of 1",
        ],
    );
}

#[test]
fn a_credit_note_needs_its_number_and_the_invoice_it_adjusts() {
    let order = small_order();
    let supplier = supplier();
    let mut request = request(DocumentKind::CreditNote, &order, &supplier);
    request.invoice = None;
    let refused = PdfRenderer::new().unwrap().render(&request).unwrap_err();
    assert!(matches!(refused, PortError::InvalidData(_)), "{refused:?}");
    let mut pro_forma = crate::support::request(DocumentKind::ProForma, &order, &supplier);
    pro_forma.number = Some(DocumentNumber::invoice(1));
    assert!(PdfRenderer::new().unwrap().render(&pro_forma).is_err(), "a pro forma never takes a tax-invoice number");
}

/// An order billed to `name` (and `company`), with a line described as `description`.
fn billed_to(name: &str, company: &str, description: &str) -> Order {
    let mut new = new_order();
    let mut input: order_domain::BillingAddressInput = new.billing_address.clone().into();
    input.name = name.into();
    input.company = Some(company.into());
    new.billing_address = order_domain::BillingAddress::parse(&input).unwrap();
    new.cart = CartSnapshot::new(
        CartId::parse("cart_names").unwrap(),
        order_domain::CartOwner::of_order(new.tenant_id.as_ref()),
        vec![
            order_domain::OrderLine::new(
                order_domain::Sku::parse("HOSTING-1").unwrap(),
                order_domain::Description::parse(description).unwrap(),
                order_domain::Quantity::new(1).unwrap(),
                order_domain::testing::zar("99.00"),
            )
            .unwrap(),
        ],
    )
    .unwrap();
    new.id = order_domain::OrderId::from_parts(order_domain::testing::now(), 7);
    Order::create(new, &PricingRules::south_africa(), ActorKind::Customer, order_domain::testing::now()).unwrap().0
}

/// Every name the domain accepts prints on the invoice as written: read back from the PDF, in
/// logical order for left-to-right scripts and in the visual order a PDF stores for
/// right-to-left ones (Hebrew, Arabic: drawn right to left, so read back reversed), never `?`.
#[test]
fn every_name_the_domain_accepts_is_printed_as_written() {
    let names = [
        ("Zoë Nkosi-O'Brien", "Ṣàngó & Ngũgĩ (Pty) Ltd"),
        ("Ζωή Παπαδοπούλου", "Юлия Иванова ООО"),
        ("Nguyễn Văn An", "Սարգսյան ՍՊԸ"),
        ("שרה כהן", "محمد علي"),
    ];
    for (name, company) in names {
        for kind in [DocumentKind::TaxInvoice, DocumentKind::Receipt] {
            let order = billed_to(name, company, &format!("Hosting for {name}"));
            let order = if kind == DocumentKind::Receipt { paid(order) } else { order };
            let text = parse_pdf(&render(kind, &order)).text();
            for written in [name, company, &format!("Hosting for {name}")[..]] {
                let words: Vec<String> = written
                    .split(' ')
                    .map(|word| {
                        let rtl = word.chars().any(|c| ('\u{590}'..='\u{6FF}').contains(&c));
                        if rtl { word.chars().rev().collect() } else { word.to_owned() }
                    })
                    .collect();
                for word in &words {
                    assert!(
                        text.contains(word.as_str()),
                        "{kind:?}: {word:?} of {written:?} is not on the document:\n{text}"
                    );
                }
            }
            assert!(!text.contains('?'), "{kind:?}: nothing printed as '?':\n{text}");
        }
    }
}

/// The customer's email is printed as written when the invoice can print it, with its domain
/// in A-labels when only that can be printed, and left off otherwise — never as `?`.
#[test]
fn an_email_the_invoice_cannot_print_is_never_printed_as_question_marks() {
    for (email, printed) in [
        ("zoë@bücher.co.za", Some("zoë@bücher.co.za")),
        ("zoe@例子.中国", Some("zoe@xn--fsqu00a.xn--fiqs8s")),
        ("王@example.com", None),
    ] {
        let mut record = order_domain::OrderRecord::from(billed_to("Zoë Nkosi", "Acme", "Hosting"));
        record.customer_email = order_domain::Email::parse(email).unwrap();
        let order = Order::try_from(record).unwrap();
        let text = parse_pdf(&render(DocumentKind::TaxInvoice, &order)).text();
        assert!(!text.contains('?'), "{email}: {text}");
        if let Some(printed) = printed {
            assert!(text.contains(printed), "{email} is printed as {printed}: {text}");
        }
    }
}

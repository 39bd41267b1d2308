//! Rendering benchmarks: every PDF document kind (a 10-line pro forma invoice, tax invoice,
//! receipt and credit note, and a 100-line tax invoice; time, and size printed), and the
//! customer confirmation email.
//!
//! Run with `cargo bench -p adapters-documents --bench render`.

#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::sync::Arc;

use adapters_documents::{PdfRenderer, TemplateRenderer};
use async_trait::async_trait;
use criterion::{Criterion, criterion_group, criterion_main};
use order_domain::testing::{new_order, now, zar};
use order_domain::{
    ActorKind, CartId, CartSnapshot, Description, Order, OrderLine, Payment, PaymentId, PaymentMethod, PricingRules,
    Quantity, Sku, VatNumber,
};
use order_ports::{
    DocumentKind, DocumentNumber, DocumentRenderer, DocumentRequest, EmailContext, EmailRenderer, EmailTemplate,
    InvoiceReference, Notice, PortResult, Supplier, TemplateSource,
};

fn supplier() -> Supplier {
    Supplier {
        id: "bbws".into(),
        name: "Big Beard Web Solutions (Pty) Ltd".into(),
        trading_name: None,
        address: vec!["1 Bree Street".into(), "Cape Town".into(), "8001".into()],
        vat_number: VatNumber::parse("4123456789").ok(),
        email: Some("accounts@bbws.example".into()),
    }
}

fn order_with_lines(count: u32) -> Order {
    let mut new = new_order();
    let lines = (1..=count)
        .map(|i| {
            OrderLine::new(
                Sku::parse(format!("SKU-{i:03}")).unwrap(),
                Description::parse(format!("Hosting product number {i:03}, 12 months")).unwrap(),
                Quantity::new(i % 3 + 1).unwrap(),
                zar(&format!("{i}.50")),
            )
            .unwrap()
        })
        .collect();
    new.cart = CartSnapshot::new(
        CartId::parse("cart_bench").unwrap(),
        order_domain::CartOwner::of_order(new.tenant_id.as_ref()),
        lines,
    )
    .unwrap();
    Order::create(new, &PricingRules::south_africa(), ActorKind::Customer, now()).unwrap().0
}

struct NoOverrides;

#[async_trait]
impl TemplateSource for NoOverrides {
    async fn get(&self, _path: &str) -> PortResult<Option<String>> {
        Ok(None)
    }
}

/// `order` paid in full.
fn paid(mut order: Order) -> Order {
    let paid_at = now() + chrono::Duration::minutes(5);
    let payment = Payment {
        payment_id: PaymentId::parse("pf_1234567").unwrap(),
        amount: order.totals().total,
        method: PaymentMethod::Payfast,
        paid_at,
    };
    order.confirm_payment(payment, ActorKind::PaymentService, paid_at).unwrap();
    order
}

/// The request for `kind` of `order`, numbered as the document pipeline numbers it.
fn request<'a>(kind: DocumentKind, order: &'a Order, supplier: &'a Supplier) -> DocumentRequest<'a> {
    let invoice = InvoiceReference { number: DocumentNumber::invoice(42), issued_at: order.created_at() };
    let (number, invoice, reason) = match kind {
        DocumentKind::ProForma => (None, None, None),
        DocumentKind::TaxInvoice => (Some(invoice.number), None, None),
        DocumentKind::Receipt => (None, Some(invoice), None),
        DocumentKind::CreditNote => (Some(DocumentNumber::credit_note(7)), Some(invoice), Some("Order cancelled")),
    };
    DocumentRequest { kind, order, supplier, number, invoice, issued_at: order.created_at(), reason }
}

fn pdf(c: &mut Criterion) {
    let renderer = PdfRenderer::new().unwrap();
    let supplier = supplier();
    let ten = paid(order_with_lines(10));
    let hundred = order_with_lines(100);
    let cases = [
        ("pdf_pro_forma", "10_lines", DocumentKind::ProForma, &ten),
        ("pdf_invoice", "10_lines", DocumentKind::TaxInvoice, &ten),
        ("pdf_invoice", "100_lines", DocumentKind::TaxInvoice, &hundred),
        ("pdf_receipt", "10_lines", DocumentKind::Receipt, &ten),
        ("pdf_credit_note", "10_lines", DocumentKind::CreditNote, &ten),
    ];
    for (group, lines, kind, order) in cases {
        let request = request(kind, order, &supplier);
        let size = renderer.render(&request).unwrap().bytes.len();
        println!("{group}/{lines}: {size} bytes ({} KB)", size.div_ceil(1000));
        c.benchmark_group(group).bench_function(lines, |b| b.iter(|| renderer.render(black_box(&request)).unwrap()));
    }
}

fn email(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let renderer = TemplateRenderer::new(Arc::new(NoOverrides)).unwrap();
    let order = order_with_lines(10);
    let notice = Notice::Created;
    let context = EmailContext { order: &order, notice: &notice, order_url: "https://portal.example/orders/1" };
    c.bench_function("email/order_confirmation_10_lines", |b| {
        b.iter(|| runtime.block_on(renderer.render(EmailTemplate::OrderConfirmation, black_box(&context))).unwrap());
    });
}

criterion_group!(benches, pdf, email);
criterion_main!(benches);

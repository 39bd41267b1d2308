//! Rendering benchmarks: a 10-line and a 100-line tax invoice as PDF (time, and size printed),
//! and the customer confirmation email.
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
    ActorKind, CartId, CartSnapshot, Description, Order, OrderLine, PricingRules, Quantity, Sku, VatNumber,
};
use order_ports::{
    DocumentKind, DocumentNumber, DocumentRenderer, DocumentRequest, EmailContext, EmailRenderer, EmailTemplate,
    Notice, PortResult, Supplier, TemplateSource,
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

fn pdf(c: &mut Criterion) {
    let renderer = PdfRenderer::new().unwrap();
    let supplier = supplier();
    let mut group = c.benchmark_group("pdf_invoice");
    for lines in [10, 100] {
        let order = order_with_lines(lines);
        let request = DocumentRequest {
            kind: DocumentKind::TaxInvoice,
            order: &order,
            supplier: &supplier,
            number: Some(DocumentNumber::invoice(42)),
            invoice: None,
            issued_at: order.created_at(),
            reason: None,
        };
        let size = renderer.render(&request).unwrap().bytes.len();
        println!("pdf_invoice/{lines}_lines: {size} bytes ({} KB)", size.div_ceil(1000));
        group.bench_function(format!("{lines}_lines"), |b| b.iter(|| renderer.render(black_box(&request)).unwrap()));
    }
    group.finish();
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

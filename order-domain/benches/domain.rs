//! Domain micro-benchmarks: pricing a 10- and a 100-line order (VAT included), every state
//! transition of the table, and an `ORDER_CREATED` envelope to and from JSON.
//!
//! Run with `cargo bench -p order-domain --bench domain`.

#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use order_domain::testing::{new_order, now, zar};
use order_domain::{
    ActorKind, CartId, CartOwner, CartSnapshot, Command, Description, EventEnvelope, Order, OrderEvent, OrderLine,
    Payment, PaymentId, PaymentMethod, PricingRules, Quantity, Reason, Sku,
};
use uuid::Uuid;

fn lines(count: u32) -> Vec<OrderLine> {
    (1..=count)
        .map(|i| {
            OrderLine::new(
                Sku::parse(format!("SKU-{i:03}")).unwrap(),
                Description::parse(format!("Hosting product number {i:03}, 12 months")).unwrap(),
                Quantity::new(i % 3 + 1).unwrap(),
                zar(&format!("{i}.50")),
            )
            .unwrap()
        })
        .collect()
}

fn cart(count: u32) -> CartSnapshot {
    CartSnapshot::new(CartId::parse("cart_bench").unwrap(), CartOwner::Guest, lines(count)).unwrap()
}

fn pending() -> Order {
    Order::create(new_order(), &PricingRules::south_africa(), ActorKind::Customer, now()).unwrap().0
}

fn payment(order: &Order) -> Payment {
    Payment {
        payment_id: PaymentId::parse("pf_1000001").unwrap(),
        amount: order.totals().total,
        method: PaymentMethod::Payfast,
        paid_at: now(),
    }
}

/// A command and who gives it.
type Step = (Command, ActorKind);

/// The order moved through `path` (each step by an actor allowed to take it).
fn order_after(path: &[Step]) -> Order {
    let mut order = pending();
    for (command, actor) in path {
        order.execute(command.clone(), *actor, now()).unwrap();
    }
    order
}

fn pricing(c: &mut Criterion) {
    let rules = PricingRules::south_africa();
    let mut group = c.benchmark_group("pricing");
    for count in [10, 100] {
        let cart = cart(count);
        group.bench_function(format!("{count}_lines"), |b| {
            b.iter(|| rules.price(black_box(&cart), None, now()).unwrap());
        });
    }
    group.finish();
}

fn transitions(c: &mut Criterion) {
    let paid_with = |order: &Order| Command::ConfirmPayment(payment(order));
    let base = pending();
    let confirm = paid_with(&base);
    let reason = Some(Reason::parse("customer asked").unwrap());
    let to_payment = (Command::RequestPayment, ActorKind::Customer);
    let to_paid = (confirm.clone(), ActorKind::PaymentService);
    let to_processing = (Command::StartProcessing, ActorKind::ProvisioningService);
    // (name, the path to the starting status, the command, who gives it)
    let cases: Vec<(&str, Vec<Step>, Step)> = vec![
        ("pending_to_payment_pending", vec![], (Command::RequestPayment, ActorKind::Customer)),
        ("pending_to_cancelled", vec![], (Command::Cancel(reason.clone()), ActorKind::Customer)),
        ("pending_to_expired", vec![], (Command::Expire, ActorKind::System)),
        ("pending_to_paid", vec![], (confirm.clone(), ActorKind::PaymentService)),
        ("payment_pending_to_paid", vec![to_payment.clone()], (confirm.clone(), ActorKind::PaymentService)),
        ("payment_pending_to_cancelled", vec![to_payment.clone()], (Command::Cancel(reason.clone()), ActorKind::Staff)),
        ("paid_to_processing", vec![to_paid.clone()], (Command::StartProcessing, ActorKind::ProvisioningService)),
        ("paid_to_refunded", vec![to_paid.clone()], (Command::Refund(reason.clone()), ActorKind::PaymentService)),
        (
            "processing_to_completed",
            vec![to_paid.clone(), to_processing.clone()],
            (Command::Complete, ActorKind::ProvisioningService),
        ),
        ("processing_to_refunded", vec![to_paid, to_processing], (Command::Refund(reason), ActorKind::Staff)),
    ];
    let mut group = c.benchmark_group("transition");
    for (name, path, (command, actor)) in cases {
        let start = order_after(&path);
        group.bench_function(name, |b| {
            b.iter_batched(
                || (start.clone(), command.clone()),
                |(mut order, command)| order.execute(command, actor, now()).unwrap(),
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();
}

fn events(c: &mut Criterion) {
    let mut group = c.benchmark_group("order_created_event");
    for count in [10, 100] {
        let mut new = new_order();
        new.cart = cart(count);
        let (_, created) = Order::create(new, &PricingRules::south_africa(), ActorKind::Customer, now()).unwrap();
        let envelope = EventEnvelope::new(Uuid::from_u128(1), now(), OrderEvent::OrderCreated(created));
        let json = serde_json::to_vec(&envelope).unwrap();
        println!("order_created_event/{count}_lines: {} bytes of JSON", json.len());
        group.bench_function(format!("serialize_{count}_lines"), |b| {
            b.iter(|| serde_json::to_vec(black_box(&envelope)).unwrap());
        });
        group.bench_function(format!("deserialize_{count}_lines"), |b| {
            b.iter(|| serde_json::from_slice::<EventEnvelope>(black_box(&json)).unwrap());
        });
    }
    group.finish();
}

criterion_group!(benches, pricing, transitions, events);
criterion_main!(benches);

//! Property: random command sequences by random principals behave exactly like a small
//! reference model written from the table in DESIGN §2.1.

#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

use std::collections::BTreeMap;

use chrono::TimeDelta;
use order_domain::testing::{now, pending_order, zar};
use order_domain::*;
use proptest::prelude::*;

use ActorKind::{CartService, Customer, Guest, PaymentService, ProvisioningService, Staff, System};
use CommandKind as C;
use OrderStatus::{Cancelled, Completed, Expired, Paid, PaymentPending, Pending, Processing, Refunded};

/// DESIGN §2.1, row by row: (from, command, to, who may).
const TABLE: &[(OrderStatus, CommandKind, OrderStatus, &[ActorKind])] = &[
    (Pending, C::RequestPayment, PaymentPending, &[PaymentService, Customer]),
    (Pending, C::Cancel, Cancelled, &[Customer, Staff]),
    (Pending, C::Expire, Expired, &[System]),
    (PaymentPending, C::ConfirmPayment, Paid, &[PaymentService]),
    (PaymentPending, C::Cancel, Cancelled, &[Customer, Staff, System]),
    (Paid, C::StartProcessing, Processing, &[ProvisioningService, Staff]),
    (Paid, C::Refund, Refunded, &[PaymentService, Staff]),
    (Processing, C::Complete, Completed, &[ProvisioningService, Staff]),
    (Processing, C::Refund, Refunded, &[PaymentService, Staff]),
];

/// What the model expects of one command.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expect {
    /// Moves along these edges.
    Moves(Vec<OrderStatus>),
    /// Records an unapplied payment (money to return); status unchanged, version +1.
    Unapplied(UnappliedReason),
    /// Records the refund of an unapplied payment; status unchanged, version +1.
    Refunded,
    /// Success, nothing changes.
    NoOp,
    IllegalTransition,
    NotPermitted,
    UnknownPayment,
}

#[derive(Debug, Default)]
struct Model {
    status: Option<OrderStatus>,
    paid_by: Option<String>,
    /// Unapplied payment ids, and whether their refund is recorded.
    unapplied: BTreeMap<String, bool>,
}

impl Model {
    fn status(&self) -> OrderStatus {
        self.status.unwrap_or(Pending)
    }

    fn expect(&self, command: &Command, actor: ActorKind, total: Money) -> Expect {
        let status = self.status();
        if let Command::ConfirmPayment(payment) = command {
            if actor != PaymentService {
                return Expect::NotPermitted;
            }
            let id = payment.payment_id.as_str();
            if self.paid_by.as_deref() == Some(id) || self.unapplied.contains_key(id) {
                return Expect::NoOp;
            }
            return match status {
                Pending | PaymentPending if payment.amount != total => {
                    Expect::Unapplied(UnappliedReason::AmountMismatch)
                }
                Pending => Expect::Moves(vec![PaymentPending, Paid]),
                PaymentPending => Expect::Moves(vec![Paid]),
                Paid | Processing | Completed | Refunded => Expect::Unapplied(UnappliedReason::AlreadyPaid),
                Cancelled | Expired => Expect::Unapplied(UnappliedReason::OrderClosed),
            };
        }
        if let Command::RefundPayment { payment_id, .. } = command {
            if ![PaymentService, Staff].contains(&actor) {
                return Expect::NotPermitted;
            }
            return match self.unapplied.get(payment_id.as_str()) {
                None => Expect::UnknownPayment,
                Some(true) => Expect::NoOp,
                Some(false) => Expect::Refunded,
            };
        }
        let kind = command.kind();
        if let Some((_, _, to, who)) = TABLE.iter().find(|(from, c, _, _)| *from == status && *c == kind) {
            return if who.contains(&actor) { Expect::Moves(vec![*to]) } else { Expect::NotPermitted };
        }
        // A command whose edge leads into the current status was already carried out: a repeat.
        let repeat_by: Vec<ActorKind> = TABLE
            .iter()
            .filter(|(_, c, to, _)| *c == kind && *to == status)
            .flat_map(|(_, _, _, who)| who.iter().copied())
            .collect();
        match (repeat_by.is_empty(), repeat_by.contains(&actor)) {
            (true, _) => Expect::IllegalTransition,
            (false, true) => Expect::NoOp,
            (false, false) => Expect::NotPermitted,
        }
    }

    fn apply(&mut self, expect: &Expect, command: &Command) {
        match (expect, command) {
            (Expect::Moves(path), Command::ConfirmPayment(p)) => {
                self.paid_by = Some(p.payment_id.to_string());
                self.status = path.last().copied();
            }
            (Expect::Moves(path), _) => self.status = path.last().copied(),
            (Expect::Unapplied(_), Command::ConfirmPayment(p)) => {
                self.unapplied.insert(p.payment_id.to_string(), false);
            }
            (Expect::Refunded, Command::RefundPayment { payment_id, .. }) => {
                self.unapplied.insert(payment_id.to_string(), true);
            }
            _ => {}
        }
    }
}

fn actor() -> impl Strategy<Value = ActorKind> {
    prop::sample::select(vec![Customer, Guest, Staff, PaymentService, ProvisioningService, CartService, System])
}

/// Payments are mostly for the right amount, from a small pool of ids so repeats happen.
fn command() -> impl Strategy<Value = Command> {
    let payment = (prop::sample::select(vec!["pf_1", "pf_2", "pf_3"]), prop_oneof![4 => Just(0_i64), 1 => -2_i64..=2])
        .prop_map(|(id, cents_off)| {
            let amount = Money::from_minor_units(134_900 + cents_off, Currency::ZAR).unwrap();
            Command::ConfirmPayment(Payment {
                payment_id: PaymentId::parse(id).unwrap(),
                amount,
                method: PaymentMethod::Payfast,
                paid_at: now(),
            })
        });
    prop_oneof![
        Just(Command::RequestPayment),
        payment,
        Just(Command::Cancel(None)),
        Just(Command::Cancel(Some(Reason::parse("customer asked").unwrap()))),
        Just(Command::Expire),
        Just(Command::StartProcessing),
        Just(Command::Complete),
        Just(Command::Refund(None)),
        prop::sample::select(vec!["pf_1", "pf_2", "pf_3"])
            .prop_map(|id| Command::RefundPayment { payment_id: PaymentId::parse(id).unwrap(), reference: None }),
    ]
}

fn outcome_of(result: &Result<Vec<OrderEvent>, OrderError>, before: &Order, after: &Order) -> Expect {
    match result {
        Ok(events) if events.is_empty() => Expect::NoOp,
        Ok(events) => match &events[..] {
            [OrderEvent::UnappliedPaymentReceived(e)] => Expect::Unapplied(e.reason),
            [OrderEvent::UnappliedPaymentRefunded(_)] => Expect::Refunded,
            [OrderEvent::OrderStatusChanged(_)] => {
                Expect::Moves(after.history()[before.history().len()..].iter().map(|c| c.to).collect())
            }
            other => panic!("unexpected events {other:?}"),
        },
        Err(OrderError::IllegalTransition { .. }) => Expect::IllegalTransition,
        Err(OrderError::NotPermitted { .. }) => Expect::NotPermitted,
        Err(OrderError::UnknownPayment(_)) => Expect::UnknownPayment,
        Err(other) => panic!("unexpected error {other}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    #[test]
    fn commands_follow_the_reference_model(steps in prop::collection::vec((command(), actor()), 0..40)) {
        let (mut order, start) = pending_order();
        let total = order.totals().total;
        prop_assert_eq!(total, zar("1349.00"));
        let mut model = Model::default();
        let mut effective_edges = 0;
        let mut changes = 0;

        for (i, (command, actor)) in steps.into_iter().enumerate() {
            let at = start + TimeDelta::minutes(i64::try_from(i).unwrap() + 1);
            let expected = model.expect(&command, actor, total);
            let before = order.clone();
            let result = order.execute(command.clone(), actor, at);
            let actual = outcome_of(&result, &before, &order);
            prop_assert_eq!(&actual, &expected, "{} + {:?} by {}", before.status(), command.kind(), actor);
            model.apply(&expected, &command);

            prop_assert_eq!(order.status(), model.status());
            if before.status().is_terminal() {
                prop_assert_eq!(order.status(), before.status(), "a terminal status absorbs every command");
            }
            match &expected {
                Expect::Moves(path) => {
                    effective_edges += path.len();
                    changes += 1;
                }
                Expect::Unapplied(_) | Expect::Refunded => changes += 1,
                _ => prop_assert_eq!(&order, &before, "a refused or repeated command changes nothing"),
            }
            prop_assert_eq!(order.history().len(), effective_edges);
            prop_assert_eq!(order.version(), 1 + changes);
            prop_assert_eq!(order.unapplied_payments().len(), model.unapplied.len());
            prop_assert_eq!(order.refunds_due().count(), model.unapplied.values().filter(|refunded| !**refunded).count());
            // Every reachable order survives storage: the record's invariants hold.
            prop_assert_eq!(Order::try_from(OrderRecord::from(order.clone())).unwrap(), order.clone());
        }
    }
}

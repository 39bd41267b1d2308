//! What only the in-memory store shows: personal data sealed at rest, the cipher's failures
//! surfacing as `InvalidData`, and the payment records it keeps.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use adapters_memory::MemoryStore;
use order_domain::testing::{now, pending_order, zar};
use order_domain::{ActorKind, Payment, PaymentId, PaymentMethod};
use order_ports::{FieldCipher, OrderRepository, OrderUpdate, PortError, PortResult};

use crate::contracts::cipher;

#[tokio::test]
async fn billing_addresses_are_sealed_at_rest() {
    let store = MemoryStore::new(cipher(1));
    let (order, _) = pending_order();
    store.insert(&order).await.unwrap();
    let item = store.stored_item(order.id()).unwrap();
    for personal in ["Thandi Nkosi", "12 Long Street", "8001"] {
        assert!(!item.contains(personal), "{personal:?} is kept in the clear: {item}");
    }
    assert!(item.contains(&order.id().to_string()), "the rest of the record is there: {item}");
    assert_eq!(store.get_by_id(order.id()).await.unwrap().billing_address(), order.billing_address());
}

/// A cipher that can be switched to refuse, and counts its calls.
#[derive(Default)]
struct FlakyCipher {
    broken: std::sync::atomic::AtomicBool,
    calls: AtomicUsize,
}

impl FieldCipher for FlakyCipher {
    fn seal(&self, plaintext: &[u8], context: &[u8]) -> PortResult<Vec<u8>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.broken.load(Ordering::SeqCst) {
            return Err(PortError::InvalidData("cipher refused".into()));
        }
        Ok([context, b"|", plaintext].concat().iter().map(|b| b ^ 0x5a).collect())
    }

    fn open(&self, sealed: &[u8], context: &[u8]) -> PortResult<Vec<u8>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let plain: Vec<u8> = sealed.iter().map(|b| b ^ 0x5a).collect();
        let prefix = [context, b"|"].concat();
        match plain.strip_prefix(prefix.as_slice()) {
            Some(rest) if !self.broken.load(Ordering::SeqCst) => Ok(rest.to_vec()),
            _ => Err(PortError::InvalidData("does not open".into())),
        }
    }
}

#[tokio::test]
async fn the_address_is_sealed_under_the_order_id_and_cipher_failures_are_invalid_data() {
    let flaky = Arc::new(FlakyCipher::default());
    let store = MemoryStore::new(flaky.clone());
    let (order, _) = pending_order();
    store.insert(&order).await.unwrap();
    assert_eq!(store.get_by_id(order.id()).await.unwrap(), order, "opened with the order id as context");
    assert_eq!(flaky.calls.load(Ordering::SeqCst), 2, "one seal, one open");

    flaky.broken.store(true, Ordering::SeqCst);
    assert!(matches!(store.get_by_id(order.id()).await, Err(PortError::InvalidData(_))));
    let (mut other, _) = pending_order();
    other.request_payment(ActorKind::Customer, now()).unwrap();
    let update = OrderUpdate { order: &other, expected_version: 1, events: &[], payment: None };
    assert!(matches!(store.update(update).await, Err(PortError::InvalidData(_))));
    flaky.broken.store(false, Ordering::SeqCst);
    assert_eq!(store.get_by_id(order.id()).await.unwrap(), order, "a refused seal wrote nothing");
}

#[tokio::test]
async fn payment_records_point_at_their_order() {
    let store = MemoryStore::new(cipher(1));
    let (order, _) = pending_order();
    store.insert(&order).await.unwrap();
    let payment = Payment {
        payment_id: PaymentId::parse("pf_42").unwrap(),
        amount: zar("1349.00"),
        method: PaymentMethod::Payfast,
        paid_at: now(),
    };
    let mut paid = order.clone();
    paid.confirm_payment(payment.clone(), ActorKind::PaymentService, now()).unwrap();
    store
        .update(OrderUpdate { order: &paid, expected_version: 1, events: &[], payment: Some(&payment) })
        .await
        .unwrap();
    assert_eq!(store.payment_record(&payment.payment_id), Some(order.id()));
    assert_eq!(store.order_count(), 1);
}

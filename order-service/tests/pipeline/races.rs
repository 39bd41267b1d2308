//! Races: cancel against payment, concurrent guest orders for one email.

use order_app::{AppError, Principal, StatusChange};
use order_domain::{OrderError, OrderStatus};

use crate::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancel_and_payment_racing_have_exactly_one_winner() {
    let stack = stack();
    let (mut cancels_won, mut payments_won) = (0, 0);
    for trial in 0..60 {
        let cart = format!("cart_{trial}");
        let id = recorded_order(&stack, "tenant_acme", &cart).await;
        stack.app.update(&customer("tenant_acme"), id, StatusChange::RequestPayment, None).await.unwrap();

        let app = stack.app.clone();
        let cancel =
            tokio::spawn(
                async move { app.update(&customer("tenant_acme"), id, StatusChange::Cancel(None), None).await },
            );
        let app = stack.app.clone();
        let pay = tokio::spawn(async move {
            app.confirm_payment(&payment_service(), id, payment(&format!("pf_{trial}"), "1349.00")).await
        });
        let (cancel, pay) = (cancel.await.unwrap(), pay.await.unwrap());

        let order = stack.app.get(&Principal::Staff, id).await.unwrap();
        let statuses: Vec<_> = order.history().iter().map(|c| c.to).collect();
        match order.status() {
            OrderStatus::Paid => {
                payments_won += 1;
                assert!(pay.is_ok());
                assert!(
                    matches!(
                        cancel,
                        Err(AppError::Conflict(_) | AppError::Rejected(OrderError::IllegalTransition { .. }))
                    ),
                    "the losing cancel is refused: {cancel:?}"
                );
                assert!(!statuses.contains(&OrderStatus::Cancelled));
                assert!(order.payment().is_some() && order.unapplied_payments().is_empty());
            }
            OrderStatus::Cancelled => {
                cancels_won += 1;
                assert!(cancel.is_ok());
                assert!(!statuses.contains(&OrderStatus::Paid));
                assert!(order.payment().is_none());
                match pay {
                    // Lost the race to the write: PayFast retries and it becomes a late payment.
                    Err(AppError::Conflict(_)) => assert!(order.unapplied_payments().is_empty()),
                    // Arrived after the cancel: recorded for refund, order untouched.
                    Ok(after) => assert_eq!(after.unapplied_payments().len(), 1),
                    Err(other) => panic!("unexpected payment outcome {other}"),
                }
            }
            other => panic!("order ended {other}"),
        }
    }
    assert_eq!(cancels_won + payments_won, 60);
    println!("cancel won {cancels_won} times, payment won {payments_won} times");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_guest_orders_for_one_email_make_one_tenant() {
    let stack = stack();
    let mut ids = Vec::new();
    for i in 0..12 {
        let request = guest_request(&stack, &format!("cart_guest_{i}"), "same.person@example.co.za");
        ids.push(stack.app.create_guest(&Principal::Guest, request, None).await.unwrap().order_id);
    }
    // The record writer and invoice writer both resolve the tenant, eight events at a time.
    stack.drain().await.unwrap();
    assert_eq!(stack.tenants.len(), 1);
    let tenants: std::collections::BTreeSet<_> =
        futures::future::join_all(ids.iter().map(|id| stack.app.get(&Principal::Staff, *id)))
            .await
            .into_iter()
            .map(|order| order.unwrap().tenant_id().cloned().unwrap())
            .collect();
    assert_eq!(tenants.len(), 1, "every order under the one tenant");
}

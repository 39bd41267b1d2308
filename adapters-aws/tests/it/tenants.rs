//! `DynamoTenantDirectory`, against moto.

use futures::future::join_all;
use order_domain::{Email, TenantId, TenantStatus};
use order_ports::{PortError, TenantDirectory};

use crate::support::{fresh, minutes};

#[tokio::test]
async fn a_created_tenant_is_found_by_email_and_its_email_stays_unique() {
    let f = fresh().await;
    let directory = &f.adapters.tenants;
    let email = Email::parse("Guest@Example.CO.ZA").unwrap();
    assert_eq!(directory.find_by_email(&email).await.unwrap(), None);

    let id = TenantId::parse("tenant_guest_1").unwrap();
    let created = directory.create_unvalidated(&id, &email, minutes(0)).await.unwrap();
    assert_eq!(created.status, TenantStatus::Unvalidated);
    assert_eq!(directory.find_by_email(&email).await.unwrap(), Some(created));

    let again = directory.create_unvalidated(&TenantId::parse("tenant_guest_2").unwrap(), &email, minutes(1)).await;
    assert!(matches!(again, Err(PortError::AlreadyExists)), "{again:?}");
    let same_id = directory.create_unvalidated(&id, &Email::parse("else@example.co.za").unwrap(), minutes(1)).await;
    assert!(matches!(same_id, Err(PortError::AlreadyExists)), "{same_id:?}");
    assert_eq!(directory.find_by_email(&Email::parse("else@example.co.za").unwrap()).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_guest_checkouts_for_one_email_end_with_one_tenant() {
    let f = fresh().await;
    let email = Email::parse("race@example.co.za").unwrap();
    let attempts = (0..8).map(|i| {
        let directory = f.adapters.tenants.clone();
        let email = email.clone();
        tokio::spawn(async move {
            directory
                .create_unvalidated(&TenantId::parse(format!("tenant_race_{i}")).unwrap(), &email, minutes(0))
                .await
        })
    });
    let results: Vec<_> = join_all(attempts).await.into_iter().map(Result::unwrap).collect();
    let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    assert!(results.iter().filter(|r| r.is_err()).all(|r| matches!(r, Err(PortError::AlreadyExists))));
    assert_eq!(f.adapters.tenants.find_by_email(&email).await.unwrap().as_ref(), Some(winners[0]));
}

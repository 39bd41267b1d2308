//! `DynamoTenantDirectory`, against moto.

use aws_sdk_dynamodb::types::AttributeValue;
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

#[tokio::test]
async fn the_email_item_is_keyed_by_the_canonical_address_and_read_back_through_it() {
    let f = fresh().await;
    let directory = &f.adapters.tenants;
    let id = TenantId::parse("tenant_zoe").unwrap();
    directory
        .create_unvalidated(&id, &Email::parse("ZOE\u{308}@xn--bcher-kva.co.za").unwrap(), minutes(0))
        .await
        .unwrap();

    let raw = |pk: &str| {
        f.clients
            .dynamodb
            .get_item()
            .table_name(&f.resources.tenants_table)
            .key("PK", AttributeValue::S(pk.into()))
            .key("SK", AttributeValue::S("EMAIL".into()))
            .consistent_read(true)
            .send()
    };
    let item = raw("EMAIL#zo\u{eb}@b\u{fc}cher.co.za").await.unwrap().item.expect("keyed by the canonical address");
    assert_eq!(item["email"], AttributeValue::S("zo\u{eb}@b\u{fc}cher.co.za".into()));

    // An item whose address was stored in another spelling (before the canonical form, or by
    // another writer) is read back in the canonical form.
    f.clients
        .dynamodb
        .put_item()
        .table_name(&f.resources.tenants_table)
        .item("PK", AttributeValue::S("EMAIL#zo\u{eb}.k@b\u{fc}cher.co.za".into()))
        .item("SK", AttributeValue::S("EMAIL".into()))
        .item("tenantId", AttributeValue::S("tenant_zoe_k".into()))
        .item("email", AttributeValue::S("Zoe\u{308}.K@XN--BCHER-KVA.co.za".into()))
        .item("status", AttributeValue::S("ACTIVE".into()))
        .send()
        .await
        .unwrap();
    let zoe_k = Email::parse("zo\u{eb}.k@b\u{fc}cher.co.za").unwrap();
    let found = directory.find_by_email(&zoe_k).await.unwrap().unwrap();
    assert_eq!((found.id.as_str(), found.email, found.status), ("tenant_zoe_k", zoe_k, TenantStatus::Active));
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

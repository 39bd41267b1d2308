//! Listing: newest first, limits, filters, and signed cursors bound to the tenant.

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{customer, mint, problem, server};

#[tokio::test]
async fn pages_are_newest_first_filtered_and_cursors_are_bound_to_the_tenant() {
    let server = server().await;
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(server.recorded_order("tenant_acme", &format!("cart_l{n}")).await);
        server.stack.advance(chrono::TimeDelta::minutes(1));
    }
    server.recorded_order("tenant_other", "cart_o1").await;
    server.recorded_order("tenant_other", "cart_o2").await;
    let owner = customer("tenant_acme");
    let cancelled =
        server.put_json(&format!("/v1.0/orders/{}", ids[1]), &owner, None, &json!({"status": "CANCELLED"})).await;
    assert_eq!(cancelled.status(), StatusCode::OK);

    // Walk every page, two at a time.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = "/v1.0/tenants/tenant_acme/orders?limit=2".to_owned();
        if let Some(cursor) = &cursor {
            path.push_str("&cursor=");
            path.push_str(cursor);
        }
        let page: Value = server.get(&path, &owner).await.json().await.unwrap();
        let orders = page["orders"].as_array().unwrap();
        assert!(orders.len() <= 2);
        seen.extend(orders.iter().map(|o| o["orderId"].as_str().unwrap().to_owned()));
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
    assert_eq!(seen, newest_first);

    let filtered: Value =
        server.get("/v1.0/tenants/tenant_acme/orders?status=CANCELLED", &owner).await.json().await.unwrap();
    assert_eq!(filtered["orders"].as_array().unwrap().len(), 1);
    assert_eq!(filtered["orders"][0]["orderId"], ids[1].as_str());

    // Date range: the middle three orders.
    let from = server.order(&ids[1]).await["createdAt"].as_str().unwrap().to_owned();
    let to = server.order(&ids[4]).await["createdAt"].as_str().unwrap().to_owned();
    let path =
        format!("/v1.0/tenants/tenant_acme/orders?from={}&to={}", from.replace('+', "%2B"), to.replace('+', "%2B"));
    let ranged: Value = server.get(&path, &owner).await.json().await.unwrap();
    let ranged: Vec<&str> =
        ranged["orders"].as_array().unwrap().iter().map(|o| o["orderId"].as_str().unwrap()).collect();
    assert_eq!(ranged, vec![ids[3].as_str(), ids[2].as_str(), ids[1].as_str()]);

    // A cursor issued for tenant_acme, replayed against tenant_other by staff: 400.
    let first: Value = server.get("/v1.0/tenants/tenant_acme/orders?limit=1", &owner).await.json().await.unwrap();
    let acme_cursor = first["nextCursor"].as_str().unwrap().to_owned();
    let staff = mint("staff", None);
    let foreign = server.get(&format!("/v1.0/tenants/tenant_other/orders?cursor={acme_cursor}"), &staff).await;
    problem(foreign, StatusCode::BAD_REQUEST, "invalid-cursor").await;
    // The other tenant's customer with acme's cursor on their own listing: 400 too.
    let foreign =
        server.get(&format!("/v1.0/tenants/tenant_other/orders?cursor={acme_cursor}"), &customer("tenant_other")).await;
    problem(foreign, StatusCode::BAD_REQUEST, "invalid-cursor").await;

    // A forged cursor: the payload rewritten, the MAC kept.
    let (_, mac) = acme_cursor.split_once('.').unwrap();
    let forged_payload =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("tenant_acme|0|order_01JDQ2Z7Y8E6T3VY0M5K9C4B2A");
    for forged in [format!("{forged_payload}.{mac}"), "garbage".to_owned(), format!("{acme_cursor}x")] {
        let response = server.get(&format!("/v1.0/tenants/tenant_acme/orders?cursor={forged}"), &owner).await;
        problem(response, StatusCode::BAD_REQUEST, "invalid-cursor").await;
    }

    for bad in ["limit=0", "limit=101", "limit=ten", "status=LOST", "from=yesterday", "colour=red"] {
        let response = server.get(&format!("/v1.0/tenants/tenant_acme/orders?{bad}"), &owner).await;
        problem(response, StatusCode::BAD_REQUEST, "invalid-query").await;
    }
}

//! The development server's bounded window of documents over HTTP: a document evicted from it
//! is answered 410 `document-evicted`, saying so, never 404 (in memory only; S3 keeps every
//! document).

use reqwest::StatusCode;
use serde_json::Value;

use crate::{Options, Stack, customer, problem, server_on};

#[tokio::test]
async fn an_evicted_document_is_gone_and_the_answer_says_why() {
    let server = server_on(Stack::keeping_documents(1), Options::default()).await;
    let first = server.recorded_order("tenant_acme", "cart_window_1").await;
    let second = server.recorded_order("tenant_acme", "cart_window_2").await;
    assert_eq!(server.stack.document_evictions(), 1, "the second pro forma pushed out the first");
    let owner = customer("tenant_acme");

    let gone = server.get(&format!("/v1.0/orders/{first}/documents/proforma_{first}.pdf"), &owner).await;
    let body = problem(gone, StatusCode::GONE, "document-evicted").await;
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains(&first), "{detail}");
    assert!(detail.contains("last 1 documents"), "the window's size: {detail}");
    assert!(detail.contains("development server's bounded window"), "{detail}");
    // The listing of an order that kept nothing says the same, rather than "no documents yet".
    let listed = server.get(&format!("/v1.0/orders/{first}/documents"), &owner).await;
    problem(listed, StatusCode::GONE, "document-evicted").await;
    // A document the order never had is still simply not found.
    let never = server.get(&format!("/v1.0/orders/{first}/documents/receipt_{first}.pdf"), &owner).await;
    problem(never, StatusCode::NOT_FOUND, "not-found").await;
    // Another tenant learns nothing: as if the order did not exist.
    let intruder =
        server.get(&format!("/v1.0/orders/{first}/documents/proforma_{first}.pdf"), &customer("tenant_other")).await;
    problem(intruder, StatusCode::NOT_FOUND, "not-found").await;

    // The newest document is kept.
    let kept = server.get(&format!("/v1.0/orders/{second}/documents/proforma_{second}.pdf"), &owner).await;
    assert_eq!(kept.status(), StatusCode::OK);
    let listed: Value = server.get(&format!("/v1.0/orders/{second}/documents"), &owner).await.json().await.unwrap();
    assert_eq!(listed["documents"].as_array().map(Vec::len), Some(1), "{listed}");
}

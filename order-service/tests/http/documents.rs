//! An order's documents over HTTP: listed, fetched as PDF, read back by a PDF parser; the same
//! authorization as reading the order.

use order_ports::{DocumentNumber, NumberSeries};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{customer, mint, problem, server};

fn pdf_text(bytes: &[u8]) -> String {
    let document = lopdf::Document::load_mem(bytes).expect("a PDF lopdf can open");
    let pages: Vec<u32> = document.get_pages().keys().copied().collect();
    document.extract_text(&pages).unwrap()
}

#[tokio::test]
async fn an_orders_documents_are_listed_and_fetched_as_pdf_by_whoever_may_read_the_order() {
    let server = server().await;
    let id = server.recorded_order("tenant_acme", "cart_docs").await;
    let owner = customer("tenant_acme");
    let list = |token: String| {
        let (server, id) = (&server, &id);
        async move { server.get(&format!("/v1.0/orders/{id}/documents"), &token).await }
    };

    // Created: the pro forma invoice (invoiced on payment, the default).
    let listed: Value = list(owner.clone()).await.json().await.unwrap();
    let documents = listed["documents"].as_array().unwrap();
    assert_eq!(documents.len(), 1, "{listed}");
    assert_eq!(documents[0]["kind"], "PRO_FORMA");
    assert_eq!(documents[0]["name"], format!("proforma_{id}.pdf"));
    assert!(documents[0].get("number").is_none());
    assert!(documents[0]["size"].as_u64().unwrap() > 1000);

    // Paid: the tax invoice and the receipt join it.
    let payments = mint("payment", None);
    let paid = server
        .post_json(
            &format!("/v1.0/orders/{id}/paymentconfirmation"),
            Some(&payments),
            &json!({"paymentId": "pf_docs", "amount": {"amount": "1349.00", "currency": "ZAR"}}),
        )
        .await;
    assert_eq!(paid.status(), StatusCode::OK);
    server.stack.drain().await;
    let listed: Value = list(owner.clone()).await.json().await.unwrap();
    let kinds: Vec<_> = listed["documents"].as_array().unwrap().iter().map(|d| d["kind"].clone()).collect();
    assert_eq!(kinds, [json!("PRO_FORMA"), json!("TAX_INVOICE"), json!("RECEIPT")]);
    let invoice = &listed["documents"][1];
    // The first number of its sequence: `INV-000001`, or with several sequences (the AWS suite's
    // layout) `INV-{sequence}-000001`.
    let number = invoice["number"].as_str().unwrap().to_owned();
    let first = DocumentNumber::parse(&number).unwrap();
    assert_eq!((first.series, first.serial), (NumberSeries::TaxInvoice, 1), "{number}");
    assert_eq!(invoice["href"], format!("/v1.0/orders/{id}/documents/invoice_{id}.pdf"));

    let fetched = server.get(invoice["href"].as_str().unwrap(), &owner).await;
    assert_eq!(fetched.status(), StatusCode::OK);
    assert_eq!(fetched.headers()["content-type"], "application/pdf");
    assert_eq!(fetched.headers()["content-disposition"], format!("attachment; filename=\"invoice_{id}.pdf\""));
    let bytes = fetched.bytes().await.unwrap();
    assert_eq!(u64::try_from(bytes.len()).unwrap(), invoice["size"].as_u64().unwrap());
    let text = pdf_text(&bytes);
    assert!(text.contains("Tax Invoice") && text.contains(&number) && text.contains(&id), "{text}");

    // Another tenant's customer: as if the order did not exist, for the list and each document.
    let intruder = customer("tenant_other");
    problem(list(intruder.clone()).await, StatusCode::NOT_FOUND, "not-found").await;
    let stolen = server.get(&format!("/v1.0/orders/{id}/documents/invoice_{id}.pdf"), &intruder).await;
    problem(stolen, StatusCode::NOT_FOUND, "not-found").await;
    // Staff read any order's documents.
    assert_eq!(list(mint("staff", None)).await.status(), StatusCode::OK);

    // A document the order does not have (yet), and names that are not its documents.
    for name in [format!("creditnote_{id}.pdf"), "invoice_order_00000000000000000000000000.pdf".to_owned(), "x".into()]
    {
        let missing = server.get(&format!("/v1.0/orders/{id}/documents/{name}"), &owner).await;
        problem(missing, StatusCode::NOT_FOUND, "not-found").await;
    }
    // Without a token.
    let anonymous = server.client.get(server.url(&format!("/v1.0/orders/{id}/documents"))).send().await.unwrap();
    problem(anonymous, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

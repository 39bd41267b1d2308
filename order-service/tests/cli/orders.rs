//! `bbws token mint` and `bbws orders …` against a real server.

use serde_json::Value;

use order_service::memory::{StackOptions, demo_config};

use crate::{Server, server, server_of};

const BILLING: [&str; 8] =
    ["--name", "Thandi Nkosi", "--line1", "12 Long Street", "--city", "Cape Town", "--postal-code", "8001"];

/// Mints a token through the CLI (`POST /dev/token`).
async fn token(server: &Server, role: &str, tenant: Option<&str>) -> String {
    let mut args = vec!["token", "mint", "--role", role];
    if let Some(tenant) = tenant {
        args.extend(["--tenant", tenant]);
    }
    let out = server.bbws(None, &args).await;
    let token = out.ok().trim().to_owned();
    assert_eq!(token.split('.').count(), 3, "a JWT: {out:?}");
    token
}

/// Creates an order for `cart` through the CLI and runs the processors; returns its id.
async fn recorded(server: &Server, token: &str, cart: &str) -> String {
    server.seed_cart(cart);
    let mut args =
        vec!["--json", "orders", "create", "--tenant", "tenant_acme", "--cart", cart, "--email", "thandi@acme.co.za"];
    args.extend(BILLING);
    let accepted = server.bbws(Some(token), &args).await.json();
    server.stack.drain().await.unwrap();
    accepted["orderId"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_created_read_listed_and_cancelled_from_the_command_line() {
    let server = server().await;
    let customer = token(&server, "customer", Some("tenant_acme")).await;

    // Create, human output.
    server.seed_cart("cart_1");
    let mut args =
        vec!["orders", "create", "--tenant", "tenant_acme", "--cart", "cart_1", "--email", "thandi@acme.co.za"];
    args.extend(BILLING);
    args.extend(["--idempotency-key", "checkout-1", "--province", "Western Cape"]);
    let out = server.bbws(Some(&customer), &args).await;
    let text = out.ok();
    assert!(text.starts_with("accepted order "), "{text}");
    let id = text.split_whitespace().nth(2).unwrap().to_owned();
    assert!(text.contains(&format!("/v1.0/orders/{id}")), "{text}");
    server.stack.drain().await.unwrap();

    // Get: text, then the API's JSON.
    let out = server.bbws(Some(&customer), &["orders", "get", &id]).await;
    let text = out.ok();
    for expected in [
        format!("order     {id}"),
        "tenant    tenant_acme".into(),
        "status    PENDING (version 1)".into(),
        "customer  thandi@acme.co.za".into(),
        "total     1349.00 ZAR (VAT 175.96 ZAR, discount 0.00 ZAR)".into(),
        "HOSTING-PRO".into(),
        "1150.00".into(),
    ] {
        assert!(text.contains(&expected), "{expected:?} missing from:\n{text}");
    }
    let order = server.bbws(Some(&customer), &["orders", "get", &id, "--json"]).await.json();
    assert_eq!(order["orderId"], id.as_str());
    assert_eq!(order["totals"]["total"]["amount"], "1349.00");
    assert_eq!(order["items"].as_array().unwrap().len(), 2);

    // A second order, then the listing: a table, newest first; JSON pages with a cursor.
    let second = recorded(&server, &customer, "cart_2").await;
    let out = server.bbws(Some(&customer), &["orders", "list", "--tenant", "tenant_acme"]).await;
    let lines: Vec<&str> = out.ok().lines().collect();
    assert!(lines[0].starts_with("ORDER") && lines[0].contains("STATUS") && lines[0].contains("TOTAL"), "{lines:?}");
    assert!(lines[1].starts_with(&second) && lines[1].contains("PENDING") && lines[1].contains("1349.00 ZAR"));
    assert!(lines[2].starts_with(&id), "{lines:?}");
    assert_eq!(lines.len(), 3, "{lines:?}");
    let page = server
        .bbws(Some(&customer), &["--json", "orders", "list", "--tenant", "tenant_acme", "--limit", "1"])
        .await
        .json();
    assert_eq!(page["orders"][0]["orderId"], second.as_str());
    let cursor = page["nextCursor"].as_str().unwrap();
    let out = server
        .bbws(Some(&customer), &["orders", "list", "--tenant", "tenant_acme", "--limit", "1", "--cursor", cursor])
        .await;
    assert!(out.ok().lines().nth(1).unwrap().starts_with(&id), "{out:?}");
    let out = server.bbws(Some(&customer), &["orders", "list", "--tenant", "tenant_acme", "--limit", "1"]).await;
    assert!(out.ok().contains(&format!("next page: --cursor {cursor}")), "{out:?}");

    // Cancel (PUT), with the version it was read at.
    let out = server
        .bbws(Some(&customer), &["orders", "cancel", &id, "--reason", "changed my mind", "--if-version", "1"])
        .await;
    assert_eq!(out.ok(), format!("order {id}: CANCELLED (version 2)\n"));
    let out = server.bbws(Some(&customer), &["orders", "get", &id]).await;
    assert!(out.ok().contains("PENDING -> CANCELLED  by CUSTOMER (changed my mind)"), "{out:?}");

    // Filters reach the API: by status, and by a date window that holds nothing.
    let out =
        server.bbws(Some(&customer), &["orders", "list", "--tenant", "tenant_acme", "--status", "CANCELLED"]).await;
    let lines: Vec<&str> = out.ok().lines().collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[1].starts_with(&id) && lines[1].contains("CANCELLED"));
    let out = server
        .bbws(Some(&customer), &["orders", "list", "--tenant", "tenant_acme", "--to", "2020-01-01T00:00:00Z"])
        .await;
    assert_eq!(out.ok(), "no orders\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_confirmed_from_the_command_line() {
    let server = server().await;
    let customer = token(&server, "customer", Some("tenant_acme")).await;
    let payment = token(&server, "payment", None).await;
    let id = recorded(&server, &customer, "cart_1").await;

    // The wrong amount: recorded, not applied, held for refund.
    let out = server.bbws(Some(&payment), &["orders", "pay", &id, "--payment-id", "pf_0", "--amount", "1000.00"]).await;
    assert_eq!(
        out.ok(),
        format!("order {id}: PENDING (version 2); the payment was not applied and is held for refund\n")
    );
    // A customer's token may not record its refund: the API's problem, exit status 1.
    let out = server.bbws(Some(&customer), &["orders", "refund-payment", &id, "pf_0"]).await;
    let error = out.failed();
    assert!(error.starts_with("error: "), "{error}");
    assert!(error.contains("(HTTP 403)"), "{error}");
    assert!(out.stdout.is_empty());
    let out = server.bbws(Some(&payment), &["orders", "refund-payment", &id, "pf_0", "--reference", "RF-1"]).await;
    assert_eq!(out.ok(), format!("order {id}: PENDING (version 3); 0 payment(s) still to refund\n"));

    let out = server.bbws(Some(&payment), &["orders", "pay", &id, "--payment-id", "pf_1", "--amount", "1349.00"]).await;
    assert_eq!(out.ok(), format!("order {id}: PAID (version 4)\n"));
    // Repeated: the same payment, recognised; as JSON.
    let ack = server
        .bbws(Some(&payment), &["--json", "orders", "pay", &id, "--payment-id", "pf_1", "--amount", "1349.00"])
        .await
        .json();
    assert_eq!(
        (ack["orderId"].as_str(), ack["status"].as_str(), ack["version"].as_u64()),
        (Some(&*id), Some("PAID"), Some(4))
    );
    let order: Value = server.bbws(Some(&customer), &["--json", "orders", "get", &id]).await.json();
    assert_eq!(order["payment"]["paymentId"], "pf_1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_checkout_from_the_command_line() {
    let server = server().await;
    let staff = token(&server, "staff", None).await;
    server.seed_cart_of("cart_guest", order_domain::CartOwner::Guest);
    let mut args = vec!["--json", "orders", "create", "--cart", "cart_guest", "--email", "guest@example.co.za"];
    args.extend(BILLING);
    let accepted = server.bbws(Some(&staff), &args).await.json();
    let id = accepted["orderId"].as_str().unwrap();
    server.stack.drain().await.unwrap();
    let order = server.bbws(Some(&staff), &["--json", "orders", "get", id]).await.json();
    assert_eq!(order["customerEmail"], "guest@example.co.za");
    assert!(order["tenantId"].as_str().is_some(), "the record writer resolved a tenant: {order}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_errors_are_the_problem_title_and_detail_with_a_failing_status() {
    let server = server().await;
    let customer = token(&server, "customer", Some("tenant_acme")).await;

    let out = server.bbws(Some(&customer), &["orders", "get", "01JDQ9ZB7W3M2K5X8Y4N6P0R1S"]).await;
    let error = out.failed();
    assert!(error.contains("error: Not found: No such resource exists for you. (HTTP 404)"), "{error}");

    let out = server.bbws(Some(&customer), &["orders", "list", "--tenant", "tenant_acme", "--status", "SHIPPED"]).await;
    assert!(out.failed().contains("(HTTP 400)"), "{out:?}");

    let out = server.bbws(Some("not-a-token"), &["orders", "get", "01JDQ9ZB7W3M2K5X8Y4N6P0R1S"]).await;
    assert!(out.failed().contains("(HTTP 401)"), "{out:?}");

    let out = server.bbws(None, &["orders", "get", "01JDQ9ZB7W3M2K5X8Y4N6P0R1S"]).await;
    assert!(out.failed().contains("no token: pass --token or set BBWS_TOKEN"), "{out:?}");

    let out = server.bbws(None, &["token", "mint", "--role", "customer"]).await;
    assert!(out.failed().contains("tenantId is required"), "{out:?}");

    let unreachable = crate::bbws(
        &[("BBWS_API_URL".to_owned(), "http://127.0.0.1:9".to_owned()), ("BBWS_TOKEN".to_owned(), customer)],
        &["orders", "get", "01JDQ9ZB7W3M2K5X8Y4N6P0R1S"],
    )
    .await;
    assert!(unreachable.failed().contains("cannot reach the API at http://127.0.0.1:9"), "{unreachable:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_orders_documents_listed_and_saved_from_the_command_line() {
    let server = server().await;
    let customer = token(&server, "customer", Some("tenant_acme")).await;
    let staff = token(&server, "staff", None).await;
    let id = recorded(&server, &customer, "cart_docs").await;
    server.bbws(Some(&customer), &["orders", "cancel", &id, "--reason", "changed my mind"]).await.ok();
    server.stack.drain().await.unwrap();

    let run = server.bbws(Some(&customer), &["orders", "documents", &id]).await;
    let out = run.ok();
    assert!(out.starts_with("PRO_FORMA    -"), "{out}");
    assert!(out.contains(&format!("proforma_{id}.pdf")), "{out}");
    assert_eq!(out.lines().count(), 1, "a cancelled order invoiced on payment keeps only its pro forma: {out}");

    let dir = std::env::temp_dir().join(format!("bbws-cli-documents-{id}"));
    let run = server.bbws(Some(&staff), &["orders", "documents", &id, "--save", dir.to_str().unwrap()]).await;
    let out = run.ok();
    let saved = dir.join(format!("proforma_{id}.pdf"));
    assert!(out.contains(&format!("saved {}", saved.display())), "{out}");
    let bytes = std::fs::read(&saved).unwrap();
    let document = lopdf::Document::load_mem(&bytes).unwrap();
    let text = document.extract_text(&document.get_pages().keys().copied().collect::<Vec<_>>()).unwrap();
    assert!(text.contains("Pro Forma Invoice") && text.contains("This is not a tax invoice"), "{text}");
    // As JSON for scripts; a file where the directory should be is named as such.
    let run = server.bbws(Some(&staff), &["--json", "orders", "documents", &id, "--save", dir.to_str().unwrap()]).await;
    let json = run.json();
    assert_eq!(json["saved"][0]["name"], format!("proforma_{id}.pdf"));
    let run = server.bbws(Some(&staff), &["orders", "documents", &id, "--save", saved.to_str().unwrap()]).await;
    let error = run.failed();
    assert!(error.contains("is not a directory"), "{error}");
    std::fs::remove_dir_all(&dir).unwrap();

    let other = token(&server, "customer", Some("tenant_other")).await;
    let run = server.bbws(Some(&other), &["orders", "documents", &id]).await;
    let error = run.failed();
    assert!(error.contains("(HTTP 404)"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_evicted_from_the_development_window_is_reported_as_an_api_error() {
    let server = server_of(StackOptions::new(demo_config()).keeping(1, 0)).await;
    let customer = token(&server, "customer", Some("tenant_acme")).await;
    let first = recorded(&server, &customer, "cart_window_1").await;
    recorded(&server, &customer, "cart_window_2").await;

    let dir = std::env::temp_dir().join(format!("bbws-cli-evicted-{first}"));
    let run = server.bbws(Some(&customer), &["orders", "documents", &first, "--save", dir.to_str().unwrap()]).await;
    let error = run.failed();
    assert!(error.contains("Document evicted: "), "{error}");
    assert!(error.contains("keeps only the last 1 documents"), "{error}");
    assert!(error.contains("(HTTP 410)"), "{error}");
    let _ = std::fs::remove_dir_all(&dir);
}

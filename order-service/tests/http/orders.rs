//! Creates, reads and updates: status codes, headers, idempotency, If-Match, strict bodies.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use order_app::Upstream;
use order_domain::{CartId, CartSnapshot};
use order_ports::{CartGateway, PortResult};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::{Options, create_body, customer, mint, problem, seed_cart, seed_cart_of, server, server_with};

#[tokio::test]
async fn a_tenant_order_is_accepted_read_and_changed() {
    let server = server().await;
    seed_cart(&server, "cart_1");
    let owner = customer("tenant_acme");
    let response = server
        .post_json("/v1.0/tenants/tenant_acme/orders", Some(&owner), &create_body("cart_1", "thandi@acme.co.za"))
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let location = response.headers().get("location").unwrap().to_str().unwrap().to_owned();
    assert!(response.headers().get("idempotent-replayed").is_none());
    let accepted: Value = response.json().await.unwrap();
    let id = accepted["orderId"].as_str().unwrap().to_owned();
    assert!(id.starts_with("order_"));
    assert_eq!(location, format!("/v1.0/orders/{id}"));
    assert_eq!(accepted["location"], location);

    // Before the record writer has run: 404 "not recorded yet", with Retry-After.
    let early = server.get(&location, &owner).await;
    assert_eq!(early.headers().get("retry-after").unwrap(), "1");
    problem(early, StatusCode::NOT_FOUND, "not-recorded-yet").await;

    server.stack.drain().await;
    let read = server.get(&location, &owner).await;
    assert_eq!(read.status(), StatusCode::OK);
    assert_eq!(read.headers().get("etag").unwrap(), "\"1\"");
    let order: Value = read.json().await.unwrap();
    assert_eq!(order["orderId"], id);
    assert_eq!(order["tenantId"], "tenant_acme");
    assert_eq!(order["status"], "PENDING");
    assert_eq!(order["totals"]["total"], json!({"amount": "1349.00", "currency": "ZAR"}));
    assert_eq!(order["totals"]["vat"], json!({"amount": "175.96", "currency": "ZAR"}));
    assert_eq!(order["items"].as_array().unwrap().len(), 2);

    // The owner hands it to payment, conditionally on the version read.
    let moved = server.put_json(&location, &owner, Some("\"1\""), &json!({"status": "PAYMENT_PENDING"})).await;
    assert_eq!(moved.status(), StatusCode::OK);
    assert_eq!(moved.headers().get("etag").unwrap(), "\"2\"");
    assert_eq!(moved.json::<Value>().await.unwrap()["status"], "PAYMENT_PENDING");

    // A stale If-Match is 412 and changes nothing.
    let stale = server.put_json(&location, &owner, Some("\"1\""), &json!({"status": "CANCELLED"})).await;
    problem(stale, StatusCode::PRECONDITION_FAILED, "stale-version").await;
    let foreign_tag = server.put_json(&location, &owner, Some("\"abc\""), &json!({"status": "CANCELLED"})).await;
    problem(foreign_tag, StatusCode::PRECONDITION_FAILED, "stale-version").await;
    assert_eq!(server.order(&id).await["status"], "PAYMENT_PENDING");

    // If-Match is a list of entity-tags compared strongly (RFC 9110 §13.1.1): one of them
    // current is enough; a weak tag never matches.
    let weak = server.put_json(&location, &owner, Some("W/\"2\""), &json!({"status": "CANCELLED"})).await;
    problem(weak, StatusCode::PRECONDITION_FAILED, "stale-version").await;
    // Not an entity-tag (unquoted), alone or in a list: a malformed header, 400 as documented.
    for malformed in ["2", "\"2\", 3", "\"2", "W/2", ","] {
        let refused = server.put_json(&location, &owner, Some(malformed), &json!({"status": "CANCELLED"})).await;
        problem(refused, StatusCode::BAD_REQUEST, "invalid-if-match").await;
    }
    let listed_with_empty =
        server.put_json(&location, &owner, Some("\"7\", , \"2\""), &json!({"status": "PAYMENT_PENDING"})).await;
    assert_eq!(listed_with_empty.status(), StatusCode::OK, "empty list members are ignored (RFC 9110 §5.6.1)");
    // `*` applies to an order that exists; for one that does not, the answer is what it would
    // be without the condition (RFC 9110 §13.2.1): 404.
    let unknown = server
        .put_json("/v1.0/orders/order_01JDQ2Z7Y8E6T3VY0M5K9C4B2A", &owner, Some("*"), &json!({"status": "CANCELLED"}))
        .await;
    problem(unknown, StatusCode::NOT_FOUND, "not-found").await;
    let listed = server.put_json(&location, &owner, Some("\"7\", \"2\""), &json!({"status": "PAYMENT_PENDING"})).await;
    assert_eq!(listed.status(), StatusCode::OK, "a repeat under a list naming the current version");
    assert_eq!(listed.headers().get("etag").unwrap(), "\"2\"", "a repeat changes nothing");

    // Provisioning cannot start before payment: the transition table says so, the host says 409.
    let refused = server.put_json(&location, &owner, None, &json!({"status": "PROCESSING"})).await;
    problem(refused, StatusCode::CONFLICT, "illegal-transition").await;

    // The owner cancels with a reason; cancelling again repeats nothing and succeeds.
    let cancelled =
        server.put_json(&location, &owner, Some("*"), &json!({"status": "CANCELLED", "reason": "Wrong plan"})).await;
    assert_eq!(cancelled.status(), StatusCode::OK);
    let cancelled: Value = cancelled.json().await.unwrap();
    assert_eq!(cancelled["status"], "CANCELLED");
    assert_eq!(cancelled["history"][1]["reason"], "Wrong plan");
    let again = server.put_json(&location, &owner, None, &json!({"status": "CANCELLED"})).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.headers().get("etag").unwrap(), "\"3\"");

    // A cancelled order cannot be handed to payment again: 409 from the transition table.
    let illegal = server.put_json(&location, &owner, None, &json!({"status": "PAYMENT_PENDING"})).await;
    problem(illegal, StatusCode::CONFLICT, "illegal-transition").await;
}

#[tokio::test]
async fn status_moves_by_service_principals() {
    let server = server().await;
    let id = server.recorded_order("tenant_acme", "cart_svc").await;
    let path = format!("/v1.0/orders/{id}");
    let paid = server
        .post_json(
            &format!("{path}/paymentconfirmation"),
            Some(&mint("payment", None)),
            &json!({"paymentId": "pay_1", "amount": {"amount": "1349.00", "currency": "ZAR"}}),
        )
        .await;
    assert_eq!(paid.status(), StatusCode::OK);
    let provisioning = mint("provisioning", None);
    let processing = server.put_json(&path, &provisioning, None, &json!({"status": "PROCESSING"})).await;
    assert_eq!(processing.json::<Value>().await.unwrap()["status"], "PROCESSING");
    // The cart service may not refund.
    let refused = server.put_json(&path, &mint("cart", None), None, &json!({"status": "REFUNDED"})).await;
    problem(refused, StatusCode::FORBIDDEN, "not-permitted").await;
    let completed = server.put_json(&path, &provisioning, None, &json!({"status": "COMPLETED"})).await;
    assert_eq!(completed.json::<Value>().await.unwrap()["status"], "COMPLETED");
}

#[tokio::test]
async fn a_guest_order_needs_no_token_and_the_cart_service_may_send_items() {
    let server = server().await;
    seed_cart_of(&server, "cart_guest", None);
    let response = server.post_json("/v1.0/orders", None, &create_body("cart_guest", "Sipho@Example.com")).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let id = response.json::<Value>().await.unwrap()["orderId"].as_str().unwrap().to_owned();
    server.stack.drain().await;
    let order = server.order(&id).await;
    assert!(order["tenantId"].as_str().unwrap().starts_with("tenant_"), "the guest's tenant was resolved");
    assert_eq!(order["customerEmail"], "sipho@example.com");

    // The cart service hands over a cart with its priced items.
    let mut body = create_body("cart_from_service", "lindi@example.com");
    body["items"] = json!([{"sku": "SSL-BASIC", "description": "Basic SSL", "quantity": 2,
                            "unitPrice": {"amount": "349.99", "currency": "ZAR"}}]);
    let response = server.post_json("/v1.0/tenants/tenant_acme/orders", Some(&mint("cart", None)), &body).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let id = response.json::<Value>().await.unwrap()["orderId"].as_str().unwrap().to_owned();
    server.stack.drain().await;
    assert_eq!(server.order(&id).await["totals"]["total"]["amount"], "699.98");

    // An invalid token on the guest route is refused rather than ignored.
    let response = server
        .client
        .post(server.url("/v1.0/orders"))
        .bearer_auth("not.a.token")
        .json(&create_body("cart_guest", "sipho@example.com"))
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn equivalent_spellings_of_a_guest_email_are_one_tenant_and_the_rest_is_refused() {
    let server = server().await;
    let mut tenants = Vec::new();
    for (cart, spelling) in
        [("cart_zoe_1", "zo\u{eb}@b\u{fc}cher.co.za"), ("cart_zoe_2", "ZOE\u{308}@xn--bcher-kva.co.za")]
    {
        seed_cart_of(&server, cart, None);
        let response = server.post_json("/v1.0/orders", None, &create_body(cart, spelling)).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED, "{spelling:?}");
        let id = response.json::<Value>().await.unwrap()["orderId"].as_str().unwrap().to_owned();
        server.stack.drain().await;
        let order = server.order(&id).await;
        assert_eq!(order["customerEmail"], "zo\u{eb}@b\u{fc}cher.co.za", "the canonical form");
        tenants.push(order["tenantId"].as_str().unwrap().to_owned());
    }
    assert_eq!(tenants[0], tenants[1], "one tenant for one address");

    // What cannot be brought to one spelling is refused, saying why.
    seed_cart_of(&server, "cart_zoe_3", None);
    for (spelling, why) in [("zoe\u{200b}@b\u{fc}cher.co.za", "invisible"), ("zoe@xn--zz.co.za", "domain")] {
        let response = server.post_json("/v1.0/orders", None, &create_body("cart_zoe_3", spelling)).await;
        let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid-value").await;
        assert!(body["detail"].as_str().unwrap().contains(why), "{spelling:?}: {body}");
    }
}

#[tokio::test]
async fn another_tenants_order_is_not_found_for_reads_and_updates() {
    let server = server().await;
    let id = server.recorded_order("tenant_acme", "cart_x").await;
    let intruder = customer("tenant_other");
    let path = format!("/v1.0/orders/{id}");
    problem(server.get(&path, &intruder).await, StatusCode::NOT_FOUND, "not-found").await;
    let update = server.put_json(&path, &intruder, None, &json!({"status": "CANCELLED"})).await;
    problem(update, StatusCode::NOT_FOUND, "not-found").await;
    problem(server.get("/v1.0/tenants/tenant_acme/orders", &intruder).await, StatusCode::NOT_FOUND, "not-found").await;
    let create = server
        .post_json("/v1.0/tenants/tenant_acme/orders", Some(&intruder), &create_body("cart_y", "a@example.com"))
        .await;
    problem(create, StatusCode::NOT_FOUND, "not-found").await;
    assert_eq!(server.order(&id).await["status"], "PENDING", "nothing changed");
    // Staff read across tenants.
    assert_eq!(server.get(&path, &mint("staff", None)).await.status(), StatusCode::OK);
    // A malformed id is simply not found.
    problem(server.get("/v1.0/orders/not-an-id", &intruder).await, StatusCode::NOT_FOUND, "not-found").await;
}

#[tokio::test]
async fn bad_bodies_are_4xx_problems() {
    let server = server_with(Options { body_limit: 4 * 1024, ..Options::default() }).await;
    seed_cart(&server, "cart_b");
    let token = customer("tenant_acme");
    let path = "/v1.0/tenants/tenant_acme/orders";
    let send = |body: String, content_type: &'static str| {
        server.client.post(server.url(path)).bearer_auth(&token).header("content-type", content_type).body(body).send()
    };

    problem(send("{\"cartId\": ".into(), "application/json").await.unwrap(), StatusCode::BAD_REQUEST, "malformed-json")
        .await;
    let mut unknown = create_body("cart_b", "thandi@acme.co.za");
    unknown["price"] = json!("0.01");
    let body = problem(
        send(unknown.to_string(), "application/json").await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-body",
    )
    .await;
    assert!(body["detail"].as_str().unwrap().contains("price"), "{body}");
    let mut nested = create_body("cart_b", "thandi@acme.co.za");
    nested["billingAddress"]["floor"] = json!(3);
    problem(
        send(nested.to_string(), "application/json").await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-body",
    )
    .await;
    let huge = json!({"cartId": "cart_b", "customerEmail": "a@b.co", "padding": "x".repeat(8 * 1024)});
    problem(
        send(huge.to_string(), "application/json").await.unwrap(),
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
    )
    .await;
    let create = create_body("cart_b", "thandi@acme.co.za").to_string();
    problem(send(create, "text/plain").await.unwrap(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type")
        .await;

    for email in ["not-an-email", "a@", "thandi@acme..co.za", ""] {
        let body = problem(
            send(create_body("cart_b", email).to_string(), "application/json").await.unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-value",
        )
        .await;
        assert!(body["detail"].as_str().unwrap().contains("email"), "{body}");
    }

    let cart_service = mint("cart", None);
    for quantity in [json!(0), json!(10_001), json!(4_294_967_296_u64)] {
        let mut body = create_body("cart_q", "a@example.com");
        body["items"] = json!([{"sku": "X", "description": "X", "quantity": quantity,
                                "unitPrice": {"amount": "1.00", "currency": "ZAR"}}]);
        let response = server.post_json(path, Some(&cart_service), &body).await;
        let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid-value").await;
        assert!(body["detail"].as_str().unwrap().contains("quantity"), "{body}");
    }
    let mut negative = create_body("cart_q", "a@example.com");
    negative["items"] = json!([{"sku": "X", "description": "X", "quantity": -1,
                                "unitPrice": {"amount": "1.00", "currency": "ZAR"}}]);
    problem(
        server.post_json(path, Some(&cart_service), &negative).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-body",
    )
    .await;

    let unknown_cart = server.post_json(path, Some(&token), &create_body("cart_nobody", "a@example.com")).await;
    problem(unknown_cart, StatusCode::UNPROCESSABLE_ENTITY, "cart-not-found").await;
    let bad_status = server
        .put_json("/v1.0/orders/order_01JDQ2Z7Y8E6T3VY0M5K9C4B2A", &token, None, &json!({"status": "PAID"}))
        .await;
    problem(bad_status, StatusCode::UNPROCESSABLE_ENTITY, "invalid-body").await;
    assert_eq!(server.stack.order_count().await, 0, "nothing was recorded");
}

#[tokio::test]
async fn idempotency_keys_replay_refuse_reuse_and_guard_in_flight_requests() {
    let server = server().await;
    seed_cart(&server, "cart_i1");
    seed_cart(&server, "cart_i2");
    let token = customer("tenant_acme");
    let path = "/v1.0/tenants/tenant_acme/orders";
    let send = |key: &'static str, body: Value| {
        server.client.post(server.url(path)).bearer_auth(&token).header("idempotency-key", key).json(&body).send()
    };
    let first = send("key-1", create_body("cart_i1", "thandi@acme.co.za")).await.unwrap();
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    let first_id = first.json::<Value>().await.unwrap()["orderId"].clone();

    let replay = send("key-1", create_body("cart_i1", "thandi@acme.co.za")).await.unwrap();
    assert_eq!(replay.status(), StatusCode::ACCEPTED);
    assert_eq!(replay.headers().get("idempotent-replayed").unwrap(), "true");
    assert_eq!(replay.json::<Value>().await.unwrap()["orderId"], first_id);

    // Same key, different body: for the same cart (the claim says so) and for another cart.
    let same_cart = send("key-1", create_body("cart_i1", "someone.else@acme.co.za")).await.unwrap();
    problem(same_cart, StatusCode::UNPROCESSABLE_ENTITY, "idempotency-key-reused").await;
    let other_cart = send("key-1", create_body("cart_i2", "thandi@acme.co.za")).await.unwrap();
    problem(other_cart, StatusCode::UNPROCESSABLE_ENTITY, "idempotency-key-reused").await;

    // A key must be 1 to 255 visible characters.
    for bad in ["x".repeat(256), " ".to_owned()] {
        let response = server
            .client
            .post(server.url(path))
            .bearer_auth(&token)
            .header("idempotency-key", bad)
            .json(&create_body("cart_i2", "thandi@acme.co.za"))
            .send()
            .await
            .unwrap();
        problem(response, StatusCode::BAD_REQUEST, "invalid-idempotency-key").await;
    }

    // The same cart again without a key is also answered with the first order.
    let retry = server.post_json(path, Some(&token), &create_body("cart_i1", "thandi@acme.co.za")).await;
    assert_eq!(retry.json::<Value>().await.unwrap()["orderId"], first_id);
    server.stack.drain().await;
    assert_eq!(server.stack.order_count().await, 1, "one cart, one order");
}

/// A cart service that holds every snapshot until the test lets it go.
struct GatedCarts {
    inner: Arc<dyn CartGateway>,
    entered: Arc<Semaphore>,
    release: Arc<Semaphore>,
}

#[async_trait]
impl CartGateway for GatedCarts {
    async fn snapshot(&self, cart: &CartId) -> PortResult<CartSnapshot> {
        self.entered.add_permits(1);
        self.release.acquire().await.unwrap().forget();
        self.inner.snapshot(cart).await
    }

    async fn owner(&self, cart: &CartId) -> PortResult<order_domain::CartOwner> {
        self.inner.owner(cart).await
    }

    async fn mark_inactive(&self, cart: &CartId) -> PortResult<()> {
        self.inner.mark_inactive(cart).await
    }
}

#[tokio::test]
async fn a_request_still_in_flight_with_the_same_key_is_409() {
    let entered = Arc::new(Semaphore::new(0));
    let release = Arc::new(Semaphore::new(0));
    let (entered2, release2) = (entered.clone(), release.clone());
    let server = server_with(Options {
        app: Some(Box::new(move |stack| {
            let app = stack.app();
            let carts = Arc::new(GatedCarts { inner: stack.carts(), entered: entered2, release: release2 });
            app.to_builder().upstream(Upstream { carts, ..app.upstream().clone() }).build().unwrap()
        })),
        ..Options::default()
    })
    .await;
    seed_cart(&server, "cart_slow");
    let token = customer("tenant_acme");
    let request = server
        .client
        .post(server.url("/v1.0/tenants/tenant_acme/orders"))
        .bearer_auth(&token)
        .header("idempotency-key", "slow-key")
        .json(&create_body("cart_slow", "thandi@acme.co.za"));
    let first = tokio::spawn(request.try_clone().unwrap().send());
    tokio::time::timeout(Duration::from_secs(10), entered.acquire()).await.unwrap().unwrap().forget();

    let second = request.try_clone().unwrap().send().await.unwrap();
    assert_eq!(second.headers().get("retry-after").unwrap(), "1");
    problem(second, StatusCode::CONFLICT, "idempotency-key-in-flight").await;

    release.add_permits(10);
    let first = first.await.unwrap().unwrap();
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    let third = request.send().await.unwrap();
    assert_eq!(third.status(), StatusCode::ACCEPTED, "released once the first finished");
    assert_eq!(third.headers().get("idempotent-replayed").unwrap(), "true");
}

/// What the tax invoice cannot print is refused at the API with a 422 naming the field and the
/// character, on every route that takes it (a customer's, a guest's, the cart service's items);
/// every script the invoice prints is accepted (and printed: `adapters-documents` reads the
/// names back from the PDF).
#[tokio::test]
async fn a_name_the_invoice_cannot_print_is_refused_and_every_printable_script_accepted() {
    let server = server().await;
    seed_cart(&server, "cart_print");
    let tenant_path = "/v1.0/tenants/tenant_acme/orders";
    let customer = customer("tenant_acme");
    for (field, value, character) in [
        ("name", "王小明", "'王' (U+738B)"),
        ("name", "Zoë 😀", "'😀' (U+1F600)"),
        ("company", "山田商事", "'山' (U+5C71)"),
        ("line1", "12 Long Street 🏠", "'🏠' (U+1F3E0)"),
        ("city", "東京", "'東' (U+6771)"),
    ] {
        let mut body = create_body("cart_print", "thandi@acme.co.za");
        body["billingAddress"][field] = json!(value);
        for (path, token) in [(tenant_path, Some(customer.as_str())), ("/v1.0/orders", None)] {
            let response = server.post_json(path, token, &body).await;
            let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid-value").await;
            let detail = problem["detail"].as_str().unwrap();
            assert!(detail.contains(&format!("billingAddress.{field}")) && detail.contains(character), "{problem}");
            assert!(detail.contains("cannot be printed on a tax invoice"), "{problem}");
        }
    }
    let mut items = create_body("cart_print_items", "lindi@example.com");
    items["items"] = json!([{"sku": "SSL-BASIC", "description": "SSL 证书", "quantity": 1,
                             "unitPrice": {"amount": "349.99", "currency": "ZAR"}}]);
    let response = server.post_json(tenant_path, Some(&mint("cart", None)), &items).await;
    let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid-value").await;
    assert!(problem["detail"].as_str().unwrap().contains("description"), "{problem}");
    assert_eq!(server.stack.order_count().await, 0, "nothing was accepted");

    let mut body = create_body("cart_print", "thandi@acme.co.za");
    body["billingAddress"]["name"] = json!("محمد علي · שרה כהן · Ζωή · Юлия · Nguyễn");
    let response = server.post_json(tenant_path, Some(&customer), &body).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let id = response.json::<Value>().await.unwrap()["orderId"].as_str().unwrap().to_owned();
    server.stack.drain().await;
    assert_eq!(server.order(&id).await["orderId"], id.as_str(), "recorded");
}

/// Posts a create with an `Idempotency-Key` (and a token, unless a guest).
async fn create_with_key(
    server: &crate::Server,
    path: &str,
    token: Option<&str>,
    key: &str,
    body: &Value,
) -> reqwest::Response {
    let mut request = server.client.post(server.url(path)).header("idempotency-key", key).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn an_idempotency_key_belongs_to_the_caller_that_sent_it() {
    let server = server().await;
    // Two unrelated guests who happen to pick the same key, each with their own cart.
    seed_cart_of(&server, "cart_guest_a", None);
    seed_cart_of(&server, "cart_guest_b", None);
    let first =
        create_with_key(&server, "/v1.0/orders", None, "checkout", &create_body("cart_guest_a", "a@example.com")).await;
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    let first_id = first.json::<Value>().await.unwrap()["orderId"].clone();
    let second =
        create_with_key(&server, "/v1.0/orders", None, "checkout", &create_body("cart_guest_b", "b@example.com")).await;
    assert_eq!(second.status(), StatusCode::ACCEPTED, "another guest's key neither blocks nor replays");
    assert!(second.headers().get("idempotent-replayed").is_none());
    assert_ne!(second.json::<Value>().await.unwrap()["orderId"], first_id);

    // Customers of two tenants with the same key: two callers, two orders.
    seed_cart_of(&server, "cart_acme_k", Some("tenant_acme"));
    seed_cart_of(&server, "cart_other_k", Some("tenant_other"));
    let acme = create_with_key(
        &server,
        "/v1.0/tenants/tenant_acme/orders",
        Some(&customer("tenant_acme")),
        "checkout",
        &create_body("cart_acme_k", "thandi@acme.co.za"),
    )
    .await;
    assert_eq!(acme.status(), StatusCode::ACCEPTED);
    let other = create_with_key(
        &server,
        "/v1.0/tenants/tenant_other/orders",
        Some(&customer("tenant_other")),
        "checkout",
        &create_body("cart_other_k", "sipho@other.co.za"),
    )
    .await;
    assert_eq!(other.status(), StatusCode::ACCEPTED);
    assert!(other.headers().get("idempotent-replayed").is_none());

    // Within one caller the key still means one request.
    let reused = create_with_key(
        &server,
        "/v1.0/tenants/tenant_acme/orders",
        Some(&customer("tenant_acme")),
        "checkout",
        &create_body("cart_acme_k", "someone.else@acme.co.za"),
    )
    .await;
    problem(reused, StatusCode::UNPROCESSABLE_ENTITY, "idempotency-key-reused").await;

    // Staff are one caller across tenants: their key, reused for another tenant's cart, is
    // reused (not an unknown cart).
    seed_cart_of(&server, "cart_acme_s", Some("tenant_acme"));
    seed_cart_of(&server, "cart_other_s", Some("tenant_other"));
    let staff = mint("staff", None);
    let first = create_with_key(
        &server,
        "/v1.0/tenants/tenant_acme/orders",
        Some(&staff),
        "staff-k",
        &create_body("cart_acme_s", "thandi@acme.co.za"),
    )
    .await;
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    let again = create_with_key(
        &server,
        "/v1.0/tenants/tenant_other/orders",
        Some(&staff),
        "staff-k",
        &create_body("cart_other_s", "sipho@other.co.za"),
    )
    .await;
    problem(again, StatusCode::UNPROCESSABLE_ENTITY, "idempotency-key-reused").await;
    server.stack.drain().await;
    assert_eq!(server.stack.order_count().await, 5);
}

#[tokio::test]
async fn a_cart_that_is_not_the_callers_is_answered_as_unknown_and_names_no_order() {
    let server = server().await;
    let acme = customer("tenant_acme");
    let intruder = customer("tenant_other");
    let unknown = problem(
        server
            .post_json(
                "/v1.0/tenants/tenant_other/orders",
                Some(&intruder),
                &create_body("cart_nobody", "x@other.co.za"),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "cart-not-found",
    )
    .await;

    // Another tenant's cart, not yet ordered: exactly as an unknown cart; so for a guest; and a
    // guest's cart is no tenant's.
    seed_cart_of(&server, "cart_acme_1", Some("tenant_acme"));
    seed_cart_of(&server, "cart_guest_1", None);
    let foreign = server
        .post_json("/v1.0/tenants/tenant_other/orders", Some(&intruder), &create_body("cart_acme_1", "x@other.co.za"))
        .await;
    let foreign = problem(foreign, StatusCode::UNPROCESSABLE_ENTITY, "cart-not-found").await;
    assert_eq!(foreign["detail"], unknown["detail"]);
    let as_guest = server.post_json("/v1.0/orders", None, &create_body("cart_acme_1", "x@example.com")).await;
    problem(as_guest, StatusCode::UNPROCESSABLE_ENTITY, "cart-not-found").await;
    let guests_cart = server
        .post_json("/v1.0/tenants/tenant_acme/orders", Some(&acme), &create_body("cart_guest_1", "t@acme.co.za"))
        .await;
    problem(guests_cart, StatusCode::UNPROCESSABLE_ENTITY, "cart-not-found").await;

    // Acme orders its cart with a key; another tenant replays the key and body, or asks for
    // the cart with other details: never acme's order id, claimed (cart still active) or
    // recorded (cart inactive).
    let body = create_body("cart_acme_1", "thandi@acme.co.za");
    let created = create_with_key(&server, "/v1.0/tenants/tenant_acme/orders", Some(&acme), "k-1", &body).await;
    assert_eq!(created.status(), StatusCode::ACCEPTED);
    let id = created.json::<Value>().await.unwrap()["orderId"].as_str().unwrap().to_owned();
    for recorded in [false, true] {
        if recorded {
            server.stack.drain().await;
        }
        for (path, token) in [("/v1.0/tenants/tenant_other/orders", Some(intruder.as_str())), ("/v1.0/orders", None)] {
            let replay = create_with_key(&server, path, token, "k-1", &body).await;
            let text = replay.text().await.unwrap();
            assert!(!text.contains(&id), "recorded {recorded}, {path}: {text}");
            assert!(text.contains("cart-not-found"), "recorded {recorded}, {path}: {text}");
            let other = server.post_json(path, token, &create_body("cart_acme_1", "x@other.co.za")).await;
            let text = other.text().await.unwrap();
            assert!(!text.contains(&id) && text.contains("cart-not-found"), "recorded {recorded}, {path}: {text}");
        }
    }
    // Acme itself is told about its own order.
    let own = server
        .post_json("/v1.0/tenants/tenant_acme/orders", Some(&acme), &create_body("cart_acme_1", "x@acme.co.za"))
        .await;
    let own = problem(own, StatusCode::CONFLICT, "cart-already-ordered").await;
    assert!(own["detail"].as_str().unwrap().contains(&id), "{own}");
    assert_eq!(server.stack.order_count().await, 1);
}

#[tokio::test]
async fn an_abandoned_cart_is_inactive_only_to_its_owner() {
    let server = server().await;
    seed_cart_of(&server, "cart_abandoned", Some("tenant_acme"));
    server.stack.carts().mark_inactive(&CartId::parse("cart_abandoned").unwrap()).await.unwrap();
    let body = create_body("cart_abandoned", "thandi@acme.co.za");
    let own = server.post_json("/v1.0/tenants/tenant_acme/orders", Some(&customer("tenant_acme")), &body).await;
    problem(own, StatusCode::CONFLICT, "cart-inactive").await;
    let other = server.post_json("/v1.0/tenants/tenant_other/orders", Some(&customer("tenant_other")), &body).await;
    problem(other, StatusCode::UNPROCESSABLE_ENTITY, "cart-not-found").await;
    let guest = server.post_json("/v1.0/orders", None, &body).await;
    problem(guest, StatusCode::UNPROCESSABLE_ENTITY, "cart-not-found").await;
}

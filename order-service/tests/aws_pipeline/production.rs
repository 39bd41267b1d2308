//! A production host's configuration on moto: the application wired by `AwsHost` from `BBWS_…`
//! variables alone — its own supplier and staff, and the cart service's HTTP API (a stub on a
//! real socket) — as `worker` and the Lambda functions wire it.

use std::time::Duration;

use order_domain::testing::{address, line};
use order_domain::{CartId, CartSnapshot, Email, PaymentMethod};
use order_ports::ProcessorKind;
use order_service::aws_host::AwsHost;
use order_service::profile::Mode;

use crate::cart_stub::{Fault, StubCartService, TOKEN};
use crate::support::*;

/// A supplier that is not the demonstration one.
const SUPPLIER: &[(&str, &str)] = &[
    ("BBWS_SUPPLIER_ID", "karoo-cloud"),
    ("BBWS_SUPPLIER_LEGAL_NAME", "Karoo Cloud Services (Pty) Ltd"),
    ("BBWS_SUPPLIER_TRADING_NAME", "Karoo Cloud"),
    ("BBWS_SUPPLIER_ADDRESS", "Unit 7, 12 Church Street|Graaff-Reinet|6280"),
    ("BBWS_SUPPLIER_VAT_NUMBER", "4987654321"),
    ("BBWS_SUPPLIER_EMAIL", "accounts@karoo.example.co.za"),
    ("BBWS_STAFF_EMAILS", "sales@karoo.example.co.za"),
    ("BBWS_PORTAL_URL", "https://my.karoo.example.co.za"),
    ("BBWS_STAFF_CONSOLE_URL", "https://staff.karoo.example.co.za"),
];

/// The host of a fresh environment with [`SUPPLIER`] and the cart service at `cart_service`.
fn host(cart_service: &str) -> AwsHost {
    let mut vars = provisioning_variables();
    vars.extend(SUPPLIER.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())));
    vars.push(("BBWS_CART_SERVICE_URL".into(), cart_service.to_owned()));
    vars.push(("BBWS_CART_SERVICE_TOKEN".into(), TOKEN.to_owned()));
    vars.push(("BBWS_CART_SERVICE_ATTEMPTS".into(), "1".to_owned()));
    AwsHost::from_lookup(|name| vars.iter().find(|(key, _)| key == name).map(|(_, v)| v.clone()), Mode::Production)
        .unwrap()
}

fn cart(id: &str) -> CartSnapshot {
    CartSnapshot::new(
        CartId::parse(id).unwrap(),
        order_domain::CartOwner::Tenant(order_domain::TenantId::parse("tenant_acme").unwrap()),
        vec![line("HOSTING-PRO", "575.00", 2), line("DOMAIN-COZA", "199.00", 1)],
    )
    .unwrap()
}

fn create_request(cart: &str) -> order_app::CreateOrderRequest {
    order_app::CreateOrderRequest {
        cart_id: CartId::parse(cart).unwrap(),
        customer_email: Email::parse("thandi@example.co.za").unwrap(),
        campaign_code: None,
        billing_address: address(),
        payment_method: PaymentMethod::Payfast,
        items: None,
    }
}

#[tokio::test]
async fn a_customer_order_fetches_its_cart_over_http_is_invoiced_by_the_configured_supplier_and_marks_the_cart() {
    let carts = StubCartService::start().await;
    carts.add_cart(&cart("cart_prod_1"), true);
    let env = from_host(&host(&carts.base_url())).await;

    let created = env
        .stack
        .app
        .create_for_tenant(&customer("tenant_acme"), &tenant("tenant_acme"), create_request("cart_prod_1"), None)
        .await
        .unwrap();
    let seen = carts.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!((seen[0].method.as_str(), seen[0].path.as_str()), ("GET", "/internal/carts/cart_prod_1"));
    assert_eq!(seen[0].authorization.as_deref(), Some(format!("Bearer {TOKEN}").as_str()));

    // Marking the cart inactive fails once: the order is recorded all the same, and the record
    // writer's own retry (its event comes back) marks the cart.
    carts.script([Fault::Status(503)]);
    let event =
        env.stack.app.storage().claims.find(&CartId::parse("cart_prod_1").unwrap()).await.unwrap().unwrap().event;
    let error = env.stack.app.processor(ProcessorKind::RecordWriter).handle(&event).await.unwrap_err();
    assert!(error.is_retryable(), "{error}");
    let order = env.stack.app.get(&customer("tenant_acme"), created.order_id).await.unwrap();
    assert_eq!(order.cart_id().as_str(), "cart_prod_1", "recorded before the cart service was asked");

    let report = env.stack.drain().await.unwrap();
    for (kind, counts) in report.processors.iter() {
        assert_eq!(counts.failed, 0, "{kind}: {report:?}");
    }
    let marks: Vec<_> = carts.seen().into_iter().filter(|seen| seen.method == "PUT").collect();
    assert_eq!(marks.len(), 2, "one failed, one retried: {marks:?}");
    assert!(
        marks
            .iter()
            .all(|mark| mark.path == "/internal/carts/cart_prod_1/status" && mark.body == r#"{"active":false}"#)
    );
    for (which, queue) in env.resources.queues.iter() {
        assert_eq!(depth(&env, &queue.dead_letter_url).await, (0, 0), "{which} gave up");
    }

    // The stored pro forma invoice names the configured supplier, never the demonstration one.
    let id = created.order_id;
    let invoice = object(&env, &format!("tenant_acme/{id}/proforma_{id}.pdf")).await;
    let text = pdf_text(&invoice.bytes);
    for expected in [
        "Karoo Cloud Services (Pty) Ltd",
        "trading as Karoo Cloud",
        "Unit 7, 12 Church Street",
        "Graaff-Reinet",
        "VAT no. 4987654321",
        "accounts@karoo.example.co.za",
    ] {
        assert!(text.contains(expected), "{expected:?} is not on the invoice:\n{text}");
    }
    assert!(!text.contains("Big Beard") && !text.contains("4123456789"), "{text}");

    // The staff the settings name hear of it, with a link into their console.
    let sent = sent_emails(&env);
    let staff = addressed(&sent, "sales@karoo.example.co.za");
    assert_eq!(staff.len(), 1, "{sent:?}");
    let body = staff[0].body.replace("&#x2f;", "/"); // HTML-escaped in the email
    assert!(body.contains(&format!("https://staff.karoo.example.co.za/orders/{id}")), "{body}");
    assert!(addressed(&sent, "orders@bbws.example").is_empty());
}

#[tokio::test]
async fn a_cart_the_cart_service_does_not_answer_for_claims_nothing() {
    // Nothing listens at this address: every attempt is refused.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let env = from_host(&host(&format!("http://{free}"))).await;
    let started = std::time::Instant::now();
    let error = env
        .stack
        .app
        .create_for_tenant(&customer("tenant_acme"), &tenant("tenant_acme"), create_request("cart_down"), None)
        .await
        .unwrap_err();
    assert!(error.is_retryable(), "{error}");
    assert!(started.elapsed() < Duration::from_secs(5), "one attempt, quickly refused");
    assert!(env.stack.app.storage().claims.find(&CartId::parse("cart_down").unwrap()).await.unwrap().is_none());
    assert!(orders_table(&env).await.is_empty(), "nothing claimed, nothing stored");
}

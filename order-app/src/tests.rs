//! Failure paths that an in-memory fake cannot show, with mocks of the ports.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use order_domain::testing::{address, line, now};
use order_domain::{CartId, CartSnapshot, Email, OrderId, PaymentMethod, TenantId};
use order_ports::*;

use crate::*;

/// Ports whose every method panics unless a test sets an expectation.
struct Mocks {
    orders: MockOrderRepository,
    claims: MockCartClaims,
    publisher: MockEventPublisher,
    carts: MockCartGateway,
    clock: MockClock,
    ids: MockIdGenerator,
}

impl Mocks {
    fn new() -> Self {
        let mut clock = MockClock::new();
        clock.expect_now().return_const(now());
        let mut ids = MockIdGenerator::new();
        ids.expect_order_id().returning(|at| OrderId::from_parts(at, 1));
        ids.expect_message_id().returning(uuid::Uuid::nil);
        Self {
            orders: MockOrderRepository::new(),
            claims: MockCartClaims::new(),
            publisher: MockEventPublisher::new(),
            carts: MockCartGateway::new(),
            clock,
            ids,
        }
    }

    fn app(self) -> Arc<OrderApp> {
        OrderApp::builder()
            .storage(Storage {
                orders: Arc::new(self.orders),
                claims: Arc::new(self.claims),
                tenants: Arc::new(MockTenantDirectory::new()),
                document_numbers: Arc::new(MockDocumentNumbers::new()),
                effects: Arc::new(MockEffectLog::new()),
            })
            .messaging(Messaging { publisher: Arc::new(self.publisher) })
            .documents(Documents {
                renderer: Arc::new(MockDocumentRenderer::new()),
                store: Arc::new(MockDocumentStore::new()),
                emails: Arc::new(MockEmailRenderer::new()),
                mailer: Arc::new(MockMailer::new()),
            })
            .upstream(Upstream { carts: Arc::new(self.carts), campaigns: Arc::new(MockCampaignCatalog::new()) })
            .system(System { clock: Arc::new(self.clock), ids: Arc::new(self.ids) })
            .config(config())
            .build()
            .unwrap()
    }
}

fn config() -> AppConfig {
    AppConfig {
        pricing: order_domain::PricingRules::south_africa(),
        expiry: order_domain::ExpiryPolicy::default(),
        supplier: Supplier {
            id: "bbws".into(),
            name: "BBWS".into(),
            trading_name: None,
            address: vec![],
            vat_number: None,
            email: None,
        },
        portal_url: "https://portal.example".into(),
        staff_console_url: "https://staff.example".into(),
        staff_emails: vec![],
        recording_grace: Duration::from_secs(30),
        effect_lease: Duration::from_mins(1),
        document_policy: order_domain::DocumentPolicy::default(),
    }
}

fn request() -> CreateOrderRequest {
    CreateOrderRequest {
        cart_id: CartId::parse("cart_1").unwrap(),
        customer_email: Email::parse("thandi@example.co.za").unwrap(),
        campaign_code: None,
        billing_address: address(),
        payment_method: PaymentMethod::Payfast,
        items: None,
    }
}

fn customer() -> Principal {
    Principal::Customer { tenant_id: TenantId::parse("tenant_acme").unwrap() }
}

fn cart() -> CartSnapshot {
    CartSnapshot::new(
        CartId::parse("cart_1").unwrap(),
        order_domain::CartOwner::Tenant(TenantId::parse("tenant_acme").unwrap()),
        vec![line("A", "100.00", 1)],
    )
    .unwrap()
}

#[tokio::test]
async fn a_failed_publish_keeps_the_claim_and_a_retry_completes_it() {
    let mut mocks = Mocks::new();
    mocks.carts.expect_snapshot().returning(|_| Ok(cart()));
    let stored: Arc<std::sync::Mutex<Option<CartClaim>>> = Arc::default();
    let keep = Arc::clone(&stored);
    let read = Arc::clone(&stored);
    mocks.claims.expect_claim().returning(move |claim| {
        let mut slot = keep.lock().unwrap();
        match slot.as_ref() {
            None => {
                *slot = Some(claim.clone());
                Ok(ClaimOutcome::Claimed)
            }
            Some(existing) => Ok(ClaimOutcome::AlreadyClaimed(Box::new(existing.clone()))),
        }
    });
    let mut attempts = 0;
    mocks.publisher.expect_publish().times(2).returning(move |_| {
        attempts += 1;
        if attempts == 1 { Err(PortError::transient("topic throttled")) } else { Ok(()) }
    });
    let app = mocks.app();
    let tenant = TenantId::parse("tenant_acme").unwrap();

    let first = app.create_for_tenant(&customer(), &tenant, request(), Some("key-1")).await.unwrap_err();
    assert!(first.is_retryable(), "{first}");
    let claimed = read.lock().unwrap().clone().expect("the claim was kept");

    let retry = app.create_for_tenant(&customer(), &tenant, request(), Some("key-1")).await.unwrap();
    assert_eq!(retry, CreateOutcome { order_id: claimed.order_id, replayed: true });
}

#[tokio::test]
async fn another_tenants_customer_is_answered_not_found_without_any_call() {
    let app = Mocks::new().app();
    let other = TenantId::parse("tenant_other").unwrap();
    let error = app.create_for_tenant(&customer(), &other, request(), None).await.unwrap_err();
    assert!(matches!(error, AppError::NotFound), "{error}");
}

#[tokio::test]
async fn a_missing_order_issued_moments_ago_is_not_recorded_yet() {
    let mut mocks = Mocks::new();
    mocks.orders.expect_get().returning(|_, _| Err(PortError::NotFound));
    mocks.orders.expect_get_by_id().returning(|_| Err(PortError::NotFound));
    let app = mocks.app();
    let fresh = OrderId::from_parts(now() - TimeDelta::seconds(2), 9);
    let old = OrderId::from_parts(now() - TimeDelta::minutes(5), 9);
    assert!(matches!(app.get(&customer(), fresh).await, Err(AppError::NotRecordedYet { .. })));
    assert!(matches!(app.get(&customer(), old).await, Err(AppError::NotFound)));
}

#[tokio::test]
async fn an_unavailable_store_is_a_retryable_failure_and_a_conflict_is_reported_as_such() {
    let mut mocks = Mocks::new();
    let (order, _) = order_domain::testing::pending_order();
    mocks.orders.expect_get().returning(move |_, _| Ok(order.clone()));
    let mut calls = 0;
    mocks.orders.expect_update().times(2).returning(move |_| {
        calls += 1;
        if calls == 1 { Err(PortError::transient("throttled")) } else { Err(PortError::Conflict("version".into())) }
    });
    let app = mocks.app();
    let id = order_domain::testing::pending_order().0.id();
    let first = app.update(&customer(), id, StatusChange::Cancel(None), None).await.unwrap_err();
    assert!(matches!(first, AppError::Dependency { .. }) && first.is_retryable(), "{first}");
    let second = app.update(&customer(), id, StatusChange::Cancel(None), None).await.unwrap_err();
    assert!(matches!(second, AppError::Conflict(_)), "{second}");
}

/// Reports the correlation id it sees while handling.
struct Seen(std::sync::Mutex<Vec<Option<order_domain::CorrelationId>>>);
#[async_trait::async_trait]
impl Processor for Seen {
    fn kind(&self) -> ProcessorKind {
        ProcessorKind::RecordWriter
    }
    async fn handle(&self, _: &order_domain::EventEnvelope) -> Result<(), AppError> {
        self.0.lock().unwrap().push(context::correlation_id());
        Ok(())
    }
}

#[tokio::test]
async fn events_name_the_request_that_caused_them_and_processors_handle_them_in_it() {
    let mut mocks = Mocks::new();
    mocks.carts.expect_snapshot().returning(|_| Ok(cart()));
    let claimed: Arc<std::sync::Mutex<Vec<CartClaim>>> = Arc::default();
    let keep = Arc::clone(&claimed);
    mocks.claims.expect_claim().returning(move |claim| {
        keep.lock().unwrap().push(claim.clone());
        Ok(ClaimOutcome::Claimed)
    });
    let published: Arc<std::sync::Mutex<Vec<order_domain::EventEnvelope>>> = Arc::default();
    let keep = Arc::clone(&published);
    mocks.publisher.expect_publish().returning(move |event| {
        keep.lock().unwrap().push(event.clone());
        Ok(())
    });
    let app = mocks.app();
    let tenant = TenantId::parse("tenant_acme").unwrap();
    let id = order_domain::CorrelationId::parse("req-abc").unwrap();

    context::with_correlation_id(Some(id.clone()), app.create_for_tenant(&customer(), &tenant, request(), None))
        .await
        .unwrap();
    let mut other = request();
    other.cart_id = CartId::parse("cart_2").unwrap();
    app.create_for_tenant(&customer(), &tenant, other, None).await.unwrap();

    let published = published.lock().unwrap().clone();
    assert_eq!(published[0].correlation_id, Some(id.clone()), "published with the request's id");
    assert_eq!(claimed.lock().unwrap()[0].event.correlation_id, Some(id.clone()), "kept with the claim for the relay");
    assert_eq!(published[1].correlation_id, None, "outside a request there is none");

    let seen = Seen(std::sync::Mutex::default());
    handle_event(&seen, &published[0]).await.unwrap();
    handle_event(&seen, &published[1]).await.unwrap();
    assert_eq!(*seen.0.lock().unwrap(), vec![Some(id), None]);
}

//! At-least-once delivery and a broken processor, on AWS.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use order_app::{AppError, Principal, Processor, StatusChange};
use order_domain::{EventEnvelope, OrderId};
use order_ports::ProcessorKind as Queue;
use order_ports::{EventPublisher, EventQueue, PortError};

use crate::support::*;

/// Delegates, remembering every event it was handed.
struct Recording {
    inner: Arc<dyn Processor>,
    seen: Mutex<Vec<EventEnvelope>>,
}

#[async_trait]
impl Processor for Recording {
    fn kind(&self) -> Queue {
        self.inner.kind()
    }

    async fn handle(&self, event: &EventEnvelope) -> Result<(), AppError> {
        self.seen.lock().unwrap().push(event.clone());
        self.inner.handle(event).await
    }
}

/// Fails every event, as a processor with a bug or a dependency that is down for good.
struct Broken {
    kind: Queue,
}

#[async_trait]
impl Processor for Broken {
    fn kind(&self) -> Queue {
        self.kind
    }

    async fn handle(&self, _event: &EventEnvelope) -> Result<(), AppError> {
        Err(AppError::Dependency { context: "injected fault", source: PortError::transient("down for good") })
    }
}

async fn create(env: &Env, cart: &str) -> OrderId {
    env.stack
        .app
        .create_for_tenant(
            &customer("tenant_acme"),
            &tenant("tenant_acme"),
            request(env, cart, "thandi@example.co.za"),
            None,
        )
        .await
        .unwrap()
        .order_id
}

/// Everything the processors' effects can be seen in.
#[derive(Debug, PartialEq)]
struct Effects {
    orders_table: Vec<Item>,
    tenants_table: Vec<Item>,
    /// Document key → ETag.
    documents: BTreeMap<String, String>,
    /// (subject, recipients), sorted.
    emails: Vec<(String, Vec<String>)>,
}

async fn effects(env: &Env) -> Effects {
    let mut emails: Vec<_> = sent_emails(env).into_iter().map(|m| (m.subject, m.to)).collect();
    emails.sort();
    Effects {
        orders_table: orders_table(env).await.into_values().collect(),
        tenants_table: tenants_table(env).await.into_values().collect(),
        documents: objects(env).await,
        emails,
    }
}

#[tokio::test]
async fn every_event_delivered_twice_has_no_second_effect() {
    let env = fresh().await;
    let mut processors = env.stack.processors();
    let recorder = Arc::new(Recording { inner: processors.record_writer.clone(), seen: Mutex::new(Vec::new()) });
    processors.record_writer = recorder.clone();
    let consumer = env.stack.consumer(processors);

    let id = create(&env, "cart_1").await;
    consumer.drain().await.unwrap();
    env.stack.app.confirm_payment(&payment_service(), id, payment("pf_1", "1349.00")).await.unwrap();
    env.stack.app.update(&Principal::Staff, id, StatusChange::StartProcessing, None).await.unwrap();
    consumer.drain().await.unwrap();
    let before = effects(&env).await;
    let invoice = object(&env, &format!("tenant_acme/{id}/invoice_{id}.pdf")).await;
    assert_eq!(before.documents.len(), 3, "pro forma, tax invoice and receipt: {:?}", before.documents);
    assert_eq!(before.emails.len(), 4, "confirmation, internal, PAID, PROCESSING: {:#?}", before.emails);

    // Every event once more, through the topic to all four queues.
    let events = recorder.seen.lock().unwrap().clone();
    assert_eq!(events.len(), 3, "created, paid, processing");
    for event in &events {
        env.stack.adapters.publisher.publish(event).await.unwrap();
    }
    let report = consumer.drain().await.unwrap();
    assert_eq!(report.total().handled, 12, "every duplicate was handled: {report:?}");
    assert_eq!(report.total().failed, 0, "{report:?}");

    let after = effects(&env).await;
    assert_eq!(after.orders_table, before.orders_table, "no second order, serial, payment or email record");
    assert_eq!(after.tenants_table, before.tenants_table);
    assert_eq!(after.documents, before.documents, "the same documents with the same content (ETags)");
    assert_eq!(after.emails, before.emails, "no email went out twice");
    let rewritten = object(&env, &format!("tenant_acme/{id}/invoice_{id}.pdf")).await;
    assert_eq!(rewritten.bytes, invoice.bytes, "a rewritten invoice is the same bytes");
}

#[tokio::test]
async fn a_processor_that_always_fails_leaves_its_message_in_its_own_dlq_only() {
    let env = fresh().await;
    let mut processors = env.stack.processors();
    processors.invoice_writer = Arc::new(Broken { kind: Queue::InvoiceWriter });
    let id = create(&env, "cart_1").await;
    let report = env.stack.consumer(processors).drain().await.unwrap();

    assert_eq!(report.processors.invoice_writer.failed, MAX_RECEIVES as usize, "once per receive: {report:?}");
    assert_eq!(report.processors.invoice_writer.handled, 0);
    for kind in [Queue::RecordWriter, Queue::InternalNotifier, Queue::CustomerNotifier] {
        let counts = report.processors.get(kind);
        assert_eq!((counts.handled, counts.failed), (1, 0), "{kind}: {report:?}");
    }

    // SQS: the event sits in the invoice writer's DLQ and in no other queue or DLQ.
    let invoices = env.stack.queue(Queue::InvoiceWriter).config().clone();
    assert_eq!(depth(&env, &invoices.url).await, (0, 0), "gone from the invoice writer's queue");
    assert_eq!(depth(&env, &invoices.dead_letter_url).await, (1, 0), "in its dead-letter queue");
    let dead = peek(&env, &invoices.dead_letter_url).await;
    assert_eq!(dead.len(), 1);
    let event: EventEnvelope = serde_json::from_str(&dead[0]).unwrap();
    assert_eq!((event.event.event_type(), event.event.order_id()), ("ORDER_CREATED", id));
    for queue in [Queue::RecordWriter, Queue::InternalNotifier, Queue::CustomerNotifier] {
        let config = env.stack.queue(queue).config();
        assert_eq!(depth(&env, &config.url).await, (0, 0), "{queue}: handled and deleted");
        assert_eq!(depth(&env, &config.dead_letter_url).await, (0, 0), "{queue}: nothing dead-lettered");
    }

    // The other three did their work: the order is stored, both emails went out; no document.
    let table = orders_table(&env).await;
    assert_eq!(table[&("TENANT#tenant_acme".to_owned(), format!("ORDER#{id}"))]["status"], Attr::S("PENDING".into()));
    let sent = sent_emails(&env);
    assert_eq!(sent.len(), 2, "{sent:#?}");
    assert!(objects(&env).await.is_empty(), "no document was written");
    assert!(
        !table.keys().any(|(pk, _)| pk.starts_with("SUPPLIER#bbws") || pk.starts_with("NUMBER#bbws#")),
        "no invoice serial was taken"
    );

    // Once the fault is fixed, a redrive from the DLQ completes the work.
    assert_eq!(env.stack.queue(Queue::InvoiceWriter).redrive(10).await.unwrap(), 1);
    let report = env.stack.drain().await.unwrap();
    assert_eq!(report.processors.invoice_writer.handled, 1, "{report:?}");
    assert_eq!(depth(&env, &invoices.dead_letter_url).await, (0, 0));
    let pro_forma = object(&env, &format!("tenant_acme/{id}/proforma_{id}.pdf")).await;
    assert_eq!(pro_forma.encryption.as_deref(), Some("AES256"));
}

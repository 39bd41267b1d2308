//! The processor handler on moto: SNS really fans the events out, the record writer's queue
//! really holds them, and the handler gets them as Lambda's SQS event source would hand them
//! over.

use adapters_lambda::handle_sqs_batch;
use aws_lambda_events::event::sqs::SqsEvent;
use order_app::Principal;
use order_ports::ProcessorKind as Queue;
use serde_json::{Value, json};

use crate::aws_support::*;

/// Receives `count` messages from the queue at `url` (waiting for them to arrive) and converts
/// them to the event Lambda's SQS event source sends: message id, receipt handle, body, MD5s,
/// system and message attributes, source ARN and region.
async fn receive_as_lambda(env: &Env, url: &str, count: usize) -> SqsEvent {
    let sqs = &env.clients.sqs;
    let arn = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names("QueueArn".into())
        .send()
        .await
        .unwrap()
        .attributes()
        .and_then(|attributes| {
            attributes.iter().find(|(name, _)| name.as_str() == "QueueArn").map(|(_, arn)| arn.clone())
        })
        .unwrap();
    let mut records = Vec::new();
    for _ in 0..10 {
        if records.len() >= count {
            break;
        }
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_system_attribute_names("All".into())
            .message_attribute_names("All")
            .send()
            .await
            .unwrap();
        for message in out.messages() {
            let attributes: serde_json::Map<String, Value> = message
                .attributes()
                .into_iter()
                .flatten()
                .map(|(name, value)| (name.as_str().to_owned(), Value::String(value.clone())))
                .collect();
            let message_attributes: serde_json::Map<String, Value> = message
                .message_attributes()
                .into_iter()
                .flatten()
                .map(|(name, value)| {
                    let attribute = json!({
                        "stringValue": value.string_value(),
                        "stringListValues": [],
                        "binaryListValues": [],
                        "dataType": value.data_type(),
                    });
                    (name.clone(), attribute)
                })
                .collect();
            records.push(json!({
                "messageId": message.message_id(),
                "receiptHandle": message.receipt_handle(),
                "body": message.body(),
                "attributes": attributes,
                "messageAttributes": message_attributes,
                "md5OfBody": message.md5_of_body(),
                "md5OfMessageAttributes": message.md5_of_message_attributes(),
                "eventSource": "aws:sqs",
                "eventSourceARN": arn,
                "awsRegion": "af-south-1",
            }));
        }
    }
    assert_eq!(records.len(), count, "messages in {url}");
    let event = json!({ "Records": records });
    if std::env::var("BBWS_DUMP_SQS_EVENT").is_ok() {
        eprintln!("{}", serde_json::to_string_pretty(&event).unwrap());
    }
    serde_json::from_value(event).unwrap()
}

/// Deletes the messages of `event`, as Lambda does with a batch's successful records.
async fn delete_all(env: &Env, url: &str, event: &SqsEvent) {
    for record in &event.records {
        env.clients
            .sqs
            .delete_message()
            .queue_url(url)
            .receipt_handle(record.receipt_handle.as_deref().unwrap())
            .send()
            .await
            .unwrap();
    }
}

/// Fails the test loudly when no moto server is configured: these tests never skip.
fn require_moto() {
    if std::env::var(ENDPOINT_VARIABLE).is_ok_and(|url| !url.trim().is_empty()) {
        return;
    }
    panic!(
        "{ENDPOINT_VARIABLE} is not set. These tests invoke the Lambda handlers with messages a moto server \
         delivered: run them through `scripts/test`, or start `.venv/bin/python scripts/moto_server.py -p PORT` \
         and run `{ENDPOINT_VARIABLE}=http://127.0.0.1:PORT cargo test -p order-service --features lambda --test lambda`"
    );
}

/// A tenant order for `cart`, for thandi@example.co.za: its ORDER_CREATED is on every queue.
async fn tenant_order(env: &Env, cart: &str) -> order_domain::OrderId {
    let request = request(env, cart, "thandi@example.co.za");
    env.stack
        .app
        .create_for_tenant(&customer("tenant_acme"), &tenant("tenant_acme"), request, None)
        .await
        .unwrap()
        .order_id
}

#[tokio::test]
async fn the_record_writer_function_records_what_sqs_delivered_in_dynamodb() {
    require_moto();
    let env = fresh().await;
    let app = &env.stack.app;
    let tenant_order = tenant_order(&env, "cart_1").await;
    let guest_order = app
        .create_guest(&Principal::Guest, request_of(&env, None, "cart_2", "sipho@example.com"), None)
        .await
        .unwrap()
        .order_id;
    let url = env.stack.queue(Queue::RecordWriter).config().url.clone();
    let event = receive_as_lambda(&env, &url, 2).await;
    assert!(
        event
            .records
            .iter()
            .all(|r| r.message_attributes["eventType"].string_value.as_deref() == Some("ORDER_CREATED"))
    );
    assert!(orders_table(&env).await.keys().all(|(pk, _)| !pk.starts_with("TENANT#")), "nothing recorded yet");

    let processor = app.processor(Queue::RecordWriter);
    let response = handle_sqs_batch(processor.as_ref(), env.stack.queue(Queue::RecordWriter).as_ref(), event.clone())
        .await
        .unwrap();
    assert!(response.batch_item_failures.is_empty(), "{response:?}");

    let table = orders_table(&env).await;
    let tenant_item = &table[&("TENANT#tenant_acme".to_owned(), format!("ORDER#{tenant_order}"))];
    assert_eq!(tenant_item["status"], Attr::S("PENDING".into()));
    let guest_items: Vec<_> = table
        .iter()
        .filter(|((pk, sk), _)| pk.starts_with("TENANT#") && *sk == format!("ORDER#{guest_order}"))
        .collect();
    assert_eq!(guest_items.len(), 1, "the guest order is filed under its resolved tenant: {table:?}");
    let orders_before = table.keys().filter(|(_, sk)| sk.starts_with("ORDER#")).count();
    assert_eq!(orders_before, 2);
    for cart in ["cart_1", "cart_2"] {
        assert_eq!(table[&(format!("CART#{cart}"), "ITEM".to_owned())]["recorded"], Attr::Bool(true), "{cart}");
    }

    // At-least-once: the same batch again (a redelivery) changes nothing and fails nothing.
    let again = handle_sqs_batch(processor.as_ref(), env.stack.queue(Queue::RecordWriter).as_ref(), event.clone())
        .await
        .unwrap();
    assert!(again.batch_item_failures.is_empty(), "{again:?}");
    assert_eq!(orders_table(&env).await, table);

    // Lambda deletes the batch's successful records; nothing is left in the queue.
    delete_all(&env, &url, &event).await;
    assert_eq!(depth(&env, &url).await, (0, 0));
}

#[tokio::test]
async fn a_record_that_meets_another_workers_lease_comes_back_after_it_without_spending_a_retry() {
    use order_ports::{EffectLog, EffectStart};
    use std::time::{Duration, Instant, SystemTime};

    require_moto();
    let env = fresh().await;
    let app = &env.stack.app;
    let order = tenant_order(&env, "cart_1").await;
    let queue = env.stack.queue(Queue::CustomerNotifier);
    let url = queue.config().url.clone();
    let event = receive_as_lambda(&env, &url, 1).await;

    // Another worker (one that died, say) holds the confirmation's lease for 3 more seconds.
    let lease = Duration::from_secs(3);
    let key = format!("email/{order}/order_confirmation");
    let start = env.stack.adapters.effects.begin(&key, SystemTime::now().into(), lease).await.unwrap();
    assert_eq!(start, EffectStart::Proceed);
    let taken = Instant::now();

    let processor = app.processor(Queue::CustomerNotifier);
    let response = handle_sqs_batch(processor.as_ref(), queue.as_ref(), event.clone()).await.unwrap();
    assert!(response.batch_item_failures.is_empty(), "contention is not a failure: {response:?}");
    assert!(sent_emails(&env).is_empty());

    // The record comes back once the lease can have run out, as a first receive (the retry
    // budget untouched), and then sends the email.
    let again = receive_as_lambda(&env, &url, 1).await;
    assert!(taken.elapsed() >= lease, "not before the lease ran out ({:?})", taken.elapsed());
    let record = &again.records[0];
    assert_eq!(record.attributes.get("ApproximateReceiveCount").map(String::as_str), Some("1"));
    assert_eq!(record.body, event.records[0].body, "the same event");
    let response = handle_sqs_batch(processor.as_ref(), queue.as_ref(), again.clone()).await.unwrap();
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    delete_all(&env, &url, &again).await;
    assert_eq!(addressed(&sent_emails(&env), "thandi@example.co.za").len(), 1, "sent once");
    assert_eq!(depth(&env, &url).await, (0, 0));
    assert_eq!(depth(&env, &queue.config().dead_letter_url).await, (0, 0));
}

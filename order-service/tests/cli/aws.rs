//! `bbws local provision` and `bbws dlq list|redrive` on moto. The dead-letter queues are
//! filled and checked with raw SQS calls, not through the adapters the CLI uses.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use adapters_aws::{AwsClients, AwsSettings};
use order_domain::{EventEnvelope, OrderEvent};

use crate::{Run, bbws};

/// The moto endpoint; fails loudly when it is not configured (these tests never skip).
fn endpoint() -> String {
    match std::env::var("BBWS_TEST_AWS_ENDPOINT") {
        Ok(url) if !url.trim().is_empty() => url.trim().trim_end_matches('/').to_owned(),
        _ => panic!(
            "BBWS_TEST_AWS_ENDPOINT is not set: run through `scripts/test`, or start \
             `.venv/bin/python scripts/moto_server.py -p PORT` and set BBWS_TEST_AWS_ENDPOINT=http://127.0.0.1:PORT"
        ),
    }
}

fn unique() -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    format!("cli{}-{:x}", std::process::id(), nanos % 0xffff_ffff)
}

/// The `export NAME=value` lines of `local provision`, as a map.
fn exports(run: &Run) -> BTreeMap<String, String> {
    run.ok()
        .lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| {
            let (name, value) = line.strip_prefix("export ").unwrap().split_once('=').unwrap();
            (name.to_owned(), value.trim_matches('\'').to_owned())
        })
        .collect()
}

async fn clients() -> AwsClients {
    let settings =
        AwsSettings::new("af-south-1").with_endpoint_url(endpoint()).with_static_credentials("testing", "testing");
    AwsClients::connect(&settings).await
}

/// (visible, in flight) of the queue at `url`, read raw.
async fn depth(clients: &AwsClients, url: &str) -> (u64, u64) {
    let out = clients.sqs.get_queue_attributes().queue_url(url).attribute_names("All".into()).send().await.unwrap();
    let attributes = out.attributes().unwrap();
    let count = |name: &str| -> u64 {
        attributes.iter().find(|(key, _)| key.as_str() == name).map(|(_, value)| value.parse().unwrap()).unwrap()
    };
    (count("ApproximateNumberOfMessages"), count("ApproximateNumberOfMessagesNotVisible"))
}

async fn send(clients: &AwsClients, url: &str, body: &str) {
    clients.sqs.send_message().queue_url(url).message_body(body).send().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_provision_prints_a_hosts_variables_and_dlq_lists_and_redrives() {
    let environment = unique();
    let local = [("BBWS_AWS_ENDPOINT".to_owned(), endpoint())];

    // Provision: export lines for every variable a host needs.
    let run = bbws(&local, &["local", "provision", "--environment", &environment]).await;
    assert!(run.ok().starts_with(&format!("# BBWS environment \"{environment}\"")), "{run:?}");
    let vars = exports(&run);
    assert_eq!(vars["BBWS_ENVIRONMENT"], environment);
    assert_eq!(vars["BBWS_AWS_ENDPOINT"], endpoint());
    assert_eq!(vars["BBWS_ORDERS_TABLE"], format!("bbws-orders-{environment}"));
    assert_eq!(vars["BBWS_FIELD_KEY"].len(), 64);
    assert!(vars["BBWS_TOPIC_ARN"].starts_with("arn:aws:sns:af-south-1:"), "{vars:?}");
    for suffix in ["RECORD_WRITER", "INVOICE_WRITER", "INTERNAL_NOTIFIER", "CUSTOMER_NOTIFIER"] {
        assert!(vars[&format!("BBWS_QUEUE_URL_{suffix}")].contains(&environment), "{vars:?}");
        assert!(vars[&format!("BBWS_DLQ_URL_{suffix}")].ends_with("-dlq"), "{vars:?}");
    }
    assert_eq!(vars.len(), 18, "{vars:?}");

    // Again, as JSON: the same resources are found, the given key is kept.
    let mut with_key = local.to_vec();
    with_key.push(("BBWS_FIELD_KEY".to_owned(), vars["BBWS_FIELD_KEY"].clone()));
    let again = bbws(&with_key, &["--json", "local", "provision", "--environment", &environment]).await.json();
    for (name, value) in &vars {
        assert_eq!(again[name], value.as_str(), "{name}");
    }

    // Dead letters, put straight into two dead-letter queues.
    let clients = clients().await;
    let (order, now) = order_domain::testing::pending_order();
    let event = EventEnvelope::new(uuid::Uuid::from_u128(7), now, OrderEvent::OrderCreated(order.created_event()));
    let body = serde_json::to_string(&event).unwrap();
    send(&clients, &vars["BBWS_DLQ_URL_RECORD_WRITER"], &body).await;
    send(&clients, &vars["BBWS_DLQ_URL_RECORD_WRITER"], "not an event").await;
    send(&clients, &vars["BBWS_DLQ_URL_CUSTOMER_NOTIFIER"], &body).await;
    let host: Vec<(String, String)> = vars.clone().into_iter().collect();

    let run = bbws(&host, &["dlq", "list"]).await;
    let text = run.ok();
    let order_id = order.id().to_string();
    for expected in [
        "record-writer: 2 dead letters",
        "invoice-writer: 0 dead letters",
        "internal-notifier: 0 dead letters",
        "customer-notifier: 1 dead letter\n",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
    }
    assert_eq!(text.matches(&format!("ORDER_CREATED          {order_id}")).count(), 2, "{text}");
    let listed = bbws(&host, &["--json", "dlq", "list", "--processor", "record-writer"]).await.json();
    let letters = listed["record-writer"].as_array().unwrap();
    assert_eq!(listed.as_object().unwrap().len(), 1, "{listed}");
    assert_eq!(letters.len(), 2);
    assert!(letters.iter().any(|l| l["eventType"] == "ORDER_CREATED" && l["orderId"] == order_id.as_str()));
    assert!(letters.iter().any(|l| l["eventType"] == "-" && l["body"] == "not an event"));
    assert_eq!(depth(&clients, &vars["BBWS_DLQ_URL_RECORD_WRITER"]).await, (2, 0), "listing leaves them in place");

    // Redrive one processor, then the rest.
    let run = bbws(&host, &["dlq", "redrive", "--processor", "record-writer"]).await;
    assert_eq!(run.ok(), "redriven 2 messages (record-writer 2)\n");
    assert_eq!(depth(&clients, &vars["BBWS_DLQ_URL_RECORD_WRITER"]).await, (0, 0));
    assert_eq!(depth(&clients, &vars["BBWS_QUEUE_URL_RECORD_WRITER"]).await, (2, 0));
    assert_eq!(depth(&clients, &vars["BBWS_DLQ_URL_CUSTOMER_NOTIFIER"]).await, (1, 0));
    let all = bbws(&host, &["--json", "dlq", "redrive"]).await.json();
    assert_eq!(all["redriven"], 1);
    assert_eq!(all["processors"]["customer-notifier"], 1);
    assert_eq!(depth(&clients, &vars["BBWS_DLQ_URL_CUSTOMER_NOTIFIER"]).await, (0, 0));
    assert_eq!(depth(&clients, &vars["BBWS_QUEUE_URL_CUSTOMER_NOTIFIER"]).await, (1, 0));
}

#[tokio::test]
async fn dlq_without_configuration_names_every_missing_variable() {
    let run = bbws(&[], &["dlq", "list"]).await;
    let error = run.failed();
    assert!(
        error.starts_with("error: BBWS_FIELD_KEY is not set; BBWS_TOPIC_ARN is not set; BBWS_QUEUE_URL_RECORD_WRITER"),
        "{error}"
    );
    assert!(error.ends_with("BBWS_DLQ_URL_CUSTOMER_NOTIFIER is not set\n"), "{error}");
    // The CLI reaches AWS only: it needs none of the application's settings.
    assert!(!error.contains("SUPPLIER") && !error.contains("CART_SERVICE"), "{error}");
}

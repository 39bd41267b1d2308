//! The consumer on moto's SQS with the whole application behind it: a shutdown while a batch is
//! in flight loses no order, and the real `worker` binary stops cleanly on SIGTERM. Each test
//! provisions its own environment; outcomes are read raw from SQS and DynamoDB.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use order_app::{Consumer, ConsumerOptions, Processor, Subscription};
use order_domain::testing::line;
use order_domain::{CartId, CartSnapshot, OrderId};
use order_ports::{EffectLog, EffectStart, EventQueue, PerProcessor};
use order_service::aws_host::variable_suffix;

use crate::cart_stub::{StubCartService, TOKEN};
use crate::pipeline::{
    Env, KEY, SentEmail, addressed, customer, depth, endpoint, fresh, object, objects, orders_table, pdf_text, request,
    sent_emails, tenant,
};
use crate::support::{Delayed, acme_owner};

/// The worker's own application settings (a production host has no demonstration values).
const APPLICATION_SETTINGS: &[(&str, &str)] = &[
    ("BBWS_SUPPLIER_ID", "karoo"),
    ("BBWS_SUPPLIER_LEGAL_NAME", "Karoo Cloud Services (Pty) Ltd"),
    ("BBWS_SUPPLIER_ADDRESS", "7 Church Street|Graaff-Reinet|6280"),
    ("BBWS_SUPPLIER_VAT_NUMBER", "4987654321"),
    ("BBWS_SUPPLIER_EMAIL", "accounts@karoo.example"),
    ("BBWS_STAFF_EMAILS", "orders@bbws.example"),
    ("BBWS_PORTAL_URL", "https://portal.bbws.example"),
    ("BBWS_STAFF_CONSOLE_URL", "https://staff.bbws.example"),
];

const ORDERS: usize = 8;

/// Accepts `ORDERS` orders: each ORDER_CREATED is on all four queues.
async fn accept_orders(env: &Env) -> Vec<OrderId> {
    let mut ids = Vec::new();
    for n in 0..ORDERS {
        let request = request(env, &format!("cart_{n}"), "thandi@example.co.za");
        let outcome =
            env.stack.app.create_for_tenant(&customer("tenant_acme"), &tenant("tenant_acme"), request, None).await;
        ids.push(outcome.unwrap().order_id);
    }
    ids
}

/// The key of a stored pro forma invoice (a new order's document), if any.
async fn first_invoice(env: &Env) -> Option<String> {
    objects(env).await.into_keys().find(|key| key.contains("/proforma_"))
}

/// The ids of the orders in the orders table.
async fn recorded(env: &Env) -> Vec<String> {
    let mut ids: Vec<String> =
        orders_table(env).await.keys().filter_map(|(_, sk)| sk.strip_prefix("ORDER#").map(str::to_owned)).collect();
    ids.sort();
    ids
}

/// Every order recorded, every queue and dead-letter queue empty (raw SQS counts).
async fn assert_all_recorded_nothing_dead(env: &Env, ids: &[OrderId]) {
    let mut expected: Vec<String> = ids.iter().map(ToString::to_string).collect();
    expected.sort();
    assert_eq!(recorded(env).await, expected, "every order is recorded");
    for (which, queue) in env.resources.queues.iter() {
        assert_eq!(depth(env, &queue.url).await, (0, 0), "{which} queue is empty");
        assert_eq!(depth(env, &queue.dead_letter_url).await, (0, 0), "{which} dead-letter queue is empty");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shutdown_while_a_batch_is_in_flight_loses_no_order() {
    let env = fresh().await;
    let ids = accept_orders(&env).await;

    // The record writer is slowed so that the shutdown finds its first batch in flight.
    let mut processors = env.stack.processors();
    let records = Delayed::new(processors.record_writer.clone(), Duration::from_millis(700));
    processors.record_writer = records.clone() as Arc<dyn Processor>;
    let concurrency = PerProcessor { record_writer: 2, invoice_writer: 10, internal_notifier: 5, customer_notifier: 5 };
    let queues = env.stack.adapters.queues.map(|_, queue| queue.clone() as Arc<dyn EventQueue>);
    let subs = Subscription::per_processor(processors, &queues, &concurrency);
    let options =
        ConsumerOptions { wait: Duration::from_secs(1), retry_delay: Duration::ZERO, ..ConsumerOptions::default() };
    let shutdown = {
        let records = records.clone();
        async move { records.wait_started(2).await }
    };
    let report = Consumer::new(subs, options).run(shutdown).await;

    let counts = report.processors.record_writer;
    assert_eq!(records.started(), counts.handled, "the batch in flight was finished: {report:?}");
    assert!(counts.handled >= 2 && counts.handled < ORDERS, "stopped mid-way: {report:?}");
    assert_eq!((counts.failed, counts.abandoned), (0, 0), "{report:?}");
    assert_eq!(recorded(&env).await.len(), counts.handled, "each handled event recorded its order");
    for (which, queue) in env.resources.queues.iter() {
        let (visible, hidden) = depth(&env, &queue.url).await;
        let handled = report.processors.get(which).handled;
        assert_eq!(hidden, 0, "{which}: nothing left hidden after the shutdown ({report:?})");
        assert_eq!(
            usize::try_from(visible).unwrap() + handled,
            ORDERS,
            "{which}: handled + waiting = sent ({report:?})"
        );
        assert_eq!(depth(&env, &queue.dead_letter_url).await, (0, 0), "{which}: nothing dead");
    }

    // A second run takes the rest.
    env.stack.drain().await.unwrap();
    assert_all_recorded_nothing_dead(&env, &ids).await;
}

/// The `worker` binary on `env`, with its own application settings and the cart service
/// `carts`, short polls and failures retried at once, its output piped.
fn worker(env: &Env, carts: &StubCartService) -> Command {
    let resources = &env.resources;
    let mut command = Command::new(env!("CARGO_BIN_EXE_worker"));
    command
        .env_clear()
        .env("RUST_LOG", "info")
        .env("BBWS_AWS_ENDPOINT", endpoint())
        .env("BBWS_FIELD_KEY", hex::encode(KEY))
        .env("BBWS_ORDERS_TABLE", &resources.orders_table)
        .env("BBWS_TENANTS_TABLE", &resources.tenants_table)
        .env("BBWS_DOCUMENTS_BUCKET", &resources.documents_bucket)
        .env("BBWS_TEMPLATES_BUCKET", &resources.templates_bucket)
        .env("BBWS_SENDER", &resources.sender)
        .env("BBWS_TOPIC_ARN", &resources.topic_arn)
        .env("BBWS_WORKER_POLL_WAIT_SECS", "1")
        .env("BBWS_WORKER_RETRY_DELAY_SECS", "0")
        // Several workers at once: each serves its metrics on a port of its own.
        .env("BBWS_WORKER_METRICS_ADDR", "127.0.0.1:0")
        .envs(APPLICATION_SETTINGS.iter().copied())
        .env("BBWS_CART_SERVICE_URL", carts.base_url())
        .env("BBWS_CART_SERVICE_TOKEN", TOKEN)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (which, queue) in resources.queues.iter() {
        let suffix = variable_suffix(which);
        command.env(format!("BBWS_QUEUE_URL_{suffix}"), &queue.url);
        command.env(format!("BBWS_DLQ_URL_{suffix}"), &queue.dead_letter_url);
    }
    command
}

/// A stub cart service that knows the carts of [`accept_orders`].
async fn cart_service() -> StubCartService {
    let carts = StubCartService::start().await;
    for n in 0..ORDERS {
        let cart = CartId::parse(format!("cart_{n}")).unwrap();
        carts.add_cart(&CartSnapshot::new(cart, acme_owner(), vec![line("HOSTING-PRO", "575.00", 1)]).unwrap(), true);
    }
    carts
}

/// The child's output lines, collected as they come.
fn collect_output(child: &mut Child) -> Arc<Mutex<String>> {
    let log = Arc::new(Mutex::new(String::new()));
    let pipes: Vec<Box<dyn std::io::Read + Send>> =
        vec![Box::new(child.stdout.take().unwrap()), Box::new(child.stderr.take().unwrap())];
    for pipe in pipes {
        let log = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let mut log = log.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
    }
    log
}

async fn wait_for(what: &str, timeout: Duration, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_binary_finishes_its_work_and_exits_on_sigterm() {
    let env = fresh().await;
    let ids = accept_orders(&env).await;

    // The worker marks recorded orders' carts inactive at the cart service its settings name.
    let carts = cart_service().await;

    let mut child = worker(&env, &carts).spawn().unwrap();
    let log = collect_output(&mut child);

    // SIGTERM as soon as the first order is recorded and the first invoice stored: the worker
    // is busy then.
    wait_for("the first recorded order and invoice", Duration::from_mins(1), async || {
        !recorded(&env).await.is_empty() && first_invoice(&env).await.is_some()
    })
    .await;
    let invoice = first_invoice(&env).await.unwrap();
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the worker did not stop within 30 s of SIGTERM:\n{}", log.lock().unwrap());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    std::thread::sleep(Duration::from_millis(100)); // the output threads catch up
    let log = log.lock().unwrap().clone();
    assert!(exit.success(), "exit {exit:?}:\n{log}");
    for expected in [
        "consumer started",
        "SIGTERM received",
        "shutting down",
        "processor stopped",
        "consumer stopped",
        "background service stopped",
    ] {
        assert!(log.contains(expected), "{expected:?} is missing from the log:\n{log}");
    }
    for (which, queue) in env.resources.queues.iter() {
        assert_eq!(depth(&env, &queue.url).await.1, 0, "{which}: nothing left hidden after the exit\n{log}");
    }

    // The binary's own supplier settings are on the invoice it stored.
    let text = pdf_text(&object(&env, &invoice).await.bytes);
    for expected in ["Karoo Cloud Services (Pty) Ltd", "4987654321", "Graaff-Reinet"] {
        assert!(text.contains(expected), "{expected:?} is not on the worker's invoice {invoice}:\n{text}");
    }
    assert!(!text.contains("Big Beard") && !text.contains("4123456789"), "{text}");

    // Whatever the worker left is still there: a second run takes it.
    env.stack.drain().await.unwrap();
    assert_all_recorded_nothing_dead(&env, &ids).await;
    let marked = carts.seen().iter().filter(|seen| seen.method == "PUT").count();
    assert!(marked >= 1, "the worker marked the carts of the orders it recorded at the cart service");
}

/// The lease a worker takes on an email (`BBWS_EFFECT_LEASE` of both workers below).
const LEASE: Duration = Duration::from_secs(8);

/// The effect keys of the two emails an ORDER_CREATED sends (`order_app`'s notifiers).
fn email_keys(order: &OrderId) -> [String; 2] {
    [format!("email/{order}/order_confirmation"), format!("email/{order}/order_notification/created")]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_batch_costs_no_email_and_fills_no_dead_letter_queue() {
    let env = fresh().await;
    let ids = accept_orders(&env).await;
    let carts = cart_service().await;

    // The first worker is killed (SIGKILL: no release, no abandon) as soon as it is busy. Its
    // metrics are off: their first queue-depth samples (GetQueueAttributes on every queue, at
    // start) delay its first record enough for its notifiers to finish every email before it,
    // and this test needs emails still to send when it dies.
    let mut first =
        worker(&env, &carts).env("BBWS_EFFECT_LEASE", "8s").env("BBWS_WORKER_METRICS_ADDR", "off").spawn().unwrap();
    let first_log = collect_output(&mut first);
    wait_for("the first recorded order", Duration::from_mins(1), async || !recorded(&env).await.is_empty()).await;
    first.kill().unwrap();
    first.wait().unwrap();

    // A request the dead worker had already sent may still be served by moto after the kill:
    // read what was sent once the count has stood still for a second.
    let mut sent_before_the_restart = sent_emails(&env);
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let again = sent_emails(&env);
        if again.len() == sent_before_the_restart.len() {
            break;
        }
        sent_before_the_restart = again;
    }

    // Whatever it was sending when it died, its leases are still running. So that every email
    // meets one (the kill cannot be timed to the instant between claiming and sending), every
    // email not sent yet is claimed here as the dead worker would have claimed it.
    let effects = &env.stack.adapters.effects;
    let (mut held, mut dead_workers) = (0, Vec::new());
    for key in ids.iter().flat_map(email_keys) {
        match effects.begin(&key, std::time::SystemTime::now().into(), LEASE).await.unwrap() {
            EffectStart::Proceed => held += 1,
            EffectStart::InProgress { .. } => dead_workers.push(key),
            EffectStart::AlreadyDone => {}
        }
    }
    assert!(held > 0, "some emails were still to send:\n{}", first_log.lock().unwrap());

    // The restarted worker meets those leases on every redelivery (its retry delay is 0, its
    // queues allow 3 receives): it must wait them out rather than spend the retries.
    let mut second = worker(&env, &carts).env("BBWS_EFFECT_LEASE", "8s").spawn().unwrap();
    let second_log = collect_output(&mut second);
    let expected = 2 * ORDERS;
    wait_for("every email", Duration::from_secs(90), async || sent_emails(&env).len() >= expected).await;
    // What the dead worker had received comes back after the visibility timeout (30 s); the
    // second worker handles it too.
    wait_for("every queue to be empty", Duration::from_secs(90), async || {
        let mut empty = true;
        for (_, queue) in env.resources.queues.iter() {
            empty &= depth(&env, &queue.url).await == (0, 0);
        }
        empty
    })
    .await;
    Command::new("kill").args(["-TERM", &second.id().to_string()]).status().unwrap();
    let exit = second.wait().unwrap();
    let log = second_log.lock().unwrap().clone();
    assert!(exit.success(), "exit {exit:?}:\n{log}");
    assert!(log.contains("another worker holds the lease"), "the leases were met:\n{log}");

    // Exactly once each — except where the dead worker was killed between sending an email and
    // recording it sent: the one window no email provider lets us close (`EffectLog`), which
    // shows as an email sent before the restart under a lease the dead worker still held.
    let sent = sent_emails(&env);
    for id in &ids {
        let [confirmation, notification] = email_keys(id);
        for (to, key) in [("thandi@example.co.za", confirmation), ("orders@bbws.example", notification)] {
            let about = |sent: &[SentEmail]| {
                addressed(sent, to)
                    .iter()
                    .filter(|m| m.subject.contains(&id.to_string()) || m.body.contains(&id.to_string()))
                    .count()
            };
            let window = dead_workers.contains(&key) && about(&sent_before_the_restart) == 1;
            let count = about(&sent);
            assert!(
                count == 1 || (window && count == 2),
                "{count} emails to {to} about {id} (window: {window}):\n{log}"
            );
        }
    }
    assert_all_recorded_nothing_dead(&env, &ids).await;
}

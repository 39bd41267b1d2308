//! Failures moto cannot produce — throttling, 5xx answers, cancelled transactions, refused
//! connections, timeouts — injected at the SDK level (`aws-smithy-mocks`, or a socket that
//! never answers), and how the adapters classify them.

use std::sync::Arc;
use std::time::Duration;

use adapters_aws::{
    AwsClients, AwsSettings, DynamoOrderRepository, QueueConfig, S3DocumentStore, SesMailer, SnsEventPublisher,
    SqsEventQueue,
};
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, CancellationReason};
use aws_sdk_sqs::operation::get_queue_attributes::GetQueueAttributesOutput;
use aws_sdk_sqs::types::QueueAttributeName;
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;
use order_domain::testing::now;
use order_domain::{ActorKind, Email, OrderId};
use order_ports::{
    DocumentKey, DocumentKind, DocumentStore, EventPublisher, EventQueue, Mailer, OrderRepository, OrderUpdate,
    OutgoingEmail, PortError, Subject,
};

use crate::support::{TestCipher, assert_retryable, created_event, order_for, tenant};

fn http(status: u16, body: &'static str) -> Response {
    Response::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body))
}

fn dynamo_error(status: u16, code: &'static str) -> Response {
    let body = match code {
        "ThrottlingException" => {
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate exceeded"}"#
        }
        "ProvisionedThroughputExceededException" => {
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"too fast"}"#
        }
        "ValidationException" => r#"{"__type":"com.amazon.coral.validate#ValidationException","message":"bad key"}"#,
        "AccessDeniedException" => r#"{"__type":"com.amazon.coral.service#AccessDeniedException","message":"no"}"#,
        _ => r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"oops"}"#,
    };
    http(status, body)
}

fn repository(rules: &[&aws_smithy_mocks::Rule]) -> DynamoOrderRepository {
    let client =
        mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, rules, |c| c.retry_config(RetryConfig::disabled()));
    DynamoOrderRepository::new(client, "orders", Arc::new(TestCipher))
}

#[tokio::test]
async fn dynamodb_throttling_and_server_errors_are_retryable() {
    for (status, code) in [
        (400, "ThrottlingException"),
        (400, "ProvisionedThroughputExceededException"),
        (500, "InternalServerError"),
        (503, "Unknown"),
    ] {
        let rule = mock!(aws_sdk_dynamodb::Client::get_item).then_http_response(move || dynamo_error(status, code));
        let repo = repository(&[&rule]);
        let err = repo.get(&tenant("tenant_acme"), OrderId::from_parts(now(), 1)).await.unwrap_err();
        assert_retryable(&err);
        assert_eq!(rule.num_calls(), 1);
    }
}

#[tokio::test]
async fn dynamodb_client_errors_are_not_retryable() {
    for code in ["ValidationException", "AccessDeniedException"] {
        let rule = mock!(aws_sdk_dynamodb::Client::get_item).then_http_response(move || dynamo_error(400, code));
        let err = repository(&[&rule]).get(&tenant("tenant_acme"), OrderId::from_parts(now(), 1)).await.unwrap_err();
        assert!(matches!(err, PortError::Unavailable { retryable: false, .. }), "{code}: {err:?}");
    }
}

#[tokio::test]
async fn the_sdk_retries_transient_errors_before_the_adapter_sees_them() {
    let rule = mock!(aws_sdk_dynamodb::Client::get_item)
        .sequence()
        .http_response(|| dynamo_error(500, "InternalServerError"))
        .times(2)
        .output(|| GetItemOutput::builder().build())
        .build();
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, &[&rule], |c| c
        .retry_config(RetryConfig::standard().with_max_attempts(3).with_initial_backoff(Duration::from_millis(1))));
    let repo = DynamoOrderRepository::new(client, "orders", Arc::new(TestCipher));
    let err = repo.get(&tenant("tenant_acme"), OrderId::from_parts(now(), 1)).await.unwrap_err();
    assert!(matches!(err, PortError::NotFound), "the third attempt answered: no item, {err:?}");
    assert_eq!(rule.num_calls(), 3);
}

fn cancelled(reason: CancellationReason) -> TransactWriteItemsError {
    TransactWriteItemsError::TransactionCanceledException(
        aws_sdk_dynamodb::types::error::TransactionCanceledException::builder().cancellation_reasons(reason).build(),
    )
}

fn moved_order() -> order_domain::Order {
    let mut order = order_for(&tenant("tenant_acme"));
    order.request_payment(ActorKind::Customer, now()).unwrap();
    order
}

#[tokio::test]
async fn a_transaction_cancelled_by_a_concurrent_transaction_is_retryable() {
    let rule = mock!(aws_sdk_dynamodb::Client::transact_write_items)
        .then_error(|| cancelled(CancellationReason::builder().code("TransactionConflict").build()));
    let order = moved_order();
    let err = repository(&[&rule])
        .update(OrderUpdate { order: &order, expected_version: 1, events: &[], payment: None })
        .await
        .unwrap_err();
    assert_retryable(&err);
}

#[tokio::test]
async fn a_failed_version_check_is_a_conflict_from_the_returned_item_without_another_read() {
    let rule = mock!(aws_sdk_dynamodb::Client::transact_write_items).then_error(|| {
        cancelled(
            CancellationReason::builder()
                .code("ConditionalCheckFailed")
                .item("version", AttributeValue::N("5".into()))
                .build(),
        )
    });
    let order = moved_order();
    let err = repository(&[&rule])
        .update(OrderUpdate { order: &order, expected_version: 1, events: &[], payment: None })
        .await
        .unwrap_err();
    assert!(matches!(&err, PortError::Conflict(message) if message.contains("version 5")), "{err:?}");
}

#[tokio::test]
async fn without_the_old_item_one_consistent_read_tells_missing_from_conflicting() {
    let write = mock!(aws_sdk_dynamodb::Client::transact_write_items)
        .then_error(|| cancelled(CancellationReason::builder().code("ConditionalCheckFailed").build()));
    let read = mock!(aws_sdk_dynamodb::Client::get_item)
        .match_requests(|r| r.consistent_read() == Some(true))
        .then_output(|| GetItemOutput::builder().build());
    let order = moved_order();
    let err = repository(&[&write, &read])
        .update(OrderUpdate { order: &order, expected_version: 1, events: &[], payment: None })
        .await
        .unwrap_err();
    assert!(matches!(err, PortError::NotFound), "{err:?}");
    assert_eq!(read.num_calls(), 1);
}

#[tokio::test]
async fn s3_slow_down_and_5xx_are_retryable_and_access_denied_is_not() {
    let slow = mock!(aws_sdk_s3::Client::put_object).then_http_response(|| {
        http(503, "<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>")
    });
    let denied = mock!(aws_sdk_s3::Client::get_object)
        .then_http_response(|| http(403, "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"));
    let client =
        mock_client!(aws_sdk_s3, RuleMode::MatchAny, &[&slow, &denied], |c| c.retry_config(RetryConfig::disabled()));
    let store = S3DocumentStore::new(client, "documents");
    let key = DocumentKey {
        tenant_id: tenant("tenant_acme"),
        order_id: OrderId::from_parts(now(), 1),
        kind: DocumentKind::TaxInvoice,
    };
    let meta = order_ports::DocumentMeta { content_type: "application/pdf".into(), number: None, issued_at: now() };
    assert_retryable(&store.put(&key, b"pdf".to_vec(), &meta).await.unwrap_err());
    let err = store.get(&key).await.unwrap_err();
    assert!(matches!(err, PortError::Unavailable { retryable: false, .. }), "{err:?}");
}

/// A failed read of the redrive policy is not remembered; a successful one is, and is not read
/// again.
#[tokio::test]
async fn the_retry_budget_is_read_until_it_succeeds_and_then_kept() {
    let policy = r#"{"deadLetterTargetArn":"arn:aws:sqs:af-south-1:123456789012:q-dlq","maxReceiveCount":4}"#;
    let rule = mock!(aws_sdk_sqs::Client::get_queue_attributes)
        .sequence()
        .http_response(|| http(500, "{}"))
        .output(move || {
            GetQueueAttributesOutput::builder().attributes(QueueAttributeName::RedrivePolicy, policy).build()
        })
        .build();
    let sqs = mock_client!(aws_sdk_sqs, RuleMode::Sequential, &[&rule], |c| c.retry_config(RetryConfig::disabled()));
    let queue = SqsEventQueue::new(
        sqs,
        QueueConfig { name: "q".into(), url: "https://sqs/q".into(), dead_letter_url: "https://sqs/q-dlq".into() },
    );
    assert_retryable(&queue.retry_budget().await.unwrap_err());
    assert_eq!(queue.retry_budget().await.unwrap(), Some(4));
    assert_eq!(queue.clone().retry_budget().await.unwrap(), Some(4), "kept, by clones too");
    assert_eq!(rule.num_calls(), 2);
}

#[tokio::test]
async fn sqs_sns_server_errors_and_ses_throttling_are_retryable() {
    let receive = mock!(aws_sdk_sqs::Client::receive_message).then_http_response(|| http(500, "{}"));
    let sqs = mock_client!(aws_sdk_sqs, RuleMode::MatchAny, &[&receive], |c| c.retry_config(RetryConfig::disabled()));
    let queue = SqsEventQueue::new(
        sqs,
        QueueConfig { name: "q".into(), url: "https://sqs/q".into(), dead_letter_url: "https://sqs/q-dlq".into() },
    );
    assert_retryable(&queue.receive(1, Duration::ZERO).await.unwrap_err());

    let publish = mock!(aws_sdk_sns::Client::publish).then_http_response(|| http(500, ""));
    let sns = mock_client!(aws_sdk_sns, RuleMode::MatchAny, &[&publish], |c| c.retry_config(RetryConfig::disabled()));
    let publisher = SnsEventPublisher::new(sns, "arn:aws:sns:af-south-1:123456789012:events");
    assert_retryable(&publisher.publish(&created_event(&order_for(&tenant("tenant_acme")))).await.unwrap_err());

    let send = mock!(aws_sdk_sesv2::Client::send_email)
        .then_http_response(|| http(429, r#"{"message":"Maximum sending rate exceeded."}"#));
    let ses = mock_client!(aws_sdk_sesv2, RuleMode::MatchAny, &[&send], |c| c.retry_config(RetryConfig::disabled()));
    let mailer = SesMailer::new(ses, "orders@bbws.co.za");
    let email = OutgoingEmail {
        to: vec![Email::parse("a@example.co.za").unwrap()],
        subject: Subject::new("Hi").unwrap(),
        html: "<p>hi</p>".into(),
        text: "hi".into(),
    };
    assert_retryable(&mailer.send(&email).await.unwrap_err());
}

#[tokio::test]
async fn a_refused_connection_is_retryable() {
    // Nothing listens on a port that was just bound and released.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let settings = AwsSettings::new("af-south-1")
        .with_endpoint_url(format!("http://127.0.0.1:{port}"))
        .with_static_credentials("testing", "testing")
        .with_max_attempts(1);
    let clients = AwsClients::connect(&settings).await;
    let repo = DynamoOrderRepository::new(clients.dynamodb, "orders", Arc::new(TestCipher));
    assert_retryable(&repo.get(&tenant("tenant_acme"), OrderId::from_parts(now(), 1)).await.unwrap_err());
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_retryably() {
    // Accepts connections (the kernel completes them) but never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let settings = AwsSettings::new("af-south-1")
        .with_endpoint_url(format!("http://{}", listener.local_addr().unwrap()))
        .with_static_credentials("testing", "testing")
        .with_max_attempts(1)
        .with_attempt_timeout(Duration::from_millis(300));
    let clients = AwsClients::connect(&settings).await;
    let repo = DynamoOrderRepository::new(clients.dynamodb, "orders", Arc::new(TestCipher));
    let started = std::time::Instant::now();
    assert_retryable(&repo.get(&tenant("tenant_acme"), OrderId::from_parts(now(), 1)).await.unwrap_err());
    assert!(started.elapsed() < Duration::from_secs(10));
    drop(listener);
}

//! `deploy/template.yaml` deployed with `CreateStack` on a moto server: every resource the
//! template declares is created as declared (read back with raw SDK calls, compared with what
//! `adapters_aws::provision` creates where the two must agree), prod differs from dev where the
//! README says, every function gets the supplier's, staff's, cart service's and metrics
//! settings, the SLO alarms and the dashboard watch the HLD's targets on metrics the application
//! writes (`watched`), and an order runs through the deployed stack — the application
//! configured from nothing but the stack's outputs and the settings its functions run with.
//!
//! moto's CloudFormation lacks some resource types and properties of the template (SNS
//! subscriptions, queue and bucket policies, alarms, the HTTP API, bucket versioning, …);
//! `scripts/moto_server.py` adds them (`scripts/moto_cfn.py`). Against a plain moto server the
//! first test fails, naming what was not created.
//!
//! `scripts/test` starts moto and exports `BBWS_TEST_AWS_ENDPOINT`; without it these tests
//! fail (they never skip).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)] // Tests fail loudly.

mod support;
mod watched;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use adapters_aws::{ProvisionSpec, provision};
use adapters_memory::MemoryCartGateway;
use adapters_system::CipherKey;
use aws_sdk_dynamodb::types::{AttributeValue, TableDescription};
use aws_sdk_s3::types::{LifecycleExpiration, NoncurrentVersionExpiration, ServerSideEncryption};
use order_app::{CreateOrderRequest, Principal};
use order_domain::testing::{address, line};
use order_domain::{CartId, CartSnapshot, Email, OrderStatus, PaymentMethod, TenantId};
use order_ports::ProcessorKind;
use order_service::app_settings::AppSettings;
use order_service::aws::{AwsStack, AwsStackOptions};
use order_service::deploy_outputs::resources_from_outputs;

use crate::support::*;
use crate::watched::{Scope, Watched, expression_ids};

/// Seconds a processor function may run (the template's `Timeout`).
const PROCESSOR_TIMEOUT: u64 = 30;

/// The alarms' and functions' reserved concurrency per processor (DESIGN §8).
const RESERVED: [(ProcessorKind, u64); 4] = [
    (ProcessorKind::RecordWriter, 5),
    (ProcessorKind::InvoiceWriter, 10),
    (ProcessorKind::InternalNotifier, 5),
    (ProcessorKind::CustomerNotifier, 5),
];

/// The HLD's lag targets per processor, seconds: record < 2 s, PDF < 5 s, email < 10 s.
const LAG_TARGETS: [(ProcessorKind, f64); 4] = [
    (ProcessorKind::RecordWriter, 2.0),
    (ProcessorKind::InvoiceWriter, 5.0),
    (ProcessorKind::InternalNotifier, 10.0),
    (ProcessorKind::CustomerNotifier, 10.0),
];

/// One SLO alarm: its name after `bbws-orders-{env}{suffix}-`, the HLD's target as its
/// threshold, and the metrics it reads ([`Watched::key`]).
struct Slo {
    name: String,
    threshold: f64,
    comparison: &'static str,
    reads: BTreeSet<String>,
}

impl Slo {
    fn new(name: &str, threshold: f64, comparison: &'static str, reads: impl IntoIterator<Item = String>) -> Self {
        Self { name: name.to_owned(), threshold, comparison, reads: reads.into_iter().collect() }
    }
}

/// The SLO alarms of the template: create < 300 ms, end to end < 15 s, record < 2 s, PDF < 5 s,
/// email < 10 s, 99.95 % processing success, 99.9 % API availability.
fn slo_alarms() -> Vec<Slo> {
    const OVER: &str = "GreaterThanThreshold";
    let every_processor =
        |metric: &str| ProcessorKind::ALL.map(|processor| format!("{metric} Processor={}", processor.name()));
    let creates = ["/v1.0/orders", "/v1.0/tenants/{tenant_id}/orders"]
        .map(|route| format!("HttpRequestDuration Method=POST Route={route}"));
    let answers = ["2xx", "3xx", "4xx", "5xx"].map(|class| format!("HttpRequests StatusClass={class}"));
    let finished = [every_processor("EventsHandled"), every_processor("EventsDeadLettered")].concat();
    let mut alarms = vec![
        Slo::new("create-latency-p99", 0.3, OVER, creates),
        Slo::new("end-to-end-lag-p99", 15.0, OVER, every_processor("EventLag")),
        Slo::new("processing-success-rate", 99.95, "LessThanThreshold", finished),
        Slo::new("api-5xx-rate", 0.1, OVER, answers),
    ];
    for (processor, target) in LAG_TARGETS {
        let lag = format!("EventLag Processor={}", processor.name());
        alarms.push(Slo::new(&format!("{}-lag-p99", processor.name()), target, OVER, [lag]));
    }
    alarms
}

/// The names a metric that the stack's alarms or dashboard watch may carry.
fn scope(deployed: &Deployed) -> Scope {
    let resources = resources_from_outputs(&deployed.outputs).unwrap();
    let mut queues = BTreeSet::new();
    for (_, queue) in resources.queues.iter() {
        queues.insert(queue.name.clone());
        queues.insert(queue.dead_letter_url.rsplit('/').next().unwrap().to_owned());
    }
    Scope {
        namespace: deployed.output("MetricsNamespace").to_owned(),
        queues,
        functions: functions(deployed).into_iter().collect(),
    }
}

fn processor_function(deployed: &Deployed, processor: ProcessorKind) -> String {
    format!("bbws-orders-{}{}-{}", deployed.environment, deployed.suffix, processor.name())
}

/// Every function of the stack: the API, the four processors and the sweep.
fn functions(deployed: &Deployed) -> Vec<String> {
    let (environment, suffix) = (&deployed.environment, &deployed.suffix);
    let mut names = vec![format!("bbws-order-api-{environment}{suffix}")];
    names.extend(ProcessorKind::ALL.map(|processor| processor_function(deployed, processor)));
    names.push(format!("bbws-orders-{environment}{suffix}-expiry-sweep"));
    names
}

/// The environment variables the deployed function `name` runs with (as text, as Lambda gives
/// them to the process; moto keeps a `Number` parameter's value as a JSON number).
fn function_variables(name: &str) -> BTreeMap<String, String> {
    let configuration = lambda_get(&format!("/2015-03-31/functions/{name}/configuration"));
    let variables = configuration["Environment"]["Variables"].as_object().cloned().unwrap_or_default();
    variables
        .into_iter()
        .map(|(key, value)| (key, value.as_str().map_or_else(|| value.to_string(), str::to_owned)))
        .collect()
}

/// The application's settings as the deployed function `name` reads them from its variables.
fn deployed_settings(name: &str) -> AppSettings {
    let variables = function_variables(name);
    AppSettings::from_lookup(|key| variables.get(key).cloned())
        .unwrap_or_else(|error| panic!("{name} could not start: {error}"))
}

/// `NAME KEYTYPE` per key element, in order.
fn key_schema(keys: &[aws_sdk_dynamodb::types::KeySchemaElement]) -> Vec<String> {
    keys.iter().map(|k| format!("{} {}", k.attribute_name(), k.key_type().as_str())).collect()
}

/// `NAME TYPE` per attribute definition, sorted.
fn attributes(table: &TableDescription) -> Vec<String> {
    let mut attributes: Vec<String> = table
        .attribute_definitions()
        .iter()
        .map(|a| format!("{} {}", a.attribute_name(), a.attribute_type().as_str()))
        .collect();
    attributes.sort();
    attributes
}

/// `(name, key schema, projection)` per global secondary index, sorted by name.
fn indexes(table: &TableDescription) -> Vec<(String, Vec<String>, String)> {
    let mut indexes: Vec<_> = table
        .global_secondary_indexes()
        .iter()
        .map(|index| {
            let projection =
                index.projection().and_then(|p| p.projection_type()).map(|p| p.as_str().to_owned()).unwrap_or_default();
            (index.index_name().unwrap_or_default().to_owned(), key_schema(index.key_schema()), projection)
        })
        .collect();
    indexes.sort();
    indexes
}

#[tokio::test]
async fn the_template_creates_every_resource_it_declares() {
    let deployed = deploy("dev").await;
    let declared = template_resources();
    assert!(declared.len() > 60, "the template parser found only {declared:?}");
    // ReplicationRole exists only with a replica bucket (HasReplica), not in this deployment.
    let expected: BTreeSet<String> = declared.into_iter().filter(|id| id != "ReplicationRole").collect();
    let created: BTreeSet<String> = deployed
        .resources
        .iter()
        .filter(|(_, kind, status)| !kind.is_empty() && status == "CREATE_COMPLETE")
        .map(|(id, _, _)| id.clone())
        .collect();
    let missing: Vec<_> = expected.difference(&created).collect();
    assert!(
        missing.is_empty(),
        "not created: {missing:?} (moto's CloudFormation skips types it has no model for; run moto through \
         scripts/moto_server.py, which adds them)\n{:#?}",
        deployed.resources
    );
}

#[tokio::test]
async fn names_and_tables_are_as_provision_makes_them() {
    let deployed = deploy("dev").await;
    let clients = &deployed.clients;
    let suffix = &deployed.suffix;

    // Names: DESIGN §4 / ProvisionSpec::for_environment, with the suffix after the environment.
    let spec = ProvisionSpec::for_environment(&format!("dev{suffix}"), sender_for(suffix));
    let resources = resources_from_outputs(&deployed.outputs).unwrap();
    assert_eq!(resources.orders_table, spec.orders_table);
    assert_eq!(resources.tenants_table, spec.tenants_table);
    assert_eq!(resources.documents_bucket, spec.documents_bucket);
    assert_eq!(resources.templates_bucket, spec.templates_bucket);
    assert!(resources.topic_arn.ends_with(&format!(":{}", spec.topic_name)), "{}", resources.topic_arn);
    for (processor, queue) in resources.queues.iter() {
        assert_eq!(queue.name, spec.queue_name(processor));
        assert!(queue.dead_letter_url.ends_with(&format!("/{}-dlq", queue.name)), "{queue:?}");
    }

    // The orders table: the same key schema, attributes and indexes as provision() creates.
    let reference = ProvisionSpec::for_environment(&format!("ref{suffix}"), sender_for(suffix));
    provision(clients, &reference).await.unwrap();
    let describe = |name: String| async move {
        clients.dynamodb.describe_table().table_name(name).send().await.unwrap().table.unwrap()
    };
    let deployed_table = describe(resources.orders_table.clone()).await;
    let provisioned_table = describe(reference.orders_table.clone()).await;
    assert_eq!(key_schema(deployed_table.key_schema()), ["PK HASH", "SK RANGE"]);
    assert_eq!(key_schema(deployed_table.key_schema()), key_schema(provisioned_table.key_schema()));
    assert_eq!(attributes(&deployed_table), attributes(&provisioned_table));
    assert_eq!(indexes(&deployed_table), indexes(&provisioned_table));
    assert_eq!(
        indexes(&deployed_table),
        [
            ("FEEDS".to_owned(), vec!["FEEDPK HASH".to_owned(), "FEEDSK RANGE".to_owned()], "KEYS_ONLY".to_owned()),
            ("GSI1".to_owned(), vec!["GSI1PK HASH".to_owned(), "GSI1SK RANGE".to_owned()], "ALL".to_owned()),
            ("GSI2".to_owned(), vec!["GSI2PK HASH".to_owned()], "ALL".to_owned()),
        ]
    );
    for table in [&deployed_table, &describe(resources.tenants_table.clone()).await] {
        let name = table.table_name().unwrap();
        let billing = table.billing_mode_summary().and_then(|b| b.billing_mode()).map(|m| m.as_str().to_owned());
        assert_eq!(billing.as_deref(), Some("PAY_PER_REQUEST"), "{name}");
        assert_eq!(table.deletion_protection_enabled(), Some(false), "{name}: deletion protection is for prod");
        let stream = table
            .stream_specification()
            .map(|s| (s.stream_enabled(), s.stream_view_type().map(|v| v.as_str().to_owned())));
        assert_eq!(stream, Some((true, Some("NEW_AND_OLD_IMAGES".to_owned()))), "{name}: streams feed a DR replica");
        let backups = clients.dynamodb.describe_continuous_backups().table_name(name).send().await.unwrap();
        let pitr = backups
            .continuous_backups_description()
            .and_then(|d| d.point_in_time_recovery_description())
            .and_then(|p| p.point_in_time_recovery_status())
            .map(|s| s.as_str().to_owned());
        assert_eq!(pitr.as_deref(), Some("ENABLED"), "{name}: point-in-time recovery");
    }
}

#[tokio::test]
async fn queues_subscriptions_and_buckets_are_as_declared() {
    let deployed = deploy("dev").await;
    let clients = &deployed.clients;
    let resources = resources_from_outputs(&deployed.outputs).unwrap();
    let spec = ProvisionSpec::for_environment("dev", sender_for(&deployed.suffix));

    // Queues: redrive to their own DLQ after 5 receives (provision's default), DLQs keep longer,
    // visibility six times the function timeout; only the topic may send to them.
    for (processor, queue) in resources.queues.iter() {
        let attributes = queue_attributes(&deployed, &queue.url).await;
        let dlq = queue_attributes(&deployed, &queue.dead_letter_url).await;
        let redrive: serde_json::Value = serde_json::from_str(&attributes["RedrivePolicy"]).unwrap();
        assert_eq!(redrive["deadLetterTargetArn"], dlq["QueueArn"].as_str(), "{processor}");
        let receives = redrive["maxReceiveCount"].to_string().trim_matches('"').parse::<u32>().unwrap();
        assert_eq!(receives, *spec.max_receive_count.get(processor), "{processor}");
        let retention = |a: &BTreeMap<String, String>| a["MessageRetentionPeriod"].parse::<u64>().unwrap();
        assert_eq!(retention(&attributes), 4 * 24 * 3600, "{processor}");
        assert_eq!(retention(&dlq), 14 * 24 * 3600, "{processor}");
        assert!(retention(&dlq) > retention(&attributes));
        let visibility = attributes["VisibilityTimeout"].parse::<u64>().unwrap();
        assert!(visibility >= 6 * PROCESSOR_TIMEOUT, "{processor}: visibility {visibility} s");
        let policy: serde_json::Value = serde_json::from_str(&attributes["Policy"]).unwrap();
        let statement = &policy["Statement"][0];
        assert_eq!(statement["Principal"]["Service"], "sns.amazonaws.com");
        assert_eq!(statement["Action"], "sqs:SendMessage");
        assert_eq!(statement["Condition"]["ArnEquals"]["aws:SourceArn"], resources.topic_arn.as_str());
        assert!(statement["Resource"].as_array().unwrap().iter().any(|r| r == attributes["QueueArn"].as_str()));
    }

    // The topic reaches exactly the four queues, with raw message delivery.
    let subscriptions = clients.sns.list_subscriptions_by_topic().topic_arn(&resources.topic_arn).send().await.unwrap();
    let mut endpoints = Vec::new();
    for subscription in subscriptions.subscriptions() {
        assert_eq!(subscription.protocol(), Some("sqs"));
        let attributes = clients
            .sns
            .get_subscription_attributes()
            .subscription_arn(subscription.subscription_arn().unwrap())
            .send()
            .await
            .unwrap();
        let raw = attributes.attributes().and_then(|a| a.get("RawMessageDelivery")).cloned();
        assert_eq!(raw.as_deref(), Some("true"), "{subscription:?}");
        endpoints.push(subscription.endpoint().unwrap().to_owned());
    }
    let mut queue_arns = Vec::new();
    for (_, queue) in resources.queues.iter() {
        queue_arns.push(queue_attributes(&deployed, &queue.url).await["QueueArn"].clone());
    }
    endpoints.sort();
    queue_arns.sort();
    assert_eq!(endpoints, queue_arns);

    // Buckets: SSE-S3 (AES-256), public access blocked, TLS only; documents versioned and kept
    // seven years.
    for bucket in [&resources.documents_bucket, &resources.templates_bucket] {
        let encryption = clients.s3.get_bucket_encryption().bucket(bucket).send().await.unwrap();
        let algorithm = encryption
            .server_side_encryption_configuration()
            .and_then(|c| c.rules().first())
            .and_then(|r| r.apply_server_side_encryption_by_default())
            .map(|d| d.sse_algorithm().as_str().to_owned());
        assert_eq!(algorithm.as_deref(), Some("AES256"), "{bucket}");
        let block = clients.s3.get_public_access_block().bucket(bucket).send().await.unwrap();
        let block = block.public_access_block_configuration().unwrap();
        assert_eq!(
            (
                block.block_public_acls(),
                block.ignore_public_acls(),
                block.block_public_policy(),
                block.restrict_public_buckets()
            ),
            (Some(true), Some(true), Some(true), Some(true)),
            "{bucket}"
        );
        let policy = clients.s3.get_bucket_policy().bucket(bucket).send().await.unwrap();
        let policy: serde_json::Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
        assert_eq!(policy["Statement"][0]["Effect"], "Deny");
        assert_eq!(policy["Statement"][0]["Condition"]["Bool"]["aws:SecureTransport"], "false");
    }
    // Read raw: moto 5.2.5 answers GetBucketVersioning under the root element
    // GetBucketVersioningResponse, which the Rust SDK rejects (it expects VersioningConfiguration).
    let versioning = moto_raw("s3", "GET", &format!("/{}?versioning", resources.documents_bucket), &[], "");
    assert_eq!(xml_value(&versioning, "Status"), Some("Enabled"), "{versioning}");
    let lifecycle =
        clients.s3.get_bucket_lifecycle_configuration().bucket(&resources.documents_bucket).send().await.unwrap();
    let rule = &lifecycle.rules()[0];
    assert_eq!(rule.status().as_str(), "Enabled");
    assert_eq!(rule.expiration().and_then(LifecycleExpiration::days), Some(2557), "seven years of documents");
    let noncurrent = rule.noncurrent_version_expiration().and_then(NoncurrentVersionExpiration::noncurrent_days);
    assert_eq!(noncurrent, Some(2557));
}

#[tokio::test]
async fn functions_api_and_alarms_are_wired_as_declared() {
    let deployed = deploy("dev").await;
    let resources = resources_from_outputs(&deployed.outputs).unwrap();
    let alert_topic = deployed.output("AlertTopicArn").to_owned();

    // Processors: reserved concurrency 5/10/5/5, fed by their own queue with partial batch
    // responses, told which processor they are, configured with the stack's names.
    for (processor, reserved) in RESERVED {
        let function = processor_function(&deployed, processor);
        let concurrency = lambda_get(&format!("/2019-09-30/functions/{function}/concurrency"));
        assert_eq!(concurrency["ReservedConcurrentExecutions"], reserved, "{function}");
        let configuration = lambda_get(&format!("/2015-03-31/functions/{function}/configuration"));
        assert_eq!(configuration["Runtime"], "provided.al2023");
        assert_eq!(configuration["Handler"], "bootstrap");
        assert_eq!(configuration["Timeout"], PROCESSOR_TIMEOUT, "{function}");
        let variables = &configuration["Environment"]["Variables"];
        assert_eq!(variables["BBWS_PROCESSOR"], processor.name());
        assert_eq!(variables["BBWS_ENVIRONMENT"], "dev");
        assert_eq!(variables["BBWS_ORDERS_TABLE"], resources.orders_table.as_str());
        assert_eq!(variables["BBWS_TOPIC_ARN"], resources.topic_arn.as_str());
        // Every function spreads the table's shared keys alike: the template's defaults, also
        // in the outputs.
        let layout = adapters_aws::TableLayout::default();
        // As text, as Lambda gives it (moto keeps a Number parameter's value a number).
        let text = |name: &str| match &variables[name] {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        assert_eq!(text("BBWS_FEED_SHARDS"), layout.feed_shards().to_string());
        assert_eq!(text("BBWS_FEED_SHARDS_READ"), layout.feed_shards().to_string());
        assert_eq!(text("BBWS_NUMBER_SEQUENCES"), layout.number_sequences().to_string());
        assert_eq!(resources.layout, layout);
        for (other, queue) in resources.queues.iter() {
            let suffix = other.name().to_uppercase().replace('-', "_");
            assert_eq!(variables[format!("BBWS_QUEUE_URL_{suffix}")], queue.url.as_str());
            assert_eq!(variables[format!("BBWS_DLQ_URL_{suffix}")], queue.dead_letter_url.as_str());
        }
        let mappings = lambda_get(&format!("/2015-03-31/event-source-mappings/?FunctionName={function}"));
        let mappings = mappings["EventSourceMappings"].as_array().unwrap();
        assert_eq!(mappings.len(), 1, "{function}: {mappings:?}");
        let queue_arn = queue_attributes(&deployed, &resources.queues.get(processor).url).await["QueueArn"].clone();
        assert_eq!(mappings[0]["EventSourceArn"], queue_arn.as_str());
        assert_eq!(mappings[0]["FunctionResponseTypes"], serde_json::json!(["ReportBatchItemFailures"]));
    }

    // The API: JWT authorizer on the customer and staff routes, none where PayFast or a guest calls.
    let apis = apigateway_get("/v2/apis");
    let name = format!("bbws-order-api-dev{}", deployed.suffix);
    let api = apis["items"].as_array().unwrap().iter().find(|a| a["name"] == name.as_str()).expect("the HTTP API");
    let api_id = api["apiId"].as_str().unwrap();
    assert_eq!(api["protocolType"], "HTTP");
    assert_eq!(deployed.output("ApiUrl"), format!("{}/", api["apiEndpoint"].as_str().unwrap()));
    let routes = apigateway_get(&format!("/v2/apis/{api_id}/routes"));
    let mut authorizations: Vec<(String, String)> = routes["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["routeKey"].as_str().unwrap().to_owned(), r["authorizationType"].as_str().unwrap().to_owned()))
        .collect();
    authorizations.sort();
    let expected: Vec<(String, String)> = [
        ("GET /health", "NONE"),
        ("GET /openapi.json", "NONE"),
        ("GET /v1.0/orders/{orderId}", "JWT"),
        ("GET /v1.0/orders/{orderId}/documents", "JWT"),
        ("GET /v1.0/orders/{orderId}/documents/{name}", "JWT"),
        ("GET /v1.0/tenants/{tenantId}/orders", "JWT"),
        ("POST /v1.0/orders", "NONE"),
        ("POST /v1.0/orders/{orderId}/paymentconfirmation", "NONE"),
        ("POST /v1.0/orders/{orderId}/payments/{paymentId}/refund", "JWT"),
        ("POST /v1.0/tenants/{tenantId}/orders", "JWT"),
        ("PUT /v1.0/orders/{orderId}", "JWT"),
    ]
    .iter()
    .map(|(k, a)| ((*k).to_owned(), (*a).to_owned()))
    .collect();
    assert_eq!(authorizations, expected);
    assert_every_operation_is_routed(expected.iter().map(|(key, _)| key.as_str()));
    let jwt_route = routes["items"].as_array().unwrap().iter().find(|r| r["authorizationType"] == "JWT").unwrap();
    let authorizer =
        apigateway_get(&format!("/v2/apis/{api_id}/authorizers/{}", jwt_route["authorizerId"].as_str().unwrap()));
    assert_eq!(authorizer["authorizerType"], "JWT");
    assert_eq!(
        authorizer["jwtConfiguration"]["issuer"],
        "https://cognito-idp.af-south-1.amazonaws.com/af-south-1_DeployTest1"
    );
    assert_eq!(authorizer["jwtConfiguration"]["audience"], serde_json::json!(["portal-client", "console-client"]));

    // Alarms: one per dead-letter queue, at the first message, to the alert topic.
    let alarms = alarms(&format!("bbws-orders-dev{}-", deployed.suffix));
    let dead_letter_alarms: Vec<_> = alarms.iter().filter(|a| a["Namespace"] == "AWS/SQS").collect();
    assert_eq!(dead_letter_alarms.len(), 4, "{dead_letter_alarms:#?}");
    for (processor, queue) in resources.queues.iter() {
        let dlq_name = format!("{}-dlq", queue.name);
        let alarm = dead_letter_alarms
            .iter()
            .find(|a| a["Dimensions"] == serde_json::json!([{ "Name": "QueueName", "Value": dlq_name }]))
            .unwrap_or_else(|| panic!("no alarm on {dlq_name} ({processor})"));
        assert_eq!(alarm["MetricName"], "ApproximateNumberOfMessagesVisible");
        assert_eq!(alarm["ComparisonOperator"], "GreaterThanThreshold");
        assert_eq!(alarm["Threshold"].as_f64(), Some(0.0));
        assert_eq!(alarm["AlarmActions"], serde_json::json!([alert_topic]), "{alarm}");
        assert_eq!(alarm["OKActions"], serde_json::json!([alert_topic]), "{alarm}");
    }
    let alert_subscriptions =
        deployed.clients.sns.list_subscriptions_by_topic().topic_arn(&alert_topic).send().await.unwrap();
    let endpoints: Vec<_> = alert_subscriptions.subscriptions().iter().filter_map(|s| s.endpoint()).collect();
    assert_eq!(endpoints, ["ops@example.co.za"]);
}

#[tokio::test]
async fn slo_alarms_watch_the_hld_targets_and_notify_the_alert_topic() {
    let deployed = deploy("dev").await;
    let prefix = format!("bbws-orders-dev{}-", deployed.suffix);
    let alert_topic = deployed.output("AlertTopicArn");
    let alarms = alarms(&prefix);
    let slos = slo_alarms();
    assert_eq!(alarms.len(), slos.len() + 4, "the SLO and the dead-letter alarms, no others: {alarms:#?}");
    for slo in &slos {
        let name = format!("{prefix}{}", slo.name);
        let alarm =
            alarms.iter().find(|a| a["AlarmName"] == name.as_str()).unwrap_or_else(|| panic!("no alarm {name}"));
        assert_eq!(alarm["Threshold"].as_f64(), Some(slo.threshold), "{name}");
        assert_eq!(alarm["ComparisonOperator"], slo.comparison, "{name}");
        assert_eq!(alarm["AlarmActions"], serde_json::json!([alert_topic]), "{name}");
        assert_eq!(alarm["OKActions"], serde_json::json!([alert_topic]), "{name}");
        assert_eq!(alarm["TreatMissingData"], "notBreaching", "{name}: no traffic is no breach");
        // 2 of the last 3 five-minute windows (the template says why).
        let evaluation = (alarm["EvaluationPeriods"].as_u64(), alarm["DatapointsToAlarm"].as_u64());
        assert_eq!(evaluation, (Some(3), Some(2)), "{name}");
        let description = alarm["AlarmDescription"].as_str().unwrap_or_default();
        assert!(description.starts_with("SLO ") && description.len() > 200, "{name}: say what broke and where to look");

        // The alarm watches one metric math expression over its own queries, each of 5 minutes.
        let queries = alarm["Metrics"].as_array().unwrap_or_else(|| panic!("{name} is a metric math alarm"));
        let ids: BTreeSet<String> = queries.iter().map(|query| query["Id"].as_str().unwrap().to_owned()).collect();
        let returned: Vec<_> = queries.iter().filter(|query| query["ReturnData"].as_bool().unwrap_or(true)).collect();
        assert!(matches!(returned.as_slice(), [query] if query["Expression"].is_string()), "{name}: {returned:?}");
        for query in queries {
            match query["Expression"].as_str() {
                Some(expression) => {
                    let unknown: Vec<_> = expression_ids(expression).difference(&ids).cloned().collect();
                    assert!(unknown.is_empty(), "{name}: {expression} reads {unknown:?}, which it does not define");
                }
                None => assert_eq!(query["MetricStat"]["Period"], 300, "{name}: {query}"),
            }
        }
        let reads: BTreeSet<String> = Watched::of_alarm(alarm).iter().map(Watched::key).collect();
        assert_eq!(reads, slo.reads, "{name}");
    }

    // Every alarm, the dead-letter ones too, reads metrics that exist.
    let scope = scope(&deployed);
    for alarm in &alarms {
        for watched in Watched::of_alarm(alarm) {
            scope.check(&watched, alarm["AlarmName"].as_str().unwrap());
        }
    }
}

#[tokio::test]
async fn the_dashboard_shows_the_alarms_and_graphs_the_targets_on_metrics_that_exist() {
    let deployed = deploy("dev").await;
    let name = format!("bbws-orders-dev{}", deployed.suffix);
    let url = deployed.output("DashboardUrl");
    assert!(url.starts_with("https://af-south-1.console.aws.amazon.com/cloudwatch/"), "{url}");
    assert!(url.ends_with(&format!("#dashboards/dashboard/{name}")), "{url}");
    let body = dashboard(&name);
    let widgets = body["widgets"].as_array().unwrap();

    // First, the state of every alarm of the stack.
    let alarm_arns: BTreeSet<String> =
        alarms(&format!("{name}-")).iter().map(|alarm| alarm["AlarmArn"].as_str().unwrap().to_owned()).collect();
    assert_eq!(alarm_arns.len(), slo_alarms().len() + 4);
    assert_eq!(widgets[0]["type"], "alarm");
    let shown: BTreeSet<String> = widgets[0]["properties"]["alarms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|arn| arn.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(shown, alarm_arns);

    // Every graph: in the stack's region, on metrics that exist, its expressions over its own
    // entries. Gather what is graphed and the target lines drawn beside each metric.
    let scope = scope(&deployed);
    let mut graphed = BTreeSet::new();
    let mut lines: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for widget in widgets.iter().filter(|widget| widget["type"] == "metric") {
        let properties = &widget["properties"];
        let title = properties["title"].as_str().unwrap();
        assert_eq!(properties["region"], REGION, "{title}");
        let entries = properties["metrics"].as_array().unwrap();
        let options = entries.iter().filter_map(|entry| entry.as_array()?.last()?.as_object());
        let ids: BTreeSet<String> = options.clone().filter_map(|o| Some(o.get("id")?.as_str()?.to_owned())).collect();
        for expression in options.filter_map(|o| o.get("expression")?.as_str()) {
            let unknown: Vec<_> = expression_ids(expression).difference(&ids).cloned().collect();
            assert!(unknown.is_empty(), "{title}: {expression} reads {unknown:?}, which the graph does not define");
        }
        let drawn: Vec<f64> = properties["annotations"]["horizontal"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|line| line["value"].as_f64().unwrap())
            .collect();
        for watched in Watched::of_widget(widget) {
            scope.check(&watched, title);
            lines.entry(watched.name.clone()).or_default().extend(&drawn);
            graphed.insert(watched.key());
        }
    }

    // What the alarms read is graphed, and so is what an operator looks at next: the queues and
    // dead-letter queues, the processors' outcomes, orders, the functions' errors and throttles.
    for slo in slo_alarms() {
        let missing: Vec<_> = slo.reads.difference(&graphed).collect();
        assert!(missing.is_empty(), "{}: {missing:?} not on the dashboard", slo.name);
    }
    let mut expected: Vec<String> = Vec::new();
    for queue in &scope.queues {
        expected.push(format!("ApproximateNumberOfMessagesVisible QueueName={queue}"));
        if !queue.ends_with("-dlq") {
            expected.push(format!("ApproximateAgeOfOldestMessage QueueName={queue}"));
        }
    }
    for processor in ProcessorKind::ALL.map(ProcessorKind::name) {
        for metric in ["EventsHandled", "EventsFailed", "EventsRetried", "EventsDeadLettered", "EventHandlingDuration"]
        {
            expected.push(format!("{metric} Processor={processor}"));
        }
    }
    for function in &scope.functions {
        expected.push(format!("Errors FunctionName={function}"));
        expected.push(format!("Throttles FunctionName={function}"));
    }
    expected.extend(["tenant", "guest"].map(|buyer| format!("OrdersCreated Buyer={buyer}")));
    expected.extend(["PAID", "CANCELLED", "EXPIRED"].map(|status| format!("OrderStatusChanges Status={status}")));
    let missing: Vec<_> = expected.iter().filter(|key| !graphed.contains(*key)).collect();
    assert!(missing.is_empty(), "not on the dashboard: {missing:?}");

    // The HLD's targets are drawn where they apply: create 300 ms; record 2 s, PDF 5 s,
    // email 10 s and end to end 15 s beside the lag.
    assert!(lines["HttpRequestDuration"].contains(&0.3), "{lines:?}");
    for target in LAG_TARGETS.map(|(_, target)| target).into_iter().chain([15.0]) {
        assert!(lines["EventLag"].contains(&target), "no {target} s line beside the lag: {lines:?}");
    }
}

#[tokio::test]
async fn prod_protects_its_tables_from_deletion() {
    let deployed = deploy("prod").await;
    let resources = resources_from_outputs(&deployed.outputs).unwrap();
    assert_eq!(deployed.output("Environment"), "prod");
    for table in [&resources.orders_table, &resources.tenants_table] {
        assert!(table.contains("-prod-"), "{table}");
        let described = deployed.clients.dynamodb.describe_table().table_name(table).send().await.unwrap();
        assert_eq!(described.table().unwrap().deletion_protection_enabled(), Some(true), "{table}");
    }
}

#[tokio::test]
async fn every_function_gets_the_supplier_staff_cart_service_and_metrics_settings() {
    let deployed = deploy("sit").await;
    // Every function writes its metrics under one namespace per stack, which the stack outputs.
    let namespace = deployed.output("MetricsNamespace");
    assert_eq!(namespace, format!("BBWS/OrderManagement/sit{}", deployed.suffix));
    let parameter = |key: &str| APPLICATION_PARAMETERS.iter().find(|(name, _)| *name == key).unwrap().1;
    for function in functions(&deployed) {
        let variables = function_variables(&function);
        let text = |key: &str| variables.get(key).cloned().unwrap_or_default();
        let settings = deployed_settings(&function);
        let supplier = &settings.supplier;
        assert_eq!(supplier.id, parameter("SupplierId"), "{function}");
        assert_eq!(supplier.name, parameter("SupplierLegalName"), "{function}");
        assert_eq!(supplier.trading_name.as_deref(), Some(parameter("SupplierTradingName")), "{function}");
        assert_eq!(supplier.address, ["Unit 7, 12 Church Street", "Graaff-Reinet", "6280"], "{function}");
        assert_eq!(supplier.vat_number.as_ref().map(order_domain::VatNumber::as_str), Some("4987654321"), "{function}");
        let staff: Vec<&str> = settings.staff_emails.iter().map(Email::as_str).collect();
        assert_eq!(staff, ["sales@karoo.example.co.za", "ops@karoo.example.co.za"], "{function}");
        assert_eq!(settings.portal_url, parameter("PortalUrl"), "{function}");
        assert_eq!(settings.expiry.pending_after, chrono::TimeDelta::hours(12), "{function}");
        assert_eq!(settings.expiry.payment_pending_after, chrono::TimeDelta::hours(2), "{function}: the default");
        assert_eq!(text("BBWS_CART_SERVICE_URL"), parameter("CartServiceUrl"), "{function}");
        assert_eq!(text("BBWS_CART_SERVICE_TIMEOUT"), "2s", "{function}: the default");
        assert_eq!(text("BBWS_CART_SERVICE_ATTEMPTS"), "4", "{function}");
        // The token comes from Secrets Manager, like the field key, never a parameter.
        assert!(text("BBWS_CART_SERVICE_TOKEN").contains("cartServiceToken"), "{function}");
        assert_eq!(text("BBWS_METRICS_NAMESPACE"), namespace, "{function}");
    }
}

#[tokio::test]
async fn an_order_is_created_processed_and_read_back_on_the_deployed_stack() {
    let deployed = deploy("sit").await;
    // The application's configuration comes from the stack's outputs and nothing else.
    let resources = resources_from_outputs(&deployed.outputs).unwrap();
    let clients = &deployed.clients;
    // The sender identity is verified once per account and region, outside the template.
    clients.ses.create_email_identity().email_identity(&resources.sender).send().await.unwrap();

    // ... and the application's settings from what the deployed functions run with.
    let settings = deployed_settings(&processor_function(&deployed, ProcessorKind::InvoiceWriter));
    let carts = Arc::new(MemoryCartGateway::new());
    let options = AwsStackOptions::new(settings.config(), CipherKey::from_bytes([7; 32]), carts.clone())
        .with_poll_wait(Duration::ZERO)
        .with_retry_delay(Duration::ZERO);
    let stack = AwsStack::new(clients, &resources, options).unwrap();
    let cart = CartId::parse("cart_deploy_1").unwrap();
    carts.add_cart(
        CartSnapshot::new(
            cart.clone(),
            order_domain::CartOwner::Tenant(TenantId::parse("tenant_acme").unwrap()),
            vec![line("HOSTING-PRO", "575.00", 2), line("DOMAIN-COZA", "199.00", 1)],
        )
        .unwrap(),
    );
    let tenant = TenantId::parse("tenant_acme").unwrap();
    let customer = Principal::Customer { tenant_id: tenant.clone() };
    let request = CreateOrderRequest {
        cart_id: cart,
        customer_email: Email::parse("thandi@example.co.za").unwrap(),
        campaign_code: None,
        billing_address: address(),
        payment_method: PaymentMethod::Payfast,
        items: None,
    };
    let created = stack.app.create_for_tenant(&customer, &tenant, request, Some("deploy-smoke-1")).await.unwrap();

    // Let the four processors run over the stack's queues until they are empty.
    let report = stack.drain().await.unwrap();
    for (processor, counts) in report.processors.iter() {
        assert_eq!((counts.handled, counts.failed), (1, 0), "{processor}: {report:?}");
    }
    for (processor, queue) in resources.queues.iter() {
        let dlq = queue_attributes(&deployed, &queue.dead_letter_url).await;
        assert_eq!(dlq["ApproximateNumberOfMessages"], "0", "{processor} gave up on the event");
    }

    // Read it back through the application, and check the stores raw.
    let order = stack.app.get(&customer, created.order_id).await.unwrap();
    assert_eq!(order.status(), OrderStatus::Pending);
    assert_eq!(order.totals().total.to_string(), "ZAR 1349.00");
    let id = created.order_id.to_string();
    let item = clients
        .dynamodb
        .get_item()
        .table_name(&resources.orders_table)
        .key("PK", AttributeValue::S("TENANT#tenant_acme".into()))
        .key("SK", AttributeValue::S(format!("ORDER#{id}")))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    assert!(item.item().is_some(), "the record writer wrote ORDER#{id} into {}", resources.orders_table);
    let key = format!("tenant_acme/{id}/proforma_{id}.pdf");
    let invoice = clients.s3.head_object().bucket(&resources.documents_bucket).key(&key).send().await.unwrap();
    assert_eq!(invoice.server_side_encryption().map(ServerSideEncryption::as_str), Some("AES256"));
    let pdf = clients.s3.get_object().bucket(&resources.documents_bucket).key(&key).send().await.unwrap();
    let pdf = pdf.body.collect().await.unwrap().into_bytes();
    let document = lopdf::Document::load_mem(&pdf).unwrap();
    let text = document.extract_text(&document.get_pages().keys().copied().collect::<Vec<_>>()).unwrap();
    assert!(text.contains("Karoo Cloud Services (Pty) Ltd") && text.contains("VAT no. 4987654321"), "{text}");
    assert_eq!(carts.is_inactive(order.cart_id()), Some(true));
}

/// Every operation of the API's OpenAPI document is routed by the template, and nothing else
/// (parameter names aside: the template names them in camelCase; `/openapi.json` is not an
/// operation), so a new endpoint cannot be left out of the deployment.
fn assert_every_operation_is_routed<'a>(route_keys: impl Iterator<Item = &'a str>) {
    let unnamed = |route: &str| {
        let mut out = String::new();
        let mut inside = false;
        for c in route.chars() {
            match c {
                '{' => {
                    inside = true;
                    out.push_str("{}");
                }
                '}' => inside = false,
                _ if inside => {}
                _ => out.push(c),
            }
        }
        out
    };
    let document = serde_json::to_value(<adapters_http::ApiDoc as utoipa::OpenApi>::openapi()).unwrap();
    let mut documented: Vec<String> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object().unwrap().keys().map(move |method| unnamed(&format!("{} {path}", method.to_uppercase())))
        })
        .collect();
    documented.sort();
    let mut template: Vec<String> = route_keys.map(unnamed).filter(|key| key != "GET /openapi.json").collect();
    template.sort();
    assert_eq!(template, documented, "the template's routes against the OpenAPI document's operations");
}

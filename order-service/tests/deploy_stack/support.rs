//! Deploying `deploy/template.yaml` on the moto server, and raw reads of what it created.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use adapters_aws::{AwsClients, AwsSettings};
use aws_sdk_cloudformation::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cloudformation::types::{Capability, Parameter};

/// The variable `scripts/test` sets to the moto server's URL.
pub const ENDPOINT_VARIABLE: &str = "BBWS_TEST_AWS_ENDPOINT";

/// The region the stacks are deployed in (the HLD's primary region).
pub const REGION: &str = "af-south-1";

/// The code zips the template reads from the artifacts bucket (its parameters' defaults).
pub const CODE_KEYS: [&str; 3] = ["lambda-api.zip", "lambda-processor.zip", "lambda-sweep.zip"];

/// An empty zip archive (just the end-of-central-directory record): moto creates functions
/// without running them, so the placeholder only has to be a zip.
const EMPTY_ZIP: [u8; 22] = [0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/// The moto endpoint. Fails the test loudly when it is not configured: these tests never skip.
pub fn endpoint() -> String {
    match std::env::var(ENDPOINT_VARIABLE) {
        Ok(url) if !url.trim().is_empty() => url.trim().trim_end_matches('/').to_owned(),
        _ => panic!(
            "{ENDPOINT_VARIABLE} is not set. The deploy_stack tests deploy deploy/template.yaml on a moto \
             server: run them through `scripts/test`, which installs moto into .venv, starts it and sets \
             {ENDPOINT_VARIABLE}; or start `.venv/bin/python scripts/moto_server.py -p PORT` yourself (that \
             launcher adds the CloudFormation resource types moto lacks) and run \
             `{ENDPOINT_VARIABLE}=http://127.0.0.1:PORT cargo test -p order-service --features aws --test deploy_stack`"
        ),
    }
}

/// `deploy/template.yaml`, from the workspace root.
pub fn template_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/template.yaml")
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A `NameSuffix` no other test (nor an earlier run on the same server) uses: `-d` and at most
/// 16 lowercase hex digits, within the template's pattern and bucket-name limits.
fn unique_suffix() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let mixed = (now.as_secs() << 30) ^ u64::from(now.subsec_nanos()) ^ (u64::from(std::process::id()) << 12) ^ n;
    format!("-d{mixed:x}")
}

/// A stack deployed from the template, and clients for reading what it created.
pub struct Deployed {
    /// The five SDK clients of the application, on moto.
    pub clients: AwsClients,
    /// The environment the stack was deployed for.
    pub environment: String,
    /// Its `NameSuffix`.
    pub suffix: String,
    /// The stack's outputs.
    pub outputs: BTreeMap<String, String>,
    /// `(logical id, resource type, status)` of every resource the stack reports.
    pub resources: Vec<(String, String, String)>,
}

impl Deployed {
    /// The output `key`; panics when the stack has none.
    pub fn output(&self, key: &str) -> &str {
        self.outputs.get(key).unwrap_or_else(|| panic!("no output {key} in {:?}", self.outputs))
    }
}

/// The application's and the cart service's parameters every test deploys with: a supplier
/// that is not the demonstration one.
pub const APPLICATION_PARAMETERS: &[(&str, &str)] = &[
    ("SupplierId", "karoo-cloud"),
    ("SupplierLegalName", "Karoo Cloud Services (Pty) Ltd"),
    ("SupplierTradingName", "Karoo Cloud"),
    ("SupplierAddress", "Unit 7, 12 Church Street|Graaff-Reinet|6280"),
    ("SupplierVatNumber", "4987654321"),
    ("SupplierEmail", "accounts@karoo.example.co.za"),
    ("StaffEmails", "sales@karoo.example.co.za,ops@karoo.example.co.za"),
    ("PortalUrl", "https://my.karoo.example.co.za"),
    ("StaffConsoleUrl", "https://staff.karoo.example.co.za"),
    ("PendingExpiry", "12h"),
    ("CartServiceUrl", "https://carts.karoo.example.co.za/internal-api"),
    ("CartServiceAttempts", "4"),
];

/// The sender address of a deployment with `suffix`.
pub fn sender_for(suffix: &str) -> String {
    format!("orders@{}.example.co.za", suffix.trim_start_matches('-'))
}

/// Deploys the template for `environment` under a fresh `NameSuffix`: first a small stack with
/// the artifacts bucket and the placeholder zips uploaded to it, then the template itself with
/// `CreateStack`, waiting for `CREATE_COMPLETE`.
pub async fn deploy(environment: &str) -> Deployed {
    let endpoint = endpoint();
    let settings =
        AwsSettings::new(REGION).with_endpoint_url(endpoint.clone()).with_static_credentials("testing", "testing");
    let clients = AwsClients::connect(&settings).await;
    let config = aws_sdk_cloudformation::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "deploy-stack-test"))
        .build();
    let cloudformation = aws_sdk_cloudformation::Client::from_conf(config);
    let suffix = unique_suffix();

    // The artifacts bucket lives outside the application's stack (code outlives a deployment).
    let artifacts = format!("bbws-artifacts{suffix}");
    let artifacts_template = format!(
        "Resources:\n  Artifacts:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: {artifacts}\n"
    );
    create_stack(&cloudformation, &format!("bbws-artifacts{suffix}"), &artifacts_template, &[]).await;
    for key in CODE_KEYS {
        clients.s3.put_object().bucket(&artifacts).key(key).body(EMPTY_ZIP.to_vec().into()).send().await.unwrap();
    }

    let template = std::fs::read_to_string(template_path()).unwrap();
    let sender = sender_for(&suffix);
    let parameters = [
        &[
            ("Environment", environment),
            ("NameSuffix", suffix.as_str()),
            ("ArtifactsBucket", artifacts.as_str()),
            ("KeysSecretId", "bbws-orders-keys"),
            ("UserPoolId", "af-south-1_DeployTest1"),
            ("AppClientIds", "portal-client,console-client"),
            ("ServiceClients", "payment=payment-client"),
            ("Sender", sender.as_str()),
            ("AlertEmail", "ops@example.co.za"),
        ],
        APPLICATION_PARAMETERS,
    ]
    .concat();
    let stack_name = format!("bbws-orders-{environment}{suffix}");
    let outputs = create_stack(&cloudformation, &stack_name, &template, &parameters).await;
    let resources = cloudformation
        .describe_stack_resources()
        .stack_name(&stack_name)
        .send()
        .await
        .unwrap()
        .stack_resources()
        .iter()
        .map(|r| {
            (
                r.logical_resource_id().unwrap_or_default().to_owned(),
                r.resource_type().unwrap_or_default().to_owned(),
                r.resource_status().map(|s| s.as_str().to_owned()).unwrap_or_default(),
            )
        })
        .collect();
    Deployed { clients, environment: environment.to_owned(), suffix, outputs, resources }
}

/// `CreateStack`, then waits (at most a minute) until it is no longer in progress; panics with
/// the stack's events unless it reached `CREATE_COMPLETE`. Returns the outputs.
async fn create_stack(
    cloudformation: &aws_sdk_cloudformation::Client,
    name: &str,
    template: &str,
    parameters: &[(&str, &str)],
) -> BTreeMap<String, String> {
    let parameters =
        parameters.iter().map(|(key, value)| Parameter::builder().parameter_key(*key).parameter_value(*value).build());
    let created = cloudformation
        .create_stack()
        .stack_name(name)
        .template_body(template)
        .set_parameters(Some(parameters.collect()))
        .capabilities(Capability::CapabilityIam)
        .send()
        .await;
    match created {
        Ok(_) => {}
        // The name is this test's own: a stack already there was created by an earlier attempt
        // of this same call, which the SDK retried after a transient failure (moto answers 500
        // now and then under load). Wait for it like any other.
        Err(e) if e.as_service_error().is_some_and(|e| e.meta().code() == Some("AlreadyExistsException")) => {}
        Err(e) => panic!("CreateStack {name}: {}", aws_smithy_display(&e)),
    }
    let deadline = Instant::now() + Duration::from_mins(3);
    loop {
        let out = cloudformation.describe_stacks().stack_name(name).send().await.unwrap();
        let stack = &out.stacks()[0];
        let status = stack.stack_status().map(|s| s.as_str().to_owned()).unwrap_or_default();
        if status == "CREATE_COMPLETE" {
            return stack
                .outputs()
                .iter()
                .map(|o| {
                    (o.output_key().unwrap_or_default().to_owned(), o.output_value().unwrap_or_default().to_owned())
                })
                .collect();
        }
        if !status.ends_with("_IN_PROGRESS") || Instant::now() > deadline {
            let events = cloudformation.describe_stack_events().stack_name(name).send().await.unwrap();
            let reasons: Vec<String> = events
                .stack_events()
                .iter()
                .map(|e| {
                    format!(
                        "{} {:?} {}",
                        e.logical_resource_id().unwrap_or_default(),
                        e.resource_status(),
                        e.resource_status_reason().unwrap_or_default()
                    )
                })
                .collect();
            panic!("stack {name} ended {status}: {:?}\n{}", stack.stack_status_reason(), reasons.join("\n"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn aws_smithy_display(error: &impl std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The logical ids the template declares under `Resources:` (a line `  Name:` at two spaces).
pub fn template_resources() -> BTreeSet<String> {
    let template = std::fs::read_to_string(template_path()).unwrap();
    let mut in_resources = false;
    let mut ids = BTreeSet::new();
    for line in template.lines() {
        if !line.starts_with(' ') && !line.is_empty() && !line.starts_with('#') {
            in_resources = line == "Resources:";
            continue;
        }
        if in_resources
            && let Some(id) = line.strip_prefix("  ").and_then(|rest| rest.strip_suffix(':'))
            && !id.is_empty()
            && id.chars().all(|c| c.is_ascii_alphanumeric())
        {
            ids.insert(id.to_owned());
        }
    }
    ids
}

/// The attributes of the queue at `url`, by name.
pub async fn queue_attributes(deployed: &Deployed, url: &str) -> BTreeMap<String, String> {
    let out =
        deployed.clients.sqs.get_queue_attributes().queue_url(url).attribute_names("All".into()).send().await.unwrap();
    out.attributes().unwrap().iter().map(|(k, v)| (k.as_str().to_owned(), v.clone())).collect()
}

/// A request to moto for a service whose SDK the workspace does not build (Lambda, API Gateway
/// v2, CloudWatch): moto routes by the credential scope of the `Authorization` header and checks
/// no signature. `headers` describe `body` (its content type, a JSON protocol's target). Returns
/// the body of a 200 answer; panics on anything else.
pub fn moto_raw(service: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> String {
    let endpoint = endpoint();
    let host = endpoint.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let headers: String = headers.iter().map(|(name, value)| [name, ": ", value, "\r\n"].concat()).collect();
    // HTTP/1.0: the answer comes whole, never chunked.
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: {host}\r\nAuthorization: AWS4-HMAC-SHA256 \
         Credential=testing/20260101/{REGION}/{service}/aws4_request, SignedHeaders=host, Signature=0\r\n\
         {headers}content-length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").expect("an HTTP response");
    let head = String::from_utf8_lossy(&response[..split]).to_string();
    let body = String::from_utf8_lossy(&response[split + 4..]).to_string();
    assert!(head.split_whitespace().nth(1) == Some("200"), "{method} {path} ({service}): {head}\n{body}");
    body
}

/// A Lambda REST call (GET) on moto, as JSON.
pub fn lambda_get(path: &str) -> serde_json::Value {
    serde_json::from_str(&moto_raw("lambda", "GET", path, &[], "")).unwrap()
}

/// An API Gateway v2 call (GET) on moto, as JSON.
pub fn apigateway_get(path: &str) -> serde_json::Value {
    serde_json::from_str(&moto_raw("apigateway", "GET", path, &[], "")).unwrap()
}

/// A CloudWatch call on moto in the AWS JSON 1.0 protocol, which CloudWatch accepts besides its
/// query protocol (the answer is JSON, not XML to pick apart).
pub fn cloudwatch(action: &str, request: &serde_json::Value) -> serde_json::Value {
    let target = format!("GraniteServiceVersion20100801.{action}");
    let headers = [("content-type", "application/x-amz-json-1.0"), ("x-amz-target", target.as_str())];
    serde_json::from_str(&moto_raw("monitoring", "POST", "/", &headers, &request.to_string())).unwrap()
}

/// CloudWatch `DescribeAlarms` for a name prefix: the metric alarms, as `DescribeAlarms` gives
/// them.
pub fn alarms(prefix: &str) -> Vec<serde_json::Value> {
    let answer = cloudwatch("DescribeAlarms", &serde_json::json!({ "AlarmNamePrefix": prefix, "MaxRecords": 100 }));
    answer["MetricAlarms"].as_array().cloned().unwrap_or_default()
}

/// The body of the CloudWatch dashboard `name`, parsed.
pub fn dashboard(name: &str) -> serde_json::Value {
    let answer = cloudwatch("GetDashboard", &serde_json::json!({ "DashboardName": name }));
    serde_json::from_str(answer["DashboardBody"].as_str().expect("a dashboard body")).unwrap()
}

/// The text of the first `<tag>…</tag>` in `xml`.
pub fn xml_value<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let start = xml.find(&format!("<{tag}>"))? + tag.len() + 2;
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(&xml[start..end])
}

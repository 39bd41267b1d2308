//! Public on-demand prices, each with its region, date and source, and the deployment's
//! figures that turn counts into money (function memory, architecture, schedules).
//!
//! af-south-1 (Cape Town) prices are published on AWS's pricing pages as rendered tables and in
//! the AWS Price List API; neither was reachable from the sources searched for this model, so
//! every price below is the best sourced figure found, for the region it names (us-east-1), and
//! is labelled so. af-south-1 prices are typically higher than us-east-1's; replace these with
//! the Price List API's af-south-1 offers
//! (`https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/<service>/current/af-south-1/index.json`)
//! when they can be read.

use serde::Serialize;

/// One price: `usd` per `per` units of `unit`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Price {
    /// What is priced.
    pub what: &'static str,
    /// US dollars per `per` units.
    pub usd: f64,
    /// How many units `usd` buys.
    pub per: f64,
    /// The unit.
    pub unit: &'static str,
    /// The region the figure is for.
    pub region: &'static str,
    /// When it was published or read.
    pub date: &'static str,
    /// Where it comes from.
    pub source: &'static str,
}

impl Price {
    /// The price of `amount` units.
    pub fn of(&self, amount: f64) -> f64 {
        self.usd * amount / self.per
    }
}

const NOT_CAPE_TOWN: &str = "us-east-1 (no af-south-1 figure found; see BENCHMARKS.md)";

/// The prices the cost model uses.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Prices {
    /// DynamoDB on-demand write request unit.
    pub dynamodb_write: Price,
    /// DynamoDB on-demand read request unit.
    pub dynamodb_read: Price,
    /// SNS standard topic publish (per 64 KB chunk); deliveries to SQS carry no SNS charge.
    pub sns_publish: Price,
    /// SQS standard queue request (per 64 KB chunk).
    pub sqs_request: Price,
    /// S3 Standard PUT, COPY, POST, LIST.
    pub s3_put: Price,
    /// S3 Standard GET, SELECT.
    pub s3_get: Price,
    /// SES outbound email.
    pub ses_email: Price,
    /// Lambda request (invocation).
    pub lambda_request: Price,
    /// Lambda duration, arm64 (Graviton), the template's default architecture.
    pub lambda_arm64_gb_second: Price,
    /// Lambda duration, x86_64 (printed for comparison).
    pub lambda_x86_gb_second: Price,
}

impl Prices {
    /// The prices found (see the module docs for why they are us-east-1's).
    pub fn published() -> Self {
        Self {
            dynamodb_write: Price {
                what: "DynamoDB on-demand write request unit",
                usd: 0.625,
                per: 1e6,
                unit: "WRU",
                region: NOT_CAPE_TOWN,
                date: "read 2026-11-30 (after the November 2024 on-demand price cut)",
                source: "https://aws.amazon.com/dynamodb/pricing/on-demand/ as quoted by https://airbyte.com/data-engineering-resources/dynamodb-pricing",
            },
            dynamodb_read: Price {
                what: "DynamoDB on-demand read request unit",
                usd: 0.125,
                per: 1e6,
                unit: "RRU",
                region: NOT_CAPE_TOWN,
                date: "read 2026-11-30 (after the November 2024 on-demand price cut)",
                source: "https://aws.amazon.com/dynamodb/pricing/on-demand/ as quoted by https://airbyte.com/data-engineering-resources/dynamodb-pricing",
            },
            sns_publish: Price {
                what: "SNS standard topic publish (deliveries to SQS: no SNS charge)",
                usd: 0.50,
                per: 1e6,
                unit: "publish",
                region: NOT_CAPE_TOWN,
                date: "2026-06-13",
                source: "https://aws.amazon.com/sns/pricing/ as quoted by https://www.factualminds.com/blog/amazon-sns-pricing-publishes-fanout-protocols/",
            },
            sqs_request: Price {
                what: "SQS standard queue request",
                usd: 0.40,
                per: 1e6,
                unit: "request",
                region: NOT_CAPE_TOWN,
                date: "2026-03-14",
                source: "https://aws.amazon.com/sqs/pricing/ as quoted by https://cloudburn.io/blog/amazon-sqs-pricing",
            },
            s3_put: Price {
                what: "S3 Standard PUT/COPY/POST/LIST request",
                usd: 0.005,
                per: 1e3,
                unit: "request",
                region: NOT_CAPE_TOWN,
                date: "read 2026-11-30",
                source: "https://aws.amazon.com/s3/pricing/ as quoted by https://c3x.dev/blog/s3-request-fees-explained",
            },
            s3_get: Price {
                what: "S3 Standard GET/SELECT request",
                usd: 0.0004,
                per: 1e3,
                unit: "request",
                region: NOT_CAPE_TOWN,
                date: "read 2026-11-30",
                source: "https://aws.amazon.com/s3/pricing/ as quoted by https://c3x.dev/blog/s3-request-fees-explained",
            },
            ses_email: Price {
                what: "SES outbound email",
                usd: 0.10,
                per: 1e3,
                unit: "email",
                region: NOT_CAPE_TOWN,
                date: "read 2026-11-30",
                source: "https://aws.amazon.com/ses/pricing/ as quoted by https://www.acecloudinterviews.com/tutorials/aws/ses/",
            },
            lambda_request: Price {
                what: "Lambda request",
                usd: 0.20,
                per: 1e6,
                unit: "request",
                region: NOT_CAPE_TOWN,
                date: "read 2026-11-30",
                source: "https://aws.amazon.com/lambda/pricing/ as quoted by https://git.mcrn.ar/mariano/lambda_local_runner/src/commit/55aa31eff5dc2f86ca3f716c3f8ce28d9c8a2b2e/docs/lambdas-md/lambda-13-cost.md",
            },
            lambda_arm64_gb_second: Price {
                what: "Lambda duration, arm64",
                usd: 0.000_013_333_4,
                per: 1.0,
                unit: "GB-s",
                region: NOT_CAPE_TOWN,
                date: "read 2026-11-30",
                source: "https://aws.amazon.com/lambda/pricing/ as quoted by https://git.mcrn.ar/mariano/lambda_local_runner/src/commit/55aa31eff5dc2f86ca3f716c3f8ce28d9c8a2b2e/docs/lambdas-md/lambda-13-cost.md",
            },
            lambda_x86_gb_second: Price {
                what: "Lambda duration, x86_64",
                usd: 0.000_016_666_7,
                per: 1.0,
                unit: "GB-s",
                region: NOT_CAPE_TOWN,
                date: "read 2026-11-30",
                source: "https://aws.amazon.com/lambda/pricing/ as quoted by https://git.mcrn.ar/mariano/lambda_local_runner/src/commit/55aa31eff5dc2f86ca3f716c3f8ce28d9c8a2b2e/docs/lambdas-md/lambda-13-cost.md",
            },
        }
    }

    /// Every price, for printing.
    pub fn all(&self) -> [Price; 10] {
        [
            self.dynamodb_write,
            self.dynamodb_read,
            self.sns_publish,
            self.sqs_request,
            self.s3_put,
            self.s3_get,
            self.ses_email,
            self.lambda_request,
            self.lambda_arm64_gb_second,
            self.lambda_x86_gb_second,
        ]
    }
}

const QUEUES: f64 = 4.0;
const POLLERS_PER_QUEUE: f64 = 5.0;
const LONG_POLL_SECS: f64 = 20.0;

/// What `deploy/template.yaml` gives each function, and the schedules that bill per poll.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Deployment {
    /// `ApiFunction` memory (MB).
    pub api_mb: u32,
    /// `RecordWriterFunction`.
    pub record_writer_mb: u32,
    /// `InvoiceWriterFunction`.
    pub invoice_writer_mb: u32,
    /// `InternalNotifierFunction` and `CustomerNotifierFunction`.
    pub notifier_mb: u32,
    /// The expiry sweep function.
    pub sweep_mb: u32,
    /// `SweepSchedule` (seconds between sweeps).
    pub sweep_every_secs: u32,
    /// Empty SQS receives per second that Lambda's pollers make on the four idle queues: taken
    /// as 5 pollers per queue, each a 20 s long poll (an assumption; Lambda does not publish its
    /// idle polling rate).
    pub idle_receives_per_sec: f64,
}

impl Deployment {
    /// The template's defaults (arm64).
    pub fn template() -> Self {
        Self {
            api_mb: 512,
            record_writer_mb: 512,
            invoice_writer_mb: 1024,
            notifier_mb: 512,
            sweep_mb: 256,
            sweep_every_secs: 300,
            idle_receives_per_sec: QUEUES * POLLERS_PER_QUEUE / LONG_POLL_SECS,
        }
    }
}

//! Counting AWS calls: an SDK interceptor that tallies every operation the clients execute, by
//! service and operation name, so that a benchmark can show what each use case costs.
//!
//! ```no_run
//! # async fn count() {
//! use adapters_aws::{AwsClients, AwsSettings, CallCounter};
//! let counter = CallCounter::new();
//! let clients = AwsClients::connect(&AwsSettings::new("af-south-1")).await.counted_by(&counter);
//! // … use the adapters built from `clients` …
//! for call in counter.take() {
//!     println!("{} {} ×{} ({} attempts)", call.service, call.operation, call.calls, call.attempts);
//! }
//! # }
//! ```

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use crate::config::AwsClients;

/// How often one operation was called.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CallCount {
    /// The service, as the SDK names it (`DynamoDB`, `SNS`, …).
    pub service: String,
    /// The operation (`PutItem`, `Publish`, …).
    pub operation: String,
    /// Operations executed (what a caller asked for).
    pub calls: u64,
    /// Attempts sent (more than `calls` when the SDK retried).
    pub attempts: u64,
}

type Tally = BTreeMap<(String, String), (u64, u64)>;

/// The service and operation an execution is for.
struct Operation {
    service: String,
    name: String,
}

impl Operation {
    fn of(cfg: &ConfigBag) -> Self {
        cfg.load::<Metadata>().map_or_else(
            || Self { service: "unknown".into(), name: "unknown".into() },
            |m| Self { service: m.service().to_owned(), name: m.name().to_owned() },
        )
    }
}

/// Counts the operations (and attempts) of every client it is registered on. Clones share one
/// tally.
#[derive(Debug, Clone, Default)]
pub struct CallCounter {
    tally: Arc<Mutex<Tally>>,
}

impl CallCounter {
    /// An empty counter.
    pub fn new() -> Self {
        Self::default()
    }

    fn bump(&self, operation: &Operation, attempt: bool) {
        let mut tally = self.tally.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = tally.entry((operation.service.clone(), operation.name.clone())).or_default();
        if attempt {
            entry.1 += 1;
        } else {
            entry.0 += 1;
        }
    }

    /// What was counted since the last `take`, sorted by service and operation; the counter
    /// starts again from zero.
    pub fn take(&self) -> Vec<CallCount> {
        let tally = std::mem::take(&mut *self.tally.lock().unwrap_or_else(PoisonError::into_inner));
        tally
            .into_iter()
            .map(|((service, operation), (calls, attempts))| CallCount { service, operation, calls, attempts })
            .collect()
    }
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "CallCounter"
    }

    // Once per execution, after the operation's metadata is in the config (it is not yet in
    // `read_before_execution`).
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.bump(&Operation::of(cfg), false);
        Ok(())
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.bump(&Operation::of(cfg), true);
        Ok(())
    }
}

impl AwsClients {
    /// The same clients (same settings, same connection pool) with `counter` registered on
    /// each of them.
    #[must_use]
    pub fn counted_by(&self, counter: &CallCounter) -> Self {
        Self {
            dynamodb: aws_sdk_dynamodb::Client::from_conf(
                self.dynamodb.config().to_builder().interceptor(counter.clone()).build(),
            ),
            sqs: aws_sdk_sqs::Client::from_conf(self.sqs.config().to_builder().interceptor(counter.clone()).build()),
            sns: aws_sdk_sns::Client::from_conf(self.sns.config().to_builder().interceptor(counter.clone()).build()),
            s3: aws_sdk_s3::Client::from_conf(self.s3.config().to_builder().interceptor(counter.clone()).build()),
            ses: aws_sdk_sesv2::Client::from_conf(self.ses.config().to_builder().interceptor(counter.clone()).build()),
        }
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
    use aws_sdk_dynamodb::operation::put_item::PutItemOutput;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use super::*;

    #[tokio::test]
    async fn counts_each_operation_by_service_and_name() {
        let counter = CallCounter::new();
        let get = mock!(aws_sdk_dynamodb::Client::get_item).then_output(|| GetItemOutput::builder().build());
        let again = mock!(aws_sdk_dynamodb::Client::get_item).then_output(|| GetItemOutput::builder().build());
        let put = mock!(aws_sdk_dynamodb::Client::put_item).then_output(|| PutItemOutput::builder().build());
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, &[&get, &again, &put], |c| c
            .interceptor(counter.clone()));

        client.get_item().table_name("t").send().await.expect("answered");
        client.get_item().table_name("t").send().await.expect("answered");
        client.put_item().table_name("t").send().await.expect("answered");

        let tally: Vec<_> = counter.take().into_iter().map(|c| (c.service, c.operation, c.calls, c.attempts)).collect();
        assert_eq!(
            tally,
            [("DynamoDB".to_owned(), "GetItem".to_owned(), 2, 2), ("DynamoDB".to_owned(), "PutItem".to_owned(), 1, 1)]
        );
        assert!(counter.take().is_empty(), "take starts again from zero");
    }
}

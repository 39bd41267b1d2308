//! The one place that says which DynamoDB layout the model runs against: the provisioned
//! resources and the stack's options. Today's layout needs nothing beyond the defaults (GSI1
//! feeds `OUTBOX` and `CLAIMS#UNRECORDED`, GSI3 `OPEN#{status}`, one `SUPPLIER#{supplier}`
//! counter per series, every GSI projecting `ALL`); a layout setting such as a shard count goes
//! here, in the provisioning spec and the stack options alike, so that both sides agree.

use std::sync::Arc;
use std::time::Duration;

use adapters_aws::ProvisionSpec;
use adapters_system::CipherKey;
use order_app::AppConfig;
use order_ports::{CartGateway, Clock, PerProcessor};
use order_service::aws::AwsStackOptions;

/// The resources of one environment of the layout under test.
pub fn provision_spec(environment: &str) -> ProvisionSpec {
    let mut spec = ProvisionSpec::for_environment(environment, format!("orders@{environment}.example.co.za"));
    spec.max_receive_count = PerProcessor::all(5);
    spec
}

/// The stack on that layout: the given clock (so the expiry sweep can be moved forward), short
/// polls and no retry delay (a poll that finds nothing returns at once).
pub fn stack_options(config: AppConfig, carts: Arc<dyn CartGateway>, clock: Arc<dyn Clock>) -> AwsStackOptions {
    AwsStackOptions::new(config, CipherKey::from_bytes([42; 32]), carts)
        .with_clock(clock)
        .with_poll_wait(Duration::ZERO)
        .with_retry_delay(Duration::ZERO)
}

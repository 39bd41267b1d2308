//! The one place that says which DynamoDB layout the model runs against: the provisioned
//! resources and the stack's options, and how many shards each sharded key class is spread
//! over. The layout's counts come from the command line (`--feed-shards`,
//! `--number-sequences`), defaulting to the adapters' own default layout.

use std::sync::Arc;
use std::time::Duration;

use adapters_aws::{ProvisionSpec, TableLayout};
use adapters_system::CipherKey;
use order_app::AppConfig;
use order_ports::{CartGateway, Clock, PerProcessor};
use order_service::aws::AwsStackOptions;

/// The resources of one environment of the layout under test.
pub fn provision_spec(environment: &str, layout: TableLayout) -> ProvisionSpec {
    let mut spec = ProvisionSpec::for_environment(environment, format!("orders@{environment}.example.co.za"));
    spec.max_receive_count = PerProcessor::all(5);
    spec.layout = layout;
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

/// How many shards `layout` spreads a sharded key class over (`…#{shard}`): the work feeds of
/// the FEEDS index over the feed shards, the number counters (`SUPPLIER#{supplier}#{shard}`)
/// over the number sequences.
pub fn shards_of(layout: TableLayout) -> impl Fn(&str, &str) -> Option<u16> {
    move |place: &str, class: &str| {
        if !class.ends_with("#{shard}") {
            return None;
        }
        if place.ends_with("/FEEDS") {
            Some(layout.feed_shards())
        } else if class.starts_with("SUPPLIER#") {
            Some(layout.number_sequences())
        } else {
            None
        }
    }
}

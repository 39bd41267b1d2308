//! The contract suites of `order_ports::testkit` — the same assertions the in-memory adapters
//! pass — run against the AWS adapters on the moto server. Each contract gets freshly
//! provisioned resources.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use adapters_aws::{SnsEventPublisher, SqsEventQueue};
use async_trait::async_trait;
use order_ports::PerProcessor;
use order_ports::testkit::documents::DocumentsFixture;
use order_ports::testkit::effects::EffectLogFixture;
use order_ports::testkit::email::EmailFixture;
use order_ports::testkit::messaging::{Bus, MessagingFixture};
use order_ports::testkit::orders::{OrderStoreFixture, OrderStorePorts};
use order_ports::testkit::tenants::TenantDirectoryFixture;
use order_ports::{DocumentNumbers, DocumentStore, EffectLog, EventQueue, Mailer, TemplateSource, TenantDirectory};

use crate::support::{fresh, fresh_with, spec};

/// Fresh AWS resources for every suite but messaging.
pub struct Aws;

#[async_trait]
impl OrderStoreFixture for Aws {
    async fn fresh(&self) -> OrderStorePorts {
        let orders = fresh().await.adapters.orders;
        OrderStorePorts { orders: orders.clone(), claims: orders }
    }
}

#[async_trait]
impl TenantDirectoryFixture for Aws {
    async fn fresh(&self) -> Arc<dyn TenantDirectory> {
        fresh().await.adapters.tenants
    }
}

#[async_trait]
impl DocumentsFixture for Aws {
    async fn document_store(&self) -> Arc<dyn DocumentStore> {
        fresh().await.adapters.documents
    }

    async fn document_numbers(&self) -> Arc<dyn DocumentNumbers> {
        fresh().await.adapters.document_numbers
    }
}

#[async_trait]
impl EmailFixture for Aws {
    async fn mailer(&self) -> Arc<dyn Mailer> {
        fresh().await.adapters.mailer
    }

    async fn templates(&self, templates: &[(&str, &str)]) -> Arc<dyn TemplateSource> {
        let fixture = fresh().await;
        for (path, text) in templates {
            fixture
                .clients
                .s3
                .put_object()
                .bucket(&fixture.resources.templates_bucket)
                .key(*path)
                .body(text.as_bytes().to_vec().into())
                .send()
                .await
                .unwrap();
        }
        fixture.adapters.templates
    }
}

#[async_trait]
impl EffectLogFixture for Aws {
    async fn fresh(&self) -> Arc<dyn EffectLog> {
        fresh().await.adapters.effects
    }
}

/// A topic with up to four subscribed queues per contract; remembers queue URLs for
/// [`MessagingFixture::send_raw`].
#[derive(Default)]
pub struct AwsBus {
    urls: Mutex<HashMap<String, (aws_sdk_sqs::Client, String)>>,
}

#[async_trait]
impl MessagingFixture for AwsBus {
    async fn fresh(&self, subscribers: &[&str], max_receive_count: u32) -> Bus {
        assert!(subscribers.len() <= 4, "a provisioned topic has four queues");
        let mut spec = spec();
        spec.max_receive_count = PerProcessor::all(max_receive_count);
        let fixture = fresh_with(spec).await;
        let configs: Vec<_> = fixture.resources.queues.iter().map(|(_, config)| config.clone()).collect();
        let mut queues: Vec<Arc<dyn EventQueue>> = Vec::new();
        for config in configs.into_iter().take(subscribers.len()) {
            self.urls.lock().unwrap().insert(config.name.clone(), (fixture.clients.sqs.clone(), config.url.clone()));
            queues.push(Arc::new(SqsEventQueue::new(fixture.clients.sqs.clone(), config)));
        }
        // The topic also reaches the provisioned queues the suite did not ask for; nobody
        // reads them, and they are unique to this contract.
        Bus {
            publisher: Arc::new(SnsEventPublisher::new(fixture.clients.sns.clone(), &fixture.resources.topic_arn)),
            queues,
        }
    }

    async fn send_raw(&self, queue: &dyn EventQueue, body: &str) {
        let (client, url) = self.urls.lock().unwrap().get(queue.name()).cloned().unwrap();
        client.send_message().queue_url(url).message_body(body).send().await.unwrap();
    }
}

mod order_store {
    use super::Aws;
    order_ports::order_store_contract_tests!(Aws);
}

mod tenant_directory {
    use super::Aws;
    order_ports::tenant_directory_contract_tests!(Aws);
}

mod messaging {
    use super::AwsBus;
    order_ports::messaging_contract_tests!(AwsBus::default());
}

mod documents {
    use super::Aws;
    order_ports::documents_contract_tests!(Aws);
}

mod email {
    use super::Aws;
    order_ports::email_contract_tests!(Aws);
}

mod effects {
    use super::Aws;
    order_ports::effect_log_contract_tests!(Aws);
}

/// The campaign catalog's contract; the AWS family has no cart gateway (the cart service is an
/// HTTP API of its own), so only the campaign half of the upstream suite applies.
struct AwsCampaigns;

#[async_trait]
impl order_ports::testkit::upstream::UpstreamFixture for AwsCampaigns {
    async fn cart_gateway(
        &self,
        _active: &[order_domain::CartSnapshot],
        _inactive: &[order_domain::CartSnapshot],
    ) -> Arc<dyn order_ports::CartGateway> {
        unreachable!("the campaign contract uses no cart gateway")
    }

    async fn campaign_catalog(&self, campaigns: &[order_domain::Campaign]) -> Arc<dyn order_ports::CampaignCatalog> {
        let catalog = fresh().await.adapters.campaigns;
        for campaign in campaigns {
            catalog.put(campaign).await.unwrap();
        }
        catalog
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn campaign_catalog_keeps_the_upstream_contract() {
    order_ports::testkit::upstream::campaigns_are_found_by_code_whatever_their_window(&AwsCampaigns).await;
}

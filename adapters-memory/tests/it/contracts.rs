//! Every contract suite of `order_ports::testkit`, run against the in-memory adapters.

use std::sync::{Arc, Mutex};

use adapters_memory::{
    ManualClock, MemoryCampaignCatalog, MemoryCartGateway, MemoryDocumentNumbers, MemoryDocumentStore, MemoryEffectLog,
    MemoryEventBus, MemoryMailbox, MemoryQueue, MemoryStore, MemoryTemplateSource, MemoryTenantDirectory, QueueConfig,
    SequentialIds,
};
use adapters_system::{AesGcmCipher, CipherKey};
use async_trait::async_trait;
use order_domain::{Campaign, CartSnapshot};
use order_ports::testkit::documents::DocumentsFixture;
use order_ports::testkit::effects::EffectLogFixture;
use order_ports::testkit::email::EmailFixture;
use order_ports::testkit::messaging::{Bus, MessagingFixture};
use order_ports::testkit::orders::{OrderStoreFixture, OrderStorePorts};
use order_ports::testkit::tenants::TenantDirectoryFixture;
use order_ports::testkit::upstream::UpstreamFixture;
use order_ports::{
    CampaignCatalog, CartGateway, DocumentNumbers, DocumentStore, EffectLog, EventQueue, Mailer, TemplateSource,
    TenantDirectory,
};

pub fn cipher(key: u8) -> Arc<AesGcmCipher> {
    Arc::new(AesGcmCipher::new(&CipherKey::from_bytes([key; 32])))
}

/// Fresh in-memory adapters for every suite.
pub struct Memory;

#[async_trait]
impl OrderStoreFixture for Memory {
    async fn fresh(&self) -> OrderStorePorts {
        let store = Arc::new(MemoryStore::new(cipher(1)));
        OrderStorePorts { orders: store.clone(), claims: store }
    }
}

#[async_trait]
impl TenantDirectoryFixture for Memory {
    async fn fresh(&self) -> Arc<dyn TenantDirectory> {
        Arc::new(MemoryTenantDirectory::new())
    }
}

#[async_trait]
impl DocumentsFixture for Memory {
    async fn document_store(&self) -> Arc<dyn DocumentStore> {
        Arc::new(MemoryDocumentStore::new())
    }
    async fn document_numbers(&self) -> Arc<dyn DocumentNumbers> {
        Arc::new(MemoryDocumentNumbers::new())
    }
}

/// The same adapters with the development server's bounded windows of documents and emails,
/// wide enough for every suite: a window changes nothing until it is full.
pub struct Bounded;

const WINDOW: Option<std::num::NonZeroUsize> = std::num::NonZeroUsize::new(1000);

#[async_trait]
impl DocumentsFixture for Bounded {
    async fn document_store(&self) -> Arc<dyn DocumentStore> {
        Arc::new(MemoryDocumentStore::keeping(WINDOW))
    }
    async fn document_numbers(&self) -> Arc<dyn DocumentNumbers> {
        Arc::new(MemoryDocumentNumbers::new())
    }
}

#[async_trait]
impl EmailFixture for Bounded {
    async fn mailer(&self) -> Arc<dyn Mailer> {
        Arc::new(MemoryMailbox::keeping(WINDOW))
    }
    async fn templates(&self, templates: &[(&str, &str)]) -> Arc<dyn TemplateSource> {
        Memory.templates(templates).await
    }
}

#[async_trait]
impl EmailFixture for Memory {
    async fn mailer(&self) -> Arc<dyn Mailer> {
        Arc::new(MemoryMailbox::new())
    }
    async fn templates(&self, templates: &[(&str, &str)]) -> Arc<dyn TemplateSource> {
        let source = MemoryTemplateSource::new();
        for (path, text) in templates {
            source.insert(*path, *text);
        }
        Arc::new(source)
    }
}

#[async_trait]
impl UpstreamFixture for Memory {
    async fn cart_gateway(&self, active: &[CartSnapshot], inactive: &[CartSnapshot]) -> Arc<dyn CartGateway> {
        let gateway = MemoryCartGateway::new();
        for cart in active.iter().chain(inactive) {
            gateway.add_cart(cart.clone());
        }
        for cart in inactive {
            gateway.mark_inactive(cart.cart_id()).await.unwrap();
        }
        Arc::new(gateway)
    }
    async fn campaign_catalog(&self, campaigns: &[Campaign]) -> Arc<dyn CampaignCatalog> {
        let catalog = MemoryCampaignCatalog::new();
        for campaign in campaigns {
            catalog.insert(campaign.clone());
        }
        Arc::new(catalog)
    }
}

#[async_trait]
impl EffectLogFixture for Memory {
    async fn fresh(&self) -> Arc<dyn EffectLog> {
        Arc::new(MemoryEffectLog::new())
    }
}

/// The messaging fixture remembers the queues it made, to put raw bodies on them.
#[derive(Default)]
pub struct MemoryBus {
    queues: Mutex<Vec<Arc<MemoryQueue>>>,
}

#[async_trait]
impl MessagingFixture for MemoryBus {
    async fn fresh(&self, subscribers: &[&str], max_receive_count: u32) -> Bus {
        let bus = Arc::new(MemoryEventBus::new());
        let queues: Vec<Arc<MemoryQueue>> = subscribers
            .iter()
            .map(|name| bus.subscribe(*name, QueueConfig::with_max_receive_count(max_receive_count)))
            .collect();
        self.queues.lock().unwrap().extend(queues.iter().cloned());
        Bus { publisher: bus, queues: queues.into_iter().map(|q| q as Arc<dyn EventQueue>).collect() }
    }

    async fn send_raw(&self, queue: &dyn EventQueue, body: &str) {
        let queues = self.queues.lock().unwrap();
        let target = queues.iter().find(|q| q.name() == queue.name()).unwrap();
        target.send_raw(body);
    }
}

mod order_store {
    use super::Memory;
    order_ports::order_store_contract_tests!(Memory);
}

mod tenant_directory {
    use super::Memory;
    order_ports::tenant_directory_contract_tests!(Memory);
}

mod messaging {
    use super::MemoryBus;
    order_ports::messaging_contract_tests!(MemoryBus::default());
}

mod documents {
    use super::Memory;
    order_ports::documents_contract_tests!(Memory);
}

mod email {
    use super::Memory;
    order_ports::email_contract_tests!(Memory);
}

mod bounded_documents {
    use super::Bounded;
    order_ports::documents_contract_tests!(Bounded);
}

mod bounded_email {
    use super::Bounded;
    order_ports::email_contract_tests!(Bounded);
}

mod upstream {
    use super::Memory;
    order_ports::upstream_contract_tests!(Memory);
}

mod effects {
    use super::Memory;
    order_ports::effect_log_contract_tests!(Memory);
}

#[test]
fn sequential_ids_keep_the_id_generator_contract() {
    order_ports::testkit::system::id_generator_contract(&SequentialIds::new());
}

#[test]
fn the_manual_clock_keeps_the_clock_contract() {
    order_ports::testkit::system::clock_contract(&ManualClock::new(order_domain::testing::now()));
}

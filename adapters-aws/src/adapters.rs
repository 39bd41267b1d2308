//! [`AwsAdapters`]: every AWS adapter, wired from one set of clients and resources.

use std::sync::Arc;

use order_ports::FieldCipher;

use order_ports::PerProcessor;

use crate::config::{AwsClients, AwsResources};
use crate::dynamo::campaigns::DynamoCampaignCatalog;
use crate::dynamo::effects::DynamoEffectLog;
use crate::dynamo::invoices::DynamoDocumentNumbers;
use crate::dynamo::orders::DynamoOrderRepository;
use crate::dynamo::tenants::DynamoTenantDirectory;
use crate::messaging::{SnsEventPublisher, SqsEventQueue};
use crate::s3::{S3DocumentStore, S3TemplateSource};
use crate::ses::SesMailer;

/// Every AWS adapter, sharing the clients of one [`AwsClients`]. A host hands the fields to the
/// application as `Arc<dyn Port>`; `orders` serves both `OrderRepository` and `CartClaims`.
#[derive(Debug, Clone)]
pub struct AwsAdapters {
    /// Orders, outbox and payment records ([`order_ports::OrderRepository`]) and cart claims
    /// ([`order_ports::CartClaims`]).
    pub orders: Arc<DynamoOrderRepository>,
    /// Effect records ([`order_ports::EffectLog`]).
    pub effects: Arc<DynamoEffectLog>,
    /// Campaign rules ([`order_ports::CampaignCatalog`]).
    pub campaigns: Arc<DynamoCampaignCatalog>,
    /// Invoice serials ([`order_ports::DocumentNumbers`]).
    pub document_numbers: Arc<DynamoDocumentNumbers>,
    /// Tenants by email ([`order_ports::TenantDirectory`]).
    pub tenants: Arc<DynamoTenantDirectory>,
    /// The event topic ([`order_ports::EventPublisher`]).
    pub publisher: Arc<SnsEventPublisher>,
    /// The four processor queues ([`order_ports::EventQueue`]).
    pub queues: PerProcessor<Arc<SqsEventQueue>>,
    /// Invoices and receipts ([`order_ports::DocumentStore`]).
    pub documents: Arc<S3DocumentStore>,
    /// Email template overrides ([`order_ports::TemplateSource`]).
    pub templates: Arc<S3TemplateSource>,
    /// Email ([`order_ports::Mailer`]).
    pub mailer: Arc<SesMailer>,
}

impl AwsAdapters {
    /// Wires every adapter to `resources` through `clients`, sealing billing addresses with
    /// `cipher`.
    pub fn new(clients: &AwsClients, resources: &AwsResources, cipher: Arc<dyn FieldCipher>) -> Self {
        Self {
            orders: Arc::new(
                DynamoOrderRepository::new(clients.dynamodb.clone(), &resources.orders_table, cipher)
                    .with_layout(resources.layout),
            ),
            effects: Arc::new(DynamoEffectLog::new(clients.dynamodb.clone(), &resources.orders_table)),
            campaigns: Arc::new(DynamoCampaignCatalog::new(clients.dynamodb.clone(), &resources.orders_table)),
            document_numbers: Arc::new(
                DynamoDocumentNumbers::new(clients.dynamodb.clone(), &resources.orders_table)
                    .with_layout(resources.layout),
            ),
            tenants: Arc::new(DynamoTenantDirectory::new(clients.dynamodb.clone(), &resources.tenants_table)),
            publisher: Arc::new(SnsEventPublisher::new(clients.sns.clone(), &resources.topic_arn)),
            queues: resources.queues.map(|_, queue| Arc::new(SqsEventQueue::new(clients.sqs.clone(), queue.clone()))),
            documents: Arc::new(S3DocumentStore::new(clients.s3.clone(), &resources.documents_bucket)),
            templates: Arc::new(S3TemplateSource::new(clients.s3.clone(), &resources.templates_bucket)),
            mailer: Arc::new(SesMailer::new(clients.ses.clone(), &resources.sender)),
        }
    }
}

//! [`DynamoTenantDirectory`]: tenants and their email-uniqueness items.

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use chrono::{DateTime, Utc};
use order_domain::{Email, Tenant, TenantId, TenantStatus};
use order_ports::{PortError, PortResult, TenantDirectory};

use super::names::{PK, SK};
use super::{Item, Transacted, built, get_s, key, s, sortable_time, transact};
use crate::error::{classify, invalid};

const TENANT_SK: &str = "TENANT";
const EMAIL_SK: &str = "EMAIL";

fn tenant_pk(id: &TenantId) -> String {
    format!("TENANT#{id}")
}

fn email_pk(email: &Email) -> String {
    format!("EMAIL#{}", email.as_str())
}

fn status_text(status: TenantStatus) -> &'static str {
    match status {
        TenantStatus::Active => "ACTIVE",
        TenantStatus::Unvalidated => "UNVALIDATED",
    }
}

fn parse_status(text: &str) -> PortResult<TenantStatus> {
    match text {
        "ACTIVE" => Ok(TenantStatus::Active),
        "UNVALIDATED" => Ok(TenantStatus::Unvalidated),
        other => Err(invalid(format!("unknown tenant status {other:?}"))),
    }
}

/// The tenant directory on the tenants table.
///
/// Items: the tenant, `PK = TENANT#{tenantId}`, `SK = TENANT` (`tenantId`, `email`, `status`,
/// `createdAt`), and its email-uniqueness item, `PK = EMAIL#{email}`, `SK = EMAIL` (`tenantId`,
/// `email`, `status`). The email in the key and the attributes is [`Email`]'s canonical form
/// (lower-case NFC local part, the domain as IDNA U-labels: `EMAIL#zoë@bücher.co.za`), so every
/// spelling of one address is one item; an address read back goes through [`Email::parse`].
/// Both are written in one `TransactWriteItems`, each on the condition that it is absent, so two
/// concurrent creates for one email end with one tenant.
/// `find_by_email` is one strongly consistent `GetItem` of the email item — never an index
/// query, which is eventually consistent and would let a duplicate through. The email item
/// carries the status so the lookup needs no second read; whoever changes a tenant's status
/// (tenant management) updates both items in one transaction.
#[derive(Debug, Clone)]
pub struct DynamoTenantDirectory {
    client: Client,
    table: String,
}

impl DynamoTenantDirectory {
    /// A directory on the tenants `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }
}

#[async_trait]
impl TenantDirectory for DynamoTenantDirectory {
    async fn find_by_email(&self, email: &Email) -> PortResult<Option<Tenant>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(email_pk(email), EMAIL_SK)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify("GetItem(tenant email)", e))?;
        let Some(item) = out.item else { return Ok(None) };
        Ok(Some(Tenant {
            id: TenantId::parse(get_s(&item, "tenantId")?).map_err(|e| invalid(e.to_string()))?,
            email: Email::parse(get_s(&item, "email")?).map_err(|e| invalid(e.to_string()))?,
            status: parse_status(get_s(&item, "status")?)?,
        }))
    }

    async fn create_unvalidated(&self, id: &TenantId, email: &Email, at: DateTime<Utc>) -> PortResult<Tenant> {
        let status = status_text(TenantStatus::Unvalidated);
        let tenant = Item::from([
            (PK.into(), s(tenant_pk(id))),
            (SK.into(), s(TENANT_SK)),
            ("entity".into(), s("TENANT")),
            ("tenantId".into(), s(id.as_str())),
            ("email".into(), s(email.as_str())),
            ("status".into(), s(status)),
            ("createdAt".into(), s(sortable_time(at))),
        ]);
        let uniqueness = Item::from([
            (PK.into(), s(email_pk(email))),
            (SK.into(), s(EMAIL_SK)),
            ("entity".into(), s("TENANT_EMAIL")),
            ("tenantId".into(), s(id.as_str())),
            ("email".into(), s(email.as_str())),
            ("status".into(), s(status)),
        ]);
        let put = |item: Item| -> PortResult<TransactWriteItem> {
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(PK)")
                .build();
            Ok(TransactWriteItem::builder().put(built(put)?).build())
        };
        match transact(&self.client, "TransactWriteItems(create tenant)", vec![put(tenant)?, put(uniqueness)?]).await? {
            Transacted::Committed => {
                Ok(Tenant { id: id.clone(), email: email.clone(), status: TenantStatus::Unvalidated })
            }
            Transacted::ConditionFailed(_) => Err(PortError::AlreadyExists),
        }
    }
}

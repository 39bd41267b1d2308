//! [`DynamoCampaignCatalog`]: campaign rules (`CAMPAIGN#{code}` items) in the orders table.

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use order_domain::{Campaign, CampaignCode};
use order_ports::{CampaignCatalog, PortResult};

use super::names::{PK, SK};
use super::orders::ITEM;
use super::{Item, get_s, key, s};
use crate::error::{classify, invalid};

fn campaign_pk(code: &CampaignCode) -> String {
    format!("CAMPAIGN#{code}")
}

/// Campaign rules, one item each: `PK = CAMPAIGN#{code}`, `SK = ITEM`, `campaign` (the rule as
/// JSON: code, discount, validity window). `find` is one consistent `GetItem`; the rule is
/// parsed through the domain's validated types, so a corrupt item is `InvalidData`, never a
/// wrong discount.
#[derive(Debug, Clone)]
pub struct DynamoCampaignCatalog {
    client: Client,
    table: String,
}

impl DynamoCampaignCatalog {
    /// A catalog in `table` (the orders table).
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }

    /// Stores (or replaces) a campaign rule: for the team that manages campaigns, seeding and
    /// tests. One `PutItem`.
    ///
    /// # Errors
    /// [`Unavailable`](order_ports::PortError::Unavailable) when the table cannot be written.
    pub async fn put(&self, campaign: &Campaign) -> PortResult<()> {
        let json = serde_json::to_string(campaign).map_err(|e| invalid(format!("campaign does not serialize: {e}")))?;
        let item = Item::from([
            (PK.into(), s(campaign_pk(&campaign.code))),
            (SK.into(), s(ITEM)),
            ("entity".into(), s("CAMPAIGN")),
            ("campaign".into(), s(json)),
        ]);
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| classify("PutItem(campaign)", e))?;
        Ok(())
    }
}

#[async_trait]
impl CampaignCatalog for DynamoCampaignCatalog {
    async fn find(&self, code: &CampaignCode) -> PortResult<Option<Campaign>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(campaign_pk(code), ITEM)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify("GetItem(campaign)", e))?;
        let Some(item) = out.item else { return Ok(None) };
        let campaign: Campaign = serde_json::from_str(get_s(&item, "campaign")?)
            .map_err(|e| invalid(format!("stored campaign {code} is invalid: {e}")))?;
        if campaign.code != *code {
            return Err(invalid(format!("item for campaign {code} holds campaign {}", campaign.code)));
        }
        Ok(Some(campaign))
    }
}

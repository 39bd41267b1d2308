//! Cart claims ([`CartClaims`]) on [`DynamoOrderRepository`]: `CART#{cartId}` items, with an
//! `IDEMPOTENCY#{scope}/{key}` item (the key as its caller scoped it) pointing at the cart when the create carried a key.

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem};
use chrono::{DateTime, Utc};
use order_domain::{CartId, OrderId};
use order_ports::{CartClaim, CartClaims, ClaimOutcome, PortResult};

use super::feeds::{Bound, feed_key};
use super::names::{FEEDPK, FEEDSK, PK, SK};
use super::orders::{DynamoOrderRepository, ITEM, UNRECORDED_CLAIMS_FEED, cart_pk};
use super::{
    Item, Transacted, built, condition_failed, get_bool, get_opt_s, get_s, key, parse_time, s, sortable_time, transact,
};
use crate::error::{classify, invalid};

fn idempotency_pk(key: &str) -> String {
    format!("IDEMPOTENCY#{key}")
}

fn encode_claim(repo: &DynamoOrderRepository, claim: &CartClaim) -> PortResult<Item> {
    let pk = cart_pk(&claim.cart_id);
    let event = repo.seal_event(&claim.event, &pk)?;
    let claimed_at = sortable_time(claim.claimed_at);
    let mut item = Item::from([
        (PK.into(), s(pk)),
        (SK.into(), s(ITEM)),
        ("entity".into(), s("CART_CLAIM")),
        ("cartId".into(), s(claim.cart_id.as_str())),
        ("orderId".into(), s(claim.order_id.to_string())),
        ("requestHash".into(), s(claim.request_hash.clone())),
        ("event".into(), event),
        ("claimedAt".into(), s(claimed_at.clone())),
        ("recorded".into(), AttributeValue::Bool(claim.recorded)),
    ]);
    if let Some(key) = &claim.idempotency_key {
        item.insert("idempotencyKey".into(), s(key.clone()));
    }
    if !claim.recorded {
        // Sparse: only unrecorded claims are in the relay's feed, on their order's shard.
        let shard = repo.layout.feed_shard(claim.order_id);
        item.insert(FEEDPK.into(), s(feed_key(UNRECORDED_CLAIMS_FEED, shard)));
        item.insert(FEEDSK.into(), s(format!("{claimed_at}#{}", claim.cart_id)));
    }
    Ok(item)
}

fn decode_claim(repo: &DynamoOrderRepository, item: &Item) -> PortResult<CartClaim> {
    let cart_id = CartId::parse(get_s(item, "cartId")?).map_err(|e| invalid(e.to_string()))?;
    let order_id = OrderId::parse(get_s(item, "orderId")?).map_err(|e| invalid(e.to_string()))?;
    let event = repo.open_event(item, &cart_pk(&cart_id))?;
    Ok(CartClaim {
        cart_id,
        order_id,
        idempotency_key: get_opt_s(item, "idempotencyKey").map(str::to_owned),
        request_hash: get_s(item, "requestHash")?.to_owned(),
        event,
        claimed_at: parse_time(get_s(item, "claimedAt")?)?,
        recorded: get_bool(item, "recorded"),
    })
}

impl DynamoOrderRepository {
    async fn get_item(&self, pk: String, operation: &'static str) -> PortResult<Option<Item>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, ITEM)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify(operation, e))?;
        Ok(out.item)
    }

    /// The claim an existing idempotency-key item points at.
    async fn claim_of_key(&self, key_item: Option<Item>, key: &str) -> PortResult<CartClaim> {
        let key_item = match key_item {
            Some(item) => item,
            None => self
                .get_item(idempotency_pk(key), "GetItem(idempotency key)")
                .await?
                .ok_or_else(|| invalid(format!("idempotency key {key} vanished while claimed")))?,
        };
        let cart = CartId::parse(get_s(&key_item, "cartId")?).map_err(|e| invalid(e.to_string()))?;
        let item = self
            .get_item(cart_pk(&cart), "GetItem(cart claim)")
            .await?
            .ok_or_else(|| invalid(format!("idempotency key {key} points at cart {cart}, which has no claim")))?;
        decode_claim(self, &item)
    }
}

#[async_trait]
impl CartClaims for DynamoOrderRepository {
    /// Without an idempotency key: one conditional `PutItem` that returns the existing claim
    /// when the condition fails. With a key: one `TransactWriteItems` of both puts; when it is
    /// cancelled, the existing claim comes from the cancellation reasons or, if the service
    /// omits the old items, from one or two consistent `GetItem`s.
    async fn claim(&self, claim: &CartClaim) -> PortResult<ClaimOutcome> {
        let item = encode_claim(self, claim)?;
        let Some(idempotency_key) = &claim.idempotency_key else {
            let result = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(PK)")
                .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
                .send()
                .await;
            return match result {
                Ok(_) => Ok(ClaimOutcome::Claimed),
                Err(err) => {
                    let Some(PutItemError::ConditionalCheckFailedException(failed)) = err.as_service_error() else {
                        return Err(classify("PutItem(cart claim)", err));
                    };
                    let old = match failed.item() {
                        Some(old) => old.clone(),
                        None => self
                            .get_item(cart_pk(&claim.cart_id), "GetItem(cart claim)")
                            .await?
                            .ok_or_else(|| invalid(format!("claim on cart {} vanished", claim.cart_id)))?,
                    };
                    Ok(ClaimOutcome::AlreadyClaimed(Box::new(decode_claim(self, &old)?)))
                }
            };
        };
        let key_item = Item::from([
            (PK.into(), s(idempotency_pk(idempotency_key))),
            (SK.into(), s(ITEM)),
            ("entity".into(), s("IDEMPOTENCY_KEY")),
            ("cartId".into(), s(claim.cart_id.as_str())),
            ("orderId".into(), s(claim.order_id.to_string())),
            ("claimedAt".into(), s(sortable_time(claim.claimed_at))),
        ]);
        let put = |item: Item| {
            built(
                Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(item))
                    .condition_expression("attribute_not_exists(PK)")
                    .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
                    .build(),
            )
            .map(|put| TransactWriteItem::builder().put(put).build())
        };
        let items = vec![put(item)?, put(key_item)?];
        match transact(&self.client, "TransactWriteItems(cart claim)", items).await? {
            Transacted::Committed => Ok(ClaimOutcome::Claimed),
            Transacted::ConditionFailed(reasons) => {
                let existing = if condition_failed(&reasons, 0) {
                    match reasons.first().and_then(|r| r.item().cloned()) {
                        Some(old) => decode_claim(self, &old)?,
                        None => decode_claim(
                            self,
                            &self
                                .get_item(cart_pk(&claim.cart_id), "GetItem(cart claim)")
                                .await?
                                .ok_or_else(|| invalid(format!("claim on cart {} vanished", claim.cart_id)))?,
                        )?,
                    }
                } else {
                    self.claim_of_key(reasons.get(1).and_then(|r| r.item().cloned()), idempotency_key).await?
                };
                Ok(ClaimOutcome::AlreadyClaimed(Box::new(existing)))
            }
        }
    }

    /// One strongly consistent `GetItem`.
    async fn find(&self, cart: &CartId) -> PortResult<Option<CartClaim>> {
        self.get_item(cart_pk(cart), "GetItem(cart claim)")
            .await?
            .as_ref()
            .map(|item| decode_claim(self, item))
            .transpose()
    }

    /// One `Query` per feed shard of `CLAIMS#UNRECORDED` (FEEDS, keys only, ascending by claim
    /// time), then one strongly consistent `BatchGetItem` per 100 claims; a claim recorded
    /// since the index was read is left out.
    async fn unrecorded(&self, before: DateTime<Utc>, limit: usize) -> PortResult<Vec<CartClaim>> {
        let bound = Bound::Below(sortable_time(before));
        let mut claims = Vec::new();
        for item in self.read_feed(UNRECORDED_CLAIMS_FEED, bound, limit).await? {
            let claim = decode_claim(self, &item)?;
            if !claim.recorded {
                claims.push(claim);
            }
        }
        Ok(claims)
    }
}

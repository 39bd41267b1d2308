//! Creating orders, for a tenant or at guest checkout.

use chrono::{DateTime, Utc};
use order_domain::{
    BillingAddress, CampaignCode, CartId, CartSnapshot, Email, NewOrder, Order, OrderEvent, OrderId, OrderLine,
    PaymentMethod, TenantId,
};
use order_ports::{CartClaim, ClaimOutcome, PortError};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tracing::{info, warn};

use crate::app::OrderApp;
use crate::error::{AppError, Context};
use crate::principal::{Principal, Service};

/// A request to turn a cart into an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateOrderRequest {
    /// The cart.
    pub cart_id: CartId,
    /// The customer's email.
    pub customer_email: Email,
    /// A campaign code, if the customer entered one.
    pub campaign_code: Option<CampaignCode>,
    /// Who is billed.
    pub billing_address: BillingAddress,
    /// How the customer pays.
    pub payment_method: PaymentMethod,
    /// Priced lines. Trusted only from the cart service (it owns prices); from anyone else they
    /// are ignored and the lines are fetched from the cart service.
    pub items: Option<Vec<OrderLine>>,
}

/// What a create answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateOutcome {
    /// The order the cart became.
    pub order_id: OrderId,
    /// `true` when this repeated an earlier create (same cart, or same key and body): the
    /// first create's order id is returned and its event published again.
    pub replayed: bool,
}

impl OrderApp {
    /// Creates an order for `tenant` (the tenant in the path). Customers may create only for
    /// their own tenant; staff and the cart service for any.
    ///
    /// The order is not written here: the cart is claimed (one conditional write holding the
    /// order id, a hash of the request and the event) and `ORDER_CREATED` is published; the
    /// record writer stores the order. Retrying — with or without the same `idempotency_key` —
    /// finds the claim and returns the same order id.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for another tenant's customer, [`AppError::Rejected`] for a
    /// request the rules refuse, [`AppError::IdempotencyKeyReused`],
    /// [`AppError::CartAlreadyOrdered`], [`AppError::CartNotFound`], [`AppError::CartInactive`],
    /// and retryable [`AppError::Dependency`] failures (the claim is kept: a retry completes it).
    pub async fn create_for_tenant(
        &self,
        principal: &Principal,
        tenant: &TenantId,
        request: CreateOrderRequest,
        idempotency_key: Option<&str>,
    ) -> Result<CreateOutcome, AppError> {
        match principal {
            Principal::Customer { tenant_id } if tenant_id != tenant => return Err(AppError::NotFound),
            Principal::Customer { .. } | Principal::Staff | Principal::Service(Service::Cart) => {}
            Principal::Guest | Principal::Service(_) | Principal::System => {
                return Err(AppError::NotAllowed(
                    "only the tenant's customers, staff and the cart service create orders",
                ));
            }
        }
        self.create(principal, Some(tenant.clone()), request, idempotency_key).await
    }

    /// Creates a guest order: no tenant; the record writer resolves it by the customer's email.
    ///
    /// # Errors
    /// As [`OrderApp::create_for_tenant`].
    pub async fn create_guest(
        &self,
        principal: &Principal,
        request: CreateOrderRequest,
        idempotency_key: Option<&str>,
    ) -> Result<CreateOutcome, AppError> {
        // Whoever calls the guest route acts as a guest, except the cart service.
        let principal = match principal {
            Principal::Service(Service::Cart) => principal.clone(),
            _ => Principal::Guest,
        };
        self.create(&principal, None, request, idempotency_key).await
    }

    async fn create(
        &self,
        principal: &Principal,
        tenant: Option<TenantId>,
        request: CreateOrderRequest,
        idempotency_key: Option<&str>,
    ) -> Result<CreateOutcome, AppError> {
        let now = self.system.clock.now();
        let request_hash = request_hash(tenant.as_ref(), &request);
        let scoped_key = idempotency_key.map(|key| scope_key(tenant.as_ref(), key));

        let cart = match self.cart_snapshot(principal, &request).await {
            Ok(cart) => cart,
            Err(AppError::CartInactive) => {
                // An inactive cart is usually one this very request already ordered.
                return match self.storage.claims.find(&request.cart_id).await.context("reading the cart claim")? {
                    Some(claim) => self.replay(claim, &request_hash, scoped_key.as_deref()).await,
                    None => Err(AppError::CartInactive),
                };
            }
            Err(other) => return Err(other),
        };
        let campaign = match &request.campaign_code {
            Some(code) => self.upstream.campaigns.find(code).await.context("looking up the campaign")?,
            None => None,
        };
        let new = NewOrder {
            id: self.system.ids.order_id(now),
            tenant_id: tenant,
            customer_email: request.customer_email,
            cart,
            campaign_code: request.campaign_code,
            campaign,
            billing_address: request.billing_address,
            payment_method: request.payment_method,
            document_policy: self.config.document_policy,
        };
        let (order, created) = Order::create(new, &self.config.pricing, principal.actor(), now)?;
        let event = self.envelope(now, OrderEvent::OrderCreated(created));
        let claim = CartClaim {
            cart_id: order.cart_id().clone(),
            order_id: order.id(),
            idempotency_key: scoped_key.clone(),
            request_hash: request_hash.clone(),
            event: event.clone(),
            claimed_at: now,
            recorded: false,
        };
        match self.storage.claims.claim(&claim).await.context("claiming the cart")? {
            ClaimOutcome::Claimed => {
                self.messaging.publisher.publish(&event).await.context("publishing ORDER_CREATED")?;
                info!(order = %order.id(), cart = %order.cart_id(), actor = %principal, total = %order.totals().total, "order accepted");
                Ok(CreateOutcome { order_id: order.id(), replayed: false })
            }
            ClaimOutcome::AlreadyClaimed(existing) => {
                self.replay(*existing, &request_hash, scoped_key.as_deref()).await
            }
        }
    }

    /// Answers a create whose cart (or key) was already claimed.
    async fn replay(&self, claim: CartClaim, request_hash: &str, key: Option<&str>) -> Result<CreateOutcome, AppError> {
        let same_key = key.is_some() && claim.idempotency_key.as_deref() == key;
        if claim.request_hash != request_hash {
            return Err(if same_key {
                AppError::IdempotencyKeyReused
            } else {
                AppError::CartAlreadyOrdered(claim.order_id)
            });
        }
        if !claim.recorded {
            // The first attempt may have crashed between claim and publish: publish again.
            // Harmless if it did not: every processor is idempotent.
            self.messaging.publisher.publish(&claim.event).await.context("re-publishing ORDER_CREATED")?;
        }
        info!(order = %claim.order_id, cart = %claim.cart_id, "repeated create answered with the first order");
        Ok(CreateOutcome { order_id: claim.order_id, replayed: true })
    }

    /// The trusted lines: the cart service's own request, or a fetch from it.
    async fn cart_snapshot(
        &self,
        principal: &Principal,
        request: &CreateOrderRequest,
    ) -> Result<CartSnapshot, AppError> {
        if let (Principal::Service(Service::Cart), Some(items)) = (principal, &request.items) {
            return Ok(
                CartSnapshot::new(request.cart_id.clone(), items.clone()).map_err(order_domain::OrderError::from)?
            );
        }
        if request.items.is_some() {
            warn!(cart = %request.cart_id, actor = %principal, "ignoring client-supplied prices; fetching the cart");
        }
        match self.upstream.carts.snapshot(&request.cart_id).await {
            Ok(cart) => Ok(cart),
            Err(PortError::NotFound) => Err(AppError::CartNotFound),
            Err(PortError::Conflict(_)) => Err(AppError::CartInactive),
            Err(source) => Err(AppError::Dependency { context: "fetching the cart", source }),
        }
    }

    /// Whether an order id that is not found may simply not be recorded yet.
    pub(crate) fn may_be_unrecorded(&self, id: OrderId, now: DateTime<Utc>) -> bool {
        let age = now - id.issued_at();
        age >= chrono::TimeDelta::zero() && age.to_std().is_ok_and(|age| age <= self.config.recording_grace)
    }
}

/// A stable hash of what was asked, to tell a replay from a different request.
fn request_hash(tenant: Option<&TenantId>, request: &CreateOrderRequest) -> String {
    let mut hasher = Sha256::new();
    hasher.update(tenant.map_or("", TenantId::as_str).as_bytes());
    hasher.update([0]);
    // Serializing validated domain types cannot fail; an empty body would still hash stably.
    hasher.update(serde_json::to_vec(request).unwrap_or_default());
    hex::encode(hasher.finalize())
}

/// Idempotency keys are per tenant (or per guest checkout).
fn scope_key(tenant: Option<&TenantId>, key: &str) -> String {
    format!("{}/{key}", tenant.map_or("guest", TenantId::as_str))
}

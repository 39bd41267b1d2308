//! Creating orders, for a tenant or at guest checkout.

use chrono::{DateTime, Utc};
use order_domain::{
    BillingAddress, CampaignCode, CartId, CartOwner, CartSnapshot, Email, NewOrder, Order, OrderEvent, OrderId,
    OrderLine, PaymentMethod, TenantId,
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
    /// Only `tenant`'s own cart becomes its order ([`CartSnapshot::may_become_order_of`]); a cart
    /// of another tenant, or a guest's, is answered [`AppError::CartNotFound`] exactly as an
    /// unknown cart is, whatever became of it, so a refusal never tells one caller about
    /// another's cart or order. `idempotency_key` is the caller's own ([`idempotency_scope`]):
    /// another caller's key neither blocks nor replays it.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for another tenant's customer, [`AppError::Rejected`] for a
    /// request the rules refuse, [`AppError::IdempotencyKeyReused`],
    /// [`AppError::CartAlreadyOrdered`] (the caller's own cart, already its order),
    /// [`AppError::CartNotFound`], [`AppError::CartInactive`], and retryable
    /// [`AppError::Dependency`] failures (the claim is kept: a retry completes it).
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
    /// Only a guest's cart (one that belongs to no tenant) becomes a guest order.
    ///
    /// # Errors
    /// As [`OrderApp::create_for_tenant`].
    pub async fn create_guest(
        &self,
        principal: &Principal,
        request: CreateOrderRequest,
        idempotency_key: Option<&str>,
    ) -> Result<CreateOutcome, AppError> {
        self.create(&guest_checkout_actor(principal), None, request, idempotency_key).await
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
        let scoped_key = idempotency_key
            .map(|key| format!("{}/{key}", idempotency_scope(principal, tenant.as_ref(), &request.cart_id)));

        let cart = match self.cart_snapshot(principal, tenant.as_ref(), &request).await {
            Ok(cart) => cart,
            Err(AppError::CartInactive) => {
                // An inactive cart is usually one this very request already ordered.
                return match self.storage.claims.find(&request.cart_id).await.context("reading the cart claim")? {
                    Some(claim) => self.replay(claim, tenant.as_ref(), &request_hash, scoped_key.as_deref()).await,
                    None => Err(self.inactive_cart(&request.cart_id, tenant.as_ref()).await),
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
                crate::metrics::order_created(order.tenant_id().is_none());
                info!(order = %order.id(), cart = %order.cart_id(), actor = %principal, total = %order.totals().total, "order accepted");
                Ok(CreateOutcome { order_id: order.id(), replayed: false })
            }
            ClaimOutcome::AlreadyClaimed(existing) => {
                self.replay(*existing, order.tenant_id(), &request_hash, scoped_key.as_deref()).await
            }
        }
    }

    /// Answers a create for `tenant` (`None`: a guest's) whose cart (or key) was already claimed.
    /// A claim holding the caller's own key is the caller's; a claim on the cart made for another
    /// owner is none of the caller's business: the cart is answered as unknown, and its order
    /// is never named.
    async fn replay(
        &self,
        claim: CartClaim,
        tenant: Option<&TenantId>,
        request_hash: &str,
        key: Option<&str>,
    ) -> Result<CreateOutcome, AppError> {
        let OrderEvent::OrderCreated(created) = &claim.event.event else {
            return Err(AppError::Dependency {
                context: "reading the cart claim",
                source: PortError::InvalidData(format!("the claim on cart {} holds no ORDER_CREATED", claim.cart_id)),
            });
        };
        let same_key = key.is_some() && claim.idempotency_key.as_deref() == key;
        if !same_key && created.tenant_id.as_ref() != tenant {
            info!(cart = %claim.cart_id, "create for a cart claimed by another owner answered as an unknown cart");
            return Err(AppError::CartNotFound);
        }
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

    /// The answer about an inactive cart that no order claimed (an abandoned cart): "inactive"
    /// to its owner, "not found" to anyone else, as for an unknown cart.
    async fn inactive_cart(&self, cart: &CartId, tenant: Option<&TenantId>) -> AppError {
        match self.upstream.carts.owner(cart).await {
            Ok(owner) if owner.may_order_for(tenant) => AppError::CartInactive,
            Ok(_) | Err(PortError::NotFound) => AppError::CartNotFound,
            Err(source) => AppError::Dependency { context: "asking whose the cart is", source },
        }
    }

    /// The trusted lines: the cart service's own request, or a fetch from it. The cart service
    /// hands over the cart it names as the order's (`tenant`'s, or a guest's); anyone else gets
    /// the cart only if it is `tenant`'s own.
    async fn cart_snapshot(
        &self,
        principal: &Principal,
        tenant: Option<&TenantId>,
        request: &CreateOrderRequest,
    ) -> Result<CartSnapshot, AppError> {
        if let (Principal::Service(Service::Cart), Some(items)) = (principal, &request.items) {
            return Ok(CartSnapshot::new(request.cart_id.clone(), CartOwner::of_order(tenant), items.clone())
                .map_err(order_domain::OrderError::from)?);
        }
        if request.items.is_some() {
            warn!(cart = %request.cart_id, actor = %principal, "ignoring client-supplied prices; fetching the cart");
        }
        match self.upstream.carts.snapshot(&request.cart_id).await {
            Ok(cart) if cart.may_become_order_of(tenant) => Ok(cart),
            Ok(_) => {
                info!(cart = %request.cart_id, actor = %principal, "create for another owner's cart answered as an unknown cart");
                Err(AppError::CartNotFound)
            }
            Err(PortError::NotFound) => Err(AppError::CartNotFound),
            Err(PortError::Conflict(_)) => Err(AppError::CartInactive),
            Err(PortError::InvalidData(what)) => {
                warn!(cart = %request.cart_id, %what, "the cart service's cart cannot be ordered");
                Err(AppError::CartUnusable(what))
            }
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

/// Who creates at guest checkout: whoever calls the guest route acts as a guest, except the
/// cart service.
fn guest_checkout_actor(principal: &Principal) -> Principal {
    match principal {
        Principal::Service(Service::Cart) => principal.clone(),
        _ => Principal::Guest,
    }
}

/// Whose an `Idempotency-Key` on a create is: the caller that chose it. A key means something
/// only to the client that sent it (IETF `draft-ietf-httpapi-idempotency-key-header` §2), so it
/// is stored as `{scope}/{key}` and compared only within its scope:
///
/// | caller | scope |
/// |---|---|
/// | a tenant's customer | `customer:{tenantId}` |
/// | staff | `staff` |
/// | a service (the cart service) | `service:{name}` |
/// | a guest (no identity of its own) | `guest:{cartId}`: the cart only that shopper holds |
/// | the system | `system` |
///
/// `tenant` is the tenant the order is created for (`None` on the guest route, where every
/// caller but the cart service is a guest, as [`OrderApp::create_guest`] treats them). Hosts
/// that keep their own bookkeeping of keys (the HTTP adapter's in-flight keys) use the same
/// scope, so one caller's key can neither block nor replay another's.
///
/// ```
/// # use order_app::{Principal, usecases::create::idempotency_scope};
/// # use order_domain::{CartId, TenantId};
/// let cart = CartId::parse("cart_1").unwrap();
/// let acme = TenantId::parse("tenant_acme").unwrap();
/// assert_eq!(idempotency_scope(&Principal::Guest, None, &cart), "guest:cart_1");
/// let customer = Principal::Customer { tenant_id: acme.clone() };
/// assert_eq!(idempotency_scope(&customer, Some(&acme), &cart), "customer:tenant_acme");
/// assert_eq!(idempotency_scope(&customer, None, &cart), "guest:cart_1", "the guest route");
/// ```
pub fn idempotency_scope(principal: &Principal, tenant: Option<&TenantId>, cart: &CartId) -> String {
    let principal = if tenant.is_none() { guest_checkout_actor(principal) } else { principal.clone() };
    match principal {
        Principal::Customer { tenant_id } => format!("customer:{tenant_id}"),
        Principal::Guest => format!("guest:{cart}"),
        Principal::Staff => "staff".to_owned(),
        Principal::Service(Service::Cart) => "service:cart".to_owned(),
        Principal::Service(Service::Payment) => "service:payment".to_owned(),
        Principal::Service(Service::Provisioning) => "service:provisioning".to_owned(),
        Principal::System => "system".to_owned(),
    }
}

//! Reading orders.

use order_domain::{DocumentKind, Order, OrderId, TenantId};
use order_ports::{DocumentKey, ListQuery, OrderPage, PortError, StoredDocument};

use crate::app::OrderApp;
use crate::error::AppError;
use crate::principal::Principal;

impl OrderApp {
    /// The order, if the principal may see it. A customer's read is confined to their own
    /// tenant's partition; anyone else reads by id.
    ///
    /// # Errors
    /// [`AppError::NotFound`] when it does not exist or the principal may not see it;
    /// [`AppError::NotRecordedYet`] when the id was issued within the recording grace period and
    /// the record writer may not have run yet.
    pub async fn get(&self, principal: &Principal, id: OrderId) -> Result<Order, AppError> {
        let found = match principal.own_tenant() {
            Some(tenant) => self.storage.orders.get(tenant, id).await,
            None => self.storage.orders.get_by_id(id).await,
        };
        match found {
            Ok(order) if principal.may_see(&order) => Ok(order),
            Err(PortError::NotFound) if self.may_be_unrecorded(id, self.system.clock.now()) => {
                // A customer's partition lacks it: make sure it is not simply another tenant's
                // order before saying "not recorded yet" (one extra read, only on this path).
                let elsewhere = match principal.own_tenant() {
                    Some(_) => self.storage.orders.get_by_id(id).await,
                    None => Err(PortError::NotFound),
                };
                match elsewhere {
                    Err(PortError::NotFound) => {
                        Err(AppError::NotRecordedYet { order_id: id, retry_after: std::time::Duration::from_secs(1) })
                    }
                    Ok(_) => Err(AppError::NotFound),
                    Err(source) => Err(AppError::Dependency { context: "reading the order", source }),
                }
            }
            // Another tenant's order is answered exactly like a missing one.
            Ok(_) | Err(PortError::NotFound) => Err(AppError::NotFound),
            Err(source) => Err(AppError::Dependency { context: "reading the order", source }),
        }
    }

    /// A tenant's orders, newest first.
    ///
    /// # Errors
    /// [`AppError::NotFound`] when a customer asks for another tenant (as if it had no orders
    /// to show), [`AppError::NotAllowed`] for principals that list nothing, and
    /// [`AppError::InvalidInput`]-like refusals of a bad cursor as [`AppError::Dependency`] with
    /// [`PortError::InvalidData`].
    pub async fn list(
        &self,
        principal: &Principal,
        tenant: &TenantId,
        query: &ListQuery,
    ) -> Result<OrderPage, AppError> {
        if !principal.may_list(tenant) {
            return Err(match principal {
                Principal::Customer { .. } => AppError::NotFound,
                _ => AppError::NotAllowed("only the tenant's customers and staff list orders"),
            });
        }
        let mut query = query.clone();
        query.limit = query.limit.clamp(1, ListQuery::MAX_LIMIT);
        self.storage
            .orders
            .list(tenant, &query)
            .await
            .map_err(|source| AppError::Dependency { context: "listing orders", source })
    }

    /// The documents stored for an order the principal may see (pro forma or tax invoice,
    /// receipt, credit note), in the order of its life. Documents are written by the invoice
    /// writer shortly after each step, so a step moments ago may not show yet.
    ///
    /// # Errors
    /// As [`OrderApp::get`]; [`AppError::DocumentEvicted`] when a bounded store keeps none of
    /// the order's documents any more; [`AppError::Dependency`] when the store fails.
    pub async fn order_documents(&self, principal: &Principal, id: OrderId) -> Result<Vec<StoredDocument>, AppError> {
        let order = self.get(principal, id).await?;
        let Some(tenant) = order.tenant_id() else { return Ok(Vec::new()) };
        match self.documents.store.list(tenant, id).await {
            Ok(listed) => Ok(listed),
            Err(PortError::Evicted { retention }) => Err(AppError::DocumentEvicted { order_id: id, retention }),
            Err(source) => Err(AppError::Dependency { context: "listing the documents", source }),
        }
    }

    /// One document of an order the principal may see: its description and bytes.
    ///
    /// # Errors
    /// As [`OrderApp::get`]; [`AppError::NotFound`] when the order has no such document (yet);
    /// [`AppError::DocumentEvicted`] when a bounded store had it and evicted it;
    /// [`AppError::Dependency`] when the store fails.
    pub async fn order_document(
        &self,
        principal: &Principal,
        id: OrderId,
        kind: DocumentKind,
    ) -> Result<(StoredDocument, Vec<u8>), AppError> {
        let order = self.get(principal, id).await?;
        let Some(tenant) = order.tenant_id() else { return Err(AppError::NotFound) };
        let key = DocumentKey { tenant_id: tenant.clone(), order_id: id, kind };
        match self.documents.store.fetch(&key).await {
            Ok(found) => Ok(found),
            Err(PortError::NotFound) => Err(AppError::NotFound),
            Err(PortError::Evicted { retention }) => Err(AppError::DocumentEvicted { order_id: id, retention }),
            Err(source) => Err(AppError::Dependency { context: "reading the document", source }),
        }
    }
}

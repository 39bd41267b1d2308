//! Guest checkout: which tenant a guest order belongs to.

use serde::{Deserialize, Serialize};

use crate::email::Email;
use crate::ids::TenantId;

/// A tenant's standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TenantStatus {
    /// A tenant whose owner has signed up and been verified.
    Active,
    /// Created by guest checkout from an email address; not yet claimed by its owner.
    Unvalidated,
}

/// What the tenant directory knows about a tenant, as far as orders care.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    /// The tenant.
    pub id: TenantId,
    /// The email the tenant is registered under (its canonical form, the directory's key).
    pub email: Email,
    /// Its standing.
    pub status: TenantStatus,
}

/// What to do with a guest order's email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuestTenantDecision {
    /// The email belongs to this tenant: use it, as it is.
    Use(TenantId),
    /// Nobody has this email: create an UNVALIDATED tenant for it.
    CreateUnvalidated {
        /// The email the new tenant is registered under.
        email: Email,
    },
}

/// Decides which tenant a guest order belongs to, given what a lookup by its email found.
///
/// An existing tenant — validated or not — is used and never modified: guest input (a name or
/// address typed at checkout) must not overwrite a tenant's profile, which is why there is no
/// "update" decision. Only when nothing was found is a new UNVALIDATED tenant created; if two
/// guests race to create it, the directory's uniqueness guard lets one win and the other looks
/// up again and gets [`GuestTenantDecision::Use`].
///
/// ```
/// use order_domain::{Email, GuestTenantDecision, decide_guest_tenant};
/// let email = Email::parse("new@example.co.za").unwrap();
/// assert_eq!(decide_guest_tenant(&email, None), GuestTenantDecision::CreateUnvalidated { email: email.clone() });
/// ```
pub fn decide_guest_tenant(email: &Email, found: Option<&Tenant>) -> GuestTenantDecision {
    match found {
        Some(tenant) => match tenant.status {
            TenantStatus::Active | TenantStatus::Unvalidated => GuestTenantDecision::Use(tenant.id.clone()),
        },
        None => GuestTenantDecision::CreateUnvalidated { email: email.clone() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(status: TenantStatus) -> Tenant {
        Tenant { id: TenantId::parse("tenant_1").unwrap(), email: Email::parse("a@b.co").unwrap(), status }
    }

    #[test]
    fn existing_tenants_are_used_whatever_their_standing() {
        let email = Email::parse("a@b.co").unwrap();
        for status in [TenantStatus::Active, TenantStatus::Unvalidated] {
            let t = tenant(status);
            assert_eq!(decide_guest_tenant(&email, Some(&t)), GuestTenantDecision::Use(t.id.clone()));
        }
    }

    #[test]
    fn unknown_email_creates_an_unvalidated_tenant() {
        let email = Email::parse("new@b.co").unwrap();
        assert_eq!(decide_guest_tenant(&email, None), GuestTenantDecision::CreateUnvalidated { email });
    }
}

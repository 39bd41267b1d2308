//! What the AWS benchmark programs (`aws-calls`, `capacity`) create their orders from: one
//! tenant's cart of two lines in the in-memory cart service, and the customer's create request.

use adapters_memory::MemoryCartGateway;
use order_app::CreateOrderRequest;
use order_domain::testing::{address, line};
use order_domain::{CartId, CartOwner, CartSnapshot, Email, PaymentMethod, TenantId};

/// Puts a cart `cart_id` of `tenant` (hosting and a domain, R1,349.00) into `carts` and returns
/// the request that turns it into an order.
///
/// # Errors
/// When the cart or the email does not validate (they are fixed and valid).
pub fn tenant_order(
    carts: &MemoryCartGateway,
    tenant: &TenantId,
    cart_id: CartId,
) -> Result<CreateOrderRequest, Box<dyn std::error::Error + Send + Sync>> {
    carts.add_cart(CartSnapshot::new(
        cart_id.clone(),
        CartOwner::Tenant(tenant.clone()),
        vec![line("HOSTING-PRO", "575.00", 2), line("DOMAIN-COZA", "199.00", 1)],
    )?);
    Ok(CreateOrderRequest {
        cart_id,
        customer_email: Email::parse("thandi@acme.co.za")?,
        campaign_code: None,
        billing_address: address(),
        payment_method: PaymentMethod::Payfast,
        items: None,
    })
}

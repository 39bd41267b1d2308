//! Quick start: orders through their whole life in one process, on in-memory adapters.
//!
//! Creates a tenant order (with a campaign) and a guest order, runs the fan-out to the four
//! processors, then takes orders through payment, processing and completion, cancellation
//! (with a payment arriving too late), expiry, and a refund. Prints each order's status history,
//! the emails sent and the documents stored, and writes every PDF (pro forma and tax invoices,
//! receipts, the credit note) to a folder. Documents follow the default policy, invoice on
//! payment: a pro forma at creation, the tax invoice when paid, a credit note when refunded.
//!
//! Run with `cargo run -p bbws-examples --bin quickstart [-- OUTPUT_DIR]`
//! (default `out/quickstart`).

use std::error::Error;
use std::path::PathBuf;

use adapters_system::SystemClock;
use chrono::TimeDelta;
use order_app::{CreateOrderRequest, Principal, Service, StatusChange};
use order_domain::{
    BillingAddress, BillingAddressInput, Campaign, CampaignCode, CartId, CartOwner, CartSnapshot, Currency,
    Description, Discount, Email, Money, OrderId, OrderLine, Payment, PaymentId, PaymentMethod, Percentage, Quantity,
    Sku, TenantId,
};
use order_ports::{Clock, DocumentKey, DocumentStore};
use order_service::memory::{InMemoryStack, StackOptions};
use rust_decimal::Decimal;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

#[tokio::main]
async fn main() -> Result<()> {
    let out_dir = match std::env::args().nth(1) {
        None => PathBuf::from("out/quickstart"),
        Some(arg) if arg.starts_with('-') => {
            println!("usage: quickstart [OUTPUT_DIR]   (default out/quickstart; the PDFs are written there)");
            return Ok(());
        }
        Some(dir) => PathBuf::from(dir),
    };
    // Fail before the run, not after it, when the folder cannot be made.
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| format!("cannot create the output folder {}: {e}", out_dir.display()))?;
    let stack = InMemoryStack::new(StackOptions::demo(SystemClock.now()))?;
    let acme = TenantId::parse("tenant_acme")?;
    let owner = Principal::Customer { tenant_id: acme.clone() };
    let payments = Principal::Service(Service::Payment);
    let provisioning = Principal::Service(Service::Provisioning);

    stack.campaigns.insert(Campaign {
        code: CampaignCode::parse("SUMMER2026")?,
        discount: Discount::Percentage(Percentage::new(Decimal::TEN)?),
        valid_from: None,
        valid_until: None,
    });

    section("1. Create a tenant order (10 % campaign) and a guest order; run the fan-out");
    let mut tenant_request = request(
        &stack,
        "cart_acme_1",
        CartOwner::Tenant(acme.clone()),
        ("thandi@acme.co.za", "Thandi Nkosi", "12 Long Street"),
        &[
            ("HOSTING-PRO", "Pro hosting, 12 months", "575.00", 2),
            ("DOMAIN-COZA", "Domain registration acme.co.za, 1 year", "199.00", 1),
            ("SSL-BASIC", "SSL certificate, basic", "349.99", 1),
        ],
    )?;
    tenant_request.campaign_code = Some(CampaignCode::parse("summer2026")?);
    let tenant_order =
        stack.app.create_for_tenant(&owner, &acme, tenant_request.clone(), Some("checkout-1")).await?.order_id;
    let replay = stack.app.create_for_tenant(&owner, &acme, tenant_request, Some("checkout-1")).await?;
    println!(
        "  tenant order {tenant_order} accepted (202); a double click returns the same id: {}",
        replay.order_id == tenant_order
    );
    let guest_request = request(
        &stack,
        "cart_guest_1",
        CartOwner::Guest,
        ("Sipho.Dlamini@Example.com", "Sipho Dlamini", "3 Loop Street"),
        &[("WEBSITE-STARTER", "Starter website with 5 pages", "1499.00", 1)],
    )?;
    let guest_order = stack.app.create_guest(&Principal::Guest, guest_request, None).await?.order_id;
    println!("  guest order  {guest_order} accepted (202)");
    drain(&stack).await?;

    section("2. Pay, process and complete the tenant order");
    let order = stack.app.update(&owner, tenant_order, StatusChange::RequestPayment, None).await?;
    let paid = payment("pf_1000001", order.totals().total)?;
    stack.app.confirm_payment(&payments, tenant_order, paid.clone()).await?;
    let repeated = stack.app.confirm_payment(&payments, tenant_order, paid).await?;
    println!("  a repeated PayFast notification changes nothing (version {})", repeated.version());
    stack.app.update(&provisioning, tenant_order, StatusChange::StartProcessing, None).await?;
    stack.app.update(&provisioning, tenant_order, StatusChange::Complete, None).await?;

    section("3. Pay the guest order straight from PENDING (both edges are recorded)");
    let guest = stack.app.get(&Principal::Staff, guest_order).await?;
    stack.app.confirm_payment(&payments, guest_order, payment("pf_1000002", guest.totals().total)?).await?;

    section("4. Cancel an order; its payment arrives too late, is held for refund, and is refunded");
    let cancelled =
        create(&stack, &owner, &acme, "cart_acme_2", &[("EMAIL-PRO", "Professional email mailbox", "89.00", 5)])
            .await?;
    drain(&stack).await?;
    let reason = order_domain::Reason::parse("Ordered the wrong plan")?;
    let order = stack.app.update(&owner, cancelled, StatusChange::Cancel(Some(reason)), None).await?;
    let late = stack.app.confirm_payment(&payments, cancelled, payment("pf_1000003", order.totals().total)?).await?;
    println!("  still {} with {} payment(s) to refund", late.status(), late.refunds_due().count());
    let staff = Principal::Staff;
    let late_id = PaymentId::parse("pf_1000003")?;
    let refunded = stack
        .app
        .refund_payment(&staff, cancelled, late_id, Some(order_domain::Reason::parse("EFT ref 4411")?))
        .await?;
    println!("  staff record its refund: {} payment(s) left to refund", refunded.refunds_due().count());
    if let Err(refused) = stack.app.update(&owner, tenant_order, StatusChange::Cancel(None), None).await {
        println!("  cancelling the completed order is refused: {refused}");
    }

    section("5. Leave an order unpaid for a day; the sweep expires it");
    let expiring =
        create(&stack, &owner, &acme, "cart_acme_3", &[("BACKUP-DAILY", "Daily backups", "49.00", 1)]).await?;
    drain(&stack).await?;
    stack.clock.advance(TimeDelta::hours(24));
    let swept = stack.app.expire_stale(100).await?;
    println!("  sweep: {} expired, {} cancelled", swept.expired, swept.cancelled);
    drain(&stack).await?;

    section("6. Pay for an order, then refund it: its tax invoice is reversed by a credit note");
    let refunded =
        create(&stack, &owner, &acme, "cart_acme_4", &[("HOSTING-BASIC", "Basic hosting, 1 year", "599.00", 1)])
            .await?;
    drain(&stack).await?;
    let order = stack.app.get(&Principal::Staff, refunded).await?;
    stack.app.confirm_payment(&payments, refunded, payment("pf_1000004", order.totals().total)?).await?;
    let reason = order_domain::Reason::parse("Customer changed plans within the cooling-off period")?;
    stack.app.update(&Principal::Staff, refunded, StatusChange::Refund(Some(reason)), None).await?;
    drain(&stack).await?;

    report(&stack, &[tenant_order, guest_order, cancelled, expiring, refunded], &out_dir).await
}

/// Prints status histories, emails and documents, and writes the documents to `out_dir`.
async fn report(stack: &InMemoryStack, ids: &[OrderId], out_dir: &std::path::Path) -> Result<()> {
    section("Status histories");
    for &id in ids {
        let order = stack.app.get(&Principal::Staff, id).await?;
        let totals = order.totals();
        println!(
            "  {id}  {}  total {} (discount {}, VAT {})  version {}",
            order.status(),
            totals.total,
            totals.discount,
            totals.vat,
            order.version()
        );
        for change in order.history() {
            let reason = change.reason.as_ref().map(|r| format!(" — {r}")).unwrap_or_default();
            println!(
                "      {}  {:<15} → {:<15} by {}{reason}",
                change.at.format("%Y-%m-%d %H:%M:%S"),
                change.from,
                change.to,
                change.actor
            );
        }
    }

    section("Emails sent");
    for sent in stack.mailbox.sent() {
        let to: Vec<_> = sent.email.to.iter().map(Email::as_str).collect();
        println!("  to {:<28} {}", to.join(", "), sent.email.subject);
    }

    section("Documents stored (invoice on payment: pro forma, then tax invoice and receipt, credit note on refund)");
    for &id in ids {
        let order = stack.app.get(&Principal::Staff, id).await?;
        let Some(tenant_id) = order.tenant_id().cloned() else { continue };
        println!("  {id}  {}", order.status());
        for document in stack.documents.list(&tenant_id, id).await? {
            let key = DocumentKey { tenant_id: tenant_id.clone(), order_id: id, kind: document.kind };
            let bytes = stack.documents.get(&key).await?;
            let file = out_dir.join(key.file_name());
            std::fs::write(&file, &bytes)?;
            let number = document.meta.number.map(|n| format!(" {n}")).unwrap_or_default();
            println!("      {}{number} ({} bytes) → {}", document.kind.title(), bytes.len(), file.display());
        }
    }
    println!("\nThe PDFs are in {}", std::fs::canonicalize(out_dir)?.display());
    Ok(())
}

fn section(title: &str) {
    println!("\n== {title}");
}

fn request(
    stack: &InMemoryStack,
    cart: &str,
    owner: CartOwner,
    (email, holder, street): (&str, &str, &str),
    lines: &[(&str, &str, &str, u32)],
) -> Result<CreateOrderRequest> {
    let cart_id = CartId::parse(cart)?;
    let lines = lines
        .iter()
        .map(|(sku, description, price, quantity)| {
            OrderLine::new(
                Sku::parse(sku)?,
                Description::parse(description)?,
                Quantity::new(*quantity)?,
                Money::parse(price, Currency::ZAR)?,
            )
            .map_err(Into::into)
        })
        .collect::<Result<Vec<_>>>()?;
    stack.carts.add_cart(CartSnapshot::new(cart_id.clone(), owner, lines)?);
    Ok(CreateOrderRequest {
        cart_id,
        customer_email: Email::parse(email)?,
        campaign_code: None,
        billing_address: BillingAddress::parse(&BillingAddressInput {
            name: holder.into(),
            line1: street.into(),
            city: "Cape Town".into(),
            province: Some("Western Cape".into()),
            postal_code: "8001".into(),
            ..BillingAddressInput::default()
        })?,
        payment_method: PaymentMethod::Payfast,
        items: None,
    })
}

async fn create(
    stack: &InMemoryStack,
    owner: &Principal,
    tenant: &TenantId,
    cart: &str,
    lines: &[(&str, &str, &str, u32)],
) -> Result<OrderId> {
    let request = request(
        stack,
        cart,
        CartOwner::Tenant(tenant.clone()),
        ("thandi@acme.co.za", "Thandi Nkosi", "12 Long Street"),
        lines,
    )?;
    Ok(stack.app.create_for_tenant(owner, tenant, request, None).await?.order_id)
}

fn payment(id: &str, amount: Money) -> Result<Payment> {
    Ok(Payment {
        payment_id: PaymentId::parse(id)?,
        amount,
        method: PaymentMethod::Payfast,
        paid_at: SystemClock.now(),
    })
}

async fn drain(stack: &InMemoryStack) -> Result<()> {
    let report = stack.drain().await?;
    let total = report.total();
    let (handled, failed) = (total.handled, total.failed);
    println!("  fan-out: {handled} events handled by the four processors, {failed} failed attempts");
    Ok(())
}

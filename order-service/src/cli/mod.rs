//! The operator's command line `bbws` (feature `http`); `src/bin/bbws.rs` parses [`Cli`] and
//! calls [`run`].
//!
//! - `orders create|get|list|cancel|pay`: through the HTTP API, as a production operator
//!   reaches the system (`--api`/`BBWS_API_URL`, bearer token `--token`/`BBWS_TOKEN`);
//! - `token mint`: a development token from a `server --dev` (`POST /dev/token`);
//! - `dlq list|redrive` (feature `aws`): the processors' dead-letter queues, straight on SQS,
//!   configured by the `BBWS_…` variables every AWS host reads;
//! - `local provision` (feature `aws`): creates an environment's resources on an endpoint (moto
//!   or a development account) and prints the `BBWS_…` variables a host needs.
//!
//! Output is for people by default; `--json` prints JSON for scripts. Errors go to standard
//! error (an API error as its problem+json title and detail) with exit status 1.
//!
//! ```sh
//! export BBWS_API_URL=http://127.0.0.1:8080
//! export BBWS_TOKEN=$(bbws token mint --role customer --tenant tenant_acme)
//! bbws orders create --tenant tenant_acme --cart cart_demo_1 --email thandi@acme.co.za \
//!   --name "Thandi Nkosi" --line1 "12 Long Street" --city "Cape Town" --postal-code 8001
//! bbws orders list --tenant tenant_acme --status PENDING --limit 10
//! ```

mod api;
#[cfg(feature = "aws")]
mod aws;

pub use self::api::CliError;

use clap::{Args, Parser, Subcommand};

use self::api::Api;

/// BBWS Order Management from the command line.
#[derive(Debug, Parser)]
#[command(name = "bbws", version, about)]
pub struct Cli {
    /// Print JSON (the API's own bodies) instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// The HTTP API's base URL.
    #[arg(long, global = true, env = "BBWS_API_URL", default_value = "http://127.0.0.1:8080")]
    api: String,
    /// Bearer token for the API.
    #[arg(long, global = true, env = "BBWS_TOKEN", hide_env_values = true)]
    token: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant, reason = "parsed once per process")]
enum Command {
    /// Orders, through the HTTP API.
    #[command(subcommand)]
    Orders(OrdersCommand),
    /// Development tokens from a `server --dev`.
    #[command(subcommand)]
    Token(TokenCommand),
    /// The processors' dead-letter queues (SQS; `BBWS_…` variables).
    #[cfg(feature = "aws")]
    #[command(subcommand)]
    Dlq(aws::DlqCommand),
    /// Local and development environments.
    #[cfg(feature = "aws")]
    #[command(subcommand)]
    Local(aws::LocalCommand),
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant, reason = "parsed once per process")]
enum OrdersCommand {
    /// Turns a cart into an order (for a tenant, or a guest checkout without `--tenant`).
    Create(CreateArgs),
    /// Shows an order.
    Get {
        /// The order id.
        order_id: String,
    },
    /// Lists a tenant's orders, newest first.
    List(ListArgs),
    /// Cancels an order.
    Cancel {
        /// The order id.
        order_id: String,
        /// Why.
        #[arg(long)]
        reason: Option<String>,
        /// Only if the order is still at this version (its ETag).
        #[arg(long)]
        if_version: Option<u64>,
    },
    /// Confirms a payment (the payment service's confirmation; needs its token). A payment the
    /// order does not take (wrong amount, already paid, cancelled) is recorded for refund.
    Pay(PayArgs),
    /// Lists an order's documents (pro forma or tax invoice, receipt, credit note); with
    /// `--save DIR`, also downloads each PDF into DIR.
    Documents {
        /// The order id.
        order_id: String,
        /// Where to write the PDFs (created if missing).
        #[arg(long, value_name = "DIR")]
        save: Option<std::path::PathBuf>,
    },
    /// Records that a payment held for refund was returned (payment service or staff token).
    RefundPayment {
        /// The order id.
        order_id: String,
        /// The payment held for refund.
        payment_id: String,
        /// The refund's reference (provider refund id, bank reference).
        #[arg(long)]
        reference: Option<String>,
    },
}

#[derive(Debug, Args)]
struct CreateArgs {
    /// The tenant; without it, a guest checkout (the tenant is resolved from the email).
    #[arg(long)]
    tenant: Option<String>,
    /// The cart.
    #[arg(long)]
    cart: String,
    /// The customer's email.
    #[arg(long)]
    email: String,
    /// A campaign code.
    #[arg(long)]
    campaign: Option<String>,
    /// Makes a retry safe: the same key and body get the first answer again.
    #[arg(long)]
    idempotency_key: Option<String>,
    /// Billing: person or company to bill.
    #[arg(long)]
    name: String,
    /// Billing: company name.
    #[arg(long)]
    company: Option<String>,
    /// Billing: South African VAT number.
    #[arg(long)]
    vat_number: Option<String>,
    /// Billing: street line.
    #[arg(long)]
    line1: String,
    /// Billing: second line.
    #[arg(long)]
    line2: Option<String>,
    /// Billing: city.
    #[arg(long)]
    city: String,
    /// Billing: province.
    #[arg(long)]
    province: Option<String>,
    /// Billing: postal code.
    #[arg(long)]
    postal_code: String,
    /// Billing: ISO 3166-1 alpha-2 country (ZA when absent).
    #[arg(long)]
    country: Option<String>,
}

#[derive(Debug, Args)]
struct ListArgs {
    /// The tenant.
    #[arg(long)]
    tenant: String,
    /// Only orders in this status (e.g. PAID).
    #[arg(long)]
    status: Option<String>,
    /// Only orders created at or after this instant (RFC 3339).
    #[arg(long)]
    from: Option<String>,
    /// Only orders created before this instant (RFC 3339).
    #[arg(long)]
    to: Option<String>,
    /// Page size, 1 to 100.
    #[arg(long)]
    limit: Option<u32>,
    /// The next-page cursor of an earlier listing.
    #[arg(long)]
    cursor: Option<String>,
}

#[derive(Debug, Args)]
struct PayArgs {
    /// The order id.
    order_id: String,
    /// The provider's payment id (repeating it is recognised as the same payment).
    #[arg(long)]
    payment_id: String,
    /// The amount paid, e.g. 1349.00; anything but the order total to the cent is held for
    /// refund.
    #[arg(long)]
    amount: String,
    /// The currency.
    #[arg(long, default_value = "ZAR")]
    currency: String,
    /// When it was paid (RFC 3339); now when absent.
    #[arg(long)]
    paid_at: Option<String>,
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Mints a token at a development server's `POST /dev/token` and prints it.
    Mint {
        /// customer, staff, payment, provisioning or cart.
        #[arg(long, value_parser = ["customer", "staff", "payment", "provisioning", "cart"])]
        role: String,
        /// The customer's tenant (customers only).
        #[arg(long)]
        tenant: Option<String>,
        /// Lifetime in seconds (default 3600).
        #[arg(long)]
        ttl_secs: Option<u64>,
    },
}

/// Runs one parsed command line. `env` reads the `BBWS_…` variables of the AWS commands (the
/// binary passes its process environment).
///
/// # Errors
/// [`CliError`]: an API error (its problem+json title and detail), a transport or AWS failure,
/// or unusable input; the binary prints it and exits with status 1.
#[cfg_attr(not(feature = "aws"), allow(unused_variables, reason = "only the AWS commands read variables"))]
pub async fn run(cli: Cli, env: &dyn Fn(&str) -> Option<String>) -> Result<(), CliError> {
    let api = Api::new(&cli.api, cli.token.clone(), cli.json);
    match cli.command {
        Command::Orders(command) => orders(&api, command).await,
        Command::Token(TokenCommand::Mint { role, tenant, ttl_secs }) => {
            api.mint_token(&role, tenant.as_deref(), ttl_secs).await
        }
        #[cfg(feature = "aws")]
        Command::Dlq(command) => aws::dlq(command, cli.json, env).await,
        #[cfg(feature = "aws")]
        Command::Local(command) => aws::local(command, cli.json, env).await,
    }
}

async fn orders(api: &Api, command: OrdersCommand) -> Result<(), CliError> {
    match command {
        OrdersCommand::Create(args) => {
            let mut address = serde_json::json!({
                "name": args.name,
                "line1": args.line1,
                "city": args.city,
                "postalCode": args.postal_code,
            });
            for (field, value) in [
                ("company", args.company),
                ("vatNumber", args.vat_number),
                ("line2", args.line2),
                ("province", args.province),
                ("country", args.country),
            ] {
                if let Some(value) = value {
                    address[field] = value.into();
                }
            }
            let mut body = serde_json::json!({
                "cartId": args.cart,
                "customerEmail": args.email,
                "billingAddress": address,
            });
            if let Some(code) = args.campaign {
                body["campaignCode"] = code.into();
            }
            api.create(args.tenant.as_deref(), &body, args.idempotency_key.as_deref()).await
        }
        OrdersCommand::Get { order_id } => api.get(&order_id).await,
        OrdersCommand::List(args) => {
            let query: Vec<(&str, String)> = [
                ("status", args.status),
                ("from", args.from),
                ("to", args.to),
                ("limit", args.limit.map(|limit| limit.to_string())),
                ("cursor", args.cursor),
            ]
            .into_iter()
            .filter_map(|(name, value)| value.map(|value| (name, value)))
            .collect();
            api.list(&args.tenant, &query).await
        }
        OrdersCommand::Cancel { order_id, reason, if_version } => {
            let mut body = serde_json::json!({ "status": "CANCELLED" });
            if let Some(reason) = reason {
                body["reason"] = reason.into();
            }
            api.update(&order_id, &body, if_version).await
        }
        OrdersCommand::Pay(args) => {
            let mut body = serde_json::json!({
                "paymentId": args.payment_id,
                "amount": { "amount": args.amount, "currency": args.currency },
            });
            if let Some(at) = args.paid_at {
                body["paidAt"] = at.into();
            }
            api.pay(&args.order_id, &body).await
        }
        OrdersCommand::Documents { order_id, save } => api.documents(&order_id, save.as_deref()).await,
        OrdersCommand::RefundPayment { order_id, payment_id, reference } => {
            let mut body = serde_json::json!({});
            if let Some(reference) = reference {
                body["reference"] = reference.into();
            }
            api.refund_payment(&order_id, &payment_id, &body).await
        }
    }
}

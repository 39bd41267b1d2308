//! The HTTP API client behind `bbws orders` and `bbws token`: one request per command, the
//! answer printed for people or, with `--json`, as the API's own JSON.

use std::fmt;
use std::fmt::Write as _;

use adapters_http::dto::{
    DevToken, DocumentListView, MoneyDto, OrderAccepted, OrderPageView, OrderView, PaymentAcknowledged,
};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Why a command failed; printed after `error: `.
#[derive(Debug)]
pub enum CliError {
    /// The API answered with a problem (RFC 9457).
    Problem {
        /// The HTTP status.
        status: StatusCode,
        /// The problem's title.
        title: String,
        /// What went wrong with this request.
        detail: String,
    },
    /// Anything else: the API unreachable, an unexpected answer, AWS failing.
    Other(String),
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Problem { status, title, detail } => write!(f, "{title}: {detail} (HTTP {})", status.as_u16()),
            Self::Other(message) => f.write_str(message),
        }
    }
}

/// The HTTP API, and how to print its answers.
pub struct Api {
    base: String,
    token: Option<String>,
    json: bool,
    client: reqwest::Client,
}

impl Api {
    /// The API at `base`, authenticated with `token`, printing JSON when `json`.
    pub fn new(base: &str, token: Option<String>, json: bool) -> Self {
        Self { base: base.trim_end_matches('/').to_owned(), token, json, client: reqwest::Client::new() }
    }

    fn request(&self, method: Method, path: &str) -> Result<RequestBuilder, CliError> {
        let token = self.token.as_deref().ok_or_else(|| {
            CliError::Other("no token: pass --token or set BBWS_TOKEN (`bbws token mint` in development)".into())
        })?;
        Ok(self.client.request(method, format!("{}{path}", self.base)).bearer_auth(token))
    }

    /// Sends, and turns a problem answer into a [`CliError::Problem`].
    async fn send(&self, request: RequestBuilder) -> Result<Response, CliError> {
        let response = request
            .send()
            .await
            .map_err(|error| CliError::Other(format!("cannot reach the API at {}: {error}", self.base)))?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        let problem: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let field = |name: &str| problem[name].as_str().map(str::to_owned);
        Err(CliError::Problem {
            status,
            title: field("title").unwrap_or_else(|| status.canonical_reason().unwrap_or("Error").to_owned()),
            detail: field("detail").unwrap_or_else(|| text.trim().chars().take(200).collect()),
        })
    }

    /// Sends, then prints the body: as JSON with `--json`, else through `human`.
    async fn show<T: DeserializeOwned>(
        &self,
        request: RequestBuilder,
        human: impl Fn(&T) -> String,
    ) -> Result<(), CliError> {
        let response = self.send(request).await?;
        let body: Value = response
            .json()
            .await
            .map_err(|error| CliError::Other(format!("the API answered unreadable JSON: {error}")))?;
        if self.json {
            println!("{}", serde_json::to_string_pretty(&body).unwrap_or_default());
            return Ok(());
        }
        let typed: T = serde_json::from_value(body)
            .map_err(|error| CliError::Other(format!("the API answered an unexpected body: {error}")))?;
        print!("{}", human(&typed));
        Ok(())
    }

    /// `POST /v1.0/tenants/{tenant}/orders`, or `POST /v1.0/orders` for a guest.
    pub async fn create(
        &self,
        tenant: Option<&str>,
        body: &Value,
        idempotency_key: Option<&str>,
    ) -> Result<(), CliError> {
        let path = match tenant {
            Some(tenant) => format!("/v1.0/tenants/{}/orders", segment(tenant)),
            None => "/v1.0/orders".to_owned(),
        };
        let mut request = self.request(Method::POST, &path)?.json(body);
        if let Some(key) = idempotency_key {
            request = request.header("idempotency-key", key);
        }
        self.show(request, |accepted: &OrderAccepted| {
            format!("accepted order {} (recorded shortly at {})\n", accepted.order_id, accepted.location)
        })
        .await
    }

    /// `GET /v1.0/orders/{id}`.
    pub async fn get(&self, order_id: &str) -> Result<(), CliError> {
        let request = self.request(Method::GET, &format!("/v1.0/orders/{}", segment(order_id)))?;
        self.show(request, order_details).await
    }

    /// `GET /v1.0/tenants/{tenant}/orders?…`.
    pub async fn list(&self, tenant: &str, query: &[(&str, String)]) -> Result<(), CliError> {
        let mut path = format!("/v1.0/tenants/{}/orders", segment(tenant));
        if !query.is_empty() {
            let mut encoded = form_urlencoded::Serializer::new(String::new());
            for (name, value) in query {
                encoded.append_pair(name, value);
            }
            path = format!("{path}?{}", encoded.finish());
        }
        let request = self.request(Method::GET, &path)?;
        self.show(request, order_table).await
    }

    /// `PUT /v1.0/orders/{id}`, with `If-Match` when a version is given.
    pub async fn update(&self, order_id: &str, body: &Value, if_version: Option<u64>) -> Result<(), CliError> {
        let mut request = self.request(Method::PUT, &format!("/v1.0/orders/{}", segment(order_id)))?.json(body);
        if let Some(version) = if_version {
            request = request.header("if-match", format!("\"{version}\""));
        }
        self.show(request, |order: &OrderView| {
            format!("order {}: {} (version {})\n", order.order_id, order.status, order.version)
        })
        .await
    }

    /// `POST /v1.0/orders/{id}/paymentconfirmation` (JSON, the payment service's token).
    pub async fn pay(&self, order_id: &str, body: &Value) -> Result<(), CliError> {
        let path = format!("/v1.0/orders/{}/paymentconfirmation", segment(order_id));
        let request = self.request(Method::POST, &path)?.json(body);
        self.show(request, |ack: &PaymentAcknowledged| {
            let held = if ack.applied { "" } else { "; the payment was not applied and is held for refund" };
            format!("order {}: {} (version {}){held}\n", ack.order_id, ack.status, ack.version)
        })
        .await
    }

    /// `POST /v1.0/orders/{id}/payments/{payment}/refund`.
    pub async fn refund_payment(&self, order_id: &str, payment_id: &str, body: &Value) -> Result<(), CliError> {
        let path = format!("/v1.0/orders/{}/payments/{}/refund", segment(order_id), segment(payment_id));
        let request = self.request(Method::POST, &path)?.json(body);
        self.show(request, |order: &OrderView| {
            let due = order.unapplied_payments.iter().filter(|u| u.refunded_at.is_none()).count();
            format!(
                "order {}: {} (version {}); {due} payment(s) still to refund\n",
                order.order_id, order.status, order.version
            )
        })
        .await
    }

    /// `GET /v1.0/orders/{id}/documents`: lists the order's documents; with `save`, also fetches
    /// each (`GET …/documents/{name}`) and writes it into that directory under its name.
    pub async fn documents(&self, order_id: &str, save: Option<&std::path::Path>) -> Result<(), CliError> {
        let path = format!("/v1.0/orders/{}/documents", segment(order_id));
        let Some(dir) = save else {
            return self.show(self.request(Method::GET, &path)?, document_table).await;
        };
        let response = self.send(self.request(Method::GET, &path)?).await?;
        let listed: DocumentListView = response
            .json()
            .await
            .map_err(|error| CliError::Other(format!("the API answered an unexpected body: {error}")))?;
        if dir.exists() && !dir.is_dir() {
            return Err(CliError::Other(format!("{} is not a directory", dir.display())));
        }
        std::fs::create_dir_all(dir)
            .map_err(|error| CliError::Other(format!("cannot create {}: {error}", dir.display())))?;
        let mut saved = Vec::new();
        for document in &listed.documents {
            let request = self.request(Method::GET, &format!("{path}/{}", segment(&document.name)))?;
            let bytes = self
                .send(request)
                .await?
                .bytes()
                .await
                .map_err(|error| CliError::Other(format!("reading {} failed: {error}", document.name)))?;
            // The API names files `{kind}_{orderId}.pdf`; anything else is not written.
            let name = std::path::Path::new(&document.name);
            if name.components().count() != 1 || name.file_name().is_none() {
                return Err(CliError::Other(format!("the API named a document {:?}", document.name)));
            }
            let target = dir.join(name);
            std::fs::write(&target, &bytes)
                .map_err(|error| CliError::Other(format!("cannot write {}: {error}", target.display())))?;
            saved.push(serde_json::json!({ "name": document.name, "path": target, "size": bytes.len() }));
            if !self.json {
                println!("saved {} ({} bytes)", target.display(), bytes.len());
            }
        }
        if self.json {
            println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "saved": saved })).unwrap_or_default());
        } else if listed.documents.is_empty() {
            println!("no documents yet");
        }
        Ok(())
    }

    /// `POST /dev/token` of a development server; prints the bare token (or the JSON).
    pub async fn mint_token(&self, role: &str, tenant: Option<&str>, ttl_secs: Option<u64>) -> Result<(), CliError> {
        let mut body = serde_json::json!({ "role": role });
        if let Some(tenant) = tenant {
            body["tenantId"] = tenant.into();
        }
        if let Some(ttl) = ttl_secs {
            body["ttlSecs"] = ttl.into();
        }
        let request = self.client.post(format!("{}/dev/token", self.base)).json(&body);
        let result = self.show(request, |token: &DevToken| format!("{}\n", token.access_token)).await;
        match result {
            Err(CliError::Problem { status: StatusCode::NOT_FOUND, .. }) => Err(CliError::Other(format!(
                "{} has no /dev/token: tokens are minted only by a server in development mode (`server --dev`)",
                self.base
            ))),
            other => other,
        }
    }
}

/// A path segment, percent-encoded.
fn segment(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>().replace('+', "%20")
}

fn money(money: &MoneyDto) -> String {
    format!("{} {}", money.amount, money.currency)
}

/// An order, one fact per line.
fn order_details(order: &OrderView) -> String {
    let mut out = String::new();
    let mut line = |label: &str, value: &str| {
        let _ = writeln!(out, "{label:<10}{value}");
    };
    line("order", &order.order_id);
    line("tenant", order.tenant_id.as_deref().unwrap_or("(guest, not resolved yet)"));
    line("status", &format!("{} (version {})", order.status, order.version));
    line("customer", &order.customer_email);
    line("cart", &order.cart_id);
    if let Some(code) = &order.campaign_code {
        line("campaign", code);
    }
    line("created", &order.created_at.to_rfc3339());
    let totals = &order.totals;
    line(
        "total",
        &format!("{} (VAT {}, discount {})", money(&totals.total), money(&totals.vat), money(&totals.discount)),
    );
    if let Some(payment) = &order.payment {
        line(
            "payment",
            &format!("{} {} at {}", payment.payment_id, money(&payment.amount), payment.paid_at.to_rfc3339()),
        );
    }
    let _ = writeln!(out, "items");
    for item in &order.items {
        let _ = writeln!(
            out,
            "  {:>3} x {:<14} {:<28} {:>12} {:>12}",
            item.quantity, item.sku, item.description, item.unit_price.amount, item.line_total.amount
        );
    }
    let _ = writeln!(out, "history");
    for change in &order.history {
        let reason = change.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
        let _ = writeln!(
            out,
            "  {}  {} -> {}  by {}{reason}",
            change.at.to_rfc3339(),
            change.from,
            change.to,
            change.actor
        );
    }
    out
}

/// An order's documents, one per line.
fn document_table(listed: &DocumentListView) -> String {
    if listed.documents.is_empty() {
        return "no documents yet\n".to_owned();
    }
    let mut out = String::new();
    for document in &listed.documents {
        let _ = writeln!(
            out,
            "{:<12} {:<11} {}  {:>8} bytes  {}",
            document.kind,
            document.number.as_deref().unwrap_or("-"),
            document.issued_at.format("%Y-%m-%d"),
            document.size,
            document.name
        );
    }
    out
}

/// A page of orders as a table, and the cursor of the next page.
fn order_table(page: &OrderPageView) -> String {
    let mut out = String::new();
    if page.orders.is_empty() {
        out.push_str("no orders\n");
    } else {
        let _ = writeln!(out, "{:<28} {:<16} {:>14}  {:<26} CUSTOMER", "ORDER", "STATUS", "TOTAL", "CREATED");
        for order in &page.orders {
            let _ = writeln!(
                out,
                "{:<28} {:<16} {:>14}  {:<26} {}",
                order.order_id,
                order.status,
                money(&order.totals.total),
                order.created_at.to_rfc3339(),
                order.customer_email
            );
        }
    }
    if let Some(cursor) = &page.next_cursor {
        let _ = writeln!(out, "next page: --cursor {cursor}");
    }
    out
}

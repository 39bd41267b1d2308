//! The `bbws` command line, run as a real process: `orders` and `token` against a real HTTP
//! server on a loopback port (in-memory stack, development issuer); with the `aws` feature,
//! `local provision` and `dlq list|redrive` against moto (`BBWS_TEST_AWS_ENDPOINT`, set by
//! `scripts/test`; those tests fail without it).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)] // Tests fail loudly.

mod orders;

#[cfg(feature = "aws")]
mod aws;

use std::net::SocketAddr;
use std::process::{Command, Output};
use std::sync::{Arc, LazyLock};

use adapters_http::auth::DevIssuer;
use adapters_http::cursor::CursorSigner;
use adapters_http::idempotency::IdempotencyKeys;
use adapters_http::payfast::{PayfastConfig, PayfastVerifier};
use adapters_http::{HttpState, router, serve};
use order_domain::testing::line;
use order_domain::{CartId, CartSnapshot};
use order_service::memory::{InMemoryStack, StackOptions, demo_config};

/// One key pair for the whole binary: RSA key generation is slow.
static ISSUER: LazyLock<Arc<DevIssuer>> =
    LazyLock::new(|| Arc::new(DevIssuer::generate("http://issuer.test/dev", "bbws-cli-test").unwrap()));

/// A server in development mode on an ephemeral port, with the stack behind it.
pub(crate) struct Server {
    pub(crate) base: String,
    pub(crate) stack: Arc<InMemoryStack>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

pub(crate) async fn server() -> Server {
    server_of(StackOptions::new(demo_config())).await
}

/// The same server over a stack built with `options`.
pub(crate) async fn server_of(options: StackOptions) -> Server {
    let stack = Arc::new(InMemoryStack::new(options).unwrap());
    let itn = PayfastVerifier::new(PayfastConfig {
        merchant_id: "10000100".into(),
        passphrase: None,
        allowed_sources: Vec::new(),
    });
    let state = HttpState::new(
        stack.app.clone(),
        Arc::new(ISSUER.authenticator()),
        CursorSigner::new(&[7; 32]).unwrap(),
        Arc::new(itn),
    )
    .with_idempotency_keys(IdempotencyKeys::new(100))
    .with_dev_issuer(ISSUER.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address: SocketAddr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve(listener, router(state), async move {
        let _ = rx.await;
    }));
    Server { base: format!("http://{address}"), stack, _shutdown: tx }
}

impl Server {
    /// Seeds a cart of `tenant_acme` of R1 150.00 + R199.00 = R1 349.00.
    pub(crate) fn seed_cart(&self, cart: &str) {
        self.seed_cart_of(cart, order_domain::CartOwner::Tenant(order_domain::TenantId::parse("tenant_acme").unwrap()));
    }

    /// Seeds a cart of R1 349.00 owned by `owner`.
    pub(crate) fn seed_cart_of(&self, cart: &str, owner: order_domain::CartOwner) {
        self.stack.carts.add_cart(
            CartSnapshot::new(
                CartId::parse(cart).unwrap(),
                owner,
                vec![line("HOSTING-PRO", "575.00", 2), line("DOMAIN-COZA", "199.00", 1)],
            )
            .unwrap(),
        );
    }

    /// Runs `bbws` against this server with `args` (and no token unless given).
    pub(crate) async fn bbws(&self, token: Option<&str>, args: &[&str]) -> Run {
        let mut env = vec![("BBWS_API_URL".to_owned(), self.base.clone())];
        if let Some(token) = token {
            env.push(("BBWS_TOKEN".to_owned(), token.to_owned()));
        }
        bbws(&env, args).await
    }
}

/// What one run of the binary did.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// Asserts success; returns standard output.
    pub(crate) fn ok(&self) -> &str {
        assert_eq!(self.code, Some(0), "bbws failed: {self:#?}");
        &self.stdout
    }

    /// Asserts success and parses standard output as JSON.
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.ok()).unwrap_or_else(|e| panic!("not JSON ({e}): {self:#?}"))
    }

    /// Asserts failure with status 1; returns standard error.
    pub(crate) fn failed(&self) -> &str {
        assert_eq!(self.code, Some(1), "bbws was expected to fail: {self:#?}");
        &self.stderr
    }
}

/// Runs the `bbws` binary with only `env` (and `PATH`) in its environment.
pub(crate) async fn bbws(env: &[(String, String)], args: &[&str]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bbws"));
    command.env_clear().args(args);
    if let Ok(path) = std::env::var("PATH") {
        command.env("PATH", path);
    }
    for (name, value) in env {
        command.env(name, value);
    }
    let output: Output = tokio::task::spawn_blocking(move || command.output()).await.unwrap().unwrap();
    Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

//! What the HTTP host needs besides the application — token verification, cursor signing,
//! PayFast verification, idempotency, development mode — as one set of settings that every host
//! of the HTTP API shares: the server reads them from its command line (each flag falls back to
//! a `BBWS_…` variable), the Lambda bootstrap, which has no command line, from its environment
//! alone ([`HttpSettings::from_env`]).
//!
//! | flag | variable | meaning | default |
//! |---|---|---|---|
//! | `--dev` | `BBWS_DEV` | development mode: a key generated at start-up, `/dev/token`, `/dev/jwks.json`, the demonstration settings and demo carts (see [`profile`](crate::profile)), PayFast from loopback (only in builds with the feature `dev`) | off |
//! | `--issuer` | `BBWS_ISSUER` | token issuer (Cognito: `https://cognito-idp.REGION.amazonaws.com/POOL_ID`) | required unless `--dev` |
//! | `--client-id` | `BBWS_CLIENT_IDS` | accepted app client ids (comma-separated) | required unless `--dev` |
//! | `--jwks-url` / `--jwks-file` | `BBWS_JWKS_URL` / `BBWS_JWKS_FILE` | where the signing keys are | one required unless `--dev` |
//! | `--tenant-claim` | `BBWS_TENANT_CLAIM` | the claim carrying a customer's tenant | `custom:tenant_id` |
//! | `--staff-group` | `BBWS_STAFF_GROUP` | the Cognito group of staff | `staff` |
//! | `--service-client` | `BBWS_SERVICE_CLIENTS` | `SERVICE=CLIENT_ID` pairs (payment, provisioning, cart) | none |
//! | `--cursor-key` | `BBWS_CURSOR_KEY` | key (≥ 32 bytes) signing page cursors | random with `--dev`, else required |
//! | `--payfast-merchant-id` | `BBWS_PAYFAST_MERCHANT_ID` | PayFast merchant id | `10000100` |
//! | `--payfast-passphrase` | `BBWS_PAYFAST_PASSPHRASE` | PayFast passphrase | none |
//! | `--payfast-allow` | `BBWS_PAYFAST_ALLOW` | networks allowed to send ITNs | PayFast's (+ loopback with `--dev`) |
//! | `--dev-issuer` | `BBWS_DEV_ISSUER` | the `iss` of development tokens | the host's choice |
//! | `--idempotency-keys` | `BBWS_IDEMPOTENCY_KEYS` | idempotency keys remembered | 10 000 |
//! | `--body-limit` | `BBWS_BODY_LIMIT` | largest request body, in bytes | 65 536 |

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;
use order_app::{OrderApp, Service};
use rand::RngCore;

use adapters_http::auth::{Authenticator, CognitoAuthenticator, CognitoConfig, Jwks, JwksSource};
#[cfg(feature = "dev")]
use adapters_http::auth::{DevIssuer, DevIssuerError};
use adapters_http::cursor::CursorSigner;
use adapters_http::idempotency::IdempotencyKeys;
use adapters_http::payfast::{IpNet, PAYFAST_NETWORKS, PayfastConfig, PayfastVerifier};
use adapters_http::{DEFAULT_BODY_LIMIT, DEFAULT_IDEMPOTENCY_KEYS, HttpState};

/// The HTTP host's settings: flags with `BBWS_…` fallbacks (flatten them into a host's clap
/// parser with `#[command(flatten)]`), or the environment alone with [`Self::from_env`].
#[derive(Debug, Clone, clap::Args)]
pub struct HttpSettings {
    /// Development mode: local keys and tokens, demo carts, PayFast from loopback (builds with
    /// the feature `dev` only; others refuse to start with it).
    #[arg(long, env = "BBWS_DEV")]
    pub dev: bool,
    /// Token issuer (Cognito: `https://cognito-idp.REGION.amazonaws.com/POOL_ID`).
    #[arg(long, env = "BBWS_ISSUER")]
    pub issuer: Option<String>,
    /// Accepted app client ids (repeat or comma-separate).
    #[arg(long = "client-id", env = "BBWS_CLIENT_IDS", value_delimiter = ',')]
    pub client_ids: Vec<String>,
    /// JWKS URL.
    #[arg(long, env = "BBWS_JWKS_URL", conflicts_with = "jwks_file")]
    pub jwks_url: Option<String>,
    /// JWKS file.
    #[arg(long, env = "BBWS_JWKS_FILE")]
    pub jwks_file: Option<PathBuf>,
    /// The claim carrying a customer's tenant.
    #[arg(long, env = "BBWS_TENANT_CLAIM", default_value = "custom:tenant_id")]
    pub tenant_claim: String,
    /// The Cognito group of staff.
    #[arg(long, env = "BBWS_STAFF_GROUP", default_value = "staff")]
    pub staff_group: String,
    /// App clients that are services, as SERVICE=CLIENT_ID (payment, provisioning, cart).
    #[arg(long = "service-client", env = "BBWS_SERVICE_CLIENTS", value_delimiter = ',')]
    pub service_clients: Vec<String>,
    /// Key (at least 32 bytes) signing page cursors; random in development mode.
    #[arg(long, env = "BBWS_CURSOR_KEY", hide_env_values = true)]
    pub cursor_key: Option<String>,
    /// PayFast merchant id.
    #[arg(long, env = "BBWS_PAYFAST_MERCHANT_ID", default_value = "10000100")]
    pub payfast_merchant_id: String,
    /// PayFast passphrase.
    #[arg(long, env = "BBWS_PAYFAST_PASSPHRASE", hide_env_values = true)]
    pub payfast_passphrase: Option<String>,
    /// Networks allowed to send PayFast notifications (default: PayFast's; loopback added in dev).
    #[arg(long = "payfast-allow", env = "BBWS_PAYFAST_ALLOW", value_delimiter = ',')]
    pub payfast_allow: Vec<IpNet>,
    /// The issuer (`iss`) of development tokens (default: chosen by the host).
    #[arg(long, env = "BBWS_DEV_ISSUER")]
    pub dev_issuer: Option<String>,
    /// How many idempotency keys are remembered.
    #[arg(long, env = "BBWS_IDEMPOTENCY_KEYS", default_value_t = DEFAULT_IDEMPOTENCY_KEYS)]
    pub idempotency_keys: usize,
    /// The largest request body accepted, in bytes.
    #[arg(long, env = "BBWS_BODY_LIMIT", default_value_t = DEFAULT_BODY_LIMIT)]
    pub body_limit: usize,
}

/// Settings that cannot make a working host; the message names the flag and its variable.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A value could not be read (clap's message).
    #[error("{0}")]
    Invalid(String),
    /// A setting required outside development mode is missing.
    #[error("{0} is required outside development mode")]
    Missing(&'static str),
    /// Development mode was asked of a build without it.
    #[error(
        "development mode (--dev, BBWS_DEV) is not in this build: it was built without the feature `dev` \
         (build with the default features for development; never in production)"
    )]
    DevUnavailable,
    /// The development key could not be made.
    #[cfg(feature = "dev")]
    #[error("development issuer: {0}")]
    DevIssuer(#[from] DevIssuerError),
}

/// The settings alone, for a host without a command line.
#[derive(Debug, Parser)]
#[command(no_binary_name = true)]
struct FromEnv {
    #[command(flatten)]
    settings: HttpSettings,
}

impl HttpSettings {
    /// Reads the settings from the process environment alone (the `BBWS_…` variables).
    ///
    /// # Errors
    /// [`SettingsError::Invalid`] when a variable holds something unusable.
    pub fn from_env() -> Result<Self, SettingsError> {
        FromEnv::try_parse_from(std::iter::empty::<String>())
            .map(|parsed| parsed.settings)
            .map_err(|error| SettingsError::Invalid(error.to_string()))
    }

    /// Builds the state the router serves `app` with. In development mode without an
    /// `--issuer`, a key pair is generated whose tokens name `--dev-issuer`, else
    /// `default_dev_issuer` (the server uses its own `/dev` URL).
    ///
    /// # Errors
    /// [`SettingsError`] naming what is missing or unusable; [`SettingsError::DevUnavailable`]
    /// in development mode in a build without the feature `dev`.
    #[cfg_attr(not(feature = "dev"), allow(clippy::unused_async, reason = "only development mode awaits (its key)"))]
    pub async fn state(&self, app: Arc<OrderApp>, default_dev_issuer: &str) -> Result<HttpState, SettingsError> {
        if self.dev && !cfg!(feature = "dev") {
            return Err(SettingsError::DevUnavailable);
        }
        #[cfg(feature = "dev")]
        let dev =
            if self.dev && self.issuer.is_none() { Some(self.dev_issuer(default_dev_issuer).await?) } else { None };
        #[cfg(feature = "dev")]
        let auth: Arc<dyn Authenticator> = match &dev {
            Some(issuer) => Arc::new(issuer.authenticator()),
            None => Arc::new(self.cognito()?),
        };
        #[cfg(not(feature = "dev"))]
        let auth: Arc<dyn Authenticator> = {
            let _ = default_dev_issuer;
            Arc::new(self.cognito()?)
        };
        let cursor_key = match (&self.cursor_key, self.dev) {
            (Some(key), _) => key.as_bytes().to_vec(),
            (None, true) => {
                let mut key = vec![0; 32];
                rand::rngs::OsRng.fill_bytes(&mut key);
                key
            }
            (None, false) => return Err(SettingsError::Missing("--cursor-key (BBWS_CURSOR_KEY)")),
        };
        let cursors = CursorSigner::new(&cursor_key)
            .map_err(|_| SettingsError::Invalid("--cursor-key (BBWS_CURSOR_KEY) must be at least 32 bytes".into()))?;
        let mut allowed = if self.payfast_allow.is_empty() {
            PAYFAST_NETWORKS
                .iter()
                .map(|net| net.parse())
                .collect::<Result<Vec<IpNet>, _>>()
                .map_err(|error| SettingsError::Invalid(format!("PayFast networks: {error}")))?
        } else {
            self.payfast_allow.clone()
        };
        if self.dev {
            allowed.extend(["127.0.0.0/8", "::1"].iter().filter_map(|net| net.parse::<IpNet>().ok()));
        }
        let itn = PayfastVerifier::new(PayfastConfig {
            merchant_id: self.payfast_merchant_id.clone(),
            passphrase: self.payfast_passphrase.clone(),
            allowed_sources: allowed,
        });
        let state = HttpState::new(app, auth, cursors, Arc::new(itn))
            .with_idempotency_keys(IdempotencyKeys::new(self.idempotency_keys))
            .with_body_limit(self.body_limit);
        #[cfg(feature = "dev")]
        let state = match dev {
            Some(issuer) => state.with_dev_issuer(issuer),
            None => state,
        };
        Ok(state)
    }

    /// Development mode's key pair, whose tokens name `--dev-issuer` or `default_issuer`.
    #[cfg(feature = "dev")]
    async fn dev_issuer(&self, default_issuer: &str) -> Result<Arc<DevIssuer>, SettingsError> {
        let issuer = self.dev_issuer.clone().unwrap_or_else(|| default_issuer.to_owned());
        // RSA key generation takes a moment: keep it off the async workers.
        let issuer = tokio::task::spawn_blocking(move || DevIssuer::generate(issuer, "bbws-dev"))
            .await
            .map_err(|error| SettingsError::Invalid(format!("generating the development key: {error}")))??;
        tracing::warn!("development mode: anyone who can reach /dev/token can mint any principal");
        Ok(Arc::new(issuer))
    }

    /// The Cognito authenticator from `--issuer`, `--client-id`, `--jwks-url`/`--jwks-file`
    /// and the claim and group names.
    fn cognito(&self) -> Result<CognitoAuthenticator, SettingsError> {
        let issuer = self.issuer.clone().ok_or(SettingsError::Missing("--issuer (BBWS_ISSUER)"))?;
        let first_client = self.client_ids.first().ok_or(SettingsError::Missing("--client-id (BBWS_CLIENT_IDS)"))?;
        let mut config = CognitoConfig::new(issuer, first_client.clone());
        config.client_ids.extend(self.client_ids.iter().cloned());
        config.tenant_claim.clone_from(&self.tenant_claim);
        config.staff_group.clone_from(&self.staff_group);
        config.service_clients = service_clients(&self.service_clients)?;
        let source = match (&self.jwks_url, &self.jwks_file) {
            (Some(url), _) => JwksSource::Url(url.clone()),
            (None, Some(path)) => {
                // A file is checked now: a missing or broken one would otherwise only show as
                // 503s on every authenticated request.
                let invalid = |reason: String| {
                    SettingsError::Invalid(format!("--jwks-file (BBWS_JWKS_FILE) {}: {reason}", path.display()))
                };
                let bytes = std::fs::read(path).map_err(|error| invalid(error.to_string()))?;
                serde_json::from_slice::<Jwks>(&bytes)
                    .map_err(|error| invalid(format!("not a JWKS document: {error}")))?;
                JwksSource::File(path.clone())
            }
            (None, None) => {
                return Err(SettingsError::Missing("--jwks-url or --jwks-file (BBWS_JWKS_URL, BBWS_JWKS_FILE)"));
            }
        };
        Ok(CognitoAuthenticator::new(config, source))
    }
}

fn service_clients(pairs: &[String]) -> Result<HashMap<String, Service>, SettingsError> {
    pairs
        .iter()
        .map(|pair| {
            let invalid =
                |reason: String| SettingsError::Invalid(format!("--service-client (BBWS_SERVICE_CLIENTS): {reason}"));
            let (service, client) = pair.split_once('=').ok_or_else(|| invalid("takes SERVICE=CLIENT_ID".into()))?;
            let service = match service {
                "payment" => Service::Payment,
                "provisioning" => Service::Provisioning,
                "cart" => Service::Cart,
                other => return Err(invalid(format!("unknown service {other:?}"))),
            };
            Ok((client.to_owned(), service))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> HttpSettings {
        FromEnv::try_parse_from(args).unwrap().settings
    }

    #[cfg(feature = "dev")]
    #[tokio::test]
    async fn development_mode_needs_nothing_else() {
        let settings = parse(&["--dev", "--dev-issuer", "http://here/dev"]);
        let stack = crate::memory::InMemoryStack::new(crate::memory::StackOptions::new(
            crate::app_settings::test_settings().config(),
        ))
        .unwrap();
        let state = settings.state(stack.app.clone(), "unused").await.unwrap();
        assert_eq!(state.dev_issuer().map(|dev| dev.issuer().to_owned()).as_deref(), Some("http://here/dev"));
        assert_eq!(state.body_limit(), DEFAULT_BODY_LIMIT);
    }

    #[cfg(not(feature = "dev"))]
    #[tokio::test]
    async fn a_build_without_development_mode_refuses_it() {
        let stack = crate::memory::InMemoryStack::new(crate::memory::StackOptions::new(
            crate::app_settings::test_settings().config(),
        ))
        .unwrap();
        let error = parse(&["--dev"]).state(stack.app.clone(), "unused").await.err().unwrap();
        assert!(matches!(error, SettingsError::DevUnavailable), "{error}");
    }

    #[tokio::test]
    async fn outside_development_mode_the_issuer_clients_keys_and_cursor_key_are_required() {
        let stack = crate::memory::InMemoryStack::new(crate::memory::StackOptions::new(
            crate::app_settings::test_settings().config(),
        ))
        .unwrap();
        let app = || stack.app.clone();
        let error = |args: &[&str]| {
            let settings = parse(args);
            let app = app();
            async move { settings.state(app, "unused").await.err().map(|e| e.to_string()).unwrap_or_default() }
        };
        assert!(error(&[]).await.starts_with("--issuer"));
        assert!(error(&["--issuer", "https://idp"]).await.starts_with("--client-id"));
        assert!(error(&["--issuer", "https://idp", "--client-id", "c1"]).await.starts_with("--jwks-url"));
        let base = ["--issuer", "https://idp", "--client-id", "c1", "--jwks-url", "https://idp/jwks"];
        assert!(error(&base).await.starts_with("--cursor-key"));
        let short = [&base[..], &["--cursor-key", "short"]].concat();
        assert!(error(&short).await.contains("at least 32 bytes"));
        let key = "k".repeat(32);
        let bad_service = [&base[..], &["--cursor-key", &key, "--service-client", "bank=c9"]].concat();
        assert!(error(&bad_service).await.contains("unknown service"));
        let good = [&base[..], &["--cursor-key", &key, "--service-client", "payment=c2"]].concat();
        let settings = parse(&good);
        let state = settings.state(app(), "unused").await.unwrap();
        #[cfg(feature = "dev")]
        assert!(state.dev_issuer().is_none());
        assert_eq!(state.body_limit(), DEFAULT_BODY_LIMIT);
        assert_eq!(settings.cognito().unwrap().config().service_clients.get("c2"), Some(&Service::Payment));
    }

    #[test]
    fn a_jwks_file_is_read_at_start_up() {
        let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let cognito = |file: &std::path::Path| {
            parse(&["--issuer", "https://idp", "--client-id", "c1", "--jwks-file", file.to_str().unwrap()]).cognito()
        };
        assert!(cognito(&here.join("tests/fixtures/jwks/empty.json")).is_ok());
        let missing = cognito(&here.join("absent.json")).err().unwrap().to_string();
        assert!(missing.starts_with("--jwks-file (BBWS_JWKS_FILE)") && missing.contains("absent.json"), "{missing}");
        let broken = cognito(&here.join("Cargo.toml")).err().unwrap().to_string();
        assert!(broken.contains("not a JWKS document"), "{broken}");
    }
}

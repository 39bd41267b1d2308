//! What a host runs the application with besides its storage: the application's settings and
//! the cart service (feature `http`), chosen by the host's [`Mode`].
//!
//! - **Production** (every host, unless told otherwise): the [`AppSettings`] and the cart
//!   service's internal HTTP API ([`HttpCartGateway`]), both from `BBWS_…` variables; a host
//!   without them does not start, and its error names every variable missing or invalid.
//! - **Development** (`--dev`, `BBWS_DEV`; only in builds with the feature `dev`): the
//!   demonstration configuration and an in-memory cart service holding the demo carts
//!   `cart_demo_1` … `cart_demo_9`. Nothing else selects them — not the in-memory backend,
//!   not `BBWS_PROVISION` — and production builds do not contain them.
//!
//! | variable | meaning | required |
//! |---|---|---|
//! | the `BBWS_…` set of [`app_settings`](crate::app_settings) | supplier, staff, URLs, expiry | yes |
//! | `BBWS_CART_SERVICE_URL` | the cart service's base URL (`http` or `https`; a path prefix is kept) | yes |
//! | `BBWS_CART_SERVICE_TOKEN` | the bearer token it expects (a secret: never printed, never logged) | yes |
//! | `BBWS_CART_SERVICE_TIMEOUT` | the time one request may take, with its unit | `2s` |
//! | `BBWS_CART_SERVICE_ATTEMPTS` | attempts per call, the first included (1–10); retries back off with jitter | `3` |
//!
//! When the cart service is down, a create fails before it claims anything and the API answers
//! 503 with `Retry-After`; marking a recorded order's cart inactive is retried with the record
//! writer's event (see `adapters-cart-service` for how each answer is classified).

use std::fmt;
use std::num::NonZeroU32;
use std::sync::Arc;

use adapters_cart_service::{CartServiceConfig, CartServiceToken, HttpCartGateway, RetryPolicy};
use order_app::AppConfig;
use order_ports::CartGateway;

use crate::app_settings::AppSettings;
use crate::settings::{InvalidSettings, SettingsReader, parse_duration};

/// The variable that asks for development mode (`--dev` on the command line).
pub const DEV_VARIABLE: &str = "BBWS_DEV";

/// Whether a host runs for real or for a developer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The host's own settings and the real cart service; refuses to start without them.
    Production,
    /// Demonstration settings and in-memory demo carts (builds with the feature `dev` only).
    Development,
}

impl Mode {
    /// [`Mode::Development`] when `dev` (the host's `--dev` flag) is set.
    pub fn from_dev_flag(dev: bool) -> Self {
        if dev { Self::Development } else { Self::Production }
    }
}

/// The application's configuration and the cart service it fetches carts from.
#[derive(Clone)]
pub struct Profile {
    /// How it was chosen.
    pub mode: Mode,
    /// The application's configuration.
    pub config: AppConfig,
    /// The cart service.
    pub carts: Arc<dyn CartGateway>,
}

impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Profile")
            .field("mode", &self.mode)
            .field("supplier", &self.config.supplier.id)
            .finish_non_exhaustive()
    }
}

impl Profile {
    /// The profile of `mode`, its settings read through `lookup`.
    ///
    /// # Errors
    /// [`InvalidSettings`] naming every variable missing or invalid; in development mode in a
    /// build without it, naming [`DEV_VARIABLE`].
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>, mode: Mode) -> Result<Self, InvalidSettings> {
        let mut reader = SettingsReader::new(&lookup);
        let profile = Self::read(&mut reader, mode);
        reader.finish_with(profile)
    }

    /// The profile of `mode`, its settings read with `reader`, which keeps every problem.
    pub fn read(reader: &mut SettingsReader<'_>, mode: Mode) -> Option<Self> {
        match mode {
            Mode::Production => {
                let settings = AppSettings::read(reader);
                let carts = cart_gateway(reader);
                Some(Self { mode, config: settings?.config(), carts: carts? })
            }
            Mode::Development => development(reader),
        }
    }
}

/// Development mode: the demonstration configuration and an in-memory cart service seeded with
/// the demo carts. The only path from a host to the demonstration values.
#[cfg(feature = "dev")]
fn development(reader: &mut SettingsReader<'_>) -> Option<Profile> {
    let carts = Arc::new(adapters_memory::MemoryCartGateway::new());
    if let Err(error) = crate::memory::seed_demo_carts(&carts) {
        reader.invalid(DEV_VARIABLE, format!("the demo carts: {error}"));
        return None;
    }
    tracing::warn!(
        "development mode: demonstration supplier and staff settings, in-memory demo carts cart_demo_1 … cart_demo_9 (odd: tenant_acme's, even: guests')"
    );
    for ignored in ["BBWS_SUPPLIER_ID", "BBWS_CART_SERVICE_URL"] {
        if reader.optional(ignored).is_some() {
            tracing::warn!(
                variable = ignored,
                "development mode ignores the application's and cart service's settings"
            );
        }
    }
    // The document policy is the one application setting development mode honours, so both
    // columns of the README's table can be tried on a development server.
    let mut config = crate::memory::demo_config();
    config.document_policy =
        reader.parsed_or("BBWS_DOCUMENT_POLICY", config.document_policy, crate::app_settings::document_policy)?;
    Some(Profile { mode: Mode::Development, config, carts })
}

/// A build without the feature `dev` has no development mode.
#[cfg(not(feature = "dev"))]
fn development(reader: &mut SettingsReader<'_>) -> Option<Profile> {
    reader.invalid(
        DEV_VARIABLE,
        "development mode is not in this build: it was built without the feature `dev` (never in production)",
    );
    None
}

/// The cart service's settings: base URL, token, timeout, attempts.
///
/// ```
/// use order_service::profile::cart_service_config;
/// use order_service::settings::SettingsReader;
///
/// let env = [("BBWS_CART_SERVICE_URL", "https://carts.internal/api"), ("BBWS_CART_SERVICE_TOKEN", "s3cr3t")];
/// let lookup = |name: &str| env.iter().find(|(key, _)| *key == name).map(|(_, value)| (*value).to_owned());
/// let mut reader = SettingsReader::new(&lookup);
/// let config = cart_service_config(&mut reader);
/// let config = reader.finish_with(config)?;
/// assert_eq!(config.base_url().as_str(), "https://carts.internal/api");
/// assert!(!format!("{config:?}").contains("s3cr3t"));
/// # Ok::<(), order_service::settings::InvalidSettings>(())
/// ```
pub fn cart_service_config(reader: &mut SettingsReader<'_>) -> Option<CartServiceConfig> {
    // The token is a secret: its problems say what is wrong, never what it is.
    let token = reader.required_parsed("BBWS_CART_SERVICE_TOKEN", |value| {
        CartServiceToken::new(value).map_err(|error| error.to_string())
    });
    let url = reader.required("BBWS_CART_SERVICE_URL");
    let timeout = reader.parsed_or("BBWS_CART_SERVICE_TIMEOUT", CartServiceConfig::DEFAULT_TIMEOUT, parse_duration);
    let attempts = reader.parsed_or("BBWS_CART_SERVICE_ATTEMPTS", RetryPolicy::default().max_attempts, |value| {
        value
            .parse::<u32>()
            .ok()
            .filter(|attempts| (1..=10).contains(attempts))
            .and_then(NonZeroU32::new)
            .ok_or_else(|| format!("{value:?} is not a whole number from 1 to 10"))
    });
    let (url, token) = (url?, token?);
    let config = match CartServiceConfig::new(&url, token) {
        Ok(config) => config,
        Err(error) => {
            reader.invalid("BBWS_CART_SERVICE_URL", error.to_string());
            return None;
        }
    };
    Some(config.with_timeout(timeout?).with_retry(RetryPolicy { max_attempts: attempts?, ..RetryPolicy::default() }))
}

/// The cart service's HTTP API as the cart gateway, from [`cart_service_config`].
fn cart_gateway(reader: &mut SettingsReader<'_>) -> Option<Arc<dyn CartGateway>> {
    let config = cart_service_config(reader)?;
    match HttpCartGateway::new(&config) {
        Ok(gateway) => Some(Arc::new(gateway)),
        Err(error) => {
            reader.invalid("BBWS_CART_SERVICE_URL", error.to_string());
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(vars: &[(&str, &str)], mode: Mode) -> Result<Profile, InvalidSettings> {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Profile::from_lookup(|name| vars.iter().find(|(key, _)| key == name).map(|(_, v)| v.clone()), mode)
    }

    #[test]
    fn production_without_settings_names_the_supplier_staff_urls_and_cart_service() {
        let error = read(&[], Mode::Production).unwrap_err();
        let names: Vec<&str> = error.names().collect();
        assert_eq!(
            names,
            [
                "BBWS_SUPPLIER_ID",
                "BBWS_SUPPLIER_LEGAL_NAME",
                "BBWS_SUPPLIER_ADDRESS",
                "BBWS_SUPPLIER_VAT_NUMBER",
                "BBWS_SUPPLIER_EMAIL",
                "BBWS_STAFF_EMAILS",
                "BBWS_PORTAL_URL",
                "BBWS_STAFF_CONSOLE_URL",
                "BBWS_CART_SERVICE_TOKEN",
                "BBWS_CART_SERVICE_URL",
            ]
        );
    }

    #[test]
    fn cart_service_values_are_checked_and_the_token_never_shows() {
        let error = read(
            &[
                ("BBWS_CART_SERVICE_URL", "ftp://carts"),
                ("BBWS_CART_SERVICE_TOKEN", "s3cr3t with space"),
                ("BBWS_CART_SERVICE_TIMEOUT", "2"),
                ("BBWS_CART_SERVICE_ATTEMPTS", "0"),
            ],
            Mode::Production,
        )
        .unwrap_err();
        let text = error.to_string();
        assert!(!text.contains("s3cr3t"), "{text}");
        let cart: Vec<String> = error
            .problems()
            .iter()
            .filter(|problem| problem.name().starts_with("BBWS_CART_SERVICE"))
            .map(ToString::to_string)
            .collect();
        assert_eq!(cart.len(), 3, "{cart:?}");
        assert!(cart[0].starts_with("BBWS_CART_SERVICE_TOKEN: the cart service token may contain only"), "{cart:?}");
        assert!(cart[1].starts_with("BBWS_CART_SERVICE_TIMEOUT: \"2\" is not"), "{cart:?}");
        assert_eq!(cart[2], "BBWS_CART_SERVICE_ATTEMPTS: \"0\" is not a whole number from 1 to 10");

        let lookup = |name: &str| match name {
            "BBWS_CART_SERVICE_URL" => Some("ftp://carts".to_owned()),
            "BBWS_CART_SERVICE_TOKEN" => Some("t0ken".to_owned()),
            _ => None,
        };
        let mut reader = SettingsReader::new(&lookup);
        let config = cart_service_config(&mut reader);
        let error = reader.finish_with(config).unwrap_err();
        assert_eq!(
            error.to_string(),
            "BBWS_CART_SERVICE_URL: the cart service base URL \"ftp://carts\" must be http or https"
        );
    }

    #[test]
    fn cart_service_timeout_and_attempts_are_applied() {
        let lookup = |name: &str| {
            [
                ("BBWS_CART_SERVICE_URL", "http://127.0.0.1:9/carts"),
                ("BBWS_CART_SERVICE_TOKEN", "t0ken"),
                ("BBWS_CART_SERVICE_TIMEOUT", "750ms"),
                ("BBWS_CART_SERVICE_ATTEMPTS", "5"),
            ]
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| (*value).to_owned())
        };
        let mut reader = SettingsReader::new(&lookup);
        let config = cart_service_config(&mut reader);
        let config = reader.finish_with(config).unwrap();
        assert_eq!(config.timeout(), std::time::Duration::from_millis(750));
        assert_eq!(config.retry().max_attempts.get(), 5);
    }

    #[cfg(feature = "dev")]
    #[tokio::test]
    async fn development_mode_needs_nothing_and_has_the_demo_carts() {
        let profile = read(&[], Mode::Development).unwrap();
        assert_eq!(profile.mode, Mode::Development);
        let cart = order_domain::CartId::parse("cart_demo_1").unwrap();
        assert!(profile.carts.snapshot(&cart).await.is_ok());
        assert_eq!(profile.config.document_policy, order_domain::DocumentPolicy::InvoiceOnPayment);
    }

    #[cfg(feature = "dev")]
    #[test]
    fn development_mode_honours_the_document_policy_and_refuses_a_bad_one() {
        let profile = read(&[("BBWS_DOCUMENT_POLICY", "invoice-on-order")], Mode::Development).unwrap();
        assert_eq!(profile.config.document_policy, order_domain::DocumentPolicy::InvoiceOnOrder);
        let error = read(&[("BBWS_DOCUMENT_POLICY", "bogus")], Mode::Development).unwrap_err();
        assert_eq!(error.names().collect::<Vec<_>>(), ["BBWS_DOCUMENT_POLICY"]);
    }

    #[cfg(not(feature = "dev"))]
    #[test]
    fn a_build_without_development_mode_refuses_it() {
        let error = read(&[], Mode::Development).unwrap_err();
        assert_eq!(error.names().collect::<Vec<_>>(), [DEV_VARIABLE]);
    }
}

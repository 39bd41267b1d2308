//! The application's own settings — who issues the tax invoices, who hears about new orders,
//! where the links in emails point, when unpaid orders give up — read from `BBWS_…` variables
//! through a lookup, every missing or invalid value named in one [`InvalidSettings`].
//!
//! Every production host (`server` outside development mode, on either backend; `worker`;
//! `lambda-api`, `lambda-processor`, `lambda-sweep`) reads them and refuses to start without
//! them. Only development mode (`--dev`, `BBWS_DEV`, in builds with the feature `dev`) and the
//! quickstart use the demonstration values of `memory::demo_config` instead (feature `demo`,
//! which production builds leave out, so those values do not exist in them).
//!
//! | variable | meaning | required |
//! |---|---|---|
//! | `BBWS_SUPPLIER_ID` | the supplier's key: its invoices are numbered in one gap-free sequence per id (lower-case letters, digits, `-`; at most 32) | yes |
//! | `BBWS_SUPPLIER_LEGAL_NAME` | the registered name, as on the VAT registration | yes |
//! | `BBWS_SUPPLIER_TRADING_NAME` | the name it trades under, when different (printed "trading as …") | no |
//! | `BBWS_SUPPLIER_ADDRESS` | the postal address, lines separated by `\|` (1–6 lines) | yes |
//! | `BBWS_SUPPLIER_VAT_NUMBER` | the VAT registration number: ten digits starting with 4 | yes |
//! | `BBWS_SUPPLIER_EMAIL` | the contact address printed on invoices and receipts | yes |
//! | `BBWS_STAFF_EMAILS` | who receives internal notifications (comma-separated, at least one) | yes |
//! | `BBWS_PORTAL_URL` | the customer portal; customer emails link to `{url}/orders/{id}` | yes |
//! | `BBWS_STAFF_CONSOLE_URL` | the staff console; internal emails link to `{url}/orders/{id}` | yes |
//! | `BBWS_PENDING_EXPIRY` | a PENDING order this old expires | `24h` |
//! | `BBWS_PAYMENT_PENDING_EXPIRY` | a PAYMENT_PENDING order waiting this long is cancelled | `2h` |
//! | `BBWS_RECORDING_GRACE` | how long an accepted order may be unrecorded before the relay re-publishes it (and a `GET` answers "not recorded yet") | `30s` |
//! | `BBWS_EFFECT_LEASE` | how long a worker holds an email before another may retry it | `1m` |
//! | `BBWS_DOCUMENT_POLICY` | when orders get their tax invoice: `invoice-on-payment` (a pro forma at creation, the tax invoice when paid) or `invoice-on-order` (the tax invoice at creation, a credit note if it is never paid); recorded on each new order | `invoice-on-payment` |
//!
//! Durations are a whole number with a unit: `ms`, `s`, `m`, `h` or `d`
//! ([`parse_duration`]).
//!
//! # Who the supplier is
//! The supplier on a tax invoice is the platform — the one VAT vendor that sells the hosting,
//! domains and mailboxes (the HLD's reading; ARCHITECTURE.md "Decisions"). Tenants are its
//! customers: a tenant's billing address is the invoice's recipient, never its supplier. So
//! there is one supplier per deployment, named here, and its id keys the invoice serials
//! (`DocumentNumbers::number_for(supplier, order)`), which are already one sequence per supplier.
//! A second vendor is therefore a configuration change, not a code change: another deployment
//! (or environment) with its own `BBWS_SUPPLIER_…` values and its own id, whose serials start
//! at 1 without touching the first vendor's. Keep the id for as long as the VAT vendor is the
//! same: a new id starts a new sequence at `INV-000001`.
//!
//! ```
//! use order_service::app_settings::AppSettings;
//!
//! let env = [
//!     ("BBWS_SUPPLIER_ID", "acme-hosting"),
//!     ("BBWS_SUPPLIER_LEGAL_NAME", "Acme Hosting (Pty) Ltd"),
//!     ("BBWS_SUPPLIER_ADDRESS", "Unit 4, 21 Dock Road|Cape Town|8001"),
//!     ("BBWS_SUPPLIER_VAT_NUMBER", "4760123456"),
//!     ("BBWS_SUPPLIER_EMAIL", "accounts@acme.co.za"),
//!     ("BBWS_STAFF_EMAILS", "orders@acme.co.za, billing@acme.co.za"),
//!     ("BBWS_PORTAL_URL", "https://my.acme.co.za/"),
//!     ("BBWS_STAFF_CONSOLE_URL", "https://staff.acme.co.za"),
//!     ("BBWS_PENDING_EXPIRY", "48h"),
//! ];
//! let settings = AppSettings::from_lookup(|name| {
//!     env.iter().find(|(key, _)| *key == name).map(|(_, value)| (*value).to_owned())
//! })?;
//! let config = settings.config();
//! assert_eq!(config.supplier.address, ["Unit 4, 21 Dock Road", "Cape Town", "8001"]);
//! assert_eq!(config.portal_url, "https://my.acme.co.za");
//! assert_eq!(config.expiry.pending_after, chrono::TimeDelta::hours(48));
//!
//! let error = AppSettings::from_lookup(|_| None).unwrap_err();
//! assert!(error.to_string().starts_with("BBWS_SUPPLIER_ID is not set; BBWS_SUPPLIER_LEGAL_NAME is not set;"));
//! # Ok::<(), order_service::settings::InvalidSettings>(())
//! ```

use std::time::Duration;

use chrono::TimeDelta;
use order_app::AppConfig;
use order_domain::{DocumentPolicy, Email, ExpiryPolicy, PricingRules, VatNumber};
use order_ports::Supplier;

use crate::settings::{InvalidSettings, SettingsReader, parse_duration};

/// The separator of the address lines in `BBWS_SUPPLIER_ADDRESS` (commas belong to the lines:
/// "Unit 4, 21 Dock Road").
pub const ADDRESS_SEPARATOR: char = '|';

/// The most address lines a supplier block shows.
const MAX_ADDRESS_LINES: usize = 6;

/// The application's settings, parsed: every value valid, ready to become an [`AppConfig`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSettings {
    /// The seller on every tax invoice and receipt.
    pub supplier: Supplier,
    /// Who receives internal notifications.
    pub staff_emails: Vec<Email>,
    /// The customer portal's base URL, without a trailing `/`.
    pub portal_url: String,
    /// The staff console's base URL, without a trailing `/`.
    pub staff_console_url: String,
    /// When unpaid orders expire or are cancelled.
    pub expiry: ExpiryPolicy,
    /// How long an accepted order may be unrecorded.
    pub recording_grace: Duration,
    /// How long a worker holds an email's effect record.
    pub effect_lease: Duration,
    /// When new orders get their tax invoice.
    pub document_policy: DocumentPolicy,
}

impl AppSettings {
    /// The expiry policy, recording grace and effect lease when their variables are unset.
    pub const DEFAULT_RECORDING_GRACE: Duration = Duration::from_secs(30);
    /// See [`DEFAULT_RECORDING_GRACE`](Self::DEFAULT_RECORDING_GRACE).
    pub const DEFAULT_EFFECT_LEASE: Duration = Duration::from_mins(1);

    /// Reads the settings through `lookup` (a host binary passes the process environment).
    ///
    /// # Errors
    /// [`InvalidSettings`] naming every variable that is missing or invalid.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, InvalidSettings> {
        let mut reader = SettingsReader::new(&lookup);
        let settings = Self::read(&mut reader);
        reader.finish_with(settings)
    }

    /// Reads the settings with `reader`, which keeps every problem (so that a host can name
    /// them together with the problems of its other settings).
    pub fn read(reader: &mut SettingsReader<'_>) -> Option<Self> {
        let id = reader.required_parsed("BBWS_SUPPLIER_ID", supplier_id);
        let name = reader.required_parsed("BBWS_SUPPLIER_LEGAL_NAME", |v| text(v, 200));
        let trading_name = reader.optional_parsed("BBWS_SUPPLIER_TRADING_NAME", |v| text(v, 200));
        let address = reader.required_parsed("BBWS_SUPPLIER_ADDRESS", address);
        let vat_number = reader.required_parsed("BBWS_SUPPLIER_VAT_NUMBER", vat_number);
        let email = reader.required_parsed("BBWS_SUPPLIER_EMAIL", |v| email(v).map(|e| e.as_str().to_owned()));
        let staff_emails = reader.required_parsed("BBWS_STAFF_EMAILS", emails);
        let portal_url = reader.required_parsed("BBWS_PORTAL_URL", base_url);
        let staff_console_url = reader.required_parsed("BBWS_STAFF_CONSOLE_URL", base_url);
        let defaults = ExpiryPolicy::default();
        let pending_after = reader.parsed_or("BBWS_PENDING_EXPIRY", defaults.pending_after, time_delta);
        let payment_pending_after =
            reader.parsed_or("BBWS_PAYMENT_PENDING_EXPIRY", defaults.payment_pending_after, time_delta);
        let recording_grace = reader.parsed_or("BBWS_RECORDING_GRACE", Self::DEFAULT_RECORDING_GRACE, parse_duration);
        let effect_lease = reader.parsed_or("BBWS_EFFECT_LEASE", Self::DEFAULT_EFFECT_LEASE, parse_duration);
        let document_policy = reader.parsed_or("BBWS_DOCUMENT_POLICY", DocumentPolicy::default(), document_policy);
        Some(Self {
            supplier: Supplier {
                id: id?,
                name: name?,
                trading_name: trading_name?,
                address: address?,
                vat_number: Some(vat_number?),
                email: Some(email?),
            },
            staff_emails: staff_emails?,
            portal_url: portal_url?,
            staff_console_url: staff_console_url?,
            expiry: ExpiryPolicy { pending_after: pending_after?, payment_pending_after: payment_pending_after? },
            recording_grace: recording_grace?,
            effect_lease: effect_lease?,
            document_policy: document_policy?,
        })
    }

    /// The application's configuration: these settings and South Africa's VAT rules (law, not
    /// configuration: `PricingRules::south_africa`).
    pub fn config(&self) -> AppConfig {
        AppConfig {
            pricing: PricingRules::south_africa(),
            expiry: self.expiry,
            supplier: self.supplier.clone(),
            portal_url: self.portal_url.clone(),
            staff_console_url: self.staff_console_url.clone(),
            staff_emails: self.staff_emails.clone(),
            recording_grace: self.recording_grace,
            effect_lease: self.effect_lease,
            document_policy: self.document_policy,
        }
    }
}

/// `BBWS_DOCUMENT_POLICY`: `invoice-on-payment` or `invoice-on-order`.
pub(crate) fn document_policy(value: &str) -> Result<DocumentPolicy, String> {
    DocumentPolicy::parse(value).ok_or_else(|| "must be invoice-on-payment or invoice-on-order".to_owned())
}

/// A supplier id: the key of an invoice serial sequence, so it must stay stable and simple.
fn supplier_id(value: &str) -> Result<String, String> {
    let simple = value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if simple && value.len() <= 32 && !value.starts_with('-') {
        Ok(value.to_owned())
    } else {
        Err("must be at most 32 lower-case letters, digits and '-' (it keys the invoice numbers)".to_owned())
    }
}

/// One line of printable text of at most `max` characters: it is printed on every tax invoice,
/// so every character must be one the invoice can print ([`order_domain::is_printable`]).
fn text(value: &str, max: usize) -> Result<String, String> {
    if value.chars().any(char::is_control) {
        return Err("must not contain control characters".to_owned());
    }
    if let Some(c) = value.chars().find(|c| !order_domain::is_printable(*c)) {
        return Err(format!(
            "contains {c:?} (U+{:04X}), which cannot be printed on a tax invoice (Latin, Greek, Cyrillic, \
             Armenian, Hebrew or Arabic letters, without emoji)",
            u32::from(c)
        ));
    }
    if value.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    Ok(value.to_owned())
}

fn address(value: &str) -> Result<Vec<String>, String> {
    let lines: Vec<&str> = value.split(ADDRESS_SEPARATOR).map(str::trim).collect();
    if lines.iter().any(|line| line.is_empty()) {
        return Err(format!("has an empty line (lines are separated by '{ADDRESS_SEPARATOR}')"));
    }
    if lines.len() > MAX_ADDRESS_LINES {
        return Err(format!("has {} lines; at most {MAX_ADDRESS_LINES}", lines.len()));
    }
    lines.into_iter().map(|line| text(line, 120)).collect()
}

/// A South African VAT registration number, through the domain's [`VatNumber`]: a tax invoice
/// must carry the supplier's (VAT Act s20(4)(b)), and SARS issues them as ten digits beginning
/// with 4, which `VatNumber` enforces.
fn vat_number(value: &str) -> Result<VatNumber, String> {
    VatNumber::parse(value.replace(' ', "")).map_err(|_| "must be ten digits starting with 4".to_owned())
}

fn email(value: &str) -> Result<Email, String> {
    Email::parse(value).map_err(|_| format!("{value:?} is not an email address"))
}

fn emails(value: &str) -> Result<Vec<Email>, String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(email)
        .collect::<Result<Vec<_>, _>>()
        .and_then(|emails| if emails.is_empty() { Err("names no address".to_owned()) } else { Ok(emails) })
}

/// An absolute `http(s)` URL with a host and nothing after its path, without a trailing `/`
/// (the application appends `/orders/{id}`).
fn base_url(value: &str) -> Result<String, String> {
    let refuse = |why: &str| Err(format!("{value:?} {why}"));
    let Some(rest) = value.strip_prefix("https://").or_else(|| value.strip_prefix("http://")) else {
        return refuse("must be an http or https URL");
    };
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || host.contains('@') {
        return refuse("must name a host (and no credentials)");
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) || value.contains(['?', '#']) {
        return refuse("must have no spaces, query or fragment");
    }
    Ok(value.trim_end_matches('/').to_owned())
}

fn time_delta(value: &str) -> Result<TimeDelta, String> {
    TimeDelta::from_std(parse_duration(value)?).map_err(|_| format!("{value:?} is too long"))
}

/// Settings for the crate's own unit tests, which must not depend on the demonstration values
/// (they run in production builds too).
#[cfg(test)]
pub(crate) fn test_settings() -> AppSettings {
    let vars = tests::COMPLETE;
    AppSettings::from_lookup(|name| vars.iter().find(|(key, _)| *key == name).map(|(_, v)| (*v).to_owned())).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) const COMPLETE: &[(&str, &str)] = &[
        ("BBWS_SUPPLIER_ID", "acme"),
        ("BBWS_SUPPLIER_LEGAL_NAME", "Acme Hosting (Pty) Ltd"),
        ("BBWS_SUPPLIER_TRADING_NAME", "Acme"),
        ("BBWS_SUPPLIER_ADDRESS", " Unit 4, 21 Dock Road | Cape Town|8001 "),
        ("BBWS_SUPPLIER_VAT_NUMBER", "4760 123 456"),
        ("BBWS_SUPPLIER_EMAIL", "accounts@acme.co.za"),
        ("BBWS_STAFF_EMAILS", "orders@acme.co.za,,billing@acme.co.za"),
        ("BBWS_PORTAL_URL", "https://my.acme.co.za/"),
        ("BBWS_STAFF_CONSOLE_URL", "http://localhost:3000"),
    ];

    fn read(vars: &[(&str, &str)]) -> Result<AppSettings, InvalidSettings> {
        let vars: Vec<(String, String)> =
            COMPLETE.iter().chain(vars).map(|(key, value)| ((*key).to_owned(), (*value).to_owned())).collect();
        AppSettings::from_lookup(|name| vars.iter().rev().find(|(key, _)| key == name).map(|(_, v)| v.clone()))
    }

    #[test]
    fn complete_settings_become_the_configuration() {
        let config = read(&[("BBWS_RECORDING_GRACE", "45s"), ("BBWS_PAYMENT_PENDING_EXPIRY", "90m")]).unwrap().config();
        let supplier = &config.supplier;
        assert_eq!((supplier.id.as_str(), supplier.name.as_str()), ("acme", "Acme Hosting (Pty) Ltd"));
        assert_eq!(supplier.trading_name.as_deref(), Some("Acme"));
        assert_eq!(supplier.address, ["Unit 4, 21 Dock Road", "Cape Town", "8001"]);
        assert_eq!(supplier.vat_number.as_ref().map(VatNumber::as_str), Some("4760123456"));
        assert_eq!(supplier.email.as_deref(), Some("accounts@acme.co.za"));
        let staff: Vec<&str> = config.staff_emails.iter().map(Email::as_str).collect();
        assert_eq!(staff, ["orders@acme.co.za", "billing@acme.co.za"]);
        assert_eq!(config.portal_url, "https://my.acme.co.za");
        assert_eq!(config.staff_console_url, "http://localhost:3000");
        assert_eq!(config.expiry.pending_after, TimeDelta::hours(24), "the default");
        assert_eq!(config.expiry.payment_pending_after, TimeDelta::minutes(90));
        assert_eq!(config.recording_grace, Duration::from_secs(45));
        assert_eq!(config.effect_lease, AppSettings::DEFAULT_EFFECT_LEASE);
    }

    #[test]
    fn nothing_set_names_every_required_variable_at_once() {
        let error = AppSettings::from_lookup(|_| None).unwrap_err();
        assert_eq!(
            error.names().collect::<Vec<_>>(),
            [
                "BBWS_SUPPLIER_ID",
                "BBWS_SUPPLIER_LEGAL_NAME",
                "BBWS_SUPPLIER_ADDRESS",
                "BBWS_SUPPLIER_VAT_NUMBER",
                "BBWS_SUPPLIER_EMAIL",
                "BBWS_STAFF_EMAILS",
                "BBWS_PORTAL_URL",
                "BBWS_STAFF_CONSOLE_URL",
            ]
        );
        assert!(error.to_string().starts_with("BBWS_SUPPLIER_ID is not set; BBWS_SUPPLIER_LEGAL_NAME is not set; "));
    }

    #[test]
    fn every_invalid_value_is_named_with_its_reason() {
        let error = read(&[
            ("BBWS_SUPPLIER_ID", "Acme Hosting"),
            ("BBWS_SUPPLIER_ADDRESS", "1 Bree Street||Cape Town"),
            ("BBWS_SUPPLIER_VAT_NUMBER", "5123456789"),
            ("BBWS_SUPPLIER_EMAIL", "accounts"),
            ("BBWS_STAFF_EMAILS", " , "),
            ("BBWS_PORTAL_URL", "portal.acme.co.za"),
            ("BBWS_STAFF_CONSOLE_URL", "https://staff.acme.co.za/?x=1"),
            ("BBWS_PENDING_EXPIRY", "24"),
            ("BBWS_EFFECT_LEASE", "0s"),
        ])
        .unwrap_err();
        let problems: Vec<String> = error.problems().iter().map(ToString::to_string).collect();
        assert_eq!(
            problems,
            [
                "BBWS_SUPPLIER_ID: must be at most 32 lower-case letters, digits and '-' (it keys the invoice numbers)",
                "BBWS_SUPPLIER_ADDRESS: has an empty line (lines are separated by '|')",
                "BBWS_SUPPLIER_VAT_NUMBER: must be ten digits starting with 4",
                "BBWS_SUPPLIER_EMAIL: \"accounts\" is not an email address",
                "BBWS_STAFF_EMAILS: names no address",
                "BBWS_PORTAL_URL: \"portal.acme.co.za\" must be an http or https URL",
                "BBWS_STAFF_CONSOLE_URL: \"https://staff.acme.co.za/?x=1\" must have no spaces, query or fragment",
                "BBWS_PENDING_EXPIRY: \"24\" is not a positive whole number with a unit: ms, s, m, h or d (e.g. 30s, 24h)",
                "BBWS_EFFECT_LEASE: \"0s\" must be greater than zero",
            ]
        );
    }

    #[test]
    fn the_vat_number_is_ten_digits_starting_with_four() {
        for bad in ["412345678", "41234567890", "5123456789", "412345678X", "VAT4123456"] {
            let error = read(&[("BBWS_SUPPLIER_VAT_NUMBER", bad)]).unwrap_err();
            assert_eq!(error.names().collect::<Vec<_>>(), ["BBWS_SUPPLIER_VAT_NUMBER"], "{bad}");
        }
        assert!(read(&[("BBWS_SUPPLIER_VAT_NUMBER", "4123456789")]).is_ok());
    }

    #[test]
    fn the_trading_name_is_optional_and_lines_are_bounded() {
        let vars: Vec<(&str, &str)> =
            COMPLETE.iter().copied().filter(|(key, _)| *key != "BBWS_SUPPLIER_TRADING_NAME").collect();
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let settings =
            AppSettings::from_lookup(|name| vars.iter().find(|(key, _)| key == name).map(|(_, v)| v.clone())).unwrap();
        assert_eq!(settings.supplier.trading_name, None);
        let seven = ["a"; 7].join("|");
        let error = read(&[("BBWS_SUPPLIER_ADDRESS", &seven), ("BBWS_SUPPLIER_LEGAL_NAME", "Tab\there")]).unwrap_err();
        assert_eq!(error.names().collect::<Vec<_>>(), ["BBWS_SUPPLIER_LEGAL_NAME", "BBWS_SUPPLIER_ADDRESS"]);
    }

    #[test]
    fn supplier_text_the_invoice_cannot_print_is_refused_at_start_up() {
        let error = read(&[
            ("BBWS_SUPPLIER_LEGAL_NAME", "大胡子网络 (Pty) Ltd"),
            ("BBWS_SUPPLIER_TRADING_NAME", "BBWS 🚀"),
            ("BBWS_SUPPLIER_ADDRESS", "1 Dock Road|ケープタウン"),
        ])
        .unwrap_err();
        assert_eq!(
            error.names().collect::<Vec<_>>(),
            ["BBWS_SUPPLIER_LEGAL_NAME", "BBWS_SUPPLIER_TRADING_NAME", "BBWS_SUPPLIER_ADDRESS"]
        );
        assert!(error.to_string().contains("'大' (U+5927), which cannot be printed on a tax invoice"), "{error}");
        let printable = read(&[("BBWS_SUPPLIER_LEGAL_NAME", "Ζωή & Юлия Hosting (Pty) Ltd — № 5")]);
        assert!(printable.is_ok(), "{printable:?}");
    }
}

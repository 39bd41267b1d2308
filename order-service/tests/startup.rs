//! Every production binary refuses to start without its settings, and says which: the built
//! `server` (in memory and on AWS, without `--dev`), `worker`, `lambda-api`, `lambda-processor`
//! and `lambda-sweep`, each run with an otherwise empty environment, exit non-zero with one
//! error naming every variable that is missing or invalid. None of them falls back to the
//! demonstration values. Nothing here reaches AWS: the settings are refused before it.

#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

use std::process::{Command, Output};

/// Every variable of the application's settings and the cart service's that is required.
const REQUIRED: &[&str] = &[
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
];

/// AWS settings that are complete (the resources would be provisioned on a local endpoint that
/// is never reached), so that only the application's settings are missing.
const AWS: &[(&str, &str)] = &[
    ("BBWS_AWS_ENDPOINT", "http://127.0.0.1:9"),
    ("BBWS_PROVISION", "true"),
    ("BBWS_FIELD_KEY", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"),
];

/// A complete set of the application's and the cart service's settings.
const APPLICATION: &[(&str, &str)] = &[
    ("BBWS_SUPPLIER_ID", "karoo-cloud"),
    ("BBWS_SUPPLIER_LEGAL_NAME", "Karoo Cloud Services (Pty) Ltd"),
    ("BBWS_SUPPLIER_ADDRESS", "12 Church Street|Graaff-Reinet|6280"),
    ("BBWS_SUPPLIER_VAT_NUMBER", "4987654321"),
    ("BBWS_SUPPLIER_EMAIL", "accounts@karoo.example.co.za"),
    ("BBWS_STAFF_EMAILS", "sales@karoo.example.co.za"),
    ("BBWS_PORTAL_URL", "https://my.karoo.example.co.za"),
    ("BBWS_STAFF_CONSOLE_URL", "https://staff.karoo.example.co.za"),
    ("BBWS_CART_SERVICE_URL", "http://127.0.0.1:9"),
    ("BBWS_CART_SERVICE_TOKEN", "t0ken"),
];

/// A binary to start: (what it is, its path, its arguments, its variables).
type Case<'a> = (&'a str, &'a str, &'a [&'a str], &'a [(&'a str, &'a str)]);

/// Runs `binary` with `args` and only the given variables (and `PATH`) set.
fn run(binary: &str, args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut command = Command::new(binary);
    command.args(args).env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    command.envs(vars.iter().copied()).output().unwrap()
}

/// The start-up error a binary logged (text or JSON lines on stdout), after checking that it
/// exited non-zero.
fn refusal(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "it started:\n{stdout}\n{stderr}");
    let line =
        stdout.lines().find(|line| line.contains("ERROR")).unwrap_or_else(|| panic!("no error:\n{stdout}\n{stderr}"));
    line.to_owned()
}

fn assert_names_every_required_variable(binary: &str, error: &str) {
    for name in REQUIRED {
        assert!(error.contains(&format!("{name} is not set")), "{binary} does not name {name}: {error}");
    }
    assert!(!error.contains("Big Beard"), "{binary}: {error}");
}

#[test]
fn the_production_hosts_refuse_to_start_without_the_application_settings_and_name_them_all() {
    let with_processor = [AWS, &[("BBWS_PROCESSOR", "invoice-writer")]].concat();
    let cases: [Case<'_>; 6] = [
        ("server --backend aws", env!("CARGO_BIN_EXE_server"), &["--backend", "aws"], AWS),
        ("server (in memory, no --dev)", env!("CARGO_BIN_EXE_server"), &[], &[]),
        ("worker", env!("CARGO_BIN_EXE_worker"), &[], AWS),
        ("lambda-api", env!("CARGO_BIN_EXE_lambda-api"), &[], AWS),
        ("lambda-processor", env!("CARGO_BIN_EXE_lambda-processor"), &[], &with_processor),
        ("lambda-sweep", env!("CARGO_BIN_EXE_lambda-sweep"), &[], AWS),
    ];
    for (name, binary, args, vars) in cases {
        let error = refusal(&run(binary, args, vars));
        assert_names_every_required_variable(name, &error);
        assert!(!error.contains("BBWS_FIELD_KEY"), "{name}: the AWS settings were complete: {error}");
    }
}

#[test]
fn with_nothing_set_the_aws_and_the_application_settings_are_named_in_one_error() {
    for binary in [env!("CARGO_BIN_EXE_worker"), env!("CARGO_BIN_EXE_lambda-sweep")] {
        let error = refusal(&run(binary, &[], &[]));
        assert!(error.contains("BBWS_FIELD_KEY is not set; BBWS_TOPIC_ARN is not set;"), "{binary}: {error}");
        assert_names_every_required_variable(binary, &error);
    }
}

#[test]
fn an_invalid_value_is_named_with_what_is_wrong_and_the_token_is_never_shown() {
    let mut vars = [AWS, APPLICATION].concat();
    for (name, value) in &mut vars {
        match *name {
            "BBWS_SUPPLIER_VAT_NUMBER" => *value = "5123456789",
            "BBWS_STAFF_EMAILS" => *value = "sales at karoo",
            "BBWS_CART_SERVICE_TOKEN" => *value = "s3cr3t token",
            _ => {}
        }
    }
    let error = refusal(&run(env!("CARGO_BIN_EXE_worker"), &[], &vars));
    assert!(error.contains("BBWS_SUPPLIER_VAT_NUMBER: must be ten digits starting with 4"), "{error}");
    assert!(error.contains("BBWS_STAFF_EMAILS: \"sales at karoo\" is not an email address"), "{error}");
    assert!(error.contains("BBWS_CART_SERVICE_TOKEN: the cart service token may contain only"), "{error}");
    assert!(!error.contains("s3cr3t"), "{error}");
    for name in ["BBWS_SUPPLIER_ID", "BBWS_PORTAL_URL", "BBWS_CART_SERVICE_URL", "BBWS_FIELD_KEY"] {
        assert!(!error.contains(name), "{name} was valid: {error}");
    }
}

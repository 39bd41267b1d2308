//! How `lambda-processor` chooses its processor from `BBWS_PROCESSOR`.

use order_ports::ProcessorKind;
use order_service::lambda::{UnknownProcessor, processor_kind};
use order_service::memory::{InMemoryStack, StackOptions, demo_config};

#[test]
fn every_processor_name_is_accepted_and_wires_that_processor() {
    let stack = InMemoryStack::new(StackOptions::new(demo_config())).unwrap();
    for kind in ProcessorKind::ALL {
        let name = kind.name();
        assert_eq!(processor_kind(Some(name)), Ok(kind));
        assert_eq!(processor_kind(Some(&format!(" {name}\n"))), Ok(kind), "surrounding blanks are ignored");
        assert_eq!(stack.app.processor(kind).name(), name);
    }
}

#[test]
fn unknown_or_missing_names_are_refused_naming_the_valid_values() {
    let valid = "record-writer, invoice-writer, internal-notifier, customer-notifier";
    for given in ["pdf-writer", "RECORD-WRITER", "record_writer", "record-writer,invoice-writer"] {
        let error = processor_kind(Some(given)).unwrap_err();
        assert_eq!(error, UnknownProcessor::Unknown(given.to_owned()));
        assert_eq!(error.to_string(), format!("BBWS_PROCESSOR={given:?} is not a processor; expected one of: {valid}"));
    }
    for unset in [None, Some(""), Some("  ")] {
        let error = processor_kind(unset).unwrap_err();
        assert_eq!(error, UnknownProcessor::NotSet);
        assert_eq!(error.to_string(), format!("BBWS_PROCESSOR is not set; expected one of: {valid}"));
    }
}

/// Runs a bootstrap binary with only the given variables (and `PATH`) set.
fn run_bootstrap(binary: &str, vars: &[(&str, &str)]) -> std::process::Output {
    let mut command = std::process::Command::new(binary);
    command.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    command.envs(vars.iter().copied()).output().unwrap()
}

#[test]
fn the_processor_bootstrap_refuses_to_start_with_an_unknown_processor() {
    let output = run_bootstrap(env!("CARGO_BIN_EXE_lambda-processor"), &[("BBWS_PROCESSOR", "pdf-writer")]);
    assert!(!output.status.success(), "{output:?}");
    let log = String::from_utf8(output.stdout).unwrap();
    let line: serde_json::Value = serde_json::from_str(log.lines().next().unwrap()).unwrap();
    assert_eq!(line["level"], "ERROR", "{log}");
    assert_eq!(line["fields"]["message"], "start-up failed");
    let error = line["fields"]["error"].as_str().unwrap();
    assert!(
        error.starts_with("BBWS_PROCESSOR=\"pdf-writer\" is not a processor; expected one of: record-writer"),
        "{error}"
    );

    // The name is checked before the AWS configuration: a good name gets as far as that.
    let output = run_bootstrap(env!("CARGO_BIN_EXE_lambda-processor"), &[("BBWS_PROCESSOR", "invoice-writer")]);
    assert!(!output.status.success());
    assert!(String::from_utf8(output.stdout).unwrap().contains("BBWS_FIELD_KEY is not set"));
}

#[test]
fn the_sweep_bootstrap_names_the_missing_configuration() {
    let output = run_bootstrap(env!("CARGO_BIN_EXE_lambda-sweep"), &[]);
    assert!(!output.status.success(), "{output:?}");
    assert!(String::from_utf8(output.stdout).unwrap().contains("BBWS_FIELD_KEY is not set"));
}

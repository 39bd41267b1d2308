//! How `lambda-processor` chooses its processor from `BBWS_PROCESSOR`.

use bbws_examples::lambda::{UnknownProcessor, processor_name, processor_named};
use bbws_examples::stack::{InMemoryStack, QUEUES, StackOptions};
use chrono::Utc;

#[test]
fn every_processor_name_is_accepted_and_wires_that_processor() {
    let stack = InMemoryStack::new(StackOptions::starting_at(Utc::now())).unwrap();
    for name in QUEUES {
        assert_eq!(processor_name(Some(name)), Ok(name));
        assert_eq!(processor_name(Some(&format!(" {name}\n"))), Ok(name), "surrounding blanks are ignored");
        assert_eq!(processor_named(&stack.app, name).unwrap().name(), name);
    }
}

#[test]
fn unknown_or_missing_names_are_refused_naming_the_valid_values() {
    let valid = "record-writer, invoice-writer, internal-notifier, customer-notifier";
    for given in ["pdf-writer", "RECORD-WRITER", "record_writer", "record-writer,invoice-writer"] {
        let error = processor_name(Some(given)).unwrap_err();
        assert_eq!(error, UnknownProcessor::Unknown(given.to_owned()));
        assert_eq!(error.to_string(), format!("BBWS_PROCESSOR={given:?} is not a processor; expected one of: {valid}"));
    }
    for unset in [None, Some(""), Some("  ")] {
        let error = processor_name(unset).unwrap_err();
        assert_eq!(error, UnknownProcessor::NotSet);
        assert_eq!(error.to_string(), format!("BBWS_PROCESSOR is not set; expected one of: {valid}"));
    }
    let stack = InMemoryStack::new(StackOptions::starting_at(Utc::now())).unwrap();
    assert!(processor_named(&stack.app, "pdf-writer").is_err());
}

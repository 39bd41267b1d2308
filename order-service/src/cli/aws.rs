//! `bbws dlq` and `bbws local`: straight on AWS (or moto), configured like every AWS host.

use std::sync::Arc;
use std::time::Duration;

use crate::aws_host::{AwsHostConfig, Resources, variable_suffix};
use adapters_aws::{AwsClients, AwsResources, SqsEventQueue};
use clap::{Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use order_ports::ProcessorKind;
use order_ports::{DeadLetter, EventQueue};
use rand::RngCore;
use serde_json::{Value, json};

use super::api::CliError;

/// The most dead letters one command looks at, per processor.
const MOST: usize = 10_000;

#[derive(Debug, Subcommand)]
pub enum DlqCommand {
    /// Shows the dead letters of each processor (or of one).
    List {
        /// Only this processor's dead-letter queue.
        #[arg(long, value_enum)]
        processor: Option<Which>,
        /// At most this many per processor.
        #[arg(long, default_value_t = 100)]
        max: usize,
    },
    /// Moves dead letters back to their queue with a fresh retry budget.
    Redrive {
        /// Only this processor's dead-letter queue.
        #[arg(long, value_enum)]
        processor: Option<Which>,
        /// At most this many per processor.
        #[arg(long, default_value_t = MOST)]
        max: usize,
    },
}

#[derive(Debug, Subcommand)]
pub enum LocalCommand {
    /// Creates (or finds) an environment's tables, topic, queues, buckets and sender on the
    /// endpoint (`BBWS_AWS_ENDPOINT`, e.g. moto) and prints the variables a host needs as
    /// `export` lines: `eval "$(bbws local provision)"`.
    Provision {
        /// The environment's name (else `BBWS_ENVIRONMENT`, else `dev`).
        #[arg(long)]
        environment: Option<String>,
    },
}

/// A processor, as named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Which {
    /// The record writer's queue.
    RecordWriter,
    /// The invoice writer's queue.
    InvoiceWriter,
    /// The internal notifier's queue.
    InternalNotifier,
    /// The customer notifier's queue.
    CustomerNotifier,
}

impl From<Which> for ProcessorKind {
    fn from(which: Which) -> Self {
        match which {
            Which::RecordWriter => Self::RecordWriter,
            Which::InvoiceWriter => Self::InvoiceWriter,
            Which::InternalNotifier => Self::InternalNotifier,
            Which::CustomerNotifier => Self::CustomerNotifier,
        }
    }
}

fn aws_error(error: &dyn std::fmt::Display) -> CliError {
    CliError::Other(error.to_string())
}

/// The chosen processors' queues, from the `BBWS_…` variables.
async fn queues(
    only: Option<Which>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<(ProcessorKind, Arc<SqsEventQueue>)>, CliError> {
    let config = AwsHostConfig::from_lookup(env).map_err(|e| aws_error(&e))?;
    let (clients, resources) = config.connect().await.map_err(|e| aws_error(&e))?;
    let chosen: Vec<ProcessorKind> = match only {
        Some(which) => vec![which.into()],
        None => ProcessorKind::ALL.to_vec(),
    };
    Ok(chosen
        .into_iter()
        .map(|p| (p, Arc::new(SqsEventQueue::new(clients.sqs.clone(), resources.queues.get(p).clone()))))
        .collect())
}

/// What a dead letter's body says: (event type, order id); `-` where it is not an event.
fn describe(letter: &DeadLetter) -> (String, String) {
    let body: Value = serde_json::from_str(&letter.body).unwrap_or(Value::Null);
    let text = |value: &Value| value.as_str().map_or_else(|| "-".to_owned(), str::to_owned);
    (text(&body["eventType"]), text(&body["payload"]["orderId"]))
}

/// `bbws dlq …`.
pub async fn dlq(command: DlqCommand, json: bool, env: &dyn Fn(&str) -> Option<String>) -> Result<(), CliError> {
    match command {
        DlqCommand::List { processor, max } => list(processor, max, json, env).await,
        DlqCommand::Redrive { processor, max } => redrive(processor, max, json, env).await,
    }
}

async fn list(
    only: Option<Which>,
    max: usize,
    json: bool,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), CliError> {
    let mut report = Vec::new();
    for (processor, queue) in queues(only, env).await? {
        let letters = queue.dead_letters(max).await.map_err(|e| aws_error(&e))?;
        report.push((processor, letters));
    }
    if json {
        let body: Value = report
            .iter()
            .map(|(processor, letters)| {
                let letters: Vec<Value> = letters
                    .iter()
                    .map(|letter| {
                        let (event_type, order_id) = describe(letter);
                        json!({ "messageId": letter.message_id, "eventType": event_type, "orderId": order_id, "body": letter.body })
                    })
                    .collect();
                (processor.name().to_owned(), Value::Array(letters))
            })
            .collect::<serde_json::Map<String, Value>>()
            .into();
        println!("{}", serde_json::to_string_pretty(&body).unwrap_or_default());
        return Ok(());
    }
    for (processor, letters) in &report {
        println!("{processor}: {} dead letter{}", letters.len(), if letters.len() == 1 { "" } else { "s" });
        for letter in letters {
            let (event_type, order_id) = describe(letter);
            println!("  {:<40} {:<22} {order_id}", letter.message_id, event_type);
        }
    }
    Ok(())
}

async fn redrive(
    only: Option<Which>,
    max: usize,
    json: bool,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), CliError> {
    let mut moved = Vec::new();
    for (processor, queue) in queues(only, env).await? {
        let waiting = queue.dead_letters(max).await.map_err(|e| aws_error(&e))?.len();
        let bar = ProgressBar::new(waiting as u64).with_message(processor.name());
        bar.set_style(
            ProgressStyle::with_template("{msg:>18} [{bar:30}] {pos}/{len}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        let mut count = 0;
        while count < waiting {
            let step = queue.redrive((waiting - count).min(10)).await.map_err(|e| aws_error(&e))?;
            if step == 0 {
                break;
            }
            count += step;
            bar.inc(step as u64);
        }
        bar.finish_and_clear();
        moved.push((processor, count));
    }
    let total: usize = moved.iter().map(|(_, count)| count).sum();
    if json {
        let per: serde_json::Map<String, Value> =
            moved.iter().map(|(processor, count)| (processor.name().to_owned(), json!(count))).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "redriven": total, "processors": per })).unwrap_or_default()
        );
    } else {
        let per: Vec<String> = moved.iter().map(|(processor, count)| format!("{processor} {count}")).collect();
        println!("redriven {total} message{} ({})", if total == 1 { "" } else { "s" }, per.join(", "));
    }
    Ok(())
}

/// `bbws local …`.
pub async fn local(command: LocalCommand, json: bool, env: &dyn Fn(&str) -> Option<String>) -> Result<(), CliError> {
    let LocalCommand::Provision { environment } = command;
    let generated_key = {
        let mut key = [0_u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        hex::encode(key)
    };
    let field_key = env("BBWS_FIELD_KEY").filter(|key| !key.trim().is_empty()).unwrap_or(generated_key);
    // The host configuration, told to provision, with the key a host will need.
    let config = AwsHostConfig::from_lookup(|name| match name {
        "BBWS_PROVISION" => Some("true".to_owned()),
        "BBWS_FIELD_KEY" => Some(field_key.clone()),
        "BBWS_ENVIRONMENT" => environment.clone().or_else(|| env(name)),
        _ => env(name),
    })
    .map_err(|e| aws_error(&e))?;
    if !matches!(config.resources, Resources::Provision(_)) {
        return Err(CliError::Other("provisioning was not selected".into()));
    }
    let clients = AwsClients::connect(&config.settings).await;
    let Resources::Provision(spec) = &config.resources else { unreachable!("checked above") };
    let resources = adapters_aws::provision(&clients, spec).await.map_err(|e| aws_error(&e))?;
    let variables = host_variables(&config, &resources, &field_key);
    if json {
        let map: serde_json::Map<String, Value> =
            variables.into_iter().map(|(name, value)| (name, Value::String(value))).collect();
        println!("{}", serde_json::to_string_pretty(&map).unwrap_or_default());
    } else {
        println!("# BBWS environment {:?}: paste these, or eval \"$(bbws local provision)\"", config.environment);
        for (name, value) in variables {
            println!("export {name}={}", shell_quote(&value));
        }
    }
    Ok(())
}

/// Every variable a host needs to use `resources` without provisioning.
fn host_variables(config: &AwsHostConfig, resources: &AwsResources, field_key: &str) -> Vec<(String, String)> {
    let mut variables = vec![("BBWS_AWS_REGION".to_owned(), config.settings.region.clone())];
    if let Some(endpoint) = &config.settings.endpoint_url {
        variables.push(("BBWS_AWS_ENDPOINT".into(), endpoint.clone()));
    }
    variables.extend([
        ("BBWS_ENVIRONMENT".into(), config.environment.clone()),
        ("BBWS_FIELD_KEY".into(), field_key.to_owned()),
        ("BBWS_ORDERS_TABLE".into(), resources.orders_table.clone()),
        ("BBWS_TENANTS_TABLE".into(), resources.tenants_table.clone()),
        ("BBWS_DOCUMENTS_BUCKET".into(), resources.documents_bucket.clone()),
        ("BBWS_TEMPLATES_BUCKET".into(), resources.templates_bucket.clone()),
        ("BBWS_SENDER".into(), resources.sender.clone()),
        ("BBWS_TOPIC_ARN".into(), resources.topic_arn.clone()),
    ]);
    for (processor, queue) in resources.queues.iter() {
        let suffix = variable_suffix(processor);
        variables.push((format!("BBWS_QUEUE_URL_{suffix}"), queue.url.clone()));
        variables.push((format!("BBWS_DLQ_URL_{suffix}"), queue.dead_letter_url.clone()));
    }
    variables
}

/// `value` as one shell word.
fn shell_quote(value: &str) -> String {
    if value.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:@=".contains(c)) {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

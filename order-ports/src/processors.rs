//! The identity of the four event processors, defined once for every layer.
//!
//! Every event reaches four processors, each through its own queue with its own retry budget
//! and dead-letter queue (DESIGN §3). The application builds one processor per
//! [`ProcessorKind`]; the adapters name one queue per kind; hosts configure one concurrency per
//! kind. A [`PerProcessor`] holds one value per kind by name, so nothing is ever paired by
//! position.
//!
//! ```
//! use order_ports::{PerProcessor, ProcessorKind};
//!
//! let concurrency = PerProcessor::from_fn(|kind| if kind == ProcessorKind::InvoiceWriter { 10 } else { 5 });
//! assert_eq!(*concurrency.get(ProcessorKind::InvoiceWriter), 10);
//! assert_eq!("customer-notifier".parse::<ProcessorKind>(), Ok(ProcessorKind::CustomerNotifier));
//! assert_eq!(ProcessorKind::RecordWriter.to_string(), "record-writer");
//! ```

use std::fmt;
use std::str::FromStr;

/// One of the four processors that each receive every event through their own queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProcessorKind {
    /// Stores the order (resolving a guest's tenant) and marks its cart inactive.
    RecordWriter,
    /// Renders and stores the order's documents.
    InvoiceWriter,
    /// Emails staff.
    InternalNotifier,
    /// Emails the customer.
    CustomerNotifier,
}

impl ProcessorKind {
    /// All four, in fan-out order.
    pub const ALL: [ProcessorKind; 4] =
        [Self::RecordWriter, Self::InvoiceWriter, Self::InternalNotifier, Self::CustomerNotifier];

    /// The processor's name, which is also its queue's base name: `record-writer`,
    /// `invoice-writer`, `internal-notifier`, `customer-notifier`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::RecordWriter => "record-writer",
            Self::InvoiceWriter => "invoice-writer",
            Self::InternalNotifier => "internal-notifier",
            Self::CustomerNotifier => "customer-notifier",
        }
    }
}

impl fmt::Display for ProcessorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not one of the four processors'.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a processor; expected one of record-writer, invoice-writer, internal-notifier, customer-notifier"
)]
pub struct UnknownProcessor(pub String);

impl FromStr for ProcessorKind {
    type Err = UnknownProcessor;

    /// Parses a processor's [`name`](ProcessorKind::name).
    ///
    /// # Errors
    /// [`UnknownProcessor`] for any other text.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|kind| kind.name() == name).ok_or_else(|| UnknownProcessor(name.to_owned()))
    }
}

/// One value per [`ProcessorKind`], reached by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PerProcessor<T> {
    /// For the record writer.
    pub record_writer: T,
    /// For the invoice writer.
    pub invoice_writer: T,
    /// For the internal notifier.
    pub internal_notifier: T,
    /// For the customer notifier.
    pub customer_notifier: T,
}

impl<T> PerProcessor<T> {
    /// The same value for all four.
    pub fn all(value: T) -> Self
    where
        T: Clone,
    {
        Self::from_fn(|_| value.clone())
    }

    /// Builds one value per processor.
    pub fn from_fn(mut f: impl FnMut(ProcessorKind) -> T) -> Self {
        Self {
            record_writer: f(ProcessorKind::RecordWriter),
            invoice_writer: f(ProcessorKind::InvoiceWriter),
            internal_notifier: f(ProcessorKind::InternalNotifier),
            customer_notifier: f(ProcessorKind::CustomerNotifier),
        }
    }

    /// Builds one value per processor, stopping at the first error.
    ///
    /// # Errors
    /// The first error `f` returns.
    pub fn try_from_fn<E>(mut f: impl FnMut(ProcessorKind) -> Result<T, E>) -> Result<Self, E> {
        Ok(Self {
            record_writer: f(ProcessorKind::RecordWriter)?,
            invoice_writer: f(ProcessorKind::InvoiceWriter)?,
            internal_notifier: f(ProcessorKind::InternalNotifier)?,
            customer_notifier: f(ProcessorKind::CustomerNotifier)?,
        })
    }

    /// The value for `kind`.
    pub fn get(&self, kind: ProcessorKind) -> &T {
        match kind {
            ProcessorKind::RecordWriter => &self.record_writer,
            ProcessorKind::InvoiceWriter => &self.invoice_writer,
            ProcessorKind::InternalNotifier => &self.internal_notifier,
            ProcessorKind::CustomerNotifier => &self.customer_notifier,
        }
    }

    /// The value for `kind`, to change it.
    pub fn get_mut(&mut self, kind: ProcessorKind) -> &mut T {
        match kind {
            ProcessorKind::RecordWriter => &mut self.record_writer,
            ProcessorKind::InvoiceWriter => &mut self.invoice_writer,
            ProcessorKind::InternalNotifier => &mut self.internal_notifier,
            ProcessorKind::CustomerNotifier => &mut self.customer_notifier,
        }
    }

    /// Transforms every value.
    pub fn map<U>(&self, mut f: impl FnMut(ProcessorKind, &T) -> U) -> PerProcessor<U> {
        PerProcessor::from_fn(|kind| f(kind, self.get(kind)))
    }

    /// `(kind, value)` pairs in [`ProcessorKind::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (ProcessorKind, &T)> {
        ProcessorKind::ALL.into_iter().map(move |kind| (kind, self.get(kind)))
    }
}

impl<T> IntoIterator for PerProcessor<T> {
    type Item = (ProcessorKind, T);
    type IntoIter = std::array::IntoIter<(ProcessorKind, T), 4>;

    /// `(kind, value)` pairs in [`ProcessorKind::ALL`] order.
    fn into_iter(self) -> Self::IntoIter {
        [
            (ProcessorKind::RecordWriter, self.record_writer),
            (ProcessorKind::InvoiceWriter, self.invoice_writer),
            (ProcessorKind::InternalNotifier, self.internal_notifier),
            (ProcessorKind::CustomerNotifier, self.customer_notifier),
        ]
        .into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for kind in ProcessorKind::ALL {
            assert_eq!(kind.name().parse::<ProcessorKind>(), Ok(kind));
        }
        let error = "mailer".parse::<ProcessorKind>().unwrap_err();
        assert!(error.to_string().contains("record-writer"), "{error}");
    }

    #[test]
    fn values_are_reached_by_kind_never_by_position() {
        let mut map = PerProcessor::from_fn(ProcessorKind::name);
        *map.get_mut(ProcessorKind::InternalNotifier) = "changed";
        assert_eq!(map.get(ProcessorKind::InternalNotifier), &"changed");
        let pairs: Vec<_> = map.into_iter().collect();
        assert_eq!(pairs[0], (ProcessorKind::RecordWriter, "record-writer"));
        assert_eq!(pairs.len(), 4);
    }
}

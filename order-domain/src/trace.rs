//! The W3C trace context an event carries, so that the processors' work continues the trace of
//! the request that caused it (W3C Trace Context, <https://www.w3.org/TR/trace-context/>,
//! section 3.2 "traceparent Header").
//!
//! The domain only parses, validates and prints it; ids are drawn by the hosts (the domain draws
//! no random numbers). A trace id whose first four bytes are the Unix time in seconds is also an
//! AWS X-Ray trace id (`1-{8 hex digits of time}-{24 hex digits}`, [`TraceParent::xray_trace_id`]).
//!
//! ```
//! use order_domain::TraceParent;
//! let parent = TraceParent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap();
//! assert_eq!(parent.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
//! assert!(parent.sampled());
//! let child = parent.child([1, 2, 3, 4, 5, 6, 7, 8]);
//! assert_eq!(child.to_string(), "00-4bf92f3577b34da6a3ce929d0e0e4736-0102030405060708-01");
//! assert!(TraceParent::parse("00-00000000000000000000000000000000-00f067aa0ba902b7-01").is_err());
//! ```

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::text::InvalidValue;

const FIELD: &str = "traceparent";
const EXPECTED: &str = "must be a W3C traceparent: 00-<32 lower-case hex digits, not all 0>-<16, not all 0>-<2>";

/// A `traceparent`: the trace an operation belongs to and the span that caused it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceParent {
    trace_id: [u8; 16],
    parent_id: [u8; 8],
    flags: u8,
}

/// The `sampled` bit of the trace flags.
const SAMPLED: u8 = 0x01;

impl TraceParent {
    /// A context from its parts.
    ///
    /// # Errors
    /// [`InvalidValue::Format`] when either id is all zeros (the specification's invalid value).
    pub fn new(trace_id: [u8; 16], parent_id: [u8; 8], flags: u8) -> Result<Self, InvalidValue> {
        if trace_id == [0; 16] || parent_id == [0; 8] {
            return Err(InvalidValue::Format { field: FIELD, expected: EXPECTED });
        }
        Ok(Self { trace_id, parent_id, flags })
    }

    /// A new trace, sampled, started by span `span_id`: its id is the Unix time `unix_seconds`
    /// (its low 32 bits) followed by 12 random bytes, so that it is also an X-Ray trace id. An id
    /// drawn as all zeros (which the specification calls invalid) gets its last bit set.
    pub fn root(unix_seconds: u64, random: [u8; 12], span_id: [u8; 8]) -> Self {
        let mut trace_id = [0; 16];
        // The low 32 bits, as X-Ray takes them (until 2106).
        trace_id[..4].copy_from_slice(&unix_seconds.to_be_bytes()[4..]);
        trace_id[4..].copy_from_slice(&random);
        if trace_id == [0; 16] {
            trace_id[15] = 1;
        }
        Self { trace_id, parent_id: nonzero(span_id), flags: SAMPLED }
    }

    /// Parses a `traceparent` value. Version `00` must be exactly as specified; a later version
    /// is read by its first four fields, as the specification asks of a version-00 reader
    /// (section 3.2.4); version `ff` is invalid.
    ///
    /// # Errors
    /// [`InvalidValue::Format`] when the value is not a valid `traceparent`.
    pub fn parse(raw: impl AsRef<str>) -> Result<Self, InvalidValue> {
        const INVALID: InvalidValue = InvalidValue::Format { field: FIELD, expected: EXPECTED };
        let raw = raw.as_ref().trim();
        let version = raw.get(..2).and_then(hex_bytes::<1>).ok_or(INVALID)?[0];
        match version {
            0x00 if raw.len() == 55 => {}
            0xff | 0x00 => return Err(INVALID),
            // Later versions may append fields after a dash.
            _ if raw.len() == 55 || (raw.len() > 55 && raw.as_bytes()[55] == b'-') => {}
            _ => return Err(INVALID),
        }
        let field = |range: std::ops::Range<usize>, dash_before: usize| {
            (raw.as_bytes().get(dash_before) == Some(&b'-')).then(|| raw.get(range)).flatten()
        };
        let trace_id = field(3..35, 2).and_then(hex_bytes::<16>).ok_or(INVALID)?;
        let parent_id = field(36..52, 35).and_then(hex_bytes::<8>).ok_or(INVALID)?;
        let flags = field(53..55, 52).and_then(hex_bytes::<1>).ok_or(INVALID)?[0];
        Self::new(trace_id, parent_id, flags)
    }

    /// The same trace, caused by span `span_id` (a child of this one), with the same flags. A
    /// span id drawn as all zeros gets its last bit set.
    #[must_use]
    pub fn child(&self, span_id: [u8; 8]) -> Self {
        Self { parent_id: nonzero(span_id), ..*self }
    }

    /// The trace id (16 bytes).
    pub fn trace_id(&self) -> [u8; 16] {
        self.trace_id
    }

    /// The trace id, 32 lower-case hex digits.
    pub fn trace_id_hex(&self) -> String {
        hex::encode(self.trace_id)
    }

    /// The id of the span that caused the operation (8 bytes).
    pub fn parent_id(&self) -> [u8; 8] {
        self.parent_id
    }

    /// The parent span id, 16 lower-case hex digits.
    pub fn parent_id_hex(&self) -> String {
        hex::encode(self.parent_id)
    }

    /// Whether the caller recorded its span (the `sampled` flag).
    pub fn sampled(&self) -> bool {
        self.flags & SAMPLED != 0
    }

    /// The trace id in X-Ray's form, `1-{8 hex}-{24 hex}` (meaningful as a time only for ids
    /// made by [`TraceParent::root`]).
    pub fn xray_trace_id(&self) -> String {
        let hex = self.trace_id_hex();
        format!("1-{}-{}", &hex[..8], &hex[8..])
    }
}

fn nonzero(mut span_id: [u8; 8]) -> [u8; 8] {
    if span_id == [0; 8] {
        span_id[7] = 1;
    }
    span_id
}

fn hex_bytes<const N: usize>(text: &str) -> Option<[u8; N]> {
    // Lower case only (section 3.2.2.3 and following).
    if text.len() != 2 * N || !text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return None;
    }
    let mut out = [0; N];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}

impl fmt::Display for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "00-{}-{}-{:02x}", self.trace_id_hex(), self.parent_id_hex(), self.flags)
    }
}

impl Serialize for TraceParent {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TraceParent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// Reads an optional `traceparent` leniently: a value that is not one reads as none, so that a
/// broken trace context never makes an event unreadable (the work then starts a trace of its
/// own, as the specification asks of a receiver that cannot parse the header).
///
/// # Errors
/// Only when the field is not a string or null.
pub fn lenient<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<TraceParent>, D::Error> {
    let raw = Option::<String>::deserialize(deserializer)?;
    Ok(raw.and_then(|raw| TraceParent::parse(raw).ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn the_specifications_example_round_trips() {
        let parent = TraceParent::parse(VALID).unwrap();
        assert_eq!(parent.to_string(), VALID);
        assert_eq!(parent.parent_id_hex(), "00f067aa0ba902b7");
        assert!(parent.sampled());
        assert!(!TraceParent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00").unwrap().sampled());
    }

    #[test]
    fn what_the_specification_calls_invalid_is_refused() {
        for bad in [
            "",
            "00",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01",
            "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x",
            "é0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ] {
            assert!(TraceParent::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_later_version_is_read_by_its_first_four_fields() {
        let later = "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes-next";
        assert_eq!(TraceParent::parse(later).unwrap(), TraceParent::parse(VALID).unwrap());
        assert!(TraceParent::parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x").is_err());
    }

    #[test]
    fn a_root_trace_id_is_an_xray_trace_id() {
        let root = TraceParent::root(0x5759_e988, [0xbd; 12], [1; 8]);
        assert_eq!(root.xray_trace_id(), "1-5759e988-bdbdbdbdbdbdbdbdbdbdbdbd");
        assert!(root.sampled());
        let drawn_zero = TraceParent::root(0, [0; 12], [0; 8]);
        assert_eq!(TraceParent::parse(drawn_zero.to_string()), Ok(drawn_zero), "still valid");
    }

    #[test]
    fn a_child_keeps_the_trace_and_names_its_span() {
        let parent = TraceParent::parse(VALID).unwrap();
        let child = parent.child([9; 8]);
        assert_eq!((child.trace_id(), child.parent_id(), child.sampled()), (parent.trace_id(), [9; 8], true));
        assert_eq!(parent.child([0; 8]).parent_id(), [0, 0, 0, 0, 0, 0, 0, 1], "an all-zero span id is never used");
    }
}

//! # adapters-system
//!
//! The system ports of BBWS Order Management as production hosts wire them, for every adapter
//! family: the time, fresh identifiers and the field cipher that seals billing addresses at
//! rest. They touch the operating system (its clock, its randomness) and nothing else, so both
//! the in-memory and the AWS compositions use them without depending on each other.
//!
//! ## Layout
//! - [`SystemClock`] — [`Clock`](order_ports::Clock) from the operating system's wall clock.
//! - [`RandomIds`] — [`IdGenerator`](order_ports::IdGenerator): ULID order ids with 80 bits of
//!   operating-system entropy, UUID v4 message and tenant ids.
//! - [`AesGcmCipher`] with [`CipherKey`] — [`FieldCipher`](order_ports::FieldCipher) with
//!   AES-256-GCM (NIST SP 800-38D), a random 96-bit nonce per value.
//!
//! Test doubles of the same ports (a manual clock, sequential ids) are in `adapters-memory`.

mod cipher;
mod system;

pub use cipher::{AesGcmCipher, CipherKey, CipherKeyError};
pub use system::{RandomIds, SystemClock};

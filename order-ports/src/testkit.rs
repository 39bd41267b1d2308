//! Contract suites (filled in by the adapters work).

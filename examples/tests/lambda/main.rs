//! The Lambda handlers, invoked directly with recorded events.

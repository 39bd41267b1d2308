//! Runnable hosts and programs for BBWS Order Management.

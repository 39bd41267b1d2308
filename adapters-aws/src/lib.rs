//! # adapters-aws
//!
//! AWS implementations of the ports in `order-ports`: a DynamoDB single-table order repository,
//! an SNS topic fanned out to four SQS queues with dead-letter queues, S3 document and template
//! stores and an SES v2 mailer, plus provisioning of those resources.
//!
//! This is the only crate that names `aws_sdk_*`; no SDK type or SDK error crosses a port.

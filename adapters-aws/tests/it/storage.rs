//! `S3DocumentStore`, `S3TemplateSource` and `SesMailer`, against moto.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use order_domain::{Email, OrderId};
use order_ports::{
    DocumentKey, DocumentKind, DocumentMeta, DocumentNumber, DocumentStore, Mailer, OutgoingEmail, PortError, Subject,
    TemplateSource,
};

use crate::support::{fresh, minutes, moto_get, tenant};

#[tokio::test]
async fn a_document_round_trips_byte_exact_encrypted_with_its_content_type() {
    let f = fresh().await;
    let key = DocumentKey {
        tenant_id: tenant("tenant_acme"),
        order_id: OrderId::from_parts(minutes(0), 3),
        kind: DocumentKind::TaxInvoice,
    };
    let bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let meta = DocumentMeta {
        content_type: "application/pdf".into(),
        number: Some(DocumentNumber::invoice(12)),
        issued_at: minutes(0),
    };
    f.adapters.documents.put(&key, bytes.clone(), &meta).await.unwrap();
    assert_eq!(f.adapters.documents.get(&key).await.unwrap(), bytes);

    let head = f.clients.s3.head_object().bucket(&f.resources.documents_bucket).key(key.path()).send().await.unwrap();
    assert_eq!(head.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    assert_eq!(head.content_type(), Some("application/pdf"));
    let metadata = head.metadata().unwrap();
    assert_eq!(metadata.get("number").map(String::as_str), Some("INV-000012"));
    assert_eq!(key.path(), format!("tenant_acme/{0}/invoice_{0}.pdf", key.order_id));

    // A retried job overwrites the same key.
    f.adapters.documents.put(&key, b"second".to_vec(), &meta).await.unwrap();
    assert_eq!(f.adapters.documents.get(&key).await.unwrap(), b"second");

    let receipt = DocumentKey { kind: DocumentKind::Receipt, ..key };
    assert!(matches!(f.adapters.documents.get(&receipt).await, Err(PortError::NotFound)));
}

#[tokio::test]
async fn template_overrides_are_read_from_the_bucket_and_absent_ones_are_none() {
    let f = fresh().await;
    let path = order_ports::EmailTemplate::OrderConfirmation.store_path();
    assert_eq!(f.adapters.templates.get(&path).await.unwrap(), None);
    f.clients
        .s3
        .put_object()
        .bucket(&f.resources.templates_bucket)
        .key(&path)
        .body(ByteStream::from_static("<p>Dankie, {{ name }} — ons het jou bestelling</p>".as_bytes()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        f.adapters.templates.get(&path).await.unwrap().as_deref(),
        Some("<p>Dankie, {{ name }} — ons het jou bestelling</p>")
    );
}

#[tokio::test]
async fn a_cached_template_source_keeps_answers_for_its_time_to_live_only() {
    let f = fresh().await;
    let path = order_ports::EmailTemplate::OrderConfirmation.store_path();
    let put = |text: &'static str| {
        f.clients
            .s3
            .put_object()
            .bucket(&f.resources.templates_bucket)
            .key(&path)
            .body(ByteStream::from_static(text.as_bytes()))
            .send()
    };
    let source = |ttl| {
        adapters_aws::S3TemplateSource::new(f.clients.s3.clone(), &f.resources.templates_bucket).with_cache_ttl(ttl)
    };
    // An answer, an absence included, is kept for the time to live…
    let long = source(std::time::Duration::from_hours(1));
    assert_eq!(long.get(&path).await.unwrap(), None);
    put("<p>first</p>").await.unwrap();
    assert_eq!(long.get(&path).await.unwrap(), None);
    // …and read again once it has passed.
    let short = source(std::time::Duration::from_millis(300));
    assert_eq!(short.get(&path).await.unwrap().as_deref(), Some("<p>first</p>"));
    put("<p>second</p>").await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(short.get(&path).await.unwrap().as_deref(), Some("<p>second</p>"));
    assert_eq!(long.get(&path).await.unwrap(), None);
}

#[tokio::test]
async fn an_email_is_sent_with_html_and_text_and_seen_by_the_server() {
    let f = fresh().await;
    let email = OutgoingEmail {
        to: vec![Email::parse("thandi@example.co.za").unwrap()],
        subject: Subject::new("Your order is confirmed").unwrap(),
        html: "<h1>Thank you</h1><p>Order R1 349,00</p>".into(),
        text: "Thank you. Order R1 349,00".into(),
    };
    let id = f.adapters.mailer.send(&email).await.unwrap();
    assert!(!id.is_empty());

    let data: serde_json::Value = serde_json::from_str(&moto_get("/moto-api/data.json")).unwrap();
    let messages = data["ses"]["Message"].as_array().expect("moto lists sent messages");
    let sent = messages.iter().find(|m| m["id"] == id.as_str()).expect("the sent message is on record");
    assert_eq!(sent["source"], f.resources.sender.as_str());
    assert_eq!(sent["subject"], "Your order is confirmed");
    assert_eq!(sent["body"], "<h1>Thank you</h1><p>Order R1 349,00</p>");
    assert_eq!(sent["destinations"]["ToAddresses"], serde_json::json!(["thandi@example.co.za"]));

    let nobody = OutgoingEmail { to: Vec::new(), ..email };
    assert!(matches!(f.adapters.mailer.send(&nobody).await, Err(PortError::InvalidData(_))));
}

#[tokio::test]
async fn a_unicode_domain_is_sent_as_punycode() {
    let f = fresh().await;
    let email = OutgoingEmail {
        to: vec![Email::parse("Someone@B\u{fc}cher.co.za").unwrap()],
        subject: Subject::new("Your order is confirmed").unwrap(),
        html: "<p>x</p>".into(),
        text: "x".into(),
    };
    let id = f.adapters.mailer.send(&email).await.unwrap();
    let data: serde_json::Value = serde_json::from_str(&moto_get("/moto-api/data.json")).unwrap();
    let messages = data["ses"]["Message"].as_array().expect("moto lists sent messages");
    let sent = messages.iter().find(|m| m["id"] == id.as_str()).expect("the sent message is on record");
    assert_eq!(sent["destinations"]["ToAddresses"], serde_json::json!(["someone@xn--bcher-kva.co.za"]));
}

#[tokio::test]
async fn an_unverified_sender_is_a_permanent_failure() {
    let f = fresh().await;
    let mailer = adapters_aws::SesMailer::new(f.clients.ses.clone(), "nobody@unverified.example.org");
    let email = OutgoingEmail {
        to: vec![Email::parse("thandi@example.co.za").unwrap()],
        subject: Subject::new("Hello").unwrap(),
        html: "<p>x</p>".into(),
        text: "x".into(),
    };
    let err = mailer.send(&email).await.unwrap_err();
    assert!(matches!(err, PortError::Unavailable { retryable: false, .. }), "{err:?}");
}

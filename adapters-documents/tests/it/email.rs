//! The email templates, rendered through `EmailRenderer` and `TemplateRenderer::render_report`.

use std::sync::Arc;

use adapters_documents::{OverrideParts, ProblemKind, TemplateConfig, TemplatePart, TemplateRenderer};
use order_domain::testing::zar;
use order_domain::{OrderStatus, Payment, PaymentId, PaymentMethod, Reason, UnappliedReason};
use order_ports::{EmailContext, EmailRenderer, EmailTemplate, Notice, RenderedEmail};

use crate::support::*;

const URL: &str = "https://portal.bbws.example/orders/order_1?tab=summary&from=email";
/// `URL` as minijinja's HTML escaping writes it (`/` and `&` as entities, valid in an attribute).
const URL_ESCAPED: &str = "https:&#x2f;&#x2f;portal.bbws.example&#x2f;orders&#x2f;order_1?tab=summary&amp;from=email";

async fn render(
    renderer: &TemplateRenderer,
    template: EmailTemplate,
    order: &order_domain::Order,
    notice: &Notice,
) -> RenderedEmail {
    let context = EmailContext { order, notice, order_url: URL };
    renderer.render(template, &context).await.unwrap()
}

fn renderer_over(store: &Arc<MapTemplates>, parts: OverrideParts) -> TemplateRenderer {
    let source: Arc<dyn order_ports::TemplateSource> = store.clone();
    TemplateRenderer::with_config(Some(source), TemplateConfig { override_parts: parts }).unwrap()
}

#[tokio::test]
async fn order_confirmation_links_the_order_and_shows_items_and_totals() {
    let order = small_order();
    let email =
        render(&TemplateRenderer::built_in().unwrap(), EmailTemplate::OrderConfirmation, &order, &Notice::Created)
            .await;
    let id = order.id().to_string();
    assert_eq!(email.subject.as_str(), format!("Your order {id} has been received"));
    assert_contains_all(
        &email.html,
        &[
            &id,
            "Thandi Nkosi",
            &format!("href=\"{URL_ESCAPED}\""),
            "Product HOSTING-PRO",
            "Product DOMAIN-COZA",
            "R575.00",
            "R1,150.00",
            "R199.00",
            "R175.96",
            "R1,349.00",
            "PayFast",
        ],
    );
    assert_contains_all(
        &email.text,
        &[
            &id,
            URL,
            "- Product HOSTING-PRO: 2 x R575.00 = R1,150.00",
            "- Product DOMAIN-COZA: 1 x R199.00 = R199.00",
            "Total: R1,349.00",
            "VAT (15%) included: R175.96",
        ],
    );
    assert!(!email.text.contains("&amp;"), "the text part is not HTML-escaped");
}

#[tokio::test]
async fn a_discount_is_shown_with_its_campaign() {
    let order = large_order();
    let email =
        render(&TemplateRenderer::built_in().unwrap(), EmailTemplate::OrderConfirmation, &order, &Notice::Created)
            .await;
    assert_contains_all(&email.html, &["Discount (SPRING10)", "-R800.00", "R7,200.00", "R939.13"]);
    assert_contains_all(&email.text, &["Discount (SPRING10): -R800.00", "Total: R7,200.00"]);
}

#[tokio::test]
async fn status_updates_say_what_changed_and_why() {
    let order = paid(small_order());
    let notice = Notice::StatusChanged {
        from: OrderStatus::PaymentPending,
        to: OrderStatus::Paid,
        reason: Some(Reason::parse("Payment received with thanks").unwrap()),
    };
    let email = render(&TemplateRenderer::built_in().unwrap(), EmailTemplate::OrderStatusUpdate, &order, &notice).await;
    assert_eq!(email.subject.as_str(), format!("Your order {} is now Paid", order.id()));
    for body in [&email.html, &email.text] {
        assert_contains_all(
            body,
            &[
                "Payment pending",
                "Paid",
                "Payment received with thanks",
                "pf_1234567",
                "R1,349.00",
                "Product HOSTING-PRO",
            ],
        );
    }
    assert!(email.html.contains(URL_ESCAPED) && email.text.contains(URL));
}

#[tokio::test]
async fn cancellations_tell_the_customer() {
    let order = small_order();
    let notice = Notice::StatusChanged {
        from: OrderStatus::Pending,
        to: OrderStatus::Cancelled,
        reason: Some(Reason::parse("Changed my mind").unwrap()),
    };
    let email = render(&TemplateRenderer::built_in().unwrap(), EmailTemplate::OrderCancelled, &order, &notice).await;
    assert_eq!(email.subject.as_str(), format!("Your order {} has been cancelled", order.id()));
    for body in [&email.html, &email.text] {
        assert_contains_all(
            body,
            &["has been cancelled", "Changed my mind", "Order total: R1,349.00", "Product DOMAIN-COZA"],
        );
    }
}

#[tokio::test]
async fn the_internal_notification_carries_what_staff_need() {
    let order = small_order();
    let email =
        render(&TemplateRenderer::built_in().unwrap(), EmailTemplate::OrderNotification, &order, &Notice::Created)
            .await;
    let id = order.id().to_string();
    assert_eq!(email.subject.as_str(), format!("New order {id}: R1,349.00 from thandi@example.co.za"));
    for body in [&email.html, &email.text] {
        assert_contains_all(body, &[&id, "tenant_acme", "thandi@example.co.za", "R1,349.00", "PENDING", "HOSTING-PRO"]);
    }
}

#[tokio::test]
async fn a_late_payment_asks_staff_for_a_refund_and_says_no_document_is_issued() {
    let (mut order, now) = order_domain::testing::pending_order();
    order.cancel(None, order_domain::ActorKind::Customer, now).unwrap();
    let notice =
        Notice::UnappliedPayment { payment: payment("pf_late_99", "1349.00"), reason: UnappliedReason::OrderClosed };
    let email = render(&TemplateRenderer::built_in().unwrap(), EmailTemplate::OrderNotification, &order, &notice).await;
    let id = order.id().to_string();
    assert_eq!(email.subject.as_str(), format!("Late payment on order {id} (CANCELLED): refund needed, R1,349.00"));
    assert_contains_all(
        &email.html,
        &["Refund needed", "pf_late_99", "R1,349.00", "CANCELLED", "tenant_acme", "thandi@example.co.za", &id],
    );
    assert_contains_all(
        &email.text,
        &[
            "LATE PAYMENT - REFUND NEEDED",
            "No tax invoice or credit note is issued for this payment.",
            "Payment id: pf_late_99",
            "Amount: R1,349.00",
            "Status: CANCELLED",
            "Tenant: tenant_acme",
        ],
    );
}

#[tokio::test]
async fn a_double_payment_and_a_wrong_amount_name_their_kind() {
    let (mut order, now) = order_domain::testing::pending_order();
    let id = order.id().to_string();
    let renderer = TemplateRenderer::built_in().unwrap();
    let wrong =
        Notice::UnappliedPayment { payment: payment("pf_short", "1000.00"), reason: UnappliedReason::AmountMismatch };
    let email = render(&renderer, EmailTemplate::OrderNotification, &order, &wrong).await;
    assert_eq!(
        email.subject.as_str(),
        format!("Payment of the wrong amount on order {id} (PENDING): refund needed, R1,000.00")
    );
    assert_contains_all(
        &email.text,
        &["A payment of R1,000.00 arrived", "whose total is R1,349.00", "still owes the total"],
    );

    order.confirm_payment(payment("pf_1", "1349.00"), order_domain::ActorKind::PaymentService, now).unwrap();
    let double = Notice::UnappliedPayment { payment: payment("pf_2", "1349.00"), reason: UnappliedReason::AlreadyPaid };
    let email = render(&renderer, EmailTemplate::OrderNotification, &order, &double).await;
    assert_eq!(email.subject.as_str(), format!("Double payment on order {id} (PAID): refund needed, R1,349.00"));
    assert_contains_all(&email.html, &["Double payment: refund needed", "already paid by payment pf_1", "pf_2"]);
}

fn payment(id: &str, amount: &str) -> Payment {
    Payment {
        payment_id: PaymentId::parse(id).unwrap(),
        amount: zar(amount),
        method: PaymentMethod::Payfast,
        paid_at: order_domain::testing::now(),
    }
}

#[tokio::test]
async fn a_hostile_name_is_escaped_in_html_and_intact_in_text() {
    let order = hostile_order();
    let renderer = TemplateRenderer::built_in().unwrap();
    for template in EmailTemplate::ALL {
        let email = render(&renderer, template, &order, &Notice::Created).await;
        assert!(!email.html.contains("<script>"), "{template:?}: unescaped markup in\n{}", email.html);
        assert!(!email.html.contains("\"O'Brien\""), "{template:?}: unescaped quotes");
        assert_contains_all(
            &email.html,
            &["&lt;script&gt;alert(1)&lt;&#x2f;script&gt;", "&quot;O&#x27;Brien&quot; &amp;", "‰№™ محمد עברית"],
        );
        assert!(email.text.contains(&hostile_name()), "{template:?}: the text part keeps the name as written");
        assert!(!email.subject.as_str().contains('\n'));
    }
}

#[tokio::test]
async fn an_override_from_the_store_wins_and_is_escaped() {
    let store = Arc::new(MapTemplates::with(&[(
        "customer/order_confirmation.html",
        "<p class=\"custom\">Ahoy {{ order.customer_name }}, order {{ order.id }} totals {{ order.total }}</p>",
    )]));
    let renderer = renderer_over(&store, OverrideParts::Html);
    let order = hostile_order();
    let context = EmailContext { order: &order, notice: &Notice::Created, order_url: URL };
    let report = renderer.render_report(EmailTemplate::OrderConfirmation, &context).await.unwrap();
    assert_eq!(report.overridden, vec![TemplatePart::Html]);
    assert!(report.problems.is_empty());
    assert!(report.email.html.starts_with("<p class=\"custom\">Ahoy &lt;script&gt;alert(1)"), "{}", report.email.html);
    assert!(report.email.html.contains("R99.00"));
    // Text and subject stay the built-in ones.
    assert!(report.email.text.contains("Thank you for your order"));
    assert_eq!(report.email.subject.as_str(), format!("Your order {} has been received", order.id()));
    // Only the HTML part was looked up: one read per email.
    assert_eq!(*store.reads.lock().unwrap(), vec!["customer/order_confirmation.html".to_owned()]);
}

#[tokio::test]
async fn overrides_are_read_on_every_render() {
    let store = Arc::new(MapTemplates::with(&[("internal/order_notification.html", "<p>v1 {{ order.id }}</p>")]));
    let renderer = renderer_over(&store, OverrideParts::Html);
    let order = small_order();
    let first = render(&renderer, EmailTemplate::OrderNotification, &order, &Notice::Created).await;
    store.put("internal/order_notification.html", "<p>v2 {{ order.id }}</p>");
    let second = render(&renderer, EmailTemplate::OrderNotification, &order, &Notice::Created).await;
    assert!(first.html.starts_with("<p>v1") && second.html.starts_with("<p>v2"));
}

#[tokio::test]
async fn a_broken_override_falls_back_to_the_default_and_is_reported() {
    let cases = [
        ("<p>{% for item in order.items %}{{ item.description }}</p>", ProblemKind::Syntax),
        ("<p>{{ order.no_such_field }}</p>", ProblemKind::Render),
        ("<p>{{ order.total | no_such_filter }}</p>", ProblemKind::Render),
        (
            "<p>{% for i in range(100000) %}{% for j in range(100000) %}.{% endfor %}{% endfor %}</p>",
            ProblemKind::Render,
        ),
    ];
    let order = small_order();
    let default =
        render(&TemplateRenderer::built_in().unwrap(), EmailTemplate::OrderConfirmation, &order, &Notice::Created)
            .await;
    for (broken, kind) in cases {
        let store = Arc::new(MapTemplates::with(&[("customer/order_confirmation.html", broken)]));
        let renderer = renderer_over(&store, OverrideParts::Html);
        let context = EmailContext { order: &order, notice: &Notice::Created, order_url: URL };
        let report = renderer.render_report(EmailTemplate::OrderConfirmation, &context).await.unwrap();
        assert_eq!(report.email, default, "{broken}: the default is sent instead");
        assert!(report.overridden.is_empty());
        let [problem] = report.problems.as_slice() else {
            panic!("{broken}: one problem expected, got {:?}", report.problems)
        };
        assert_eq!((problem.kind, problem.part), (kind, TemplatePart::Html), "{broken}: {problem}");
        assert_eq!(problem.path, "customer/order_confirmation.html");
        assert!(!problem.message.is_empty());
        // Through the port, the same fallback (and a warning in the log), never an error.
        assert_eq!(renderer.render(EmailTemplate::OrderConfirmation, &context).await.unwrap(), default);
    }
}

#[tokio::test]
async fn an_unreachable_store_falls_back_to_the_default() {
    let store = Arc::new(MapTemplates::default());
    *store.unavailable.lock().unwrap() = true;
    let renderer = renderer_over(&store, OverrideParts::Html);
    let order = small_order();
    let context = EmailContext { order: &order, notice: &Notice::Created, order_url: URL };
    let report = renderer.render_report(EmailTemplate::OrderCancelled, &context).await.unwrap();
    assert_eq!(report.problems.len(), 1);
    assert_eq!(report.problems[0].kind, ProblemKind::Unavailable);
    assert!(report.email.html.contains("has been cancelled"));
}

#[tokio::test]
async fn subjects_never_carry_a_line_break() {
    let store = Arc::new(MapTemplates::with(&[
        // A subject override that puts data with CR/LF into the subject.
        ("customer/order_status_update.subject.txt", "Order {{ order.id }}\r\n see {{ order_url }}\n"),
        // A subject override with a control character that is not whitespace.
        ("customer/order_cancelled.subject.txt", "Cancelled \u{7} {{ order.id }}"),
        ("customer/order_cancelled.txt", "Custom text for {{ order.id }}"),
    ]));
    let renderer = renderer_over(&store, OverrideParts::All);
    let order = small_order();
    let id = order.id().to_string();
    let injected_url = "https://portal.example/o/1\r\nBcc: attacker@example.com";
    let notice = Notice::StatusChanged { from: OrderStatus::Pending, to: OrderStatus::Cancelled, reason: None };

    let context = EmailContext { order: &order, notice: &notice, order_url: injected_url };
    let report = renderer.render_report(EmailTemplate::OrderStatusUpdate, &context).await.unwrap();
    let subject = report.email.subject.as_str();
    assert!(!subject.contains('\r') && !subject.contains('\n'), "{subject:?}");
    assert_eq!(subject, format!("Order {id} see https://portal.example/o/1 Bcc: attacker@example.com"));
    assert_eq!(report.overridden, vec![TemplatePart::Subject]);

    let report = renderer.render_report(EmailTemplate::OrderCancelled, &context).await.unwrap();
    assert_eq!(report.email.subject.as_str(), format!("Your order {id} has been cancelled"), "the default subject");
    assert_eq!(report.email.text, format!("Custom text for {id}"));
    assert_eq!(report.overridden, vec![TemplatePart::Text]);
    let [problem] = report.problems.as_slice() else { panic!("{:?}", report.problems) };
    assert_eq!((problem.kind, problem.part), (ProblemKind::InvalidSubject, TemplatePart::Subject));
    assert_eq!(problem.path, "customer/order_cancelled.subject.txt");
}

#[tokio::test]
async fn a_hundred_line_order_renders_every_item() {
    let order = order_with_lines(100);
    let renderer = TemplateRenderer::built_in().unwrap();
    for template in EmailTemplate::ALL {
        let email = render(&renderer, template, &order, &Notice::Created).await;
        for i in [1, 50, 100] {
            let description = format!("Item number {i:03} with a fairly descriptive name");
            assert!(
                email.html.contains(&description) && email.text.contains(&description),
                "{template:?}: {description}"
            );
        }
    }
}

/// Each customer email names the document its step issued and where to fetch it in the portal.
#[tokio::test]
async fn customer_emails_name_the_document_issued_and_link_to_it() {
    let renderer = TemplateRenderer::built_in().unwrap();
    let documents_url = "https://portal.bbws.example/orders/order_1?tab=summary&from=email/documents";

    // Invoiced on payment (the default): the confirmation announces a pro forma, not a tax invoice.
    let order = small_order();
    let email = render(&renderer, EmailTemplate::OrderConfirmation, &order, &Notice::Created).await;
    assert_contains_all(
        &email.text,
        &[
            "Your pro forma invoice is ready (this is not a tax invoice: your tax invoice follows when we receive your payment).",
            &format!("Fetch your documents: {documents_url}"),
        ],
    );
    assert!(email.html.contains("Your pro forma invoice is ready") && email.html.contains("Fetch your documents"));

    // Paid: the tax invoice and the receipt.
    let paid_order = paid(small_order());
    let notice = Notice::StatusChanged { from: OrderStatus::PaymentPending, to: OrderStatus::Paid, reason: None };
    let email = render(&renderer, EmailTemplate::OrderStatusUpdate, &paid_order, &notice).await;
    assert_contains_all(&email.text, &["Your tax invoice is ready.", "Your receipt is ready."]);

    // Invoiced on order, then cancelled: the cancellation email mentions the credit note.
    let mut record = order_domain::OrderRecord::from(small_order());
    record.document_policy = order_domain::DocumentPolicy::InvoiceOnOrder;
    let mut invoiced = order_domain::Order::try_from(record).unwrap();
    invoiced.cancel(None, order_domain::ActorKind::Customer, order_domain::testing::now()).unwrap();
    let notice = Notice::StatusChanged { from: OrderStatus::Pending, to: OrderStatus::Cancelled, reason: None };
    let email = render(&renderer, EmailTemplate::OrderCancelled, &invoiced, &notice).await;
    assert_contains_all(&email.text, &["Your credit note is ready: it reverses the tax invoice of this order."]);

    // Cancelled before any tax invoice: no document, no link.
    let mut unpaid = small_order();
    unpaid.cancel(None, order_domain::ActorKind::Customer, order_domain::testing::now()).unwrap();
    let email = render(&renderer, EmailTemplate::OrderCancelled, &unpaid, &notice).await;
    assert!(!email.text.contains("Fetch your documents"), "{}", email.text);
}

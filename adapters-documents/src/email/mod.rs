//! Email templates: built-in defaults, overrides from a [`TemplateSource`], rendered with
//! minijinja.
//!
//! [`TemplateRenderer`] implements [`EmailRenderer`]. Each of the four templates of the HLD
//! ([`EmailTemplate::ALL`]) has three parts, compiled into the binary from
//! `adapters-documents/templates/{customer,internal}/`:
//!
//! | part | file | escaping |
//! |---|---|---|
//! | HTML body | `order_confirmation.html` | HTML, **forced on** |
//! | plain-text body | `order_confirmation.txt` | none |
//! | subject | `order_confirmation.subject.txt` | none; one line, checked by [`Subject::new`] |
//!
//! # Escaping
//! The HTML part is rendered in an environment whose auto-escape callback answers
//! [`AutoEscape::Html`] for every template, whatever its name: engines that decide by file
//! extension would not escape an override fetched as `order_confirmation` or rendered from a
//! string. Text and subject parts are rendered with escaping off (they are not HTML); the
//! subject's whitespace — line breaks included — is collapsed to single spaces before
//! [`Subject::new`] checks it, so no value can break the header.
//!
//! # Overrides
//! The HTML part may be overridden by a template stored at [`EmailTemplate::store_path`]
//! (`customer/order_confirmation.html`, the layout of DESIGN §4). With
//! [`OverrideParts::All`], the text and subject parts may be overridden too, at the sibling
//! paths `customer/order_confirmation.txt` and `customer/order_confirmation.subject.txt`.
//!
//! An override that cannot be fetched, does not parse, fails to render (an unknown variable
//! is an error: templates run with semi-strict undefined values), runs out of fuel, or yields
//! an invalid subject is **reported and replaced by the default**; the email is still sent.
//! Every such problem is logged with `tracing::warn!` and returned by
//! [`TemplateRenderer::render_report`] as an [`OverrideProblem`].
//!
//! # Fetching, not caching
//! Overrides are fetched on every render and compiled from the fetched text (parsing a
//! template takes microseconds). An edited template therefore takes effect on the next email
//! with no invalidation to get wrong, and the cost — one small read per email with the
//! default [`OverrideParts::Html`] — is noise next to sending the email. A host that wants
//! fewer reads can wrap its [`TemplateSource`] in a caching decorator.

mod view;

use std::fmt;
use std::sync::Arc;

use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value, value::Serde};
use order_ports::{
    EmailContext, EmailRenderer, EmailTemplate, PortError, PortResult, RenderedEmail, Subject, TemplateSource,
};

use view::View;

/// The most work a template may do in one render (minijinja fuel: roughly instructions).
/// Far above what the built-ins need for a 100-line order; stops a runaway override.
const FUEL: u64 = 2_000_000;

/// One part of an email template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TemplatePart {
    /// The HTML body.
    Html,
    /// The plain-text body.
    Text,
    /// The subject line.
    Subject,
}

impl TemplatePart {
    /// Every part, in rendering order.
    pub const ALL: [TemplatePart; 3] = [Self::Html, Self::Text, Self::Subject];

    /// Where `template`'s override of this part is stored: [`EmailTemplate::store_path`]
    /// for the HTML part, its siblings `….txt` and `….subject.txt` for the others.
    pub fn store_path(self, template: EmailTemplate) -> String {
        let html = template.store_path();
        let stem = html.strip_suffix(".html").unwrap_or(&html);
        match self {
            Self::Html => html.clone(),
            Self::Text => format!("{stem}.txt"),
            Self::Subject => format!("{stem}.subject.txt"),
        }
    }
}

impl fmt::Display for TemplatePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Html => "html",
            Self::Text => "text",
            Self::Subject => "subject",
        })
    }
}

/// Which parts may be overridden from the [`TemplateSource`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OverrideParts {
    /// Only the HTML body (DESIGN §4): one read per email.
    #[default]
    Html,
    /// HTML, text and subject: three reads per email.
    All,
}

impl OverrideParts {
    fn includes(self, part: TemplatePart) -> bool {
        match self {
            Self::All => true,
            Self::Html => part == TemplatePart::Html,
        }
    }
}

/// Why an override was not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// The template source failed to answer.
    Unavailable,
    /// The override does not parse.
    Syntax,
    /// The override parsed but failed to render (unknown variable, bad filter, out of fuel).
    Render,
    /// The override's subject is empty, too long or contains a control character.
    InvalidSubject,
}

/// A broken override, replaced by the built-in default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideProblem {
    /// The template.
    pub template: EmailTemplate,
    /// The part that fell back.
    pub part: TemplatePart,
    /// Where the override was read from.
    pub path: String,
    /// What was wrong.
    pub kind: ProblemKind,
    /// The details (the template engine's message, with its line number).
    pub message: String,
}

impl fmt::Display for OverrideProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "override {} ({:?}) not used: {}", self.path, self.kind, self.message)
    }
}

/// A rendered email and how it was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderReport {
    /// The email.
    pub email: RenderedEmail,
    /// The parts that came from an override.
    pub overridden: Vec<TemplatePart>,
    /// Overrides that were present but broken (each replaced by the default).
    pub problems: Vec<OverrideProblem>,
}

/// Configuration of a [`TemplateRenderer`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TemplateConfig {
    /// Which parts may be overridden.
    pub override_parts: OverrideParts,
}

/// The built-in templates: `(template, html, text, subject)`.
const DEFAULTS: [(EmailTemplate, &str, &str, &str); 4] = [
    (
        EmailTemplate::OrderConfirmation,
        include_str!("../../templates/customer/order_confirmation.html"),
        include_str!("../../templates/customer/order_confirmation.txt"),
        include_str!("../../templates/customer/order_confirmation.subject.txt"),
    ),
    (
        EmailTemplate::OrderStatusUpdate,
        include_str!("../../templates/customer/order_status_update.html"),
        include_str!("../../templates/customer/order_status_update.txt"),
        include_str!("../../templates/customer/order_status_update.subject.txt"),
    ),
    (
        EmailTemplate::OrderCancelled,
        include_str!("../../templates/customer/order_cancelled.html"),
        include_str!("../../templates/customer/order_cancelled.txt"),
        include_str!("../../templates/customer/order_cancelled.subject.txt"),
    ),
    (
        EmailTemplate::OrderNotification,
        include_str!("../../templates/internal/order_notification.html"),
        include_str!("../../templates/internal/order_notification.txt"),
        include_str!("../../templates/internal/order_notification.subject.txt"),
    ),
];

/// Renders the email templates of [`EmailTemplate::ALL`]: built-in defaults, overridden
/// from an injected [`TemplateSource`].
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use adapters_documents::TemplateRenderer;
/// use order_domain::testing::pending_order;
/// use order_ports::{EmailContext, EmailRenderer, EmailTemplate, Notice};
///
/// let renderer = TemplateRenderer::built_in().unwrap();
/// let (order, _) = pending_order();
/// let context = EmailContext { order: &order, notice: &Notice::Created, order_url: "https://portal.example/orders/1" };
/// let email = renderer.render(EmailTemplate::OrderConfirmation, &context).await.unwrap();
/// assert!(email.subject.as_str().contains(&order.id().to_string()));
/// assert!(email.html.contains("R1,349.00") && email.text.contains("R1,349.00"));
/// # });
/// ```
pub struct TemplateRenderer {
    /// HTML parts: auto-escaping forced on.
    html: Environment<'static>,
    /// Text and subject parts: no escaping.
    plain: Environment<'static>,
    source: Option<Arc<dyn TemplateSource>>,
    config: TemplateConfig,
}

impl fmt::Debug for TemplateRenderer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TemplateRenderer")
            .field("overrides", &self.source.is_some())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn environment(escape: AutoEscape) -> PortResult<Environment<'static>> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(move |_name| escape.clone());
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    env.set_fuel(Some(FUEL));
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
        .map_err(|e| PortError::InvalidData(format!("template syntax configuration: {e}")))?;
    env.set_syntax(syntax);
    Ok(env)
}

fn default_name(template: EmailTemplate, part: TemplatePart) -> String {
    format!("default/{}.{part}", template.name())
}

impl TemplateRenderer {
    /// A renderer that uses overrides from `source` for the HTML part.
    ///
    /// # Errors
    /// [`PortError::InvalidData`] if a built-in template does not compile (checked by this
    /// crate's tests).
    pub fn new(source: Arc<dyn TemplateSource>) -> PortResult<Self> {
        Self::with_config(Some(source), TemplateConfig::default())
    }

    /// A renderer with the built-in templates only.
    ///
    /// # Errors
    /// As [`TemplateRenderer::new`].
    pub fn built_in() -> PortResult<Self> {
        Self::with_config(None, TemplateConfig::default())
    }

    /// A renderer with overrides from `source` (if any) as `config` says.
    ///
    /// # Errors
    /// As [`TemplateRenderer::new`].
    pub fn with_config(source: Option<Arc<dyn TemplateSource>>, config: TemplateConfig) -> PortResult<Self> {
        let mut html = environment(AutoEscape::Html)?;
        let mut plain = environment(AutoEscape::None)?;
        for (template, html_source, text_source, subject_source) in DEFAULTS {
            let compile_error = |part, e: minijinja::Error| {
                PortError::InvalidData(format!("built-in {part} of {}: {e}", template.name()))
            };
            html.add_template_owned(default_name(template, TemplatePart::Html), html_source)
                .map_err(|e| compile_error(TemplatePart::Html, e))?;
            plain
                .add_template_owned(default_name(template, TemplatePart::Text), text_source)
                .map_err(|e| compile_error(TemplatePart::Text, e))?;
            plain
                .add_template_owned(default_name(template, TemplatePart::Subject), subject_source)
                .map_err(|e| compile_error(TemplatePart::Subject, e))?;
        }
        Ok(Self { html, plain, source, config })
    }

    /// Renders `template` for `context` and says which parts came from overrides and which
    /// overrides were broken. [`EmailRenderer::render`] is this plus a `tracing::warn!` per
    /// problem.
    ///
    /// # Errors
    /// [`PortError::InvalidData`] only when a built-in part cannot render `context`.
    pub async fn render_report(&self, template: EmailTemplate, context: &EmailContext<'_>) -> PortResult<RenderReport> {
        let data = Value::from(Serde(View::new(template, context)));
        let mut overridden = Vec::new();
        let mut problems = Vec::new();
        let mut parts = Vec::with_capacity(3);
        for part in TemplatePart::ALL {
            let rendered = match self.render_override(template, part, &data).await {
                Ok(Some(text)) => {
                    overridden.push(part);
                    Some(text)
                }
                Ok(None) => None,
                Err(problem) => {
                    problems.push(problem);
                    None
                }
            };
            let text = match rendered {
                Some(text) => text,
                None => self.render_default(template, part, &data)?,
            };
            parts.push(text);
        }
        let [html, text, subject] =
            <[String; 3]>::try_from(parts).map_err(|_| PortError::InvalidData("an email has three parts".into()))?;
        let subject = subject_line(&subject)?;
        Ok(RenderReport { email: RenderedEmail { subject, html, text }, overridden, problems })
    }

    fn env(&self, part: TemplatePart) -> &Environment<'static> {
        match part {
            TemplatePart::Html => &self.html,
            TemplatePart::Text | TemplatePart::Subject => &self.plain,
        }
    }

    fn render_default(&self, template: EmailTemplate, part: TemplatePart, data: &Value) -> PortResult<String> {
        self.env(part)
            .get_template(&default_name(template, part))
            .and_then(|t| t.render(data))
            .map_err(|e| PortError::InvalidData(format!("built-in {part} of {} failed: {e}", template.name())))
    }

    /// The rendered override of one part: `Ok(None)` when there is none (or overrides of
    /// this part are off), `Err` with the problem when it is broken.
    async fn render_override(
        &self,
        template: EmailTemplate,
        part: TemplatePart,
        data: &Value,
    ) -> Result<Option<String>, OverrideProblem> {
        let Some(source) = self.source.as_ref().filter(|_| self.config.override_parts.includes(part)) else {
            return Ok(None);
        };
        let path = part.store_path(template);
        let problem = |kind, message: String| OverrideProblem { template, part, path: path.clone(), kind, message };
        let text = match source.get(&path).await {
            Ok(Some(text)) => text,
            Ok(None) => return Ok(None),
            Err(e) => return Err(problem(ProblemKind::Unavailable, e.to_string())),
        };
        let compiled = self.env(part).template_from_named_str(&path, &text);
        let compiled = compiled.map_err(|e| problem(ProblemKind::Syntax, format!("{e:#}")))?;
        let rendered = compiled.render(data).map_err(|e| problem(ProblemKind::Render, format!("{e:#}")))?;
        if part == TemplatePart::Subject {
            subject_line(&rendered).map_err(|e| problem(ProblemKind::InvalidSubject, e.to_string()))?;
        }
        Ok(Some(rendered))
    }
}

/// A rendered subject as a header-safe [`Subject`]: whitespace runs (line breaks included)
/// become one space, the ends are trimmed, and it is cut to [`Subject::MAX_LEN`] characters.
///
/// # Errors
/// [`PortError::InvalidData`] when what is left is empty or holds another control character.
pub fn subject_line(rendered: &str) -> PortResult<Subject> {
    let collapsed = rendered.split_whitespace().collect::<Vec<_>>().join(" ");
    let subject = if collapsed.chars().count() > Subject::MAX_LEN {
        let mut cut: String = collapsed.chars().take(Subject::MAX_LEN - 1).collect();
        cut.push('…');
        cut
    } else {
        collapsed
    };
    Subject::new(subject)
}

#[async_trait::async_trait]
impl EmailRenderer for TemplateRenderer {
    async fn render<'a>(&self, template: EmailTemplate, context: &EmailContext<'a>) -> PortResult<RenderedEmail> {
        let report = self.render_report(template, context).await?;
        for problem in &report.problems {
            tracing::warn!(
                template = template.name(),
                part = %problem.part,
                path = %problem.path,
                kind = ?problem.kind,
                order_id = %context.order.id(),
                error = %problem.message,
                "email template override not used; the built-in default was rendered instead"
            );
        }
        Ok(report.email)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_lines_collapse_line_breaks() {
        assert_eq!(subject_line("  Your order\r\n  is paid \n").unwrap().as_str(), "Your order is paid");
        assert_eq!(subject_line("a\r\nBcc: x@example.com").unwrap().as_str(), "a Bcc: x@example.com");
        assert!(subject_line(" \r\n ").is_err());
        assert!(subject_line("bell\u{7}").is_err());
        let long = subject_line(&"x".repeat(500)).unwrap();
        assert_eq!(long.as_str().chars().count(), Subject::MAX_LEN);
    }

    #[test]
    fn override_paths_sit_beside_the_html() {
        let t = EmailTemplate::OrderNotification;
        assert_eq!(TemplatePart::Html.store_path(t), "internal/order_notification.html");
        assert_eq!(TemplatePart::Text.store_path(t), "internal/order_notification.txt");
        assert_eq!(TemplatePart::Subject.store_path(t), "internal/order_notification.subject.txt");
    }

    #[test]
    fn html_parts_are_escaped_whatever_their_name() {
        let renderer = TemplateRenderer::built_in().unwrap();
        let data = minijinja::context! { name => "<b>\"x\"</b>" };
        for name in ["order_confirmation", "template.txt", "<string>", "page.html"] {
            let html = renderer.html.template_from_named_str(name, "{{ name }}").unwrap().render(&data).unwrap();
            assert_eq!(html, "&lt;b&gt;&quot;x&quot;&lt;&#x2f;b&gt;", "{name}");
            let plain = renderer.plain.template_from_named_str(name, "{{ name }}").unwrap().render(&data).unwrap();
            assert_eq!(plain, "<b>\"x\"</b>", "{name}");
        }
    }

    #[test]
    fn built_ins_compile() {
        assert!(TemplateRenderer::built_in().is_ok());
    }
}

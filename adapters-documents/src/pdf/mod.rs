//! South African tax documents as PDF: pro forma and tax invoices, receipts, credit notes.
//!
//! [`PdfRenderer`] implements [`DocumentRenderer`]. A document is laid out in two passes:
//! first into pages of drawing operations (the line table breaks across pages, with its
//! header repeated), then — once the page count is known — every page gets its footer
//! ("Page 2 of 3") and is drawn with krilla, which embeds a subset of DejaVu Sans.
//!
//! # What the documents show
//! - **Tax invoice** (VAT Act s20): the words "Tax Invoice"; the supplier's name (and the name
//!   it trades under, if any), address and VAT number; the recipient's name and address (and VAT number when registered); the serial
//!   number ([`DocumentNumber`], `INV-000042`) and the date of issue; per line the description,
//!   quantity, unit price and amount; the subtotal, discount, VAT and total.
//!   [`TaxInvoiceForm::for_total`] picks the form: above R5,000 the **full** form also shows
//!   each line's value excluding VAT and its VAT, and the total excluding VAT (with a
//!   discount, each line's share of it, so the lines add up to the totals exactly:
//!   [`line_amounts`]); at R5,000 or less the **abridged** form shows VAT-inclusive amounts
//!   and the VAT they include.
//! - **Pro forma invoice**: titled "Pro Forma Invoice", with the words "This is not a tax
//!   invoice" and no serial number; otherwise as the tax invoice it announces.
//! - **Receipt**: the word "Receipt", the invoice number it settles, the lines and totals,
//!   and the payment (id, method, date, amount) from [`Order::payment`].
//! - **Credit note** (VAT Act s21(3)): the words "Credit Note"; the supplier and recipient as
//!   on the invoice; its own serial number (`CN-000007`) and date of issue; the number and date
//!   of the tax invoice it adjusts; the reason; the amount of the adjustment and the VAT in it
//!   (the whole consideration: cancellations, expiries and refunds reverse the invoice in
//!   full).
//!
//! # Determinism
//! The same request gives the same bytes: every date comes from the request or the order,
//! the PDF's creation date is the date of issue, and krilla derives the document id from the
//! content. A retried invoice job therefore overwrites the stored PDF with identical bytes.
//!
//! # Hostile text
//! Names and descriptions are customer input. The domain accepts in them only what these
//! fonts draw ([`order_domain::is_printable`]; this crate's tests check every such character
//! against both fonts), so every accepted name prints as written, right-to-left scripts
//! (Hebrew, Arabic) shaped in their own direction. Beyond that, as a last line of defence for
//! text from elsewhere (the supplier's settings): control characters become spaces, invisible
//! formatting characters are dropped, a character the fonts lack becomes `?`; long values
//! wrap. Any
//! failure — including, as a last line of defence, a panic inside the PDF library — is
//! returned as [`PortError::InvalidData`].

mod layout;

use std::borrow::Cow;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use chrono::{DateTime, Datelike, Timelike, Utc};
use krilla::metadata::{DateTime as PdfDateTime, Metadata};
use krilla::{Document, SerializeSettings};
use order_domain::{BillingAddress, Email, LineAmounts, Money, Order, OrderLine, TaxInvoiceForm, line_amounts};
use order_ports::{
    DocumentKind, DocumentNumber, DocumentRenderer, DocumentRequest, InvoiceReference, PortError, PortResult,
    RenderedDocument, Supplier,
};

use crate::format;
use layout::{Align, CONTENT_BOTTOM, Fonts, MARGIN, Op, PAGE_HEIGHT, PAGE_WIDTH, Pages, Shaped, Style};

/// The MIME type of every rendered document.
pub const PDF_CONTENT_TYPE: &str = "application/pdf";

/// Renders tax documents as PDF (A4, DejaVu Sans embedded as a subset).
///
/// Holds the parsed fonts; build it once and share it (`Arc<dyn DocumentRenderer>`).
///
/// ```
/// use adapters_documents::PdfRenderer;
/// use order_domain::testing::{now, pending_order};
/// use order_ports::{DocumentKind, DocumentNumber, DocumentRenderer, DocumentRequest, Supplier};
///
/// let renderer = PdfRenderer::new().unwrap();
/// let (order, _) = pending_order();
/// let supplier = Supplier {
///     id: "bbws".into(),
///     name: "Big Beard Web Solutions (Pty) Ltd".into(),
///     trading_name: Some("BBWS".into()),
///     address: vec!["1 Dock Road".into(), "Cape Town 8001".into()],
///     vat_number: None,
///     email: None,
/// };
/// let request = DocumentRequest {
///     kind: DocumentKind::TaxInvoice,
///     order: &order,
///     supplier: &supplier,
///     number: Some(DocumentNumber::invoice(42)),
///     invoice: None,
///     issued_at: now(),
///     reason: None,
/// };
/// let pdf = renderer.render(&request).unwrap();
/// assert!(pdf.bytes.starts_with(b"%PDF-"));
/// assert_eq!(pdf.content_type, "application/pdf");
/// ```
pub struct PdfRenderer {
    fonts: Fonts,
}

impl std::fmt::Debug for PdfRenderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PdfRenderer").finish_non_exhaustive()
    }
}

impl PdfRenderer {
    /// A renderer with the embedded fonts.
    ///
    /// # Errors
    /// [`PortError::InvalidData`] if the embedded fonts cannot be read (they are compiled in
    /// and checked by this crate's tests, so this does not happen in a released build).
    pub fn new() -> PortResult<Self> {
        Ok(Self { fonts: Fonts::load()? })
    }

    fn render_pdf(&self, request: &DocumentRequest<'_>) -> PortResult<Vec<u8>> {
        let pages = Layout::new(&self.fonts, request)?.build()?;
        let settings = SerializeSettings { enable_tagging: false, ..SerializeSettings::default() };
        let mut document = Document::new_with(settings);
        document.set_metadata(metadata(request));
        pages.draw(&self.fonts, &mut document)?;
        document.finish().map_err(|e| PortError::InvalidData(format!("the PDF could not be written: {e}")))
    }
}

impl DocumentRenderer for PdfRenderer {
    fn render(&self, request: &DocumentRequest<'_>) -> PortResult<RenderedDocument> {
        // Rendering is pure computation over the request; a panic inside the PDF library on
        // some unforeseen input must fail this one document, not the processor.
        let bytes = catch_unwind(AssertUnwindSafe(|| self.render_pdf(request)))
            .map_err(|_| PortError::InvalidData("the PDF renderer failed on this order".into()))??;
        Ok(RenderedDocument { bytes, content_type: PDF_CONTENT_TYPE.to_owned() })
    }
}

/// The number a document goes by: its own, a receipt's invoice's, a pro forma's order id.
fn reference(request: &DocumentRequest<'_>) -> String {
    match (request.number, request.invoice) {
        (Some(number), _) | (None, Some(InvoiceReference { number, .. })) => number.to_string(),
        (None, None) => request.order.id().to_string(),
    }
}

fn metadata(request: &DocumentRequest<'_>) -> Metadata {
    let heading = match request.kind {
        DocumentKind::Receipt => format!("Receipt for {}", reference(request)),
        kind => format!("{} {}", kind.title(), reference(request)),
    };
    Metadata::new()
        .title(heading)
        .authors(vec![request.supplier.name.clone()])
        .language("en-ZA".into())
        .creation_date(pdf_date(request.issued_at))
}

fn pdf_date(at: DateTime<Utc>) -> PdfDateTime {
    let narrow = |n: u32| u8::try_from(n).unwrap_or_default();
    PdfDateTime::new(u16::try_from(at.year()).unwrap_or_default())
        .month(narrow(at.month()))
        .day(narrow(at.day()))
        .hour(narrow(at.hour()))
        .minute(narrow(at.minute()))
        .second(narrow(at.second()))
        .utc_offset_hour(0)
        .utc_offset_minute(0)
}

const RIGHT: f32 = PAGE_WIDTH - MARGIN;
/// Where the right-hand blocks (document facts, recipient) start.
const RIGHT_COLUMN: f32 = 300.0;
const BODY: Style = Style::regular(9.0);
const LEADING: f32 = 12.0;
const TABLE_TEXT: Style = Style::regular(9.0);
const TABLE_HEAD: Style = Style::bold(8.5);
const HEADER_HEIGHT: f32 = 18.0;

/// A table column: where it is and how its text aligns.
#[derive(Clone, Copy)]
struct Column {
    heading: &'static str,
    /// Left edge for left-aligned columns, right edge for right-aligned ones.
    x: f32,
    width: f32,
    align: Align,
}

const FULL_COLUMNS: [Column; 6] = [
    Column { heading: "Description", x: MARGIN, width: 200.0, align: Align::Left },
    Column { heading: "Qty", x: 282.0, width: 30.0, align: Align::Right },
    Column { heading: "Unit price", x: 352.0, width: 66.0, align: Align::Right },
    Column { heading: "Excl. VAT", x: 422.0, width: 66.0, align: Align::Right },
    Column { heading: "VAT", x: 482.0, width: 56.0, align: Align::Right },
    Column { heading: "Amount", x: RIGHT, width: 66.0, align: Align::Right },
];

/// The full form when a discount applies: each line's share of it, and the line's value, VAT
/// and value excluding VAT after it.
const FULL_DISCOUNTED_COLUMNS: [Column; 7] = [
    Column { heading: "Description", x: MARGIN, width: 150.0, align: Align::Left },
    Column { heading: "Qty", x: 232.0, width: 28.0, align: Align::Right },
    Column { heading: "Unit price", x: 298.0, width: 60.0, align: Align::Right },
    Column { heading: "Discount", x: 356.0, width: 54.0, align: Align::Right },
    Column { heading: "Excl. VAT", x: 420.0, width: 60.0, align: Align::Right },
    Column { heading: "VAT", x: 474.0, width: 50.0, align: Align::Right },
    Column { heading: "Amount", x: RIGHT, width: 62.0, align: Align::Right },
];

const ABRIDGED_COLUMNS: [Column; 4] = [
    Column { heading: "Description", x: MARGIN, width: 285.0, align: Align::Left },
    Column { heading: "Qty", x: 372.0, width: 36.0, align: Align::Right },
    Column { heading: "Unit price", x: 462.0, width: 84.0, align: Align::Right },
    Column { heading: "Amount", x: RIGHT, width: 84.0, align: Align::Right },
];

struct Layout<'a> {
    fonts: &'a Fonts,
    request: &'a DocumentRequest<'a>,
    order: &'a Order,
    form: TaxInvoiceForm,
    /// Each line's share of the discount and VAT (the full form prints them).
    amounts: Vec<LineAmounts>,
    pages: Pages,
    y: f32,
}

impl<'a> Layout<'a> {
    fn new(fonts: &'a Fonts, request: &'a DocumentRequest<'a>) -> PortResult<Self> {
        let order = request.order;
        let refused = |why: &str| Err(PortError::InvalidData(format!("order {}: {why}", order.id())));
        match request.kind {
            DocumentKind::Receipt if order.payment().is_none() => return refused("no payment, so no receipt"),
            DocumentKind::Receipt if request.invoice.is_none() => return refused("a receipt names its tax invoice"),
            DocumentKind::TaxInvoice if request.number.is_none() => return refused("a tax invoice needs its number"),
            DocumentKind::CreditNote if request.number.is_none() || request.invoice.is_none() => {
                return refused("a credit note needs its number and the tax invoice it adjusts");
            }
            DocumentKind::ProForma if request.number.is_some() => {
                return refused("a pro forma invoice takes no number from a tax sequence");
            }
            _ => {}
        }
        Ok(Self {
            fonts,
            request,
            order,
            form: TaxInvoiceForm::for_total(order.totals().total),
            amounts: line_amounts(order.items(), order.totals()),
            pages: Pages::default(),
            y: 0.0,
        })
    }

    fn discounted(&self) -> bool {
        !self.order.totals().discount.is_zero()
    }

    fn columns(&self) -> &'static [Column] {
        match self.form {
            TaxInvoiceForm::Full if self.discounted() => &FULL_DISCOUNTED_COLUMNS,
            TaxInvoiceForm::Full => &FULL_COLUMNS,
            TaxInvoiceForm::Abridged => &ABRIDGED_COLUMNS,
        }
    }

    fn build(mut self) -> PortResult<Pages> {
        self.first_page_header();
        self.parties();
        match self.request.kind {
            DocumentKind::Receipt => self.payment(),
            DocumentKind::CreditNote => self.credit_reason(),
            DocumentKind::ProForma | DocumentKind::TaxInvoice => {}
        }
        self.table_header();
        let amounts = std::mem::take(&mut self.amounts);
        for (line, amounts) in self.order.items().iter().zip(&amounts) {
            self.line(line, amounts);
        }
        self.totals()?;
        self.footers();
        Ok(self.pages)
    }

    fn text(&mut self, x: f32, y: f32, text: &str, style: Style, align: Align) {
        let shaped = self.fonts.shape(&self.fonts.printable(text), style);
        self.pages.text(x, y, shaped, style, align);
    }

    /// One of the documents' fixed texts (shaped once per renderer).
    fn label(&mut self, x: f32, y: f32, text: &'static str, style: Style, align: Align) {
        self.pages.text(x, y, self.fonts.label(text, style), style, align);
    }

    /// Writes `text` wrapped to `width` from the current `y`, advancing it.
    fn paragraph(&mut self, x: f32, width: f32, text: &str, style: Style) {
        for line in self.fonts.wrap(text, style, width) {
            self.pages.text(x, self.y, line, style, Align::Left);
            self.y += style.size * 1.35;
        }
    }

    fn first_page_header(&mut self) {
        self.pages.new_page();
        let kind = self.request.kind;
        self.label(MARGIN, 64.0, kind.title(), Style::bold(22.0), Align::Left);
        let number = |n: Option<DocumentNumber>| n.map(|n| n.to_string()).unwrap_or_default();
        let invoice = self.request.invoice;
        let invoice_number = number(invoice.map(|i| i.number));
        let subtitle_style = if kind == DocumentKind::ProForma { Style::bold(11.0) } else { Style::grey(9.0) };
        let subtitle: Cow<'static, str> = match (kind, self.form) {
            (DocumentKind::ProForma, _) => "This is not a tax invoice".into(),
            (DocumentKind::TaxInvoice, TaxInvoiceForm::Full) => "Full tax invoice".into(),
            (DocumentKind::TaxInvoice, TaxInvoiceForm::Abridged) => "Abridged tax invoice".into(),
            (DocumentKind::Receipt, _) => format!("Receipt for tax invoice {invoice_number}").into(),
            (DocumentKind::CreditNote, _) => format!("Adjusts tax invoice {invoice_number} in full").into(),
        };
        match subtitle {
            Cow::Borrowed(fixed) => self.label(MARGIN, 80.0, fixed, subtitle_style, Align::Left),
            Cow::Owned(numbered) => self.text(MARGIN, 80.0, &numbered, subtitle_style, Align::Left),
        }

        let issued = format::date(self.request.issued_at);
        let order = self.order.id().to_string();
        let facts: Vec<(&'static str, String)> = match kind {
            DocumentKind::ProForma => vec![("Date", issued), ("Order", order)],
            DocumentKind::TaxInvoice => {
                vec![("Invoice no.", number(self.request.number)), ("Date of issue", issued), ("Order", order)]
            }
            DocumentKind::Receipt => vec![("Invoice no.", invoice_number), ("Receipt date", issued), ("Order", order)],
            DocumentKind::CreditNote => vec![
                ("Credit note no.", number(self.request.number)),
                ("Date of issue", issued),
                ("Tax invoice no.", invoice_number),
                ("Invoice date", invoice.map(|i| format::date(i.issued_at)).unwrap_or_default()),
                ("Order", order),
            ],
        };
        let mut y = 52.0;
        for (label, value) in facts {
            self.label(RIGHT_COLUMN, y, label, Style::grey(9.0), Align::Left);
            self.text(RIGHT, y, &value, Style::bold(9.0), Align::Right);
            y += 14.0;
        }
        self.y = y.max(104.0) + 14.0;
    }

    /// Why the credit note was issued.
    fn credit_reason(&mut self) {
        self.label(MARGIN, self.y, "Reason for the credit", Style::grey(8.0), Align::Left);
        self.y += 13.0;
        let reason = self.request.reason.unwrap_or("Adjustment of the tax invoice");
        self.paragraph(MARGIN, RIGHT - MARGIN, reason, BODY);
        self.y += 10.0;
    }

    /// The supplier (left) and recipient (right) blocks.
    fn parties(&mut self) {
        let top = self.y;
        let supplier = supplier_lines(self.request.supplier);
        self.block(MARGIN, 250.0, "From", &supplier);
        let left_bottom = self.y;
        self.y = top;
        let recipient = recipient_lines(self.order.billing_address(), self.order.customer_email());
        self.block(RIGHT_COLUMN, RIGHT - RIGHT_COLUMN, "Bill to", &recipient);
        self.y = self.y.max(left_bottom) + 10.0;
    }

    /// A labelled block of lines; the first line is the name, in bold.
    fn block(&mut self, x: f32, width: f32, label: &'static str, lines: &[String]) {
        self.label(x, self.y, label, Style::grey(8.0), Align::Left);
        self.y += 13.0;
        for (i, line) in lines.iter().enumerate() {
            let style = if i == 0 { Style::bold(10.0) } else { BODY };
            self.paragraph(x, width, line, style);
        }
    }

    fn payment(&mut self) {
        let Some(payment) = self.order.payment() else { return };
        self.label(MARGIN, self.y, "Payment received", Style::grey(8.0), Align::Left);
        self.y += 13.0;
        let rows = [
            ("Payment id", payment.payment_id.to_string()),
            ("Method", format::payment_method(payment.method).to_owned()),
            ("Paid on", format::date_time(payment.paid_at)),
            ("Amount paid", format::money(payment.amount)),
        ];
        for (label, value) in rows {
            self.label(MARGIN, self.y, label, BODY, Align::Left);
            self.text(MARGIN + 80.0, self.y, &value, Style::bold(9.0), Align::Left);
            self.y += LEADING;
        }
        self.y += 10.0;
    }

    fn table_header(&mut self) {
        self.pages.push(Op::Band { x: MARGIN, y: self.y, width: RIGHT - MARGIN, height: HEADER_HEIGHT });
        let baseline = self.y + 12.5;
        for column in self.columns() {
            self.label(column.x, baseline, column.heading, TABLE_HEAD, column.align);
        }
        self.y += HEADER_HEIGHT + 12.0;
    }

    /// Starts a continuation page: a short heading, then the table header again.
    fn continuation_page(&mut self, with_table_header: bool) {
        self.pages.new_page();
        let heading = format!("{} {} (continued)", self.request.kind.title(), reference(self.request));
        self.text(MARGIN, 56.0, &heading, Style::bold(12.0), Align::Left);
        self.y = 74.0;
        if with_table_header {
            self.table_header();
        }
    }

    fn line(&mut self, line: &OrderLine, amounts: &LineAmounts) {
        let columns = self.columns();
        let description = self.fonts.wrap(line.description().as_str(), TABLE_TEXT, columns[0].width);
        let height = LEADING * layout::count(description.len());
        if self.y + height > CONTENT_BOTTOM {
            self.continuation_page(true);
        }
        let mut cells = vec![line.quantity().get().to_string(), format::money(line.unit_price())];
        let amount = match self.form {
            TaxInvoiceForm::Full => {
                if self.discounted() {
                    cells.push(format::discount(amounts.discount));
                }
                cells.push(format::money(amounts.exclusive));
                cells.push(format::money(amounts.vat));
                amounts.value
            }
            TaxInvoiceForm::Abridged => line.line_total(),
        };
        cells.push(format::money(amount));
        for (column, cell) in columns[1..].iter().zip(&cells) {
            self.number(column, self.y, cell);
        }
        for text in description {
            self.pages.text(MARGIN, self.y, text, TABLE_TEXT, Align::Left);
            self.y += LEADING;
        }
        let rule_y = self.y - LEADING + 4.0;
        self.pages.push(Op::Rule { x1: MARGIN, x2: RIGHT, y: rule_y, width: 0.3 });
        self.y += 4.0;
    }

    /// A right-aligned figure, in a smaller size when it would not fit its column.
    fn number(&mut self, column: &Column, y: f32, text: &str) {
        let shaped = self.fonts.shape(text, TABLE_TEXT);
        let natural = shaped.width(TABLE_TEXT.size);
        let style = if natural > column.width {
            Style::regular((TABLE_TEXT.size * column.width / natural).max(4.0))
        } else {
            TABLE_TEXT
        };
        self.pages.text(column.x, y, shaped, style, column.align);
    }

    fn totals(&mut self) -> PortResult<()> {
        let totals = self.order.totals();
        let credit = self.request.kind == DocumentKind::CreditNote;
        let vat_label = format!("VAT ({}%)", totals.vat_rate.percent().normalize());
        let fixed = |label: &'static str| self.fonts.label(label, BODY);
        let mut rows: Vec<(Arc<Shaped>, String, Style)> = vec![
            (fixed("Subtotal"), format::money(totals.subtotal), BODY),
            (fixed("Discount"), format::discount(totals.discount), BODY),
        ];
        let vat_label = match self.form {
            TaxInvoiceForm::Full => {
                rows.push((fixed("Total excl. VAT"), format::money(exclusive_of_vat(totals.total, totals.vat)?), BODY));
                if credit { format!("{vat_label} credited") } else { vat_label }
            }
            TaxInvoiceForm::Abridged if credit => format!("{vat_label} in the credit"),
            TaxInvoiceForm::Abridged => format!("{vat_label} included"),
        };
        rows.push((self.fonts.shape(&vat_label, BODY), format::money(totals.vat), BODY));
        let currency = totals.total.currency();
        let total_label = if credit { format!("Total credited ({currency})") } else { format!("Total ({currency})") };
        let total_style = Style::bold(11.0);
        rows.push((self.fonts.shape(&total_label, total_style), format::money(totals.total), total_style));

        let note = match (self.form, self.discounted()) {
            (TaxInvoiceForm::Full, true) => {
                "Unit prices and amounts include VAT. The discount is shared across the lines in proportion to their value."
            }
            (TaxInvoiceForm::Full, false) => "Unit prices and amounts include VAT.",
            (TaxInvoiceForm::Abridged, _) => "All amounts include VAT.",
        };
        let height = 16.0 * layout::count(rows.len()) + 30.0;
        if self.y + height > CONTENT_BOTTOM {
            self.continuation_page(false);
        }
        self.y += 6.0;
        let label_x = 360.0;
        let row_count = rows.len();
        for (i, (label, value, style)) in rows.into_iter().enumerate() {
            if i + 1 == row_count {
                self.pages.push(Op::Rule { x1: label_x, x2: RIGHT, y: self.y - 11.0, width: 0.8 });
                self.y += 3.0;
            }
            self.pages.text(label_x, self.y, label, style, Align::Left);
            self.text(RIGHT, self.y, &value, style, Align::Right);
            self.y += 16.0;
        }
        self.y += 6.0;
        self.label(MARGIN, self.y, note, Style::grey(8.0), Align::Left);
        Ok(())
    }

    fn footers(&mut self) {
        let supplier = self.request.supplier;
        let mut left = supplier.name.clone();
        if let Some(vat) = &supplier.vat_number {
            left = format!("{left} · VAT no. {vat}");
        }
        let style = Style::grey(7.5);
        let fonts = self.fonts;
        let left = fonts.wrap(&left, style, 330.0).into_iter().next().unwrap_or_else(|| fonts.label("", style));
        let number = match self.request.kind {
            DocumentKind::ProForma => format!("Pro forma for {}", self.order.id()),
            _ => reference(self.request),
        };
        self.pages.on_every_page(|page, count| {
            let y = PAGE_HEIGHT - 32.0;
            let right = fonts.shape(&fonts.printable(&format!("{number} · Page {page} of {count}")), style);
            vec![
                Op::Rule { x1: MARGIN, x2: RIGHT, y: y - 12.0, width: 0.3 },
                Op::Text { x: MARGIN, y, text: Arc::clone(&left), style, align: Align::Left },
                Op::Text { x: RIGHT, y, text: right, style, align: Align::Right },
            ]
        });
    }
}

fn exclusive_of_vat(total: Money, vat: Money) -> PortResult<Money> {
    total.checked_sub(vat).map_err(|e| PortError::InvalidData(format!("the order's VAT exceeds its total: {e}")))
}

fn supplier_lines(supplier: &Supplier) -> Vec<String> {
    let mut lines = vec![supplier.name.clone()];
    lines.extend(supplier.trading_name.as_ref().map(|trading| format!("trading as {trading}")));
    lines.extend(supplier.address.iter().cloned());
    if let Some(vat) = &supplier.vat_number {
        lines.push(format!("VAT no. {vat}"));
    }
    if let Some(email) = &supplier.email {
        lines.push(email.clone());
    }
    lines
}

/// The recipient block. The address's fields are all [printable](order_domain::is_printable)
/// (the domain refuses the rest); the email address is not required on a tax invoice and may be
/// in any script (one identity, one key), so it is printed as the customer wrote it when it is
/// printable, else with its domain in ASCII (A-labels) when that is, else not at all — never
/// as `?`.
fn recipient_lines(address: &BillingAddress, email: &Email) -> Vec<String> {
    let mut lines = vec![address.name().to_owned()];
    lines.extend(address.company().map(str::to_owned));
    lines.push(address.line1().to_owned());
    lines.extend(address.line2().map(str::to_owned));
    lines.push(format!("{} {}", address.city(), address.postal_code()));
    lines.extend(address.province().map(str::to_owned));
    lines.push(if address.country() == "ZA" { "South Africa".to_owned() } else { address.country().to_owned() });
    if let Some(vat) = address.vat_number() {
        lines.push(format!("VAT no. {vat}"));
    }
    let printable = |text: &str| text.chars().all(order_domain::is_printable);
    if printable(email.as_str()) {
        lines.push(email.as_str().to_owned());
    } else if printable(&email.to_ascii()) {
        lines.push(email.to_ascii());
    }
    lines
}

//! A small page-layout engine: fonts, measured text, line wrapping, and pages of drawing
//! operations that are turned into PDF only once the page count is known (so every page can
//! say "Page 2 of 3").
//!
//! Text is measured by shaping it with rustybuzz, the shaper krilla itself uses to draw, so
//! a right-aligned amount ends exactly at its column edge. Each text is shaped once: the
//! operation that draws it carries the glyphs its measurement produced, and the fixed wording
//! of the documents (labels, headings, notes) is shaped once per renderer
//! ([`Fonts::label`]). Printable ASCII, most of any document, is shaped from the shaper's
//! own results for its characters and pairs, remembered per renderer ([`AsciiMetrics`]).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::num::NormalizedF32;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, GlyphId, KrillaGlyph};
use krilla::{Data, Document};
use order_ports::{PortError, PortResult};

/// DejaVu Sans, the regular weight (licence: `fonts/LICENSE`), reduced by `fonts/make-printable`
/// to the characters the domain accepts (`order_domain::PRINTABLE`) without TrueType hinting:
/// a quarter of the release file, and so less for every document to subset and compress.
static REGULAR: &[u8] = include_bytes!("../../fonts/printable/DejaVuSans.ttf");
/// DejaVu Sans, bold, reduced likewise.
static BOLD: &[u8] = include_bytes!("../../fonts/printable/DejaVuSans-Bold.ttf");

/// A4 portrait, in points.
pub(crate) const PAGE_WIDTH: f32 = 595.28;
/// A4 portrait, in points.
pub(crate) const PAGE_HEIGHT: f32 = 841.89;
/// Left and right margin.
pub(crate) const MARGIN: f32 = 42.0;
/// Where content may end: above the footer.
pub(crate) const CONTENT_BOTTOM: f32 = PAGE_HEIGHT - 60.0;

/// One face: the PDF font krilla embeds (subset) and the shaping face that measures it.
struct Face {
    pdf: Font,
    shaping: rustybuzz::Face<'static>,
    per_em: f32,
    /// Shape plans by direction and script. Compiling a plan costs far more than shaping a
    /// short text with it, and a document needs only one or two (Latin, left to right).
    plans: Mutex<Vec<(rustybuzz::Direction, rustybuzz::Script, Arc<rustybuzz::ShapePlan>)>>,
    /// What shaping printable ASCII gives, learnt from the shaper (see [`AsciiMetrics`]).
    ascii: [AsciiMetrics; 2],
}

/// Printable ASCII shaped from remembered shaper results. In these fonts the shaper's only
/// effects on a text of printable ASCII are each character's nominal glyph and advance, pair
/// kerning (the first glyph's advance changes) and the f-ligatures: the layout lookups that
/// reach ASCII glyphs are kerning pairs, ligatures and rules that need combining marks
/// (`fonts/make-printable` keeps them as in the release fonts). So a text is shaped by looking
/// up its characters and each adjacent pair, where each pair was shaped once by rustybuzz when
/// first met, and a pair that is not two nominal glyphs with only the first advance changed
/// (a ligature) sends the whole text to rustybuzz. The result is the shaper's to the bit
/// (this module's tests compare them).
///
/// One set per script context: a text with a letter is shaped as Latin, one without (figures,
/// punctuation) with no script, and a pair is shaped as the text around it would be.
struct AsciiMetrics {
    /// Per character (from `' '`): its glyph and advance in font units, [`COMPLEX`] as the
    /// advance if shaping it alone gives anything else.
    glyphs: Vec<(u16, i32)>,
    /// Per pair: the first glyph's advance before the second, [`UNKNOWN`] until first met,
    /// [`COMPLEX`] for a pair the shaper does more with.
    pairs: Vec<AtomicI32>,
}

impl AsciiMetrics {
    const EMPTY: Self = Self { glyphs: Vec::new(), pairs: Vec::new() };
}

/// The printable ASCII characters, `' '..='~'`.
const ASCII: usize = 95;
/// A pair not yet shaped.
const UNKNOWN: i32 = i32::MIN;
/// A character or pair the shaper does more with than nominal glyphs and pair kerning.
const COMPLEX: i32 = i32::MIN + 1;

/// The index of a printable ASCII character among them.
fn ascii_index(byte: u8) -> Option<usize> {
    (b' '..=b'~').contains(&byte).then(|| usize::from(byte - b' '))
}

/// A run of text in one direction, shaped: glyphs in visual order.
#[derive(Debug)]
struct Run {
    text: String,
    glyphs: Vec<KrillaGlyph>,
    /// Width in ems.
    width: f32,
}

/// Font units as a float; shaping values are far below 2^24, so the conversion is exact.
#[allow(clippy::cast_precision_loss)]
fn float(units: i32) -> f32 {
    units as f32
}

impl Face {
    fn load(data: &'static [u8], name: &str) -> PortResult<Self> {
        let pdf = Font::new(Data::from(data), 0)
            .ok_or_else(|| PortError::InvalidData(format!("the embedded font {name} cannot be read")))?;
        let shaping = rustybuzz::Face::from_slice(data, 0)
            .ok_or_else(|| PortError::InvalidData(format!("the embedded font {name} cannot be shaped")))?;
        let per_em = float(shaping.units_per_em().max(1));
        let mut face = Self { pdf, shaping, per_em, plans: Mutex::new(Vec::new()), ascii: [AsciiMetrics::EMPTY; 2] };
        face.ascii = [false, true].map(|latin| face.ascii_metrics(latin));
        Ok(face)
    }

    /// Shapes `text` with rustybuzz: as Latin, or with the script guessed from the text.
    fn shape_with(&self, text: &str, direction: Direction, latin: bool) -> rustybuzz::GlyphBuffer {
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        if latin {
            buffer.set_script(rustybuzz::script::LATIN);
        }
        buffer.guess_segment_properties();
        buffer.set_direction(match direction {
            Direction::Ltr => rustybuzz::Direction::LeftToRight,
            Direction::Rtl => rustybuzz::Direction::RightToLeft,
        });
        let plan = self.plan(&buffer);
        rustybuzz::shape_with_plan(&self.shaping, &plan, buffer)
    }

    /// Each printable ASCII character shaped alone, in one script context.
    fn ascii_metrics(&self, latin: bool) -> AsciiMetrics {
        let glyphs = (b' '..=b'~')
            .map(|b| {
                let shaped = self.shape_with(char::from(b).encode_utf8(&mut [0; 4]), Direction::Ltr, latin);
                match (shaped.glyph_infos(), shaped.glyph_positions()) {
                    ([info], [pos]) if (pos.x_offset, pos.y_offset, pos.y_advance) == (0, 0, 0) => {
                        (u16::try_from(info.glyph_id).unwrap_or_default(), pos.x_advance)
                    }
                    _ => (0, COMPLEX),
                }
            })
            .collect();
        AsciiMetrics { glyphs, pairs: (0..ASCII * ASCII).map(|_| AtomicI32::new(UNKNOWN)).collect() }
    }

    /// The first glyph's advance in the pair `a`, `b` (printable ASCII), or [`COMPLEX`].
    fn pair_advance(&self, a: u8, b: u8, latin: bool) -> i32 {
        let metrics = &self.ascii[usize::from(latin)];
        let (a, b) = (ascii_index(a), ascii_index(b));
        let Some(slot) = a.zip(b).and_then(|(a, b)| metrics.pairs.get(a * ASCII + b)) else { return COMPLEX };
        let known = slot.load(Ordering::Relaxed);
        if known != UNKNOWN {
            return known;
        }
        let pair: String =
            [a, b].into_iter().flatten().map(|i| char::from(b' ' + u8::try_from(i).unwrap_or(0))).collect();
        let shaped = self.shape_with(&pair, Direction::Ltr, latin);
        let nominal = |i: Option<usize>| i.and_then(|i| metrics.glyphs.get(i).copied()).unwrap_or((0, COMPLEX));
        let advance = match (shaped.glyph_infos(), shaped.glyph_positions()) {
            ([first, second], [p, q])
                if (u16::try_from(first.glyph_id).ok(), u16::try_from(second.glyph_id).ok())
                    == (Some(nominal(a).0), Some(nominal(b).0))
                    && nominal(a).1 != COMPLEX
                    && q.x_advance == nominal(b).1
                    && [p.x_offset, p.y_offset, p.y_advance, q.x_offset, q.y_offset, q.y_advance] == [0; 6] =>
            {
                p.x_advance
            }
            _ => COMPLEX,
        };
        // Racing renders store the same value.
        slot.store(advance, Ordering::Relaxed);
        advance
    }

    /// Shapes printable ASCII without running the shaper, or `None` when `text` is not
    /// printable ASCII or has a pair the shaper does more with.
    fn shape_ascii(&self, text: &str) -> Option<Run> {
        let bytes = text.as_bytes();
        let latin = bytes.iter().any(u8::is_ascii_alphabetic);
        let metrics = &self.ascii[usize::from(latin)];
        let mut glyphs = Vec::with_capacity(bytes.len());
        let mut width = 0.0;
        for (at, &byte) in bytes.iter().enumerate() {
            let (glyph, alone) = *metrics.glyphs.get(ascii_index(byte)?)?;
            let units = match bytes.get(at + 1) {
                Some(&next) => self.pair_advance(byte, next, latin),
                None => alone,
            };
            if units == COMPLEX {
                return None;
            }
            let advance = float(units) / self.per_em;
            width += advance;
            glyphs.push(KrillaGlyph::new(GlyphId::new(u32::from(glyph)), advance, 0.0, 0.0, 0.0, at..at + 1, None));
        }
        Some(Run { text: text.to_owned(), glyphs, width })
    }

    fn plan(&self, buffer: &rustybuzz::UnicodeBuffer) -> Arc<rustybuzz::ShapePlan> {
        let (direction, script) = (buffer.direction(), buffer.script());
        let cached = self.plans.lock().ok().and_then(|plans| {
            plans.iter().find(|(d, s, _)| (*d, *s) == (direction, script)).map(|(_, _, plan)| Arc::clone(plan))
        });
        cached.unwrap_or_else(|| {
            let plan = Arc::new(rustybuzz::ShapePlan::new(
                &self.shaping,
                direction,
                Some(script),
                buffer.language().as_ref(),
                &[],
            ));
            // A poisoned lock only costs the cache, never the render.
            if let Ok(mut plans) = self.plans.lock() {
                plans.push((direction, script, Arc::clone(&plan)));
            }
            plan
        })
    }

    /// Shapes one run in one direction.
    fn shape_run(&self, text: &str, direction: Direction) -> Run {
        if direction == Direction::Ltr
            && let Some(run) = self.shape_ascii(text)
        {
            return run;
        }
        self.shape_with_rustybuzz(text, direction)
    }

    /// Shapes one run in one direction with rustybuzz.
    fn shape_with_rustybuzz(&self, text: &str, direction: Direction) -> Run {
        let shaped = self.shape_with(text, direction, false);
        // A glyph stands for the text from its cluster to the next cluster in the text.
        let mut clusters: Vec<usize> = shaped.glyph_infos().iter().map(|i| i.cluster as usize).collect();
        clusters.sort_unstable();
        clusters.dedup();
        let mut width = 0.0;
        let glyphs = shaped
            .glyph_infos()
            .iter()
            .zip(shaped.glyph_positions())
            .map(|(info, pos)| {
                let start = info.cluster as usize;
                let end = clusters.get(clusters.partition_point(|&c| c <= start)).copied().unwrap_or(text.len());
                let advance = float(pos.x_advance) / self.per_em;
                width += advance;
                KrillaGlyph::new(
                    GlyphId::new(info.glyph_id),
                    advance,
                    float(pos.x_offset) / self.per_em,
                    float(pos.y_offset) / self.per_em,
                    float(pos.y_advance) / self.per_em,
                    start..end,
                    None,
                )
            })
            .collect();
        Run { text: text.to_owned(), glyphs, width }
    }

    /// Shapes a line: right-to-left runs (Arabic, Hebrew) are shaped in their own direction
    /// and placed in reading order within the left-to-right line.
    fn shape(&self, text: &str, bold: bool) -> Shaped {
        let runs: Vec<Run> = if text.is_empty() {
            Vec::new()
        } else if text.chars().any(is_rtl) {
            directional_runs(text)
                .into_iter()
                .map(|(range, direction)| self.shape_run(&text[range], direction))
                .collect()
        } else {
            // Without right-to-left letters, the whole line is one left-to-right run.
            vec![self.shape_run(text, Direction::Ltr)]
        };
        let width = runs.iter().map(|run| run.width).sum();
        Shaped { runs, width, bold }
    }

    fn has_glyph(&self, c: char) -> bool {
        self.shaping.glyph_index(c).is_some()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Ltr,
    Rtl,
}

/// A text shaped in one face, ready to draw at any size: its runs in reading order.
#[derive(Debug)]
pub(crate) struct Shaped {
    runs: Vec<Run>,
    /// Width in ems.
    width: f32,
    /// Shaped with the bold face (drawn with it too).
    bold: bool,
}

impl Shaped {
    /// The width in points at `size`.
    pub(crate) fn width(&self, size: f32) -> f32 {
        self.width * size
    }

    /// The text it draws.
    #[cfg(test)]
    fn text(&self) -> String {
        self.runs.iter().map(|run| run.text.as_str()).collect()
    }
}

/// Letters of right-to-left scripts: Hebrew, Arabic, Syriac, Thaana, N'Ko and their
/// presentation forms.
fn is_rtl(c: char) -> bool {
    matches!(c, '\u{0590}'..='\u{08FF}' | '\u{FB1D}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFF}')
}

/// Splits `text` into byte ranges of one direction each. A simplified bidi algorithm for
/// left-to-right documents: letters of right-to-left scripts are right-to-left, other letters
/// and digits left-to-right, and neutral characters (spaces, punctuation, symbols) take the
/// direction of their surroundings when both sides agree, else left-to-right.
fn directional_runs(text: &str) -> Vec<(std::ops::Range<usize>, Direction)> {
    let strong = |c: char| {
        if is_rtl(c) {
            Some(Direction::Rtl)
        } else if c.is_alphanumeric() {
            Some(Direction::Ltr)
        } else {
            None
        }
    };
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut resolved = Vec::with_capacity(chars.len());
    for (i, &(_, c)) in chars.iter().enumerate() {
        let direction = strong(c).unwrap_or_else(|| {
            let before = chars[..i].iter().rev().find_map(|&(_, c)| strong(c));
            let after = chars[i + 1..].iter().find_map(|&(_, c)| strong(c));
            if before == Some(Direction::Rtl) && after == Some(Direction::Rtl) {
                Direction::Rtl
            } else {
                Direction::Ltr
            }
        });
        resolved.push(direction);
    }
    let mut runs: Vec<(std::ops::Range<usize>, Direction)> = Vec::new();
    for (&(at, c), direction) in chars.iter().zip(resolved) {
        let end = at + c.len_utf8();
        match runs.last_mut() {
            Some((range, last)) if *last == direction => range.end = end,
            _ => runs.push((at..end, direction)),
        }
    }
    runs
}

/// The two weights used on documents.
pub(crate) struct Fonts {
    regular: Face,
    bold: Face,
    /// The documents' fixed wording, shaped, by face (bold or not) and text. Only `'static`
    /// texts enter, so it holds at most every label in this crate.
    labels: Mutex<HashMap<(bool, &'static str), Arc<Shaped>>>,
}

impl Fonts {
    /// Loads the embedded fonts.
    pub(crate) fn load() -> PortResult<Self> {
        Ok(Self {
            regular: Face::load(REGULAR, "DejaVuSans")?,
            bold: Face::load(BOLD, "DejaVuSans-Bold")?,
            labels: Mutex::new(HashMap::new()),
        })
    }

    fn face(&self, bold: bool) -> &Face {
        if bold { &self.bold } else { &self.regular }
    }

    /// `text` shaped in `style`'s face. The text is drawn as given: make it
    /// [printable](Self::printable) first unless it is this crate's own.
    pub(crate) fn shape(&self, text: &str, style: Style) -> Arc<Shaped> {
        Arc::new(self.face(style.bold).shape(text, style.bold))
    }

    /// One of the documents' fixed texts, shaped once per renderer and shared by every document.
    pub(crate) fn label(&self, text: &'static str, style: Style) -> Arc<Shaped> {
        let key = (style.bold, text);
        if let Some(shaped) = self.labels.lock().ok().and_then(|labels| labels.get(&key).cloned()) {
            return shaped;
        }
        let shaped = self.shape(text, style);
        // A poisoned lock only costs the cache, never the render.
        if let Ok(mut labels) = self.labels.lock() {
            labels.insert(key, Arc::clone(&shaped));
        }
        shaped
    }

    /// The width of `text` in points.
    pub(crate) fn width(&self, text: &str, style: Style) -> f32 {
        self.face(style.bold).shape(text, style.bold).width(style.size)
    }

    /// `text` made safe to draw: control characters become spaces, invisible formatting
    /// characters (joiners, variation selectors, bidi controls) are dropped, and a character
    /// the font has no glyph for becomes `?`. A hostile or exotic name always renders, and a
    /// text extractor reads back what is visibly there.
    pub(crate) fn printable<'t>(&self, text: &'t str) -> Cow<'t, str> {
        // Both fonts draw every printable ASCII character (checked by this module's tests).
        if text.bytes().all(|b| b == b' ' || b.is_ascii_graphic()) {
            return Cow::Borrowed(text);
        }
        text.chars()
            .filter_map(|c| {
                if c.is_control() {
                    Some(' ')
                } else if is_invisible_format(c) {
                    None
                } else if self.regular.has_glyph(c) && self.bold.has_glyph(c) {
                    Some(c)
                } else {
                    Some('?')
                }
            })
            .collect::<String>()
            .into()
    }

    /// Splits the [printable](Self::printable) `text` into lines no wider than `max_width`, each
    /// shaped: at spaces where possible, inside a word when a single word is wider than the line.
    pub(crate) fn wrap(&self, text: &str, style: Style, max_width: f32) -> Vec<Arc<Shaped>> {
        let text = self.printable(text);
        let words: Vec<&str> = text.split_whitespace().collect();
        let joined = words.join(" ");
        let whole = self.shape(&joined, style);
        if whole.width(style.size) <= max_width {
            return vec![whole];
        }
        let space = self.width(" ", style);
        let mut lines = Vec::new();
        let mut current = String::new();
        let mut current_width = 0.0;
        for word in words {
            let width = self.width(word, style);
            if !current.is_empty() && current_width + space + width <= max_width {
                current.push(' ');
                current.push_str(word);
                current_width += space + width;
                continue;
            }
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
            }
            if width <= max_width {
                word.clone_into(&mut current);
                current_width = width;
                continue;
            }
            // A word wider than the line: break it between characters.
            current_width = 0.0;
            for c in word.chars() {
                let advance = self.width(c.encode_utf8(&mut [0; 4]), style);
                if current_width + advance > max_width && !current.is_empty() {
                    lines.push(std::mem::take(&mut current));
                    current_width = 0.0;
                }
                current.push(c);
                current_width += advance;
            }
        }
        if !current.is_empty() || lines.is_empty() {
            lines.push(current);
        }
        lines.iter().map(|line| self.shape(line, style)).collect()
    }
}

/// A small count (lines, rows) as a length factor.
pub(crate) fn count(n: usize) -> f32 {
    u16::try_from(n).map_or(f32::from(u16::MAX), f32::from)
}

/// Zero-width and formatting characters that draw nothing (and that fonts rarely map).
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}'
        | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{E0000}'..='\u{E01EF}')
}

/// Font weight and size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Style {
    pub(crate) bold: bool,
    pub(crate) size: f32,
    pub(crate) grey: bool,
}

impl Style {
    pub(crate) const fn regular(size: f32) -> Self {
        Self { bold: false, size, grey: false }
    }
    pub(crate) const fn bold(size: f32) -> Self {
        Self { bold: true, size, grey: false }
    }
    pub(crate) const fn grey(size: f32) -> Self {
        Self { bold: false, size, grey: true }
    }
}

/// Horizontal alignment of a text relative to its `x`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    /// `x` is the left edge.
    Left,
    /// `x` is the right edge.
    Right,
}

/// Something drawn on a page. Coordinates are points from the top-left corner; a text's `y`
/// is its baseline.
#[derive(Debug, Clone)]
pub(crate) enum Op {
    Text { x: f32, y: f32, text: Arc<Shaped>, style: Style, align: Align },
    Rule { x1: f32, x2: f32, y: f32, width: f32 },
    Band { x: f32, y: f32, width: f32, height: f32 },
}

/// Pages of operations, filled top to bottom.
#[derive(Debug, Default)]
pub(crate) struct Pages {
    pages: Vec<Vec<Op>>,
}

impl Pages {
    /// Starts a new page and returns its index.
    pub(crate) fn new_page(&mut self) -> usize {
        self.pages.push(Vec::new());
        self.pages.len() - 1
    }

    /// Adds an operation to the last page (starting one if there is none).
    pub(crate) fn push(&mut self, op: Op) {
        if self.pages.is_empty() {
            self.new_page();
        }
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }

    /// Adds shaped text on the last page.
    pub(crate) fn text(&mut self, x: f32, y: f32, text: Arc<Shaped>, style: Style, align: Align) {
        self.push(Op::Text { x, y, text, style, align });
    }

    /// Adds operations to every page; `each` gets the page number (from 1) and the count.
    pub(crate) fn on_every_page(&mut self, each: impl Fn(usize, usize) -> Vec<Op>) {
        let count = self.pages.len();
        for (i, page) in self.pages.iter_mut().enumerate() {
            page.extend(each(i + 1, count));
        }
    }

    /// Draws every page into `document`.
    pub(crate) fn draw(&self, fonts: &Fonts, document: &mut Document) -> PortResult<()> {
        let settings = krilla::page::PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
            .ok_or_else(|| PortError::InvalidData("invalid page size".into()))?;
        for ops in &self.pages {
            let mut page = document.start_page_with(settings.clone());
            let mut surface = page.surface();
            for op in ops {
                draw(&mut surface, fonts, op);
            }
            surface.finish();
            page.finish();
        }
        Ok(())
    }
}

fn ink() -> rgb::Color {
    rgb::Color::new(0x1a, 0x1a, 0x1a)
}

fn grey() -> rgb::Color {
    rgb::Color::new(0x66, 0x66, 0x66)
}

fn band() -> rgb::Color {
    rgb::Color::new(0xee, 0xf0, 0xf3)
}

fn fill(color: rgb::Color) -> Fill {
    Fill { paint: color.into(), opacity: NormalizedF32::ONE, rule: krilla::paint::FillRule::NonZero }
}

fn draw(surface: &mut Surface<'_>, fonts: &Fonts, op: &Op) {
    match op {
        Op::Text { x, y, text, style, align } => {
            let face = fonts.face(text.bold);
            let mut x = match align {
                Align::Left => *x,
                Align::Right => *x - text.width(style.size),
            };
            surface.set_stroke(None);
            surface.set_fill(Some(fill(if style.grey { grey() } else { ink() })));
            for run in &text.runs {
                surface.draw_glyphs(Point::from_xy(x, *y), &run.glyphs, face.pdf.clone(), &run.text, style.size, false);
                x += run.width * style.size;
            }
        }
        Op::Rule { x1, x2, y, width } => {
            let mut builder = PathBuilder::new();
            builder.move_to(*x1, *y);
            builder.line_to(*x2, *y);
            if let Some(path) = builder.finish() {
                surface.set_fill(None);
                surface.set_stroke(Some(Stroke { paint: grey().into(), width: *width, ..Stroke::default() }));
                surface.draw_path(&path);
                surface.set_stroke(None);
            }
        }
        Op::Band { x, y, width, height } => {
            let mut builder = PathBuilder::new();
            if let Some(rect) = Rect::from_xywh(*x, *y, *width, *height) {
                builder.push_rect(rect);
            }
            if let Some(path) = builder.finish() {
                surface.set_stroke(None);
                surface.set_fill(Some(fill(band())));
                surface.draw_path(&path);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The domain accepts in printed fields only the characters of `order_domain::PRINTABLE`:
    /// each of them must be drawn by both fonts, as itself (never `?`, never dropped).
    #[test]
    fn every_character_the_domain_accepts_is_drawn_by_both_fonts() {
        let fonts = Fonts::load().unwrap();
        let mut missing = Vec::new();
        let mut checked = 0;
        for (first, last) in order_domain::PRINTABLE {
            for c in *first..=*last {
                checked += 1;
                let drawn = fonts.printable(c.encode_utf8(&mut [0; 4])).into_owned();
                // `printable` takes printable ASCII as it is: the glyphs must be there too.
                if drawn != c.to_string() || !(fonts.regular.has_glyph(c) && fonts.bold.has_glyph(c)) {
                    missing.push(format!("U+{:04X} {c:?} → {drawn:?}", u32::from(c)));
                }
            }
        }
        assert!(missing.is_empty(), "{} of {checked} accepted characters are not drawn: {missing:?}", missing.len());
        assert!(checked > 1500, "{checked}");
    }

    /// `fonts/make-printable` leaves out glyphs, hinting and names, never shaping: every accepted
    /// character, alone and between its neighbours, and names in every accepted script, shape
    /// to the same advances, offsets and clusters with the embedded fonts as with the release
    /// files they are derived from.
    #[test]
    fn the_embedded_fonts_shape_as_the_release_fonts_do() {
        fn shape(face: &rustybuzz::Face<'_>, text: &str) -> Vec<(i32, i32, i32, u32)> {
            let mut buffer = rustybuzz::UnicodeBuffer::new();
            buffer.push_str(text);
            buffer.guess_segment_properties();
            let shaped = rustybuzz::shape(face, &[], buffer);
            let infos = shaped.glyph_infos();
            shaped
                .glyph_positions()
                .iter()
                .zip(infos)
                .map(|(p, i)| (p.x_advance, p.x_offset, p.y_offset, i.cluster))
                .collect()
        }
        let accepted: Vec<char> = order_domain::PRINTABLE.iter().flat_map(|(first, last)| *first..=*last).collect();
        let mut samples: Vec<String> = accepted.iter().map(char::to_string).collect();
        samples.extend(accepted.windows(3).map(|w| w.iter().collect()));
        samples.extend(
            [
                "Zoë Nkosi-O'Brien",
                "Ṣàngó & Ngũgĩ",
                "AVATAR Ty Wo fi ffl",
                "Юлия Иванова",
                "Nguyễn Văn",
                "שרה כהן",
                "محمد علي",
            ]
            .map(String::from),
        );
        let release: [&[u8]; 2] =
            [include_bytes!("../../fonts/DejaVuSans.ttf"), include_bytes!("../../fonts/DejaVuSans-Bold.ttf")];
        for (release, embedded) in release.into_iter().zip([REGULAR, BOLD]) {
            let release = rustybuzz::Face::from_slice(release, 0).unwrap();
            let embedded = rustybuzz::Face::from_slice(embedded, 0).unwrap();
            let differ: Vec<&String> = samples.iter().filter(|s| shape(&release, s) != shape(&embedded, s)).collect();
            assert!(differ.is_empty(), "{} of {} shape otherwise: {differ:?}", differ.len(), samples.len());
        }
    }

    /// Printable ASCII shaped from remembered pairs is what rustybuzz gives, glyph for glyph:
    /// every pair, every triple of the letters that kern or ligate, and many pseudo-random texts.
    #[test]
    fn ascii_shaped_from_pairs_is_what_the_shaper_gives() {
        fn glyphs(run: &Run) -> Vec<String> {
            run.glyphs.iter().map(|g| format!("{g:?}")).collect()
        }
        let fonts = Fonts::load().unwrap();
        let printable: Vec<char> = (' '..='~').collect();
        let mut texts: Vec<String> = Vec::new();
        for a in &printable {
            texts.extend(printable.iter().map(|b| format!("{a}{b}")));
        }
        let kerning: Vec<char> = "fFilATVWYy. ,1R".chars().collect();
        for a in &kerning {
            for b in &kerning {
                texts.extend(kerning.iter().map(|c| format!("{a}{b}{c}")));
            }
        }
        // A fixed linear congruential sequence: texts of 1 to 24 printable characters.
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: usize| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(seed >> 33).unwrap() % n
        };
        for _ in 0..3000 {
            let len = 1 + next(24);
            texts.push((0..len).map(|_| printable[next(printable.len())]).collect());
        }
        texts.extend(
            ["R1,349.00", "(R12.50)", "15", "Hosting for five offices", "Total (ZAR)", "Office fit-out"]
                .map(String::from),
        );
        let mut fast = 0;
        for face in [&fonts.regular, &fonts.bold] {
            for text in &texts {
                let expected = face.shape_with_rustybuzz(text, Direction::Ltr);
                if let Some(run) = face.shape_ascii(text) {
                    fast += 1;
                    assert_eq!(glyphs(&run), glyphs(&expected), "{text:?}");
                    assert_eq!(run.width.to_bits(), expected.width.to_bits(), "{text:?}");
                }
            }
        }
        // Only texts with a ligature go to the shaper.
        assert!(fast > texts.len() * 3 / 2, "{fast} of {}", texts.len() * 2);
        assert!(fonts.regular.shape_ascii("office").is_none());
    }

    #[test]
    fn wraps_at_spaces_and_inside_long_words() {
        let fonts = Fonts::load().unwrap();
        let style = Style::regular(9.0);
        let lines = fonts.wrap("Managed WordPress hosting for one year", style, 80.0);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| l.width(style.size) <= 80.0));
        let texts: Vec<String> = lines.iter().map(|l| l.text()).collect();
        assert_eq!(texts.join(" "), "Managed WordPress hosting for one year");

        let long = "x".repeat(200);
        let lines = fonts.wrap(&long, style, 50.0);
        assert!(lines.len() > 3);
        assert_eq!(lines.iter().map(|l| l.text()).collect::<String>(), long);
    }

    #[test]
    fn printable_replaces_what_the_font_lacks() {
        let fonts = Fonts::load().unwrap();
        assert_eq!(fonts.printable("a\tb\u{200D}c"), "a bc");
        assert_eq!(fonts.printable("Zoë"), "Zoë");
        // A CJK ideograph is not in DejaVu Sans.
        assert_eq!(fonts.printable("日"), "?");
    }

    #[test]
    fn right_to_left_runs_are_split_out() {
        let runs = directional_runs("Order محمد כהן 12 & co");
        let directions: Vec<Direction> = runs.iter().map(|(_, d)| *d).collect();
        assert_eq!(directions, [Direction::Ltr, Direction::Rtl, Direction::Ltr]);
        assert_eq!(&"Order محمد כהן 12 & co"[runs[1].0.clone()], "محمد כהן");
        assert!(directional_runs("").is_empty());
    }

    #[test]
    fn wider_text_measures_wider() {
        let fonts = Fonts::load().unwrap();
        let narrow = fonts.width("R1.00", Style::regular(9.0));
        let wide = fonts.width("R1,000,000.00", Style::regular(9.0));
        assert!(narrow > 0.0 && wide > narrow);
        assert!(fonts.width("R1.00", Style::bold(9.0)) > narrow);
    }
}

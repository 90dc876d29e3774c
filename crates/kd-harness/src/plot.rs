//! Figures of a results folder, rliable-style, each written as an SVG and a PNG.
//!
//! [`plot_all`] draws, for every plotted score metric (see [`default_metrics`]):
//!
//! - `task_means_<metric>`: per task, each method's mean over seeds with its Student-t 95% CI
//!   (one small panel per task);
//! - `aggregate_iqm_<metric>`: each method's interquartile mean over all runs of all tasks,
//!   with a 95% stratified-bootstrap CI (rliable's interval estimates);
//! - `performance_profile_<metric>`: the fraction of a method's runs scoring above τ, scores
//!   min-max normalised per task over all methods' runs (rliable's performance profiles);
//! - `prob_improvement_<metric>`: P(method > baseline) averaged over tasks, with a 95%
//!   stratified-bootstrap CI;
//!
//! and, from `curves.csv`, `curves_<task>`: the mean over seeds (band: ±1 std) of each
//! method's `val` and `test` accuracy per step.
//!
//! Lower-is-better metrics (see [`lower_is_better`]) keep their own units, with each axis
//! saying which way is better; the IQM and its interval are computed on the raw values (both
//! commute with negation), while profiles and probabilities of improvement negate them so
//! that "above" and "improvement" always mean better.
//!
//! Text is drawn with DejaVu Sans embedded in the binary (the `dejavu` crate) through
//! plotters' pure-Rust `ab_glyph` renderer, so no system font library is needed. A method
//! has the same colour in every figure of one call.
use crate::metrics::{direction, is_descriptive, lower_is_better};
use crate::store::{write_atomic, CurveRow, ScoreRow};
use kd_stats::aggregate::{aggregate_iqm, iqm_bootstrap_ci, ScoreMatrix};
use kd_stats::descriptive::{mean, quantile, sample_std, t_ci95};
use kd_stats::effect::probability_of_improvement;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Bootstrap resamples behind the IQM and probability-of-improvement intervals.
pub const BOOTSTRAP_REPS: usize = 2_000;
/// Seed of those resamples, so figures are reproducible.
const BOOTSTRAP_SEED: u64 = 0;

/// What [`plot_figures`] wrote, and why it skipped what it skipped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlotReport {
    /// Files written, an SVG then a PNG per figure.
    pub files: Vec<PathBuf>,
    /// One line per skipped figure or degenerate input (e.g. "no baseline `x`").
    pub notes: Vec<String>,
}

/// Draws every figure (see the module docs) of the [`default_metrics`] into `out_dir`
/// (created if needed) and returns the files written. Figures that cannot be drawn are
/// skipped with a note on stderr: `prob_improvement_*` without runs of `baseline`,
/// `curves_*` without curve rows.
pub fn plot_all(
    scores: &[ScoreRow],
    curves: &[CurveRow],
    baseline: &str,
    out_dir: &Path,
) -> anyhow::Result<Vec<PathBuf>> {
    let report = plot_figures(scores, curves, baseline, &default_metrics(scores), out_dir)?;
    for note in &report.notes {
        eprintln!("note: {note}");
    }
    Ok(report.files)
}

/// The score metrics [`plot_all`] draws, chosen per task: a task's metrics ending in `acc`
/// when it has any (its `*_errors` and other metrics restate them), otherwise every metric
/// of it that is not descriptive (see [`is_descriptive`]); the union over tasks, sorted. In
/// a GLUE run, STS-B's Pearson correlation is drawn beside the other tasks' accuracies.
pub fn default_metrics(scores: &[ScoreRow]) -> Vec<String> {
    let mut per_task: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for r in scores.iter().filter(|r| !is_descriptive(&r.metric)) {
        per_task.entry(&r.task).or_default().insert(&r.metric);
    }
    let mut chosen = BTreeSet::new();
    for metrics in per_task.values() {
        let acc: Vec<&str> = metrics
            .iter()
            .copied()
            .filter(|m| m.ends_with("acc"))
            .collect();
        if acc.is_empty() {
            chosen.extend(metrics.iter().copied());
        } else {
            chosen.extend(acc);
        }
    }
    chosen.into_iter().map(String::from).collect()
}

/// [`plot_all`] for the given score `metrics`, returning the notes instead of printing them.
pub fn plot_figures(
    scores: &[ScoreRow],
    curves: &[CurveRow],
    baseline: &str,
    metrics: &[String],
    out_dir: &Path,
) -> anyhow::Result<PlotReport> {
    ensure_font()?;
    std::fs::create_dir_all(out_dir)
        .map_err(|e| anyhow::anyhow!("{}: cannot create: {e}", out_dir.display()))?;
    let palette = Palette::new(
        scores
            .iter()
            .map(|r| r.method.as_str())
            .chain(curves.iter().map(|r| r.method.as_str())),
    );
    let mut out = Output {
        dir: out_dir.to_path_buf(),
        stems: HashSet::new(),
        report: PlotReport::default(),
    };
    if metrics.is_empty() {
        out.report.notes.push("no score metric to plot".into());
    }
    for metric in metrics {
        let table = ScoreTable::new(scores, metric);
        if table.tasks.is_empty() {
            out.report.notes.push(format!(
                "no finite score of metric `{metric}`: its figures are skipped"
            ));
            continue;
        }
        let m = sanitize(metric);
        out.save(
            &format!("task_means_{m}"),
            &TaskMeans::new(&table, &palette),
        )?;
        out.save(
            &format!("aggregate_iqm_{m}"),
            &IqmFigure::new(&table, &palette),
        )?;
        out.save(
            &format!("performance_profile_{m}"),
            &ProfileFigure::new(&table, &palette),
        )?;
        match PoiFigure::new(&table, &palette, baseline) {
            Ok(figure) => out.save(&format!("prob_improvement_{m}"), &figure)?,
            Err(note) => out.report.notes.push(note),
        }
    }
    let tasks: BTreeSet<&str> = curves.iter().map(|r| r.task.as_str()).collect();
    if tasks.is_empty() {
        out.report
            .notes
            .push("no curve rows: the curves_* figures are skipped".into());
    }
    for task in tasks {
        match CurvesFigure::new(curves, task, &palette) {
            Some(figure) => out.save(&format!("curves_{}", sanitize(task)), &figure)?,
            None => out.report.notes.push(format!(
                "task `{task}` has no finite curve values: no curves figure"
            )),
        }
    }
    Ok(out.report)
}

pub use crate::store::read_curves;

// ---------------------------------------------------------------------------------------
// Output: SVG and PNG of one figure.

/// Height of the title block (title and subtitle) of every figure.
const TITLE_H: u32 = 66;
/// Width of the legend column on the right of every figure.
const LEGEND_W: u32 = 210;
/// Height of one legend entry.
const LEGEND_ROW: u32 = 26;
/// Blank strip at the bottom of every figure.
const BOTTOM: u32 = 12;
/// Font family registered with plotters (by [`ensure_font`]).
pub const FONT: &str = "sans-serif";

/// A figure that can be drawn on any plotters backend.
trait Figure {
    /// Canvas size in pixels.
    fn size(&self) -> (u32, u32);
    /// Draws the whole figure on `root`.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()>;
}

/// Where figures go, the file stems used so far and the report.
struct Output {
    dir: PathBuf,
    stems: HashSet<String>,
    report: PlotReport,
}

impl Output {
    /// Writes `stem.svg` and `stem.png` (a stem already used gets a `-2`, `-3`... suffix).
    fn save<F: Figure>(&mut self, stem: &str, figure: &F) -> anyhow::Result<()> {
        let mut unique = stem.to_string();
        let mut k = 2;
        while !self.stems.insert(unique.clone()) {
            unique = format!("{stem}-{k}");
            k += 1;
        }
        let (w, h) = figure.size();
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
            figure.draw(&root)?;
            root.present().map_err(drawing_error)?;
        }
        let svg_path = self.dir.join(format!("{unique}.svg"));
        write_atomic(&svg_path, svg.as_bytes())?;
        self.report.files.push(svg_path);

        let mut rgb = vec![255u8; w as usize * h as usize * 3];
        {
            let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
            figure.draw(&root)?;
            root.present().map_err(drawing_error)?;
        }
        let png_path = self.dir.join(format!("{unique}.png"));
        write_atomic(&png_path, &encode_png(w, h, &rgb)?)?;
        self.report.files.push(png_path);
        Ok(())
    }
}

/// Encodes an 8-bit RGB buffer (`w` x `h`, rows top to bottom) as a PNG: one IHDR, one
/// zlib-compressed IDAT of unfiltered scanlines, IEND.
pub fn encode_png(w: u32, h: u32, rgb: &[u8]) -> anyhow::Result<Vec<u8>> {
    use std::io::Write;
    let row = w as usize * 3;
    anyhow::ensure!(
        rgb.len() == row * h as usize,
        "PNG encoding: wrong buffer size"
    );
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    for line in rgb.chunks(row.max(1)) {
        z.write_all(&[0])?; // filter type: none
        z.write_all(line)?;
    }
    let idat = z.finish()?;
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    // 8 bits per sample, colour type 2 (RGB), deflate, adaptive filtering, no interlace.
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [
        (b"IHDR", &ihdr[..]),
        (b"IDAT", &idat[..]),
        (b"IEND", &[][..]),
    ] {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        png.extend_from_slice(kind);
        png.extend_from_slice(data);
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        png.extend_from_slice(&crc.sum().to_be_bytes());
    }
    Ok(png)
}

fn drawing_error<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow::anyhow!("drawing a figure failed: {e}")
}

/// Registers the embedded DejaVu Sans with plotters once per process (as [`FONT`]).
pub fn ensure_font() -> anyhow::Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular()).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(anyhow::anyhow!(
            "the embedded DejaVu Sans font failed to load"
        ))
    }
}

/// A file-name-safe form of `name`: letters, digits, `-`, `_` and `.` are kept (not a
/// leading `.`), anything else becomes `_`; at most 80 characters.
fn sanitize(name: &str) -> String {
    let mut s: String = name
        .chars()
        .take(80)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.starts_with('.') {
        s.replace_range(0..1, "_");
    }
    if s.is_empty() {
        s.push_str("unnamed");
    }
    s
}

// ---------------------------------------------------------------------------------------
// Colours, text, layout.

/// Tableau 10: distinct, colour-blind-friendlier than the plotters defaults.
const TAB10: [(u8, u8, u8); 10] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
];

/// One colour per method, by the method's rank among all methods of the call.
struct Palette(BTreeMap<String, RGBColor>);

impl Palette {
    fn new<'a>(methods: impl Iterator<Item = &'a str>) -> Palette {
        let names: BTreeSet<&str> = methods.collect();
        Palette(
            names
                .into_iter()
                .enumerate()
                .map(|(i, name)| {
                    let (r, g, b) = TAB10[i % TAB10.len()];
                    // Past ten methods, cycle through darker shades.
                    let k = 1.0 - 0.35 * ((i / TAB10.len()) % 3) as f64;
                    let shade = |c: u8| (c as f64 * k).round() as u8;
                    (name.to_string(), RGBColor(shade(r), shade(g), shade(b)))
                })
                .collect(),
        )
    }

    fn color(&self, method: &str) -> RGBColor {
        self.0.get(method).copied().unwrap_or(RGBColor(0, 0, 0))
    }

    fn legend(&self, methods: &[String]) -> Vec<(String, RGBColor)> {
        methods.iter().map(|m| (m.clone(), self.color(m))).collect()
    }
}

const GREY: RGBColor = RGBColor(90, 90, 90);
const LIGHT: RGBColor = RGBColor(200, 200, 200);

/// Width in pixels of `text` at `size` in the embedded font.
fn text_width(text: &str, size: f64) -> u32 {
    (FONT, size)
        .into_font()
        .box_size(text)
        .map(|(w, _)| w)
        .unwrap_or((text.chars().count() as f64 * size * 0.6) as u32)
}

/// `text` cut (with an ellipsis) to fit `max_w` pixels at `size`.
fn fit(text: &str, size: f64, max_w: u32) -> String {
    if text_width(text, size) <= max_w {
        return text.to_string();
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let cut: String = chars.iter().collect::<String>() + "…";
        if text_width(&cut, size) <= max_w {
            return cut;
        }
    }
    "…".into()
}

/// Width of the y-label area that fits the method names at 13 px (clamped).
fn name_area_width(names: &[String]) -> u32 {
    let widest = names.iter().map(|n| text_width(n, 13.0)).max().unwrap_or(0);
    (widest + 16).clamp(48, 200)
}

/// Height of a legend of `n` entries.
fn legend_h(n: usize) -> u32 {
    44 + LEGEND_ROW * n as u32
}

/// Canvas size for `content` pixels of plots beside a legend of `n` entries.
fn canvas((w, h): (u32, u32), n: usize) -> (u32, u32) {
    (w + LEGEND_W, TITLE_H + h.max(legend_h(n)) + BOTTOM)
}

/// Paints the background, title, subtitle and legend; returns the plot area.
fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    legend: &[(String, RGBColor)],
) -> anyhow::Result<DrawingArea<DB, Shift>> {
    root.fill(&WHITE).map_err(drawing_error)?;
    let (w, _) = root.dim_in_pixel();
    let room = w.saturating_sub(32);
    root.draw(&Text::new(
        fit(title, 22.0, room),
        (16, 12),
        (FONT, 22).into_font().color(&BLACK),
    ))
    .map_err(drawing_error)?;
    root.draw(&Text::new(
        fit(subtitle, 14.0, room),
        (16, 42),
        (FONT, 14).into_font().color(&GREY),
    ))
    .map_err(drawing_error)?;
    let (_, body) = root.split_vertically(TITLE_H);
    let (body, _) = body.split_vertically(body.dim_in_pixel().1.saturating_sub(BOTTOM));
    let (plots, legend_area) = body.split_horizontally(w.saturating_sub(LEGEND_W));
    draw_legend(&legend_area, legend)?;
    Ok(plots)
}

/// The method legend: a framed column of colour markers and names.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(String, RGBColor)],
) -> anyhow::Result<()> {
    let bottom = legend_h(entries.len()) as i32 - 8;
    area.draw(&Rectangle::new(
        [(8, 4), (LEGEND_W as i32 - 12, bottom)],
        LIGHT.stroke_width(1),
    ))
    .map_err(drawing_error)?;
    area.draw(&Text::new(
        "method",
        (20, 12),
        (FONT, 15).into_font().color(&BLACK),
    ))
    .map_err(drawing_error)?;
    for (i, (name, color)) in entries.iter().enumerate() {
        let y = 40 + LEGEND_ROW as i32 * i as i32;
        area.draw(&PathElement::new(
            vec![(20, y + 8), (44, y + 8)],
            color.stroke_width(3),
        ))
        .map_err(drawing_error)?;
        area.draw(&Circle::new((32, y + 8), 5, color.filled()))
            .map_err(drawing_error)?;
        area.draw(&Text::new(
            fit(name, 14.0, LEGEND_W - 70),
            (52, y),
            (FONT, 14).into_font().color(&BLACK),
        ))
        .map_err(drawing_error)?;
    }
    Ok(())
}

/// `(lo, hi)` widened by a margin; a zero-width range gets a small one around it.
fn padded(lo: f64, hi: f64) -> (f64, f64) {
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    let span = hi - lo;
    if span <= f64::EPSILON * lo.abs().max(hi.abs()).max(1.0) {
        let d = if lo.abs() > 0.0 { lo.abs() * 0.05 } else { 0.5 };
        (lo - d, hi + d)
    } else {
        (lo - 0.08 * span, hi + 0.08 * span)
    }
}

/// Tick labels with as many decimals as the axis span needs.
fn tick_format(lo: f64, hi: f64) -> impl Fn(&f64) -> String {
    let step = ((hi - lo).abs() / 5.0).max(1e-12);
    let decimals = (-step.log10().floor()).clamp(0.0, 6.0) as usize;
    move |v: &f64| {
        let v = if v.abs() < step * 1e-6 { 0.0 } else { *v };
        format!("{v:.decimals$}")
    }
}

/// Min and max of finite values (`None` when there is none).
fn extent(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

fn better(metric: &str) -> &'static str {
    if lower_is_better(metric) {
        "lower is better"
    } else {
        "higher is better"
    }
}

// ---------------------------------------------------------------------------------------
// Scores of one metric.

/// The finite values of one metric: `runs[task][method]`, ordered by seed.
struct ScoreTable {
    metric: String,
    tasks: Vec<String>,
    methods: Vec<String>,
    runs: BTreeMap<String, BTreeMap<String, Vec<f64>>>,
}

impl ScoreTable {
    fn new(scores: &[ScoreRow], metric: &str) -> ScoreTable {
        let mut by_seed: BTreeMap<String, BTreeMap<String, Vec<(u64, f64)>>> = BTreeMap::new();
        for r in scores
            .iter()
            .filter(|r| r.metric == metric && r.value.is_finite())
        {
            by_seed
                .entry(r.task.clone())
                .or_default()
                .entry(r.method.clone())
                .or_default()
                .push((r.seed, r.value));
        }
        let runs: BTreeMap<String, BTreeMap<String, Vec<f64>>> = by_seed
            .into_iter()
            .map(|(task, methods)| {
                let methods = methods
                    .into_iter()
                    .map(|(method, mut v)| {
                        v.sort_by_key(|&(seed, _)| seed);
                        (method, v.into_iter().map(|(_, x)| x).collect())
                    })
                    .collect();
                (task, methods)
            })
            .collect();
        let methods: BTreeSet<String> = runs.values().flat_map(|m| m.keys().cloned()).collect();
        ScoreTable {
            metric: metric.to_string(),
            tasks: runs.keys().cloned().collect(),
            methods: methods.into_iter().collect(),
            runs,
        }
    }

    /// `method`'s runs as a matrix of the tasks it ran (`None` if it has none).
    fn matrix(&self, method: &str, sign: f64) -> Option<ScoreMatrix> {
        let columns: Vec<Vec<f64>> = self
            .runs
            .values()
            .filter_map(|m| m.get(method))
            .map(|v| v.iter().map(|x| sign * x).collect())
            .collect();
        ScoreMatrix::from_task_columns(columns).ok()
    }
}

/// One row of an interval chart: a method, its point estimate and optional interval.
struct Interval {
    method: String,
    color: RGBColor,
    estimate: f64,
    ci: Option<(f64, f64)>,
}

/// A category axis of `n` rows: row `k` is centred on the value `k` of `-0.5..n - 0.5`, and
/// its key points (ticks, labels) are exactly the row centres.
struct RowAxis(usize);

impl Ranged for RowAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let frac = (value + 0.5) / self.0.max(1) as f64;
        limit.0 + ((limit.1 - limit.0) as f64 * frac).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, _hint: Hint) -> Vec<f64> {
        (0..self.0).map(|k| k as f64).collect()
    }

    fn range(&self) -> std::ops::Range<f64> {
        -0.5..self.0.max(1) as f64 - 0.5
    }
}

/// Draws method rows (first at the top) of point estimates and intervals on `area`.
#[allow(clippy::too_many_arguments)]
fn draw_intervals<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    caption: Option<&str>,
    rows: &[Interval],
    names: &[String],
    x_range: (f64, f64),
    x_desc: &str,
    thick: bool,
    reference: Option<f64>,
) -> anyhow::Result<()> {
    let n = names.len().max(1);
    let name_w = name_area_width(names);
    let mut builder = ChartBuilder::on(area);
    builder
        .margin_top(8)
        .margin_bottom(4)
        .margin_left(8)
        .margin_right(24)
        .x_label_area_size(50)
        .y_label_area_size(name_w);
    if let Some(caption) = caption {
        let room = area.dim_in_pixel().0.saturating_sub(20);
        builder.caption(fit(caption, 16.0, room), (FONT, 16));
    }
    let mut chart = builder
        .build_cartesian_2d(x_range.0..x_range.1, RowAxis(n))
        .map_err(drawing_error)?;
    let x_fmt = tick_format(x_range.0, x_range.1);
    let label = |v: &f64| {
        let row = v.round();
        if row >= 0.0 && row < n as f64 {
            fit(names[n - 1 - row as usize].as_str(), 13.0, name_w - 10)
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(RGBColor(240, 240, 240))
        .bold_line_style(RGBColor(215, 215, 215))
        .max_light_lines(4)
        .x_labels(6)
        .y_labels(n)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&label)
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .x_desc(x_desc)
        .draw()
        .map_err(drawing_error)?;
    if let Some(x) = reference {
        chart
            .draw_series(DashedLineSeries::new(
                [(x, -0.5), (x, n as f64 - 0.5)],
                6,
                4,
                GREY.stroke_width(2),
            ))
            .map_err(drawing_error)?;
    }
    for row in rows {
        let Some(k) = names.iter().position(|m| *m == row.method) else {
            continue;
        };
        let y = || (n - 1 - k) as f64;
        let ci = row.ci.filter(|(lo, hi)| lo.is_finite() && hi.is_finite());
        if let Some((lo, hi)) = ci {
            if thick {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(lo, y()), (hi, y())],
                        row.color.mix(0.45).stroke_width(14),
                    )))
                    .map_err(drawing_error)?;
            } else {
                let cap = |x: f64| {
                    EmptyElement::at((x, y()))
                        + PathElement::new(vec![(0, -6), (0, 6)], row.color.stroke_width(2))
                };
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(lo, y()), (hi, y())],
                        row.color.stroke_width(2),
                    )))
                    .map_err(drawing_error)?;
                chart
                    .draw_series([cap(lo), cap(hi)])
                    .map_err(drawing_error)?;
            }
        }
        if row.estimate.is_finite() {
            if thick {
                // No visible bar (one run, or all resamples equal): mark the colour anyway.
                if !matches!(ci, Some((lo, hi)) if hi > lo) {
                    chart
                        .draw_series(std::iter::once(Circle::new(
                            (row.estimate, y()),
                            7,
                            row.color.filled(),
                        )))
                        .map_err(drawing_error)?;
                }
                chart
                    .draw_series(std::iter::once(
                        EmptyElement::at((row.estimate, y()))
                            + PathElement::new(vec![(0, -10), (0, 10)], BLACK.stroke_width(3)),
                    ))
                    .map_err(drawing_error)?;
            } else {
                chart
                    .draw_series(std::iter::once(Circle::new(
                        (row.estimate, y()),
                        5,
                        row.color.filled(),
                    )))
                    .map_err(drawing_error)?;
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Figure 1: per-task means with Student-t CIs.

struct TaskMeans<'a> {
    table: &'a ScoreTable,
    palette: &'a Palette,
    cols: usize,
    rows: usize,
    panel: (u32, u32),
}

impl<'a> TaskMeans<'a> {
    fn new(table: &'a ScoreTable, palette: &'a Palette) -> TaskMeans<'a> {
        let t = table.tasks.len().max(1);
        let cols = t.min(3);
        let rows = t.div_ceil(cols);
        let panel_w = if cols == 1 { 640 } else { 430 };
        let panel_h = 110 + 34 * table.methods.len() as u32;
        TaskMeans {
            table,
            palette,
            cols,
            rows,
            panel: (panel_w, panel_h),
        }
    }
}

impl Figure for TaskMeans<'_> {
    fn size(&self) -> (u32, u32) {
        canvas(
            (
                self.panel.0 * self.cols as u32,
                self.panel.1 * self.rows as u32,
            ),
            self.table.methods.len(),
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        let metric = &self.table.metric;
        let plots = frame(
            root,
            &format!("{metric}: per-task means"),
            "mean over seeds with its 95% Student-t CI (a lone dot: one seed)",
            &self.palette.legend(&self.table.methods),
        )?;
        let (grid, _) = plots.split_vertically(self.panel.1 * self.rows as u32);
        let (grid, _) = grid.split_horizontally(self.panel.0 * self.cols as u32);
        let panels = grid.split_evenly((self.rows, self.cols));
        for (task, panel) in self.table.tasks.iter().zip(panels.iter()) {
            let runs = &self.table.runs[task];
            let rows: Vec<Interval> = runs
                .iter()
                .map(|(method, v)| {
                    let ci = (v.len() >= 2).then(|| t_ci95(v));
                    Interval {
                        method: method.clone(),
                        color: self.palette.color(method),
                        estimate: mean(v),
                        ci,
                    }
                })
                .collect();
            let (lo, hi) = extent(rows.iter().flat_map(|r| {
                let (a, b) = r.ci.unwrap_or((r.estimate, r.estimate));
                [r.estimate, a, b]
            }))
            .unwrap_or((0.0, 1.0));
            draw_intervals(
                panel,
                Some(task),
                &rows,
                &self.table.methods,
                padded(lo, hi),
                &format!("{metric} ({})", better(metric)),
                false,
                None,
            )?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Figure 2: aggregate IQM with stratified-bootstrap CIs.

struct IqmFigure<'a> {
    metric: &'a str,
    methods: &'a [String],
    rows: Vec<Interval>,
    palette: &'a Palette,
}

impl<'a> IqmFigure<'a> {
    /// IQM and its percentile CI are equivariant under negation, so they are computed on the
    /// raw values: for lower-is-better metrics this equals negating, computing and un-negating.
    fn new(table: &'a ScoreTable, palette: &'a Palette) -> IqmFigure<'a> {
        let rows = table
            .methods
            .iter()
            .filter_map(|method| {
                let m = table.matrix(method, 1.0)?;
                let ci = (m.len() >= 2)
                    .then(|| iqm_bootstrap_ci(&m, BOOTSTRAP_REPS, BOOTSTRAP_SEED, 0.95));
                Some(Interval {
                    method: method.clone(),
                    color: palette.color(method),
                    estimate: aggregate_iqm(&m),
                    ci,
                })
            })
            .collect();
        IqmFigure {
            metric: &table.metric,
            methods: &table.methods,
            rows,
            palette,
        }
    }
}

fn interval_content(n: usize) -> (u32, u32) {
    (780, 110 + 40 * n as u32)
}

impl Figure for IqmFigure<'_> {
    fn size(&self) -> (u32, u32) {
        canvas(interval_content(self.methods.len()), self.methods.len())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        let plots = frame(
            root,
            &format!("{}: aggregate IQM over tasks", self.metric),
            &format!(
                "interquartile mean of all runs of all tasks; bar: 95% stratified-bootstrap CI \
                 ({BOOTSTRAP_REPS} resamples)"
            ),
            &self.palette.legend(self.methods),
        )?;
        let (lo, hi) = extent(self.rows.iter().flat_map(|r| {
            let (a, b) = r.ci.unwrap_or((r.estimate, r.estimate));
            [r.estimate, a, b]
        }))
        .unwrap_or((0.0, 1.0));
        draw_intervals(
            &plots,
            None,
            &self.rows,
            self.methods,
            padded(lo, hi),
            &format!("IQM of {} ({})", self.metric, better(self.metric)),
            true,
            None,
        )
    }
}

// ---------------------------------------------------------------------------------------
// Figure 3: performance profiles.

struct ProfileFigure<'a> {
    metric: &'a str,
    methods: &'a [String],
    /// Per method: its runs' normalised scores, pooled over tasks.
    pooled: BTreeMap<String, Vec<f64>>,
    palette: &'a Palette,
}

impl<'a> ProfileFigure<'a> {
    /// Each task's signed scores are min-max normalised over all methods' runs on that task
    /// (1 = the best run); a task where every run scored the same maps to 1.
    fn new(table: &'a ScoreTable, palette: &'a Palette) -> ProfileFigure<'a> {
        let sign = direction(&table.metric);
        let mut pooled: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for methods in table.runs.values() {
            let (lo, hi) =
                extent(methods.values().flatten().map(|v| sign * v)).unwrap_or((0.0, 0.0));
            for (method, values) in methods {
                pooled
                    .entry(method.clone())
                    .or_default()
                    .extend(values.iter().map(|v| {
                        if hi > lo {
                            (sign * v - lo) / (hi - lo)
                        } else {
                            1.0
                        }
                    }));
            }
        }
        ProfileFigure {
            metric: &table.metric,
            methods: &table.methods,
            pooled,
            palette,
        }
    }
}

/// Fraction of `scores` strictly above `tau`.
fn fraction_above(scores: &[f64], tau: f64) -> f64 {
    scores.iter().filter(|&&s| s > tau).count() as f64 / scores.len().max(1) as f64
}

/// The exact step function τ ↦ [`fraction_above`] on [0, 1], as polyline vertices.
fn profile_steps(scores: &[f64]) -> Vec<(f64, f64)> {
    let mut jumps: Vec<f64> = scores
        .iter()
        .copied()
        .filter(|s| *s > 0.0 && *s <= 1.0)
        .collect();
    jumps.sort_by(f64::total_cmp);
    jumps.dedup();
    let n = scores.len().max(1) as f64;
    let mut points = vec![(0.0, fraction_above(scores, 0.0))];
    for u in jumps {
        let at_least = scores.iter().filter(|&&s| s >= u).count() as f64 / n;
        points.push((u, at_least));
        points.push((u, fraction_above(scores, u)));
    }
    points.push((1.0, fraction_above(scores, 1.0)));
    points
}

impl Figure for ProfileFigure<'_> {
    fn size(&self) -> (u32, u32) {
        canvas((780, 480), self.methods.len())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        let plots = frame(
            root,
            &format!("{}: performance profile", self.metric),
            "fraction of runs (pooled over tasks) scoring above τ; scores min-max normalised \
             per task over all methods' runs",
            &self.palette.legend(self.methods),
        )?;
        let mut chart = ChartBuilder::on(&plots)
            .margin_top(8)
            .margin_left(8)
            .margin_right(24)
            .x_label_area_size(50)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..1.0, -0.02..1.04)
            .map_err(drawing_error)?;
        let fmt = tick_format(0.0, 1.0);
        chart
            .configure_mesh()
            .light_line_style(RGBColor(240, 240, 240))
            .bold_line_style(RGBColor(215, 215, 215))
            .max_light_lines(4)
            .x_labels(11)
            .y_labels(11)
            .x_label_formatter(&fmt)
            .y_label_formatter(&fmt)
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .x_desc(format!(
                "normalised {} τ (0 = worst run, 1 = best run; {} before normalising)",
                self.metric,
                better(self.metric)
            ))
            .y_desc("fraction of runs with score > τ")
            .draw()
            .map_err(drawing_error)?;
        for (method, scores) in &self.pooled {
            chart
                .draw_series(LineSeries::new(
                    profile_steps(scores),
                    self.palette.color(method).stroke_width(3),
                ))
                .map_err(drawing_error)?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Figure 4: probability of improvement over the baseline.

struct PoiFigure<'a> {
    metric: &'a str,
    baseline: String,
    methods: Vec<String>,
    rows: Vec<Interval>,
    palette: &'a Palette,
}

impl<'a> PoiFigure<'a> {
    /// `Err` holds the note explaining why the figure is skipped.
    fn new(
        table: &'a ScoreTable,
        palette: &'a Palette,
        baseline: &str,
    ) -> Result<PoiFigure<'a>, String> {
        let metric = &table.metric;
        if !table.methods.iter().any(|m| m == baseline) {
            return Err(format!(
                "no `{metric}` runs of the baseline `{baseline}`: prob_improvement_{} is skipped",
                sanitize(metric)
            ));
        }
        let sign = direction(metric);
        let mut rows = Vec::new();
        for method in table.methods.iter().filter(|m| *m != baseline) {
            // Signed runs of (method, baseline) on the tasks both ran.
            let pairs: Vec<(Vec<f64>, Vec<f64>)> = table
                .runs
                .values()
                .filter_map(|runs| Some((runs.get(method.as_str())?, runs.get(baseline)?)))
                .map(|(x, y)| {
                    (
                        x.iter().map(|v| sign * v).collect(),
                        y.iter().map(|v| sign * v).collect(),
                    )
                })
                .collect();
            if pairs.is_empty() {
                continue;
            }
            rows.push(Interval {
                method: method.clone(),
                color: palette.color(method),
                estimate: mean_poi(&pairs),
                ci: poi_bootstrap_ci(&pairs, BOOTSTRAP_REPS, BOOTSTRAP_SEED),
            });
        }
        if rows.is_empty() {
            return Err(format!(
                "no method shares a task with the baseline `{baseline}` on `{metric}`: \
                 prob_improvement_{} is skipped",
                sanitize(metric)
            ));
        }
        Ok(PoiFigure {
            metric,
            baseline: baseline.to_string(),
            methods: rows.iter().map(|r| r.method.clone()).collect(),
            rows,
            palette,
        })
    }
}

/// Mean over tasks of P(X > Y) (ties count half).
fn mean_poi(pairs: &[(Vec<f64>, Vec<f64>)]) -> f64 {
    let per_task: Vec<f64> = pairs
        .iter()
        .map(|(x, y)| probability_of_improvement(x, y))
        .collect();
    mean(&per_task)
}

/// 95% percentile CI of [`mean_poi`] under a stratified bootstrap resampling both methods'
/// runs within each task; `None` when no task has more than one run of either method.
fn poi_bootstrap_ci(pairs: &[(Vec<f64>, Vec<f64>)], reps: usize, seed: u64) -> Option<(f64, f64)> {
    if reps == 0 || pairs.iter().all(|(x, y)| x.len() < 2 && y.len() < 2) {
        return None;
    }
    let mut rng = SplitMix64(seed);
    let mut scratch: Vec<(Vec<f64>, Vec<f64>)> = pairs.to_vec();
    let mut stats = Vec::with_capacity(reps);
    for _ in 0..reps {
        for ((x, y), (sx, sy)) in pairs.iter().zip(scratch.iter_mut()) {
            for v in sx.iter_mut() {
                *v = x[rng.below(x.len())];
            }
            for v in sy.iter_mut() {
                *v = y[rng.below(y.len())];
            }
        }
        stats.push(mean_poi(&scratch));
    }
    Some((quantile(&stats, 0.025), quantile(&stats, 0.975)))
}

/// SplitMix64: a small, reproducible generator for the bootstrap.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`; the modulo bias is negligible for run counts).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

impl Figure for PoiFigure<'_> {
    fn size(&self) -> (u32, u32) {
        canvas(interval_content(self.methods.len()), self.methods.len())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        let plots = frame(
            root,
            &format!(
                "{}: probability of improvement over {}",
                self.metric, self.baseline
            ),
            &format!(
                "P(method > {}) over pairs of runs (ties ½), averaged over tasks; bar: 95% \
                 stratified-bootstrap CI; dashed: 0.5",
                self.baseline
            ),
            &self.palette.legend(&self.methods),
        )?;
        draw_intervals(
            &plots,
            None,
            &self.rows,
            &self.methods,
            (-0.02, 1.02),
            &format!(
                "P(method > {}) on {} ({})",
                self.baseline,
                self.metric,
                better(self.metric)
            ),
            true,
            Some(0.5),
        )
    }
}

// ---------------------------------------------------------------------------------------
// Figure 5: learning curves of one task.

/// One method's curve on one split: (step, mean, std) over seeds.
type Curve = Vec<(f64, f64, f64)>;

struct CurvesFigure<'a> {
    task: String,
    metric: String,
    methods: Vec<String>,
    /// Per split: per method, the curve.
    splits: Vec<(String, BTreeMap<String, Curve>)>,
    palette: &'a Palette,
}

impl<'a> CurvesFigure<'a> {
    /// The metric is `acc` when the task has it, else the first metric not ending in `loss`,
    /// else the first; the splits are `val` and `test` when present, else every split
    /// without a `/` (e.g. not `teacher/val`), else all. `None` when no value is finite.
    fn new(curves: &[CurveRow], task: &str, palette: &'a Palette) -> Option<CurvesFigure<'a>> {
        let rows: Vec<&CurveRow> = curves
            .iter()
            .filter(|r| r.task == task && r.value.is_finite())
            .collect();
        let metrics: BTreeSet<&str> = rows.iter().map(|r| r.metric.as_str()).collect();
        let metric = if metrics.contains("acc") {
            "acc"
        } else {
            metrics
                .iter()
                .find(|m| !m.ends_with("loss"))
                .or(metrics.iter().next())
                .copied()?
        };
        let rows: Vec<&CurveRow> = rows.into_iter().filter(|r| r.metric == metric).collect();
        let present: BTreeSet<&str> = rows.iter().map(|r| r.split.as_str()).collect();
        let mut splits: Vec<&str> = ["val", "test"]
            .into_iter()
            .filter(|s| present.contains(s))
            .collect();
        if splits.is_empty() {
            splits = present
                .iter()
                .filter(|s| !s.contains('/'))
                .copied()
                .collect();
        }
        if splits.is_empty() {
            splits = present.iter().copied().collect();
        }
        let mut methods = BTreeSet::new();
        let splits = splits
            .into_iter()
            .map(|split| {
                let mut cells: BTreeMap<&str, BTreeMap<u64, Vec<f64>>> = BTreeMap::new();
                for r in rows.iter().filter(|r| r.split == split) {
                    cells
                        .entry(r.method.as_str())
                        .or_default()
                        .entry(r.step)
                        .or_default()
                        .push(r.value);
                }
                let by_method = cells
                    .into_iter()
                    .map(|(method, steps)| {
                        methods.insert(method.to_string());
                        let curve = steps
                            .into_iter()
                            .map(|(step, v)| (step as f64, mean(&v), sample_std(&v)))
                            .collect();
                        (method.to_string(), curve)
                    })
                    .collect();
                (split.to_string(), by_method)
            })
            .collect();
        Some(CurvesFigure {
            task: task.to_string(),
            metric: metric.to_string(),
            methods: methods.into_iter().collect(),
            splits,
            palette,
        })
    }
}

impl Figure for CurvesFigure<'_> {
    fn size(&self) -> (u32, u32) {
        canvas(
            (540 * self.splits.len().max(1) as u32, 440),
            self.methods.len(),
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        let plots = frame(
            root,
            &format!("{}: learning curves ({})", self.task, self.metric),
            "mean over seeds per step; band: ±1 standard deviation over seeds",
            &self.palette.legend(&self.methods),
        )?;
        let all = || self.splits.iter().flat_map(|(_, m)| m.values().flatten());
        let (x0, x1) = extent(all().map(|p| p.0)).unwrap_or((0.0, 1.0));
        let (x0, x1) = if x1 > x0 { (x0, x1) } else { padded(x0, x1) };
        let (y0, y1) = extent(all().flat_map(|&(_, m, s)| {
            let s = if s.is_finite() { s } else { 0.0 };
            [m - s, m + s]
        }))
        .unwrap_or((0.0, 1.0));
        let (y0, y1) = padded(y0, y1);
        let x_fmt = tick_format(x0, x1);
        let y_fmt = tick_format(y0, y1);
        let panels = plots.split_evenly((1, self.splits.len().max(1)));
        for ((split, by_method), panel) in self.splits.iter().zip(panels.iter()) {
            let mut chart = ChartBuilder::on(panel)
                .margin_top(8)
                .margin_left(8)
                .margin_right(20)
                .caption(format!("split: {split}"), (FONT, 16))
                .x_label_area_size(50)
                .y_label_area_size(64)
                .build_cartesian_2d(x0..x1, y0..y1)
                .map_err(drawing_error)?;
            chart
                .configure_mesh()
                .light_line_style(RGBColor(240, 240, 240))
                .bold_line_style(RGBColor(215, 215, 215))
                .max_light_lines(4)
                .x_labels(8)
                .y_labels(8)
                .x_label_formatter(&x_fmt)
                .y_label_formatter(&y_fmt)
                .label_style((FONT, 13))
                .axis_desc_style((FONT, 14))
                .x_desc("epoch / step")
                .y_desc(format!("{} ({})", self.metric, better(&self.metric)))
                .draw()
                .map_err(drawing_error)?;
            for (method, curve) in by_method {
                let color = self.palette.color(method);
                let band: Vec<(f64, f64)> = curve
                    .iter()
                    .filter(|p| p.2.is_finite())
                    .map(|&(x, m, s)| (x, m + s))
                    .chain(
                        curve
                            .iter()
                            .rev()
                            .filter(|p| p.2.is_finite())
                            .map(|&(x, m, s)| (x, m - s)),
                    )
                    .collect();
                if band.len() >= 4 {
                    chart
                        .draw_series(std::iter::once(Polygon::new(band, color.mix(0.18))))
                        .map_err(drawing_error)?;
                }
                chart
                    .draw_series(LineSeries::new(
                        curve.iter().map(|&(x, m, _)| (x, m)),
                        color.stroke_width(2),
                    ))
                    .map_err(drawing_error)?;
                if curve.len() <= 12 {
                    chart
                        .draw_series(
                            curve
                                .iter()
                                .map(|&(x, m, _)| Circle::new((x, m), 4, color.filled())),
                        )
                        .map_err(drawing_error)?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const METHODS: [&str; 3] = ["kd", "student", "teacher"];

    fn score(task: &str, method: &str, seed: u64, metric: &str, value: f64) -> ScoreRow {
        ScoreRow {
            suite: "s".into(),
            task: task.into(),
            method: method.into(),
            seed,
            metric: metric.into(),
            value,
        }
    }

    /// 2 tasks x 3 methods x `seeds` seeds; teacher > kd > student on accuracy.
    fn scores(tasks: &[&str], seeds: u64) -> Vec<ScoreRow> {
        let mut rows = Vec::new();
        for (t, task) in tasks.iter().enumerate() {
            for (m, method) in METHODS.iter().enumerate() {
                for seed in 0..seeds {
                    let base = [0.90, 0.88, 0.97][m] - 0.1 * t as f64;
                    let acc = base + 0.01 * seed as f64;
                    rows.push(score(task, method, seed, "best_acc", acc));
                    rows.push(score(
                        task,
                        method,
                        seed,
                        "final_errors",
                        (1.0 - acc) * 100.0,
                    ));
                    rows.push(score(task, method, seed, "best_epoch", 10.0 + seed as f64));
                }
            }
        }
        rows
    }

    fn curves(tasks: &[&str], seeds: u64, steps: u64) -> Vec<CurveRow> {
        let mut rows = Vec::new();
        for task in tasks {
            for (m, method) in METHODS.iter().enumerate() {
                for seed in 0..seeds {
                    for step in 1..=steps {
                        for split in ["train", "val", "test", "teacher/val"] {
                            for (metric, value) in [
                                ("acc", 0.5 + 0.4 * (1.0 - (-(step as f64) / 3.0).exp())),
                                ("loss", 1.0 / step as f64),
                            ] {
                                rows.push(CurveRow {
                                    suite: "s".into(),
                                    task: task.to_string(),
                                    method: method.to_string(),
                                    seed,
                                    step,
                                    split: split.into(),
                                    metric: metric.into(),
                                    value: value + 0.02 * m as f64 + 0.005 * seed as f64,
                                });
                            }
                        }
                    }
                }
            }
        }
        rows
    }

    /// Width and height from a PNG's signature and IHDR chunk.
    fn png_size(bytes: &[u8]) -> (u32, u32) {
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
        assert_eq!(&bytes[12..16], b"IHDR");
        let be = |k: usize| u32::from_be_bytes(bytes[k..k + 4].try_into().unwrap());
        (be(16), be(20))
    }

    /// Decoded RGB pixels of a PNG written by [`encode_png`] (chunk CRCs checked).
    fn png_pixels(path: &Path) -> Vec<[u8; 3]> {
        use std::io::Read;
        let bytes = std::fs::read(path).unwrap();
        let (w, h) = png_size(&bytes);
        let (mut at, mut idat) = (8, Vec::new());
        while at < bytes.len() {
            let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
            let (kind, data) = (&bytes[at + 4..at + 8], &bytes[at + 8..at + 8 + len]);
            let mut crc = flate2::Crc::new();
            crc.update(kind);
            crc.update(data);
            let stored = u32::from_be_bytes(bytes[at + 8 + len..at + 12 + len].try_into().unwrap());
            assert_eq!(
                crc.sum(),
                stored,
                "CRC of {}",
                String::from_utf8_lossy(kind)
            );
            if kind == b"IDAT" {
                idat.extend_from_slice(data);
            }
            at += 12 + len;
        }
        let mut raw = Vec::new();
        flate2::read::ZlibDecoder::new(&idat[..])
            .read_to_end(&mut raw)
            .unwrap();
        assert_eq!(raw.len(), (w as usize * 3 + 1) * h as usize);
        raw.chunks(w as usize * 3 + 1)
            .flat_map(|line| {
                assert_eq!(line[0], 0, "filter type");
                line[1..].chunks(3).map(|c| [c[0], c[1], c[2]])
            })
            .collect()
    }

    fn names(files: &[PathBuf]) -> BTreeSet<String> {
        files
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn writes_every_figure_as_svg_and_png_of_the_planned_size() {
        let dir = tempfile::tempdir().unwrap();
        let tasks = ["digits", "cifar/resnet"];
        let files = plot_all(
            &scores(&tasks, 4),
            &curves(&tasks, 4, 6),
            "student",
            dir.path(),
        )
        .unwrap();
        let expected = [
            ("task_means_best_acc", (1070, 290)),
            ("aggregate_iqm_best_acc", (990, 308)),
            ("performance_profile_best_acc", (990, 558)),
            ("prob_improvement_best_acc", (990, 268)),
            ("curves_cifar_resnet", (1290, 518)),
            ("curves_digits", (1290, 518)),
        ];
        let want: BTreeSet<String> = expected
            .iter()
            .flat_map(|(stem, _)| [format!("{stem}.svg"), format!("{stem}.png")])
            .collect();
        assert_eq!(names(&files), want);
        assert_eq!(files.len(), 12);
        for (stem, size) in expected {
            let svg = std::fs::read_to_string(dir.path().join(format!("{stem}.svg"))).unwrap();
            assert!(
                svg.trim_start().starts_with("<svg"),
                "{stem}.svg: {}",
                &svg[..40]
            );
            assert!(
                svg.trim_end().ends_with("</svg>"),
                "{stem}.svg is not closed"
            );
            assert!(
                svg.contains(&format!("width=\"{}\"", size.0)),
                "{stem}.svg width"
            );
            let legend: &[&str] = if stem.starts_with("prob_improvement") {
                &["kd", "teacher"]
            } else {
                &METHODS
            };
            for method in legend {
                assert!(
                    svg_texts(&svg).iter().any(|t| t == method),
                    "{stem}.svg lacks {method}"
                );
            }
            let png_path = dir.path().join(format!("{stem}.png"));
            let bytes = std::fs::read(&png_path).unwrap();
            assert_eq!(png_size(&bytes), size, "{stem}.png size");
            let pixels = png_pixels(&png_path);
            assert_eq!(pixels.len(), (size.0 * size.1) as usize);
            // The title was rendered: dark pixels in the title strip.
            let dark_title = pixels[..(size.0 * 40) as usize]
                .iter()
                .filter(|p| p.iter().all(|&c| c < 80))
                .count();
            assert!(
                dark_title > 200,
                "{stem}.png: title not drawn ({dark_title})"
            );
            // Each legend method's colour appears.
            for method in legend {
                let i = METHODS.iter().position(|m| m == method).unwrap();
                let (r, g, b) = TAB10[i];
                assert!(
                    pixels.contains(&[r, g, b]),
                    "{stem}.png lacks the colour of {method}"
                );
            }
        }
        let poi = svg_texts(&svg_of(dir.path(), "prob_improvement_best_acc"));
        assert!(poi.iter().any(|t| t.contains("over student")), "{poi:?}");
        let means = svg_texts(&svg_of(dir.path(), "task_means_best_acc"));
        assert!(means.contains(&"cifar/resnet".to_string()) && means.contains(&"digits".into()));
    }

    /// The trimmed contents of an SVG's `<text>` elements (checking they are closed).
    fn svg_texts(svg: &str) -> Vec<String> {
        svg.split("<text")
            .skip(1)
            .map(|chunk| {
                let body = &chunk[chunk.find('>').expect("<text> tag ends") + 1..];
                let end = body.find("</text>").expect("<text> is closed");
                body[..end].trim().to_string()
            })
            .collect()
    }

    fn svg_of(dir: &Path, stem: &str) -> String {
        std::fs::read_to_string(dir.join(format!("{stem}.svg"))).unwrap()
    }

    #[test]
    fn statistics_follow_the_metric_direction() {
        let rows = scores(&["a", "b"], 4);
        let palette = Palette::new(METHODS.into_iter());
        // Accuracy: teacher beats student on every pair of runs.
        let acc = ScoreTable::new(&rows, "best_acc");
        let poi = PoiFigure::new(&acc, &palette, "student").unwrap();
        let teacher = poi.rows.iter().find(|r| r.method == "teacher").unwrap();
        assert_eq!(teacher.estimate, 1.0);
        assert_eq!(teacher.ci, Some((1.0, 1.0)));
        let kd = poi.rows.iter().find(|r| r.method == "kd").unwrap();
        // kd 0.90..0.93 vs student 0.88..0.91 on each task: 14 of 16 pairs (ties ½).
        assert!((kd.estimate - 14.0 / 16.0).abs() < 1e-12, "{}", kd.estimate);
        let (lo, hi) = kd.ci.unwrap();
        assert!(lo <= kd.estimate && kd.estimate <= hi && hi <= 1.0 && lo < hi);
        // Errors are lower-is-better: the same ordering must come out.
        let errors = ScoreTable::new(&rows, "final_errors");
        let poi = PoiFigure::new(&errors, &palette, "student").unwrap();
        assert_eq!(
            poi.rows
                .iter()
                .find(|r| r.method == "teacher")
                .unwrap()
                .estimate,
            1.0
        );
        let profile = ProfileFigure::new(&errors, &palette);
        let frac_at = |method: &str, tau: f64| fraction_above(&profile.pooled[method], tau);
        assert_eq!(frac_at("teacher", 0.5), 1.0);
        assert_eq!(frac_at("student", 0.5), 0.0);
        assert_eq!(frac_at("teacher", 1.0), 0.0);
        // IQM of raw values: kd's 8 runs are 0.80..0.83 and 0.90..0.93 -> middle four.
        let iqm = IqmFigure::new(&acc, &palette);
        let kd = iqm.rows.iter().find(|r| r.method == "kd").unwrap();
        assert!((kd.estimate - (0.82 + 0.83 + 0.90 + 0.91) / 4.0).abs() < 1e-12);
        let (lo, hi) = kd.ci.unwrap();
        assert!(lo < kd.estimate && kd.estimate < hi);
    }

    #[test]
    fn degenerate_inputs_draw_what_they_can() {
        // One task, one seed, no baseline runs, no curves.
        let dir = tempfile::tempdir().unwrap();
        let rows = scores(&["only"], 1);
        let report =
            plot_figures(&rows, &[], "absent", &default_metrics(&rows), dir.path()).unwrap();
        let got = names(&report.files);
        for stem in ["task_means", "aggregate_iqm", "performance_profile"] {
            assert!(got.contains(&format!("{stem}_best_acc.png")), "{got:?}");
            assert!(dir.path().join(format!("{stem}_best_acc.svg")).exists());
        }
        assert_eq!(got.len(), 6, "{got:?}");
        assert!(report.notes.iter().any(|n| n.contains("baseline `absent`")));
        assert!(report.notes.iter().any(|n| n.contains("no curve rows")));
        let (table, palette) = (
            ScoreTable::new(&rows, "best_acc"),
            Palette::new([].into_iter()),
        );
        let iqm = IqmFigure::new(&table, &palette);
        assert!(iqm.rows.iter().all(|r| r.ci.is_none()));

        // Only the baseline; constant values; a curve with one seed and one step.
        let dir = tempfile::tempdir().unwrap();
        let rows: Vec<ScoreRow> = (0..3)
            .map(|s| score("t", "base", s, "return", 5.0))
            .collect();
        let curve = curves(&["t"], 1, 1);
        let report =
            plot_figures(&rows, &curve, "base", &default_metrics(&rows), dir.path()).unwrap();
        let got = names(&report.files);
        assert!(got.contains("task_means_return.png") && got.contains("curves_t.png"));
        assert!(!got.contains("prob_improvement_return.png"));
        assert!(report
            .notes
            .iter()
            .any(|n| n.contains("no method shares a task")));

        // Nothing at all, and a metric with no finite value.
        let dir = tempfile::tempdir().unwrap();
        let nan = vec![score("t", "m", 0, "acc", f64::NAN)];
        let report = plot_figures(
            &nan,
            &[],
            "m",
            &["acc".to_string()],
            &dir.path().join("sub"),
        )
        .unwrap();
        assert!(report.files.is_empty());
        assert!(report.notes.iter().any(|n| n.contains("no finite score")));
        assert!(plot_all(&[], &[], "m", dir.path()).unwrap().is_empty());
    }

    #[test]
    fn default_metrics_prefer_accuracies() {
        let rows = scores(&["a"], 1);
        assert_eq!(default_metrics(&rows), vec!["best_acc".to_string()]);
        let rl = vec![
            score("t", "m", 0, "return", 1.0),
            score("t", "m", 0, "final_loss", 1.0),
            score("t", "m", 0, "best_step", 1.0),
        ];
        assert_eq!(default_metrics(&rl), vec!["final_loss", "return"]);
        // Per task: a task without accuracies keeps its own metrics.
        let glue = vec![
            score("glue-sst2", "m", 0, "best_acc", 0.9),
            score("glue-sst2", "m", 0, "best_errors", 87.0),
            score("glue-stsb", "m", 0, "best_pearson", 0.8),
            score("glue-stsb", "m", 0, "best_epoch", 2.0),
        ];
        assert_eq!(default_metrics(&glue), vec!["best_acc", "best_pearson"]);
    }

    #[test]
    fn names_are_sanitized_and_kept_apart() {
        assert_eq!(sanitize("cifar/resnet 18"), "cifar_resnet_18");
        assert_eq!(sanitize(".hidden"), "_hidden");
        assert_eq!(sanitize(""), "unnamed");
        // "a/b" and "a_b" sanitize alike: the second gets a suffix.
        let dir = tempfile::tempdir().unwrap();
        let mut c = curves(&["a/b"], 1, 2);
        c.extend(curves(&["a_b"], 1, 2));
        let files = plot_all(&[], &c, "kd", dir.path()).unwrap();
        let got = names(&files);
        assert!(
            got.contains("curves_a_b.svg") && got.contains("curves_a_b-2.svg"),
            "{got:?}"
        );
    }

    #[test]
    fn read_curves_parses_and_reports_bad_lines() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read_curves(&dir.path().join("curves.csv"))
            .unwrap()
            .is_empty());
        let path = dir.path().join("curves.csv");
        std::fs::write(
            &path,
            "suite,task,method,seed,step,split,metric,value\n\
             s,t,kd,0,1,val,acc,0.5\n\
             s,t,kd,x,2,val,acc,0.6\n",
        )
        .unwrap();
        let err = read_curves(&path).unwrap_err().to_string();
        assert!(
            err.contains("curves.csv:3") && err.contains("seed 'x'"),
            "{err}"
        );
        std::fs::write(
            &path,
            "suite,task,method,seed,step,split,metric,value\ns,t,kd,0,7,teacher/val,acc,0.5\n",
        )
        .unwrap();
        let rows = read_curves(&path).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].step, rows[0].split.as_str(), rows[0].value),
            (7, "teacher/val", 0.5)
        );
        std::fs::write(&path, "task,value\nt,1\n").unwrap();
        assert!(read_curves(&path)
            .unwrap_err()
            .to_string()
            .contains("curves.csv:1"));
    }
}

//! Small pieces every tab draws the same way.

use std::sync::Arc;

use eframe::egui;

use super::TabContext;
use crate::data::Dataset;
use crate::runs::fingerprint::known_fingerprint;
use crate::runs::{DataFingerprint, RunEntry, RunStatus};
use crate::task::EpochEvent;
use crate::workbench::{Command, Event, JobKind, Workbench};

fn scroll_reset_id() -> egui::Id {
    egui::Id::unique("shoplens_scroll_to_top")
}

/// Scroll every panel back to the top on the next frames (a tour step, a
/// tab given back).
pub fn scroll_to_top(ctx: &egui::Context) {
    let until = ctx.cumulative_pass_nr() + 2;
    ctx.data_mut(|d| d.insert_temp(scroll_reset_id(), until));
}

/// A scroll area that obeys [`scroll_to_top`].
fn scroll_area(ui: &egui::Ui, area: egui::ScrollArea) -> egui::ScrollArea {
    let until = ui.ctx().data(|d| d.get_temp::<u64>(scroll_reset_id()));
    if until.is_some_and(|n| ui.ctx().cumulative_pass_nr() <= n) {
        area.scroll_offset(egui::Vec2::ZERO)
    } else {
        area
    }
}

/// A table wider than the window scrolls sideways on its own, so it does not
/// widen the page: the charts and text below it stay as wide as the window.
pub fn wide_table<R>(
    ui: &mut egui::Ui,
    id: &'static str,
    contents: impl FnOnce(&mut egui::Ui) -> R,
) -> R {
    egui::ScrollArea::horizontal()
        .id_salt(id)
        .show(ui, contents)
        .inner
}

/// The resizable, scrolling control panel on a tab's left.
pub fn side_panel(
    ui: &mut egui::Ui,
    id: &'static str,
    width: f32,
    contents: impl FnOnce(&mut egui::Ui),
) {
    egui::Panel::left(id)
        .resizable(true)
        .default_size(width)
        .show(ui, |ui| {
            scroll_area(ui, egui::ScrollArea::vertical().id_salt((id, "scroll")))
                .show(ui, contents);
        });
}

/// What a [`side_panel_with_action`] asks its closure to draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PanelPart {
    /// The settings, which scroll.
    Controls,
    /// The start button, pinned under them so it is never scrolled away.
    Action,
}

/// A [`side_panel`] whose start button stays in view at the bottom however
/// long the settings above it are.
pub fn side_panel_with_action(
    ui: &mut egui::Ui,
    id: &'static str,
    width: f32,
    mut part: impl FnMut(&mut egui::Ui, PanelPart),
) {
    egui::Panel::left(id)
        .resizable(true)
        .default_size(width)
        .show(ui, |ui| {
            egui::Panel::bottom((id, "action"))
                .frame(egui::Frame::NONE.inner_margin(egui::Margin::symmetric(0, 6)))
                .show(ui, |ui| part(ui, PanelPart::Action));
            scroll_area(ui, egui::ScrollArea::vertical().id_salt((id, "scroll")))
                .show(ui, |ui| part(ui, PanelPart::Controls));
        });
}

/// The main area right of the side panel: it scrolls both ways, so a wide
/// table or chart at 1280×800 (or a larger UI scale) is never cut off.
pub fn main_area(ui: &mut egui::Ui, id: &'static str, contents: impl FnOnce(&mut egui::Ui)) {
    egui::CentralPanel::default().show(ui, |ui| {
        scroll_area(ui, egui::ScrollArea::both().id_salt(id)).show(ui, contents);
    });
}

/// A grid's header row in bold.
/// A value that may be a long hash (the Open Bandit Dataset's user
/// features): its start, which tells values apart, with the whole value in
/// the tooltip.
pub fn value_label(ui: &mut egui::Ui, value: &str) -> egui::Response {
    let shown = if value.chars().count() > 14 {
        format!("{}…", value.chars().take(10).collect::<String>())
    } else {
        value.to_owned()
    };
    ui.label(shown).on_hover_text(value)
}

pub fn header_row<S: Into<egui::WidgetText> + Clone>(ui: &mut egui::Ui, headers: &[S]) {
    for h in headers {
        let text: egui::WidgetText = h.clone().into();
        ui.label(text.strong());
    }
    ui.end_row();
}

/// `label` (disabled while `job` runs), then Cancel and a spinner while it
/// runs, "cancelling…" until its worker reports, and the job's progress
/// under them (its first line: a Spark job's log tail goes elsewhere).
/// True when `label` was clicked.
pub fn job_buttons(
    ui: &mut egui::Ui,
    ctx: &mut TabContext,
    label: &str,
    cancel_label: &str,
    job: JobKind,
) -> bool {
    let jobs = ctx.bench.jobs();
    let (running, cancelling) = (jobs.is_running(job), jobs.is_cancelling(job));
    let mut start = false;
    ui.horizontal(|ui| {
        start = ui.add_enabled(!running, egui::Button::new(label)).clicked();
        if running {
            if ui.button(cancel_label).clicked() {
                ctx.send(Command::Cancel(job));
            }
            ui.spinner();
        } else if cancelling {
            ui.spinner();
            ui.label("cancelling…");
        }
    });
    if let Some((fraction, message)) = ctx.bench.jobs().progress(job) {
        let first = message.lines().next().unwrap_or_default();
        match fraction {
            Some(fraction) => {
                ui.add(egui::ProgressBar::new(fraction).text(first));
            }
            // An empty bar would look stuck: with no fraction (training runs
            // until it converges or its epochs end, and the curves show
            // that), say what is happening beside the spinner above.
            None => {
                ui.label(first);
            }
        }
    }
    start
}

/// " v" or " ^" after the header a table is sorted by (nothing after the others).
pub fn sort_arrow(active: bool, descending: bool) -> &'static str {
    match (active, descending) {
        (false, _) => "",
        (true, true) => " v",
        (true, false) => " ^",
    }
}

/// A training tab's own run ended: a cancelled one keeps its curve and
/// says so, a failed one says why (the result shown stays); the entry of
/// one that finished, for the tab to show.
pub fn own_run_ended<'a>(
    event: &Event,
    job: JobKind,
    bench: &'a Workbench,
    curve: &mut Vec<EpochEvent>,
    message: &mut Option<String>,
) -> Option<&'a RunEntry> {
    match own_run(event, job, bench)? {
        OwnRun::Trained(entry) => return Some(entry),
        OwnRun::Cancelled { id, curve: kept } => {
            *curve = kept.to_vec();
            *message = Some(cancelled_note(id, kept.len(), "iterations"));
        }
        OwnRun::Failed(m) => *message = Some(m.to_owned()),
    }
    None
}

/// The curve to draw: the running job's as it grows, else the one kept
/// from the run shown.
pub fn live_curve(bench: &Workbench, job: JobKind, kept: &[EpochEvent]) -> Vec<EpochEvent> {
    let jobs = bench.jobs();
    if jobs.is_active(job) {
        jobs.epochs(job).to_vec()
    } else {
        kept.to_vec()
    }
}

/// The seed of a run and, where the model has them, its threads, in a row.
pub fn seed_ui(ui: &mut egui::Ui, seed: &mut u64, threads: Option<&mut usize>) {
    ui.horizontal(|ui| {
        ui.label("seed")
            .on_hover_text("The same seed gives the same numbers");
        ui.add(egui::DragValue::new(seed));
        if let Some(threads) = threads {
            ui.label("threads");
            ui.add(egui::DragValue::new(threads).range(1..=64))
                .on_hover_text("Worker threads; some models reproduce exactly only with 1");
        }
    });
}

/// How a tab's own latest run ended.
pub enum OwnRun<'a> {
    /// Done, with its model: the entry gives the model and its data.
    Trained(&'a RunEntry),
    Cancelled {
        id: u64,
        curve: &'a [EpochEvent],
    },
    Failed(&'a str),
}

/// What a tab says of its cancelled run `id` after `steps` (epochs, …).
pub fn cancelled_note(id: u64, steps: usize, unit: &str) -> String {
    format!(
        "Training cancelled after {}; run #{id} keeps its curve in the Runs tab",
        crate::display::count_of(steps, unit)
    )
}

/// The run `event` reports, when it is the current run of `job`.
pub fn own_run<'a>(event: &Event, job: JobKind, bench: &'a Workbench) -> Option<OwnRun<'a>> {
    let Event::RunRecorded {
        id,
        job: of,
        current: true,
    } = event
    else {
        return None;
    };
    if *of != job {
        return None;
    }
    let entry = bench.runs().get(*id)?;
    Some(match (&entry.record.status, &entry.model) {
        (RunStatus::Done, Some(_)) => OwnRun::Trained(entry),
        (RunStatus::Done, None) => OwnRun::Failed("the run left no model"),
        (RunStatus::Cancelled, _) => OwnRun::Cancelled {
            id: *id,
            curve: &entry.record.curve,
        },
        (RunStatus::Failed(m), _) => OwnRun::Failed(m),
        (RunStatus::Pruned, _) => OwnRun::Failed("pruned by the search"),
    })
}

/// How a run ended, short, for a table cell; the details on hover.
/// A run's fit time, with where all of its time went on hover.
pub fn fit_secs_label(ui: &mut egui::Ui, r: &crate::runs::RunRecord) -> egui::Response {
    let label = ui.label(format!("{:.2}", r.fit_secs));
    match r.time_summary() {
        Some(summary) => label.on_hover_text(summary),
        None => label,
    }
}

pub fn status_label(ui: &mut egui::Ui, r: &crate::runs::RunRecord) -> egui::Response {
    let epochs = crate::display::count_of(r.curve.len(), "epochs");
    match &r.status {
        RunStatus::Done => ui.label("done"),
        RunStatus::Cancelled => ui
            .colored_label(ui.visuals().warn_fg_color, "cancelled")
            .on_hover_text(format!("cancelled after {epochs}")),
        RunStatus::Pruned => ui.weak("pruned").on_hover_text(
            r.note
                .clone()
                .unwrap_or_else(|| format!("pruned after {epochs}")),
        ),
        RunStatus::Failed(m) => ui
            .colored_label(ui.visuals().error_fg_color, "failed")
            .on_hover_text(m),
    }
}

/// What a click on an [`item_chip`] asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ItemClick {
    /// The label: show this item.
    pub select: bool,
    /// The "+": add it (to a basket, to a session).
    pub add: bool,
}

/// An item as a selectable label followed by a small "+" that adds it; the
/// caller says what selecting and adding do.
pub fn item_chip(ui: &mut egui::Ui, selected: bool, label: String, add_hint: &str) -> ItemClick {
    let select = ui.selectable_label(selected, label).clicked();
    let add = ui.small_button("+").on_hover_text(add_hint).clicked();
    ItemClick { select, add }
}

/// A label and a drop-down that picks one of `choices` into `value`.
pub fn string_combo(
    ui: &mut egui::Ui,
    id: &str,
    label: &str,
    value: &mut String,
    choices: &[String],
) {
    let l = ui.label(label);
    egui::ComboBox::from_id_salt(id)
        .selected_text(value.as_str())
        .show_ui(ui, |ui| {
            for c in choices {
                ui.selectable_value(value, c.clone(), c);
            }
        })
        .response
        .labelled_by(l.id);
}

/// When the result on screen came from other data than `current` (what the
/// tab's next run would use), say so plainly above it, with buttons to load
/// its file again or to put the result away. True when it was put away.
pub fn other_data_banner(
    ui: &mut egui::Ui,
    ctx: &mut TabContext,
    shown: &DataFingerprint,
    current: Option<&Dataset>,
) -> bool {
    if shown.is_none() {
        return false;
    }
    let now = current.map(known_fingerprint);
    if now.as_ref().is_some_and(|n| n.same_data(shown)) {
        return false;
    }
    // Two files of one name (events.csv of two stores) are told apart by
    // their folder.
    let mut name = crate::display::display_name(&shown.file);
    let mut other = now.as_ref().map(|n| crate::display::display_name(&n.file));
    if other.as_ref() == Some(&name) {
        let with_folder = |p: &std::path::Path| {
            let folder = p
                .parent()
                .map(crate::display::display_name)
                .unwrap_or_default();
            format!("{folder}/{}", crate::display::display_name(p))
        };
        name = with_folder(&shown.file);
        other = now.as_ref().map(|n| with_folder(&n.file));
    }
    let loaded = other.map_or("no data is loaded".to_owned(), |o| {
        format!("the loaded data is {o}")
    });
    let mut put_away = false;
    egui::Frame::group(ui.style())
        .stroke(egui::Stroke::new(1.5, ui.visuals().warn_fg_color))
        .show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!(
                        "This result was made on {name} ({} rows), not on the data loaded now: {loaded}.",
                        crate::display::thousands(shown.rows as u64)
                    ),
                );
                if shown.file.exists() && ui.button(format!("Load {name} again")).clicked() {
                    ctx.send(Command::OpenFile(shown.file.clone()));
                }
                if ui
                    .button("Put it away")
                    .on_hover_text("Clear this result from the tab (its run stays in the Runs tab)")
                    .clicked()
                {
                    put_away = true;
                }
            });
        });
    put_away
}

/// The runs of `kind`, oldest first: those on the loaded data, or (ticked
/// "all files") every file's, with the tick box to switch.
pub fn runs_on_data<'a>(
    ui: &mut egui::Ui,
    bench: &'a Workbench,
    kind: crate::runs::RunKind,
    all_files: &mut bool,
) -> Vec<&'a RunEntry> {
    let loaded = bench.dataset().map(|d| known_fingerprint(d));
    let of_kind: Vec<&RunEntry> = bench
        .runs()
        .entries
        .iter()
        .filter(|e| e.record.kind == kind)
        .collect();
    let elsewhere = of_kind
        .iter()
        .filter(|e| !loaded.as_ref().is_some_and(|l| l.same_data(&e.record.data)))
        .count();
    if elsewhere > 0 {
        ui.checkbox(
            all_files,
            format!("also the {elsewhere} run(s) on other files"),
        )
        .on_hover_text(
            "Runs made on other files than the one loaded now; the data column says which",
        );
    }
    of_kind
        .into_iter()
        .filter(|e| *all_files || loaded.as_ref().is_some_and(|l| l.same_data(&e.record.data)))
        .collect()
}

/// A result on screen and the data it was made on.
pub struct Shown<T> {
    pub value: Arc<T>,
    pub data: DataFingerprint,
}

impl<T> Clone for Shown<T> {
    fn clone(&self) -> Self {
        Self {
            value: Arc::clone(&self.value),
            data: self.data.clone(),
        }
    }
}

impl<T: std::any::Any + Send + Sync> Shown<T> {
    /// The run's model when it is a `T`, with the run's data.
    pub fn of(entry: &RunEntry) -> Option<Self> {
        Some(Self {
            value: entry.model_of::<T>()?,
            data: entry.record.data.clone(),
        })
    }
}

/// [`other_data_banner`] for a [`Shown`] result: put away when asked.
pub fn shown_banner<T>(
    ui: &mut egui::Ui,
    ctx: &mut TabContext,
    shown: &mut Option<Shown<T>>,
    current: Option<&Dataset>,
) {
    let Some(data) = shown.as_ref().map(|s| s.data.clone()) else {
        return;
    };
    if other_data_banner(ui, ctx, &data, current) {
        *shown = None;
    }
}

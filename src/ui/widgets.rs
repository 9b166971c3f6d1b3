//! Small pieces every tab draws the same way.

use eframe::egui;

use super::TabContext;
use crate::runs::{RunModel, RunStatus};
use crate::task::EpochEvent;
use crate::workbench::{Command, Event, JobKind, Workbench};

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
            egui::ScrollArea::vertical()
                .id_salt((id, "scroll"))
                .show(ui, contents);
        });
}

/// The scrolling main area right of the side panel.
pub fn main_area(ui: &mut egui::Ui, id: &'static str, contents: impl FnOnce(&mut egui::Ui)) {
    egui::CentralPanel::default().show(ui, |ui| {
        egui::ScrollArea::vertical().id_salt(id).show(ui, contents);
    });
}

/// A grid's header row in bold.
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
        ui.add(egui::ProgressBar::new(fraction.unwrap_or(0.0)).text(first));
    }
    start
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
    Trained(&'a RunModel),
    Cancelled { id: u64, curve: &'a [EpochEvent] },
    Failed(&'a str),
}

/// What a tab says of its cancelled run `id` after `steps` (epochs, …).
pub fn cancelled_note(id: u64, steps: usize, unit: &str) -> String {
    format!("Training cancelled after {steps} {unit}; run #{id} keeps its curve in the Runs tab")
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
        (RunStatus::Done, Some(model)) => OwnRun::Trained(model),
        (RunStatus::Done, None) => OwnRun::Failed("the run left no model"),
        (RunStatus::Cancelled, _) => OwnRun::Cancelled {
            id: *id,
            curve: &entry.record.curve,
        },
        (RunStatus::Failed(m), _) => OwnRun::Failed(m),
    })
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

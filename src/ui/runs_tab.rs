//! The Runs tab: every training run of the session and of the open workspace
//! in a sortable, filterable table; overlaid loss and metric curves (EMA
//! smoothing, log y); which settings win (metric-vs-parameter scatter,
//! parallel coordinates, parameter importance); and sweeps of any model
//! (recommenders, sentiment classifiers, k-means; the form is
//! [`SweepForm`]) that run on a worker while their runs arrive in the table.

use std::collections::BTreeSet;

use eframe::egui;

use super::exporter::csv_button;
use super::runs_compare::Comparison;
use super::runs_curves::CurveView;
use super::study_view::StudyView;
use super::sweep_form::SweepForm;
use super::tabs::{Tab, TourStep};
use super::widgets::{main_area, side_panel};
use super::{AppCommand, TabContext};
use crate::demo::state::Outcome;
use crate::demo::tour::Action;
use crate::registry;
use crate::runs::analysis::metric_names;
use crate::runs::{RunHistory, RunKind, RunRecord, RunStatus};
use crate::workbench::{Command, Event, JobKind, Workbench};

/// The tab's id.
pub(crate) const ID: &str = "runs";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    Id,
    Kind,
    Model,
    Status,
    Metric,
    FitSecs,
}

pub(crate) struct RunsTab {
    pub filter: String,
    pub kind: Option<RunKind>,
    pub sort: SortKey,
    pub descending: bool,
    /// Runs whose curves are overlaid.
    pub selected: BTreeSet<u64>,
    pub curves: CurveView,
    /// Metrics shown as columns of their own beside each run's main one.
    pub columns: Vec<String>,
    /// The model, metric and parameter the table and comparison plots use.
    pub compare: Comparison,
    pub sweep: SweepForm,
    pub study: StudyView,
}

impl Default for RunsTab {
    fn default() -> Self {
        Self {
            filter: String::new(),
            kind: None,
            sort: SortKey::Id,
            descending: false,
            selected: BTreeSet::new(),
            curves: CurveView::default(),
            columns: Vec::new(),
            compare: Comparison::default(),
            sweep: SweepForm::default(),
            study: StudyView::default(),
        }
    }
}

/// The runs the table shows: filtered, then sorted.
fn visible<'a>(state: &RunsTab, history: &'a RunHistory) -> Vec<&'a RunRecord> {
    let needle = state.filter.trim().to_lowercase();
    let mut rows: Vec<&RunRecord> = history
        .entries
        .iter()
        .map(|e| &e.record)
        .filter(|r| state.kind.is_none_or(|k| r.kind == k))
        .filter(|r| {
            needle.is_empty()
                || format!(
                    "#{} {} {} {} {} {}",
                    r.id,
                    r.kind.name(),
                    r.model,
                    r.status.label(),
                    r.params_summary(),
                    r.note.as_deref().unwrap_or("")
                )
                .to_lowercase()
                .contains(&needle)
        })
        .collect();
    let value = |r: &RunRecord| registry::main_metric(r).map_or(f64::NEG_INFINITY, |(_, v)| v);
    rows.sort_by(|a, b| {
        let o = match state.sort {
            SortKey::Id => a.id.cmp(&b.id),
            SortKey::Kind => a.kind.name().cmp(b.kind.name()),
            SortKey::Model => a.model.cmp(&b.model),
            SortKey::Status => a.status.label().cmp(b.status.label()),
            SortKey::Metric => value(a)
                .partial_cmp(&value(b))
                .unwrap_or(std::cmp::Ordering::Equal),
            SortKey::FitSecs => a
                .fit_secs
                .partial_cmp(&b.fit_secs)
                .unwrap_or(std::cmp::Ordering::Equal),
        }
        .then(a.id.cmp(&b.id));
        if state.descending {
            o.reverse()
        } else {
            o
        }
    });
    rows
}

fn sort_header(state: &mut RunsTab, ui: &mut egui::Ui, label: &str, key: SortKey) {
    let arrow = super::widgets::sort_arrow(state.sort == key, state.descending);
    if ui
        .add(
            egui::Button::new(egui::RichText::new(format!("{label}{arrow}")).strong()).frame(false),
        )
        .on_hover_text("Sort by this column (click again to reverse)")
        .clicked()
    {
        if state.sort == key {
            state.descending = !state.descending;
        } else {
            state.sort = key;
            state.descending = matches!(key, SortKey::Metric);
        }
    }
}

fn table_ui(state: &mut RunsTab, ctx: &mut TabContext, ui: &mut egui::Ui) {
    let history = ctx.bench.runs();
    ui.horizontal(|ui| {
        ui.label(egui::RichText::new(format!("Runs ({})", history.len())).strong());
        ui.add(
            egui::TextEdit::singleline(&mut state.filter)
                .desired_width(180.0)
                .hint_text("filter: model, status, factors=64…"),
        );
        egui::ComboBox::from_id_salt("runs_kind")
            .selected_text(state.kind.map_or("all kinds", |k| k.name()))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut state.kind, None, "all kinds");
                for k in registry::CAPABILITIES.iter().map(|c| c.kind) {
                    ui.selectable_value(&mut state.kind, Some(k), k.name());
                }
            });
        if !state.selected.is_empty() {
            if ui.button("Clear selection").clicked() {
                state.selected.clear();
            }
            if ui
                .button("Delete selected")
                .on_hover_text("Remove the ticked runs (and their models) from the history")
                .clicked()
            {
                let ids = std::mem::take(&mut state.selected).into_iter().collect();
                ctx.send(Command::DeleteRuns(ids));
            }
        }
    });
    if history.is_empty() {
        ui.label("No runs yet. Train a model in any tab, or run a sweep on the left.");
        return;
    }
    let rows: Vec<RunRecord> = visible(state, history).into_iter().cloned().collect();
    // The parameters column shows what differs between the rows; the rest is
    // in the tooltip.
    let differing: Vec<String> = {
        let mut names: Vec<&String> = rows.iter().flat_map(|r| r.params.keys()).collect();
        names.sort();
        names.dedup();
        names
            .into_iter()
            .filter(|n| {
                rows.iter()
                    .any(|r| r.params.get(*n) != rows[0].params.get(*n))
            })
            .cloned()
            .collect()
    };
    ui.horizontal(|ui| {
        csv_button(ui, "runs", || runs_table(&rows));
        let all: Vec<&RunRecord> = rows.iter().collect();
        ui.menu_button("Metric columns…", |ui| {
            for name in metric_names(&all) {
                let mut on = state.columns.contains(&name);
                if ui.checkbox(&mut on, &name).changed() {
                    if on {
                        state.columns.push(name);
                    } else {
                        state.columns.retain(|c| *c != name);
                    }
                }
            }
        })
        .response
        .on_hover_text("Show other metrics as columns beside each run's main one");
    });
    let mut explore = None;
    egui::ScrollArea::both()
        .id_salt("runs_table_scroll")
        .max_height(280.0)
        .min_scrolled_height(280.0)
        .show(ui, |ui| {
            egui::Grid::new("runs_table").striped(true).show(ui, |ui| {
                ui.label("");
                ui.label("");
                sort_header(state, ui, "#", SortKey::Id);
                sort_header(state, ui, "kind", SortKey::Kind);
                sort_header(state, ui, "model", SortKey::Model);
                sort_header(state, ui, "status", SortKey::Status);
                sort_header(state, ui, "main metric", SortKey::Metric);
                for c in &state.columns {
                    ui.label(egui::RichText::new(c).strong());
                }
                sort_header(state, ui, "fit s", SortKey::FitSecs);
                for h in ["data", "parameters", "sweep"] {
                    ui.label(egui::RichText::new(h).strong());
                }
                ui.end_row();
                for r in &rows {
                    let mut ticked = state.selected.contains(&r.id);
                    if ui
                        .checkbox(&mut ticked, "")
                        .on_hover_text("Overlay this run's curves")
                        .changed()
                    {
                        if ticked {
                            state.selected.insert(r.id);
                        } else {
                            state.selected.remove(&r.id);
                        }
                    }
                    // First, so it is reachable however wide the row.
                    if history.get(r.id).is_some_and(|e| e.model.is_some()) {
                        if ui
                            .small_button("Explore")
                            .on_hover_text("Open this run's model in its tab")
                            .clicked()
                        {
                            explore = Some(r.id);
                        }
                    } else {
                        ui.label("");
                    }
                    ui.label(format!("#{}", r.id));
                    ui.label(r.kind.name());
                    ui.label(&r.model);
                    super::widgets::status_label(ui, r);
                    match registry::main_metric(r) {
                        Some((name, v)) => ui.label(format!("{name} {v:.4}")),
                        None => ui.label("–"),
                    };
                    for c in &state.columns {
                        ui.label(r.metrics.get(c).map_or("–".into(), |v| format!("{v:.4}")));
                    }
                    super::widgets::fit_secs_label(ui, r);
                    ui.label(r.data.short()).on_hover_text(format!(
                        "{} · {} rows · SHA-256 {}",
                        r.data.file.display(),
                        r.data.rows,
                        if r.data.hash.is_empty() {
                            "not computed"
                        } else {
                            &r.data.hash
                        }
                    ));
                    let summary = r.params_summary();
                    let shown: Vec<String> = differing
                        .iter()
                        .filter_map(|n| {
                            r.params.get(n).map(|v| match v {
                                serde_json::Value::String(s) => format!("{n}={s}"),
                                other => format!("{n}={other}"),
                            })
                        })
                        .collect();
                    let shown = if shown.is_empty() {
                        summary.clone()
                    } else {
                        shown.join(" ")
                    };
                    let short: String = shown.chars().take(48).collect();
                    ui.label(if short.len() < shown.len() {
                        format!("{short}…")
                    } else {
                        short
                    })
                    .on_hover_text(format!(
                        "{summary}\nseed {} · {}{}",
                        r.seed,
                        r.evaluation,
                        r.note
                            .as_ref()
                            .map(|n| format!("\n{n}"))
                            .unwrap_or_default()
                    ));
                    ui.label(r.sweep.map_or(String::new(), |s| format!("sweep {s}")));
                    ui.end_row();
                }
            });
        });
    if let Some(id) = explore {
        ctx.push(AppCommand::Explore(id));
    }
}

/// The runs table as CSV: every parameter and metric gets a column.
fn runs_table(rows: &[RunRecord]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut params: Vec<String> = rows.iter().flat_map(|r| r.params.keys().cloned()).collect();
    params.sort();
    params.dedup();
    let mut metrics: Vec<String> = rows
        .iter()
        .flat_map(|r| r.metrics.keys().cloned())
        .collect();
    metrics.sort();
    metrics.dedup();
    let mut headers: Vec<String> = [
        "id",
        "kind",
        "model",
        "status",
        "message",
        "seed",
        "evaluation",
        "data_file",
        "data_rows",
        "data_sha256",
        "fit_secs",
        "epochs",
        "sweep",
        "note",
    ]
    .map(String::from)
    .to_vec();
    headers.extend(params.iter().cloned());
    headers.extend(metrics.iter().cloned());
    let table = rows
        .iter()
        .map(|r| {
            let mut row = vec![
                r.id.to_string(),
                r.kind.name().into(),
                r.model.clone(),
                r.status.label().into(),
                match &r.status {
                    RunStatus::Failed(m) => m.clone(),
                    _ => String::new(),
                },
                r.seed.to_string(),
                r.evaluation.clone(),
                r.data.file.display().to_string(),
                r.data.rows.to_string(),
                r.data.hash.clone(),
                r.fit_secs.to_string(),
                r.curve.len().to_string(),
                r.sweep.map_or(String::new(), |s| s.to_string()),
                r.note.clone().unwrap_or_default(),
            ];
            row.extend(params.iter().map(|p| match r.params.get(p) {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
                None => String::new(),
            }));
            row.extend(
                metrics
                    .iter()
                    .map(|m| r.metrics.get(m).map_or(String::new(), |v| v.to_string())),
            );
            row
        })
        .collect();
    (headers, table)
}

impl Tab for RunsTab {
    fn id(&self) -> &'static str {
        ID
    }

    fn label(&self) -> &'static str {
        "Runs"
    }

    fn on_event(&mut self, event: &Event, _bench: &Workbench) {
        match event {
            // Sweep runs are overlaid as they arrive.
            Event::RunRecorded {
                id,
                job: JobKind::Sweep,
                ..
            } => {
                self.selected.insert(*id);
            }
            Event::Message {
                job: JobKind::Sweep,
                text,
            } => self.sweep.message = Some(text.clone()),
            Event::HistoryReplaced => self.selected.clear(),
            _ => {}
        }
    }

    fn ui(&mut self, ctx: &mut TabContext, ui: &mut egui::Ui) {
        self.compare.default_choices(ctx.bench);
        side_panel(ui, "sweep_controls", 300.0, |ui| self.sweep.ui(ctx, ui));
        main_area(ui, "runs_main", |ui| {
            if let Some(m) = &self.sweep.message {
                ui.colored_label(ui.visuals().warn_fg_color, m);
            }
            self.study.ui(ctx.bench, &mut self.sweep, ui);
            table_ui(self, ctx, ui);
            ui.add_space(8.0);
            let live = ctx.bench.jobs().epochs(JobKind::Sweep);
            let ticked: Vec<&RunRecord> = ctx
                .bench
                .runs()
                .entries
                .iter()
                .map(|e| &e.record)
                .filter(|r| self.selected.contains(&r.id))
                .collect();
            // With no runs there is nothing to overlay or compare: the table
            // says how to make one.
            if ctx.bench.runs().is_empty() && live.is_empty() {
                return;
            }
            self.curves.ui(&ticked, live, ui);
            ui.add_space(8.0);
            self.compare.ui(ctx.bench, ui);
        });
    }

    fn perform(&mut self, step: &TourStep, ctx: &mut TabContext) -> Option<Outcome> {
        if step.action != Action::CompareRuns {
            return None;
        }
        let ids: Vec<u64> = ctx
            .bench
            .runs()
            .entries
            .iter()
            .filter(|e| e.record.status == RunStatus::Done && !e.record.curve.is_empty())
            .map(|e| e.record.id)
            .collect();
        self.selected = ids.into_iter().rev().take(4).collect();
        Some(Outcome::Done)
    }
}

//! The Runs tab: every training run of the session and of the open workspace
//! in a sortable, filterable table; overlaid loss and metric curves (EMA
//! smoothing, log y); which settings win (metric-vs-parameter scatter,
//! parallel coordinates, parameter importance); and sweeps of any model
//! (recommenders, sentiment classifiers, k-means) that run on a worker while
//! their runs arrive in the table.

use std::collections::BTreeSet;

use eframe::egui;
use egui_plot::{Legend, Line, Plot, PlotPoint, PlotPoints, Points, Text, VLine};

use super::exporter::{csv_button, png_button};
use super::tabs::{Tab, TourStep};
use super::widgets::{main_area, side_panel};
use super::{AppCommand, TabContext};
use crate::demo::state::Outcome;
use crate::demo::tour::Action;
use crate::registry::{self, SweepModel};
use crate::runs::analysis::{
    best_run, ema, metric_names, param_importance, varying_params, wide_positive, Axis,
};
use crate::runs::sweep::{parse_list, parse_range, SweepSpec, MAX_AXES};
use crate::runs::{RunHistory, RunKind, RunRecord, RunStatus, SweepPlan};
use crate::task::EpochEvent;
use crate::workbench::{Command, Event, JobKind, SideJob, Workbench};

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

/// One swept parameter as typed: a name and `V1,V2,…` or `LO..HI[:log]`.
#[derive(Clone, Debug, PartialEq)]
pub struct AxisDraft {
    pub name: String,
    pub values: String,
}

pub(crate) struct RunsTab {
    pub filter: String,
    pub kind: Option<RunKind>,
    pub sort: SortKey,
    pub descending: bool,
    /// Runs whose curves are overlaid.
    pub selected: BTreeSet<u64>,
    /// EMA weight of the curve smoothing, 0 (off) to 0.99.
    pub smoothing: f64,
    pub log_y: bool,
    /// The model whose runs the scatter, parallel coordinates and importance use.
    pub compare_model: String,
    pub metric: String,
    pub x_param: String,
    // The sweep form.
    pub sweep_model: Option<SweepModel>,
    pub axes: Vec<AxisDraft>,
    pub random: bool,
    pub random_runs: usize,
    pub cap: usize,
    pub patience: usize,
    pub sweep_seed: u64,
    pub message: Option<String>,
}

impl Default for RunsTab {
    fn default() -> Self {
        let sweep_model = registry::sweep_model("als")
            .ok()
            .or_else(|| registry::sweep_models().next());
        Self {
            filter: String::new(),
            kind: None,
            sort: SortKey::Id,
            descending: false,
            selected: BTreeSet::new(),
            smoothing: 0.0,
            log_y: false,
            compare_model: String::new(),
            metric: String::new(),
            x_param: String::new(),
            axes: sweep_model.iter().map(default_axis).collect(),
            sweep_model,
            random: false,
            random_runs: 8,
            cap: SweepSpec::default().cap,
            patience: SweepSpec::default().patience,
            sweep_seed: SweepSpec::default().seed,
            message: None,
        }
    }
}

/// A first sweep for each model: the first parameter with default sweep
/// values on its spec.
fn default_axis(model: &SweepModel) -> AxisDraft {
    let (name, values) = model.entry.first_axis().unwrap_or_default();
    AxisDraft {
        name: name.into(),
        values: values.into(),
    }
}

impl RunsTab {
    /// The sweep the form describes.
    pub fn spec(&self) -> Result<SweepSpec, String> {
        let mut spec = SweepSpec {
            random: self.random.then_some(self.random_runs),
            cap: self.cap,
            seed: self.sweep_seed,
            patience: self.patience,
            ..Default::default()
        };
        for axis in &self.axes {
            let arg = format!("{}={}", axis.name.trim(), axis.values.trim());
            if axis.values.contains("..") {
                spec.ranges.push(parse_range(&arg)?);
            } else {
                spec.lists.push(parse_list(&arg)?);
            }
        }
        Ok(spec)
    }

    /// The sweep as it would run: the chosen model's request with the
    /// other tabs' settings, planned by the core registry.
    fn plan(&self, ctx: &TabContext) -> Result<SweepPlan, String> {
        let model = self
            .sweep_model
            .as_ref()
            .ok_or("Choose a model to sweep.")?;
        registry::plan_sweep(
            model,
            ctx.settings,
            &ctx.bench.data_context(),
            &self.spec()?,
        )
    }
}

fn sweep_ui(state: &mut RunsTab, ctx: &mut TabContext, ui: &mut egui::Ui) {
    ui.heading("Sweep");
    ui.label("Train a model once per setting, one after another, with the other settings of its tab (Recommend: split, k, seed; Sentiment: columns, n-grams, evaluation; Segments: features).");
    let before = state.sweep_model.as_ref().map(|m| m.name());
    egui::ComboBox::from_label("model")
        .selected_text(state.sweep_model.as_ref().map_or("choose", |m| m.label()))
        // Every model in view, without scrolling the list.
        .height(420.0)
        .show_ui(ui, |ui| {
            for model in registry::sweep_models() {
                let label = model.label().to_owned();
                ui.selectable_value(&mut state.sweep_model, Some(model), label);
            }
        });
    if state.sweep_model.as_ref().map(|m| m.name()) != before {
        state.axes = state.sweep_model.iter().map(default_axis).collect();
    }
    let Some(model) = state.sweep_model.clone() else {
        return;
    };
    // What the model's runs need worked out first (the customers k-means
    // clusters), once per loaded file.
    if let Some(prepare) = model.capability.does.prepare(&model.entry) {
        ctx.send(Command::Side(SideJob::prepare(model.kind(), prepare)));
    }
    let names: Vec<&str> = model.entry.sweepable().iter().map(|s| s.name).collect();
    let planned = state.plan(ctx);
    ui.add_space(4.0);
    ui.label(egui::RichText::new("Parameters").strong())
        .on_hover_text("Values: a list 16,32,64 (grid or random), or a range 0.001..0.1 (random search; add :log for a log scale)");
    let mut remove = None;
    for (i, axis) in state.axes.iter_mut().enumerate() {
        ui.horizontal(|ui| {
            egui::ComboBox::from_id_salt(("sweep_axis", i))
                .width(110.0)
                .selected_text(&axis.name)
                .show_ui(ui, |ui| {
                    for n in &names {
                        ui.selectable_value(&mut axis.name, (*n).to_owned(), *n);
                    }
                });
            ui.add(
                egui::TextEdit::singleline(&mut axis.values)
                    .desired_width(110.0)
                    .hint_text("16,32,64"),
            )
            .on_hover_text("A list 16,32,64, or a range LO..HI or LO..HI:log");
            if ui
                .small_button("remove")
                .on_hover_text("Remove this parameter")
                .clicked()
            {
                remove = Some(i);
            }
        });
    }
    if let Some(i) = remove {
        state.axes.remove(i);
    }
    if state.axes.len() < MAX_AXES && ui.small_button("+ parameter").clicked() {
        let next = names
            .iter()
            .find(|n| !state.axes.iter().any(|a| a.name == **n))
            .map(|n| (*n).to_owned())
            .unwrap_or_default();
        state.axes.push(AxisDraft {
            name: next,
            values: String::new(),
        });
    }
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        ui.radio_value(&mut state.random, false, "Grid")
            .on_hover_text("Every combination of the listed values");
        ui.radio_value(&mut state.random, true, "Random")
            .on_hover_text("Draw settings at random from the ranges and lists (seeded)");
        if state.random {
            ui.add(
                egui::DragValue::new(&mut state.random_runs)
                    .range(1..=1000)
                    .suffix(" runs"),
            );
        }
    });
    ui.add(egui::Slider::new(&mut state.cap, 1..=500).text("run cap"))
        .on_hover_text("Refuse sweeps of more runs than this");
    ui.add(egui::Slider::new(&mut state.patience, 0..=20).text("early-stop patience"))
        .on_hover_text("Stop a run after this many validations without a better validation NDCG (0: off). Validation runs every 'validate every' epochs of the Recommend tab (5 when that is off).");
    ui.add(egui::DragValue::new(&mut state.sweep_seed).prefix("random-search seed "));
    match &planned {
        Ok(request) => ui.label(format!("{} runs planned", request.len())),
        Err(e) => ui.colored_label(ui.visuals().warn_fg_color, e),
    };
    ui.add_space(4.0);
    let jobs = ctx.bench.jobs();
    if jobs.is_active(JobKind::Sweep) {
        let at = jobs.progress(JobKind::Sweep).map(|(_, m)| m.to_owned());
        let cancelling = jobs.is_cancelling(JobKind::Sweep);
        ui.horizontal(|ui| {
            ui.spinner();
            if let Some(at) = at {
                ui.label(at);
            }
            if cancelling {
                ui.label("cancelling…");
            } else if ui.button("Cancel sweep").clicked() {
                ctx.send(Command::Cancel(JobKind::Sweep));
            }
        });
    } else {
        let button = ui
            .add_enabled(planned.is_ok(), egui::Button::new("Run sweep"))
            .on_disabled_hover_text("Load the data the model needs and fix the parameters first");
        if button.clicked() {
            if let Ok(request) = planned {
                state.message = None;
                ctx.send(Command::Sweep(request));
            }
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
    let metric = state.metric.clone();
    let value = |r: &RunRecord| r.metrics.get(&metric).copied().unwrap_or(f64::NEG_INFINITY);
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

/// Pick a model and metric to compare when none is chosen (or it vanished).
fn default_choices(state: &mut RunsTab, history: &RunHistory) {
    let Some(last) = history.entries.last().map(|e| &e.record) else {
        return;
    };
    if !history
        .entries
        .iter()
        .any(|e| e.record.model == state.compare_model)
    {
        state.compare_model = last.model.clone();
    }
    let runs: Vec<&RunRecord> = history
        .entries
        .iter()
        .map(|e| &e.record)
        .filter(|r| r.model == state.compare_model)
        .collect();
    let names = metric_names(&runs);
    if !names.contains(&state.metric) {
        state.metric = runs
            .iter()
            .rev()
            .find_map(|r| registry::main_metric(r).map(|(n, _)| n.to_owned()))
            .or_else(|| names.first().cloned())
            .unwrap_or_default();
    }
    let params = varying_params(&runs);
    if !params.contains(&state.x_param) {
        state.x_param = params.first().cloned().unwrap_or_default();
    }
}

fn sort_header(state: &mut RunsTab, ui: &mut egui::Ui, label: &str, key: SortKey) {
    let arrow = if state.sort == key {
        if state.descending {
            " v"
        } else {
            " ^"
        }
    } else {
        ""
    };
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
        ui.label("No runs yet. Train a model in the Recommend, Sentiment or Segments tab, or run a sweep on the left.");
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
    let metric = state.metric.clone();
    let metric_header = if metric.is_empty() {
        "metric".to_owned()
    } else {
        metric.clone()
    };
    csv_button(ui, "runs", || runs_table(&rows));
    let mut explore = None;
    egui::ScrollArea::vertical()
        .id_salt("runs_table_scroll")
        .max_height(280.0)
        .show(ui, |ui| {
            egui::Grid::new("runs_table").striped(true).show(ui, |ui| {
                ui.label("");
                sort_header(state, ui, "#", SortKey::Id);
                sort_header(state, ui, "kind", SortKey::Kind);
                sort_header(state, ui, "model", SortKey::Model);
                sort_header(state, ui, "status", SortKey::Status);
                sort_header(state, ui, &metric_header, SortKey::Metric);
                sort_header(state, ui, "fit s", SortKey::FitSecs);
                for h in ["parameters", "data", "sweep", ""] {
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
                    ui.label(format!("#{}", r.id));
                    ui.label(r.kind.name());
                    ui.label(&r.model);
                    match &r.status {
                        RunStatus::Done => ui.label("done"),
                        RunStatus::Cancelled => {
                            ui.colored_label(ui.visuals().warn_fg_color, "cancelled")
                        }
                        RunStatus::Failed(m) => ui
                            .colored_label(ui.visuals().error_fg_color, "failed")
                            .on_hover_text(m),
                    };
                    ui.label(
                        r.metrics
                            .get(&metric)
                            .map_or("–".into(), |v| format!("{v:.4}")),
                    );
                    ui.label(format!("{:.2}", r.fit_secs));
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
                    ui.label(r.sweep.map_or(String::new(), |s| format!("sweep {s}")));
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

fn curves_ui(state: &mut RunsTab, history: &RunHistory, live: &[EpochEvent], ui: &mut egui::Ui) {
    ui.label(egui::RichText::new("Curves").strong());
    ui.horizontal(|ui| {
        ui.add(egui::Slider::new(&mut state.smoothing, 0.0..=0.99).text("EMA smoothing"))
            .on_hover_text("Exponential moving average: each point = w × previous smoothed + (1 − w) × this point");
        ui.checkbox(&mut state.log_y, "log y");
    });
    let selected: Vec<&RunRecord> = history
        .entries
        .iter()
        .map(|e| &e.record)
        .filter(|r| state.selected.contains(&r.id))
        .collect();
    if selected.is_empty() && live.is_empty() {
        ui.label("Tick runs in the table to overlay their loss and validation curves.");
        return;
    }
    let (w, log_y) = (state.smoothing, state.log_y);
    let transform = move |v: f64| if log_y { v.log10() } else { v };
    let series = |points: Vec<(f64, f64)>| -> Vec<[f64; 2]> {
        let ys: Vec<f64> = points.iter().map(|p| p.1).collect();
        points
            .iter()
            .zip(ema(&ys, w))
            .filter(|(_, y)| y.is_finite() && (!log_y || *y > 0.0))
            .map(|(p, y)| [p.0, transform(y)])
            .collect()
    };
    let live = live.to_vec();
    let y_format = move |mark: egui_plot::GridMark, _: &std::ops::RangeInclusive<f64>| {
        if log_y {
            format!("{:.3}", 10f64.powf(mark.value))
        } else {
            format!("{:.3}", mark.value)
        }
    };
    ui.columns(2, |cols| {
        let loss = Plot::new("runs_loss")
            .height(200.0)
            .allow_scroll(false)
            .legend(Legend::default())
            .x_axis_label("epoch")
            .y_axis_label(if log_y { "loss (log)" } else { "loss" })
            .y_axis_formatter(y_format)
            .show(&mut cols[0], |p| {
                for r in &selected {
                    let pts = series(r.curve.iter().map(|e| (e.epoch as f64, e.loss)).collect());
                    p.line(Line::new(
                        format!("#{} {}", r.id, r.model),
                        PlotPoints::from(pts),
                    ));
                }
                if !live.is_empty() {
                    let pts = series(live.iter().map(|e| (e.epoch as f64, e.loss)).collect());
                    p.line(
                        Line::new("running", PlotPoints::from(pts))
                            .style(egui_plot::LineStyle::dashed_loose()),
                    );
                }
            });
        png_button(&mut cols[0], loss.response.rect, "loss curves");
        let metric = Plot::new("runs_metric")
            .height(200.0)
            .allow_scroll(false)
            .legend(Legend::default())
            .x_axis_label("epoch")
            .y_axis_label(if log_y {
                "validation (log)"
            } else {
                "validation metric"
            })
            .y_axis_formatter(y_format)
            .show(&mut cols[1], |p| {
                let metric_of = |curve: &[EpochEvent]| -> Vec<(f64, f64)> {
                    curve
                        .iter()
                        .filter_map(|e| e.metric.as_ref().map(|(_, v)| (e.epoch as f64, *v)))
                        .collect()
                };
                for r in &selected {
                    let pts = series(metric_of(&r.curve));
                    if !pts.is_empty() {
                        let name = r
                            .curve
                            .iter()
                            .find_map(|e| e.metric.as_ref().map(|(n, _)| n.clone()))
                            .unwrap_or_default();
                        p.line(Line::new(
                            format!("#{} {name}", r.id),
                            PlotPoints::from(pts),
                        ));
                    }
                }
                if !live.is_empty() {
                    let pts = series(metric_of(&live));
                    p.line(
                        Line::new("running", PlotPoints::from(pts))
                            .style(egui_plot::LineStyle::dashed_loose()),
                    );
                }
            });
        png_button(&mut cols[1], metric.response.rect, "validation curves");
    });
}

fn compare_ui(state: &mut RunsTab, history: &RunHistory, ui: &mut egui::Ui) {
    ui.label(egui::RichText::new("Which settings win").strong());
    let mut models: Vec<String> = history
        .entries
        .iter()
        .map(|e| e.record.model.clone())
        .collect();
    models.sort();
    models.dedup();
    if models.is_empty() {
        return;
    }
    let runs: Vec<&RunRecord> = history
        .entries
        .iter()
        .map(|e| &e.record)
        .filter(|r| r.model == state.compare_model && r.status == RunStatus::Done)
        .collect();
    let metrics = metric_names(&runs);
    let params = varying_params(&runs);
    ui.horizontal(|ui| {
        ui.label("Runs of");
        egui::ComboBox::from_id_salt("compare_model")
            .selected_text(&state.compare_model)
            .show_ui(ui, |ui| {
                for m in &models {
                    ui.selectable_value(&mut state.compare_model, m.clone(), m);
                }
            });
        ui.label("metric");
        egui::ComboBox::from_id_salt("compare_metric")
            .selected_text(&state.metric)
            .show_ui(ui, |ui| {
                for m in &metrics {
                    ui.selectable_value(&mut state.metric, m.clone(), m);
                }
            });
        ui.label("against");
        egui::ComboBox::from_id_salt("compare_x")
            .selected_text(&state.x_param)
            .show_ui(ui, |ui| {
                for p in &params {
                    ui.selectable_value(&mut state.x_param, p.clone(), p);
                }
            });
    });
    if runs.len() < 2 || params.is_empty() {
        ui.label(format!(
            "{} finished run(s) of {}; compare needs at least two whose parameters differ (a sweep makes them).",
            runs.len(),
            state.compare_model
        ));
        return;
    }
    let metric = state.metric.clone();
    let best = best_run(&runs, &metric);
    ui.columns(2, |cols| {
        scatter_ui(&mut cols[0], &runs, &state.x_param, &metric, best);
        importance_ui(&mut cols[1], &runs, &metric);
    });
    parallel_ui(ui, &runs, &params, &metric, best);
}

fn scatter_ui(
    ui: &mut egui::Ui,
    runs: &[&RunRecord],
    x_param: &str,
    metric: &str,
    best: Option<u64>,
) {
    let pts: Vec<(u64, f64, f64)> = runs
        .iter()
        .filter_map(|r| Some((r.id, r.param_value(x_param)?, *r.metrics.get(metric)?)))
        .collect();
    let log_x = wide_positive(pts.iter().map(|p| p.1));
    let tx = move |v: f64| if log_x { v.log10() } else { v };
    let plain: Vec<[f64; 2]> = pts
        .iter()
        .filter(|p| Some(p.0) != best)
        .map(|p| [tx(p.1), p.2])
        .collect();
    let top: Vec<[f64; 2]> = pts
        .iter()
        .filter(|p| Some(p.0) == best)
        .map(|p| [tx(p.1), p.2])
        .collect();
    let response = Plot::new("runs_scatter")
        .height(220.0)
        .allow_scroll(false)
        .legend(Legend::default().position(egui_plot::Corner::RightBottom))
        .x_axis_label(if log_x {
            format!("{x_param} (log)")
        } else {
            x_param.to_owned()
        })
        .y_axis_label(metric)
        .x_axis_formatter(move |mark, _| {
            let v = if log_x {
                10f64.powf(mark.value)
            } else {
                mark.value
            };
            format!("{}", (v * 1e4).round() / 1e4)
        })
        .show(ui, |p| {
            p.points(Points::new("runs", PlotPoints::from(plain)).radius(4.0));
            if let Some(id) = best {
                p.points(
                    Points::new(format!("best #{id}"), PlotPoints::from(top))
                        .radius(7.0)
                        .shape(egui_plot::MarkerShape::Diamond)
                        .color(egui::Color32::GOLD),
                );
            }
        });
    png_button(ui, response.response.rect, "metric vs parameter");
}

fn importance_ui(ui: &mut egui::Ui, runs: &[&RunRecord], metric: &str) {
    ui.label(egui::RichText::new("Parameter importance").strong())
        .on_hover_text("Pearson correlation between each parameter (log10 of it when its values span more than a factor of 10) and the metric, over the finished runs shown. A first look: it sees only straight-line effects, and parameters varied together share the credit.");
    let importance = param_importance(runs, metric);
    if importance.is_empty() {
        ui.label("Needs at least 3 runs whose parameters vary.");
        return;
    }
    csv_button(ui, "parameter importance", || {
        (
            vec![
                "parameter".into(),
                "correlation".into(),
                "log_scale".into(),
                "runs".into(),
            ],
            importance
                .iter()
                .map(|i| {
                    vec![
                        i.param.clone(),
                        i.correlation.to_string(),
                        i.log_scale.to_string(),
                        i.runs.to_string(),
                    ]
                })
                .collect(),
        )
    });
    egui::Grid::new("importance").striped(true).show(ui, |ui| {
        for i in &importance {
            ui.label(if i.log_scale {
                format!("log {}", i.param)
            } else {
                i.param.clone()
            });
            ui.label(format!("{:+.2}", i.correlation));
            let (rect, _) = ui.allocate_exact_size(egui::vec2(120.0, 12.0), egui::Sense::hover());
            let mid = rect.center().x;
            let end = mid + i.correlation as f32 * rect.width() / 2.0;
            let bar = egui::Rect::from_x_y_ranges(mid.min(end)..=mid.max(end), rect.y_range());
            let color = if i.correlation >= 0.0 {
                egui::Color32::from_rgb(80, 160, 90)
            } else {
                egui::Color32::from_rgb(200, 90, 80)
            };
            ui.painter().rect_filled(bar, 2.0, color);
            ui.painter().vline(
                mid,
                rect.y_range(),
                ui.visuals().widgets.noninteractive.fg_stroke,
            );
            ui.label(format!("{} runs", i.runs));
            ui.end_row();
        }
    });
}

fn parallel_ui(
    ui: &mut egui::Ui,
    runs: &[&RunRecord],
    params: &[String],
    metric: &str,
    best: Option<u64>,
) {
    ui.add_space(6.0);
    ui.label(egui::RichText::new("Parallel coordinates").strong())
        .on_hover_text("One line per run through its parameter values and the metric (each axis scaled from its lowest to its highest value; log axes for values spanning decades). The best run is gold.");
    let mut axes: Vec<Axis> = params
        .iter()
        .map(|p| {
            let values: Vec<f64> = runs.iter().filter_map(|r| r.param_value(p)).collect();
            Axis::fit(p, &values)
        })
        .collect();
    let metric_values: Vec<f64> = runs
        .iter()
        .filter_map(|r| r.metrics.get(metric).copied())
        .collect();
    axes.push(Axis::fit(metric, &metric_values));
    let n_axes = axes.len();
    let names: Vec<String> = axes.iter().map(|a| a.name.clone()).collect();
    let metric_axis = axes[n_axes - 1].clone();
    let response = Plot::new("runs_parallel")
        .height(240.0)
        .allow_scroll(false)
        .allow_drag(false)
        .allow_zoom(false)
        .show_y(false)
        .show_grid(false)
        .include_x(-0.15)
        .include_x(n_axes as f64 - 0.85)
        .y_axis_formatter(|_, _| String::new())
        .x_axis_formatter(move |mark, _| {
            let k = mark.value.round();
            if (mark.value - k).abs() > 1e-6 || k < 0.0 {
                return String::new();
            }
            names.get(k as usize).cloned().unwrap_or_default()
        })
        .include_y(-0.08)
        .include_y(1.08)
        .show(ui, |p| {
            for (i, a) in axes.iter().enumerate() {
                p.vline(
                    VLine::new(a.name.clone(), i as f64)
                        .color(egui::Color32::GRAY)
                        .width(1.0),
                );
                let fmt = |v: f64| format!("{}", (v * 1e4).round() / 1e4);
                p.text(Text::new(
                    format!("{} max", a.name),
                    PlotPoint::new(i as f64, 1.05),
                    egui::RichText::new(fmt(a.value_at(1.0))).size(13.0),
                ));
                p.text(Text::new(
                    format!("{} min", a.name),
                    PlotPoint::new(i as f64, -0.05),
                    egui::RichText::new(fmt(a.value_at(0.0))).size(13.0),
                ));
            }
            let mut best_line = None;
            for r in runs {
                let Some(&m) = r.metrics.get(metric) else {
                    continue;
                };
                let pts: Option<Vec<[f64; 2]>> = axes
                    .iter()
                    .enumerate()
                    .map(|(i, a)| {
                        let v = if i + 1 == n_axes {
                            Some(m)
                        } else {
                            r.param_value(&a.name)
                        };
                        v.map(|v| [i as f64, a.position(v)])
                    })
                    .collect();
                let Some(pts) = pts else { continue };
                if Some(r.id) == best {
                    best_line = Some((r.id, pts));
                    continue;
                }
                // Colour from blue (worst) to orange (best) by the metric.
                let t = metric_axis.position(m) as f32;
                let color = egui::Color32::from_rgb(
                    (60.0 + 180.0 * t) as u8,
                    (110.0 + 40.0 * t) as u8,
                    (220.0 - 170.0 * t) as u8,
                );
                p.line(
                    Line::new(format!("#{}", r.id), PlotPoints::from(pts))
                        .color(color)
                        .width(1.5),
                );
            }
            if let Some((id, pts)) = best_line {
                p.line(
                    Line::new(format!("best #{id}"), PlotPoints::from(pts))
                        .color(egui::Color32::GOLD)
                        .width(4.0),
                );
            }
        });
    png_button(ui, response.response.rect, "parallel coordinates");
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
            } => self.message = Some(text.clone()),
            Event::HistoryReplaced => self.selected.clear(),
            _ => {}
        }
    }

    fn ui(&mut self, ctx: &mut TabContext, ui: &mut egui::Ui) {
        default_choices(self, ctx.bench.runs());
        side_panel(ui, "sweep_controls", 300.0, |ui| sweep_ui(self, ctx, ui));
        main_area(ui, "runs_main", |ui| {
            if let Some(m) = &self.message {
                ui.colored_label(ui.visuals().warn_fg_color, m);
            }
            table_ui(self, ctx, ui);
            ui.add_space(8.0);
            let live = ctx.bench.jobs().epochs(JobKind::Sweep);
            curves_ui(self, ctx.bench.runs(), live, ui);
            ui.add_space(8.0);
            compare_ui(self, ctx.bench.runs(), ui);
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

//! The Runs tab: every training run of the session and of the open workspace
//! in a sortable, filterable table; overlaid loss and metric curves (EMA
//! smoothing, log y); which settings win (metric-vs-parameter scatter,
//! parallel coordinates, parameter importance); and recommender sweeps that
//! run on a worker while their runs arrive in the table.

use std::collections::BTreeSet;
use std::sync::mpsc::{channel, Receiver, Sender, TryRecvError};
use std::sync::Arc;
use std::time::Duration;

use eframe::egui;
use egui_plot::{Legend, Line, Plot, PlotPoint, PlotPoints, Points, Text, VLine};

use super::exporter::{csv_button, png_button};
use super::recommend_tab::RecommendState;
use super::sentiment_tab::SentimentState;
use crate::data::{Dataset, EventWeights};
use crate::jobs::{EpochEvent, JobContext, JobSlot, Outcome};
use crate::recsys::matrix::{Interactions, MatrixOptions};
use crate::recsys::params::ModelParams;
use crate::recsys::Trained;
use crate::runs::analysis::{
    best_run, ema, metric_names, param_importance, varying_params, wide_positive, Axis,
};
use crate::runs::sweep::{
    expand, parse_list, parse_range, run_sentiment_sweep, run_sweep, sweepable,
    SentimentSweepUpdate, SweepSpec, SweepUpdate, MAX_AXES,
};
use crate::runs::{fingerprint, RunHistory, RunKind, RunModel, RunRecord, RunStatus};
use crate::text::{ClassifierKind, ReviewColumns, Reviews, SentimentParams};

const POLL_BUDGET: Duration = Duration::from_millis(2);

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

/// What a sweep worker sends back.
enum SweepMsg {
    Started { index: usize, total: usize },
    Epoch(EpochEvent),
    Finished(Box<(RunRecord, Option<RunModel>)>),
}

pub struct RunsState {
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
    pub sweep_model: String,
    pub axes: Vec<AxisDraft>,
    pub random: bool,
    pub random_runs: usize,
    pub cap: usize,
    pub patience: usize,
    pub sweep_seed: u64,
    pub sweep_job: JobSlot<usize>,
    sweep_rx: Option<Receiver<SweepMsg>>,
    /// (index, total) of the sweep's current run.
    pub sweep_at: Option<(usize, usize)>,
    /// The current sweep run's curve.
    pub live: Vec<EpochEvent>,
    pub message: Option<String>,
    /// Runs of finished sweep steps, collected by the app into its history.
    pub finished_runs: Vec<(RunRecord, Option<RunModel>)>,
}

impl Default for RunsState {
    fn default() -> Self {
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
            sweep_model: "als".into(),
            axes: vec![AxisDraft {
                name: "factors".into(),
                values: "16,32,64".into(),
            }],
            random: false,
            random_runs: 8,
            cap: crate::runs::sweep::DEFAULT_CAP,
            patience: 0,
            sweep_seed: 42,
            sweep_job: JobSlot::default(),
            sweep_rx: None,
            sweep_at: None,
            live: Vec::new(),
            message: None,
            finished_runs: Vec::new(),
        }
    }
}

/// What a sweep trains on: the other tabs' settings and data.
pub struct SweepSources<'a> {
    pub recommend: &'a RecommendState,
    pub sentiment: &'a SentimentState,
    /// Interactions (the Data tab's file).
    pub dataset: Option<Arc<Dataset>>,
    /// Reviews (the Sentiment tab's source).
    pub reviews: Option<Arc<Dataset>>,
    pub weights: &'a EventWeights,
}

/// Sentiment models a sweep can train, by the name the sweep form uses.
const SENTIMENT_MODELS: [&str; 2] = ["logreg", "nb"];

/// Progress for run `index` of `total`, and the message that starts its live curve.
fn run_started<T>(job: &JobContext<T>, index: usize, total: usize) -> SweepMsg {
    job.progress(
        Some(index as f32 / total.max(1) as f32),
        format!("run {} of {total}", index + 1),
    );
    SweepMsg::Started { index, total }
}

fn is_sentiment(model: &str) -> bool {
    SENTIMENT_MODELS.contains(&model)
}

/// The sentiment tab's parameters with the classifier `model`.
fn sentiment_base(sentiment: &SentimentState, model: &str) -> SentimentParams {
    let mut p = sentiment.current_params();
    p.model = if model == "nb" {
        ClassifierKind::NaiveBayes
    } else {
        ClassifierKind::LogisticRegression
    };
    p
}

/// A first sweep for each model: its most telling parameter.
fn default_axis(model: &str) -> AxisDraft {
    let (name, values) = match model {
        "itemknn" => ("neighbors", "20,50,100"),
        "ease" => ("lambda", "50,250,1000"),
        "logreg" => ("c", "0.1,1,10"),
        "nb" => ("alpha", "0.1,0.5,1"),
        _ => ("factors", "16,32,64"),
    };
    AxisDraft {
        name: name.into(),
        values: values.into(),
    }
}

/// What the tab asks the app to do.
pub enum RunsAction {
    /// Open this trained recommender in the Recommend tab.
    Explore(Arc<Trained>),
    /// Open this trained sentiment classifier in the Sentiment tab.
    ExploreSentiment(Arc<crate::text::SentimentResult>),
    /// Show this clustering in the Segments tab.
    ExploreSegments(Arc<crate::segment::SegmentFit>),
}

impl RunsState {
    pub fn is_busy(&self) -> bool {
        self.sweep_job.is_running()
    }

    /// The sweep the form describes.
    pub fn spec(&self) -> Result<SweepSpec, String> {
        let mut spec = SweepSpec {
            random: self.random.then_some(self.random_runs),
            cap: self.cap,
            seed: self.sweep_seed,
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

    /// Start the sweep on a worker; runs arrive in `finished_runs` as they end.
    pub fn start_sweep(
        &mut self,
        history: &mut RunHistory,
        sources: &SweepSources,
        ctx: &egui::Context,
    ) {
        if is_sentiment(&self.sweep_model) {
            self.start_sentiment_sweep(history, sources, ctx);
            return;
        }
        let recommend = sources.recommend;
        let Some(dataset) = sources.dataset.clone() else {
            self.message = Some("Load interaction data first (Data tab).".into());
            return;
        };
        let weights = sources.weights.clone();
        let base = recommend.params_for(&self.sweep_model);
        let settings = match self.spec().and_then(|spec| expand(&base, &spec)) {
            Ok(s) => s,
            Err(e) => {
                self.message = Some(e);
                return;
            }
        };
        let split = match recommend.split() {
            Ok(s) => s,
            Err(e) => {
                self.message = Some(e);
                return;
            }
        };
        let mut options = recommend.options.clone();
        options.patience = self.patience;
        if self.patience > 0 && options.validate_every == 0 {
            options.validate_every = 5;
        }
        let matrix = MatrixOptions {
            weights,
            min_user_interactions: recommend.min_user_interactions,
            min_item_interactions: recommend.min_item_interactions,
        };
        let sweep_id = history.new_sweep();
        let tx = self.begin_sweep(settings.len());
        let repaint = ctx.clone();
        let started = self.sweep_job.start("sweep", move |job| {
            job.progress(None, "fingerprinting the data");
            let print = fingerprint(&dataset);
            job.progress(None, "building the interaction matrix");
            let data = Arc::new(Interactions::from_dataset(&dataset, &matrix)?);
            let done = run_sweep(
                data,
                &split,
                &settings,
                &options,
                job.cancel_token(),
                &|update| {
                    let msg = match update {
                        SweepUpdate::Started { index, total, .. } => run_started(job, index, total),
                        SweepUpdate::Epoch { event, .. } => SweepMsg::Epoch(event),
                        SweepUpdate::Finished { run, .. } => SweepMsg::Finished(Box::new(
                            run.into_record(&options, &split, print.clone(), sweep_id),
                        )),
                    };
                    let _ = tx.send(msg);
                    repaint.request_repaint();
                },
            );
            Ok(done)
        });
        if let Err(e) = started {
            self.message = Some(e);
        }
    }

    /// A sweep of sentiment classifiers on the Sentiment tab's reviews and
    /// column choice, with its evaluation, seed and threads.
    fn start_sentiment_sweep(
        &mut self,
        history: &mut RunHistory,
        sources: &SweepSources,
        ctx: &egui::Context,
    ) {
        let Some(dataset) = sources.reviews.clone() else {
            self.message = Some(
                "No reviews loaded: open the Sentiment tab (it finds reviews.csv beside the data) or open a review file.".into(),
            );
            return;
        };
        let base = sentiment_base(sources.sentiment, &self.sweep_model);
        let settings = match self.spec().and_then(|spec| expand(&base, &spec)) {
            Ok(s) => s,
            Err(e) => {
                self.message = Some(e);
                return;
            }
        };
        let columns = match sources.sentiment.columns_of(&dataset) {
            Some(c) => c,
            None => match ReviewColumns::from_roles(&dataset) {
                Ok(c) => c,
                Err(e) => {
                    self.message = Some(e.to_string());
                    return;
                }
            },
        };
        let options = sources.sentiment.current_options();
        let sweep_id = history.new_sweep();
        let tx = self.begin_sweep(settings.len());
        let repaint = ctx.clone();
        let started = self.sweep_job.start("sweep", move |job| {
            job.progress(None, "fingerprinting the data");
            let print = fingerprint(&dataset);
            job.progress(None, "reading the reviews");
            let reviews = Reviews::from_dataset(&dataset, &columns)?;
            let source = crate::ui::display_name(&dataset.path);
            let catalogue = crate::data::catalogue::Catalogue::beside(&dataset.path);
            let done = run_sentiment_sweep(
                &reviews,
                &settings,
                &options,
                job.cancel_token(),
                &|update| {
                    let msg = match update {
                        SentimentSweepUpdate::Started { index, total } => {
                            run_started(job, index, total)
                        }
                        SentimentSweepUpdate::Epoch(e) => SweepMsg::Epoch(e),
                        SentimentSweepUpdate::Finished {
                            params,
                            result,
                            secs,
                            ..
                        } => {
                            let (mut record, model) = match *result {
                                Ok(run) => {
                                    let record = RunRecord::from_sentiment(&run, print.clone());
                                    let model = RunModel::Sentiment(Arc::new(
                                        crate::text::SentimentResult {
                                            run,
                                            reviews: reviews.clone(),
                                            source: source.clone(),
                                            data: print.clone(),
                                            catalogue: catalogue.clone(),
                                        },
                                    ));
                                    (record, Some(model))
                                }
                                Err(e) => {
                                    let mut r = RunRecord::sentiment_attempt(
                                        &params,
                                        &options,
                                        print.clone(),
                                    );
                                    r.fit_secs = secs;
                                    r.status = RunStatus::of_error(&e);
                                    (r, None)
                                }
                            };
                            record.sweep = Some(sweep_id);
                            SweepMsg::Finished(Box::new((record, model)))
                        }
                    };
                    let _ = tx.send(msg);
                    repaint.request_repaint();
                },
            );
            Ok(done)
        });
        if let Err(e) = started {
            self.message = Some(e);
        }
    }

    /// Reset the live view for a sweep of `total` runs; the worker reports on
    /// the returned sender.
    fn begin_sweep(&mut self, total: usize) -> Sender<SweepMsg> {
        let (tx, rx) = channel();
        self.sweep_rx = Some(rx);
        self.sweep_at = Some((0, total));
        self.live.clear();
        self.message = None;
        tx
    }

    /// Drain the sweep's messages (also while it is being cancelled, so the
    /// runs that finished are kept).
    pub fn poll(&mut self) {
        if let Some(rx) = &self.sweep_rx {
            loop {
                match rx.try_recv() {
                    Ok(SweepMsg::Started { index, total }) => {
                        self.sweep_at = Some((index, total));
                        self.live.clear();
                    }
                    Ok(SweepMsg::Epoch(e)) => self.live.push(e),
                    Ok(SweepMsg::Finished(run)) => self.finished_runs.push(*run),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        self.sweep_rx = None;
                        break;
                    }
                }
            }
        }
        if let (_, Some((_, outcome))) = self.sweep_job.poll(POLL_BUDGET) {
            self.sweep_at = None;
            self.live.clear();
            self.message = match outcome {
                Outcome::Done(n) => Some(format!("Sweep finished: {n} runs")),
                Outcome::Failed(m) => Some(m),
                Outcome::Cancelled => {
                    Some("Sweep cancelled; the runs that finished are kept".into())
                }
            };
        }
    }

    pub fn cancel_sweep(&mut self) {
        self.sweep_job.cancel();
        self.sweep_at = None;
        self.message = Some("Sweep cancelled; the runs that finished are kept".into());
    }
}

/// The runs the table shows: filtered, then sorted.
fn visible<'a>(state: &RunsState, history: &'a RunHistory) -> Vec<&'a RunRecord> {
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
                    r.kind.label(),
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
            SortKey::Kind => a.kind.label().cmp(b.kind.label()),
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

pub fn runs_tab_ui(
    state: &mut RunsState,
    history: &mut RunHistory,
    sources: &SweepSources,
    ui: &mut egui::Ui,
) -> Option<RunsAction> {
    state.poll();
    default_choices(state, history);
    egui::Panel::left("sweep_controls")
        .resizable(true)
        .default_size(300.0)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("sweep_controls_scroll")
                .show(ui, |ui| {
                    sweep_ui(state, history, sources, ui);
                });
        });
    let mut action = None;
    egui::CentralPanel::default().show(ui, |ui| {
        egui::ScrollArea::vertical()
            .id_salt("runs_main")
            .show(ui, |ui| {
                if let Some(m) = &state.message {
                    ui.colored_label(ui.visuals().warn_fg_color, m);
                }
                action = table_ui(state, history, ui);
                ui.add_space(8.0);
                curves_ui(state, history, ui);
                ui.add_space(8.0);
                compare_ui(state, history, ui);
            });
    });
    action
}

/// Pick a model and metric to compare when none is chosen (or it vanished).
fn default_choices(state: &mut RunsState, history: &RunHistory) {
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
            .find_map(|r| r.primary_metric().map(|(n, _)| n.to_owned()))
            .or_else(|| names.first().cloned())
            .unwrap_or_default();
    }
    let params = varying_params(&runs);
    if !params.contains(&state.x_param) {
        state.x_param = params.first().cloned().unwrap_or_default();
    }
}

fn sweep_ui(
    state: &mut RunsState,
    history: &mut RunHistory,
    sources: &SweepSources,
    ui: &mut egui::Ui,
) {
    ui.heading("Sweep");
    ui.label("Train a model once per setting, one after another, with the other settings of its tab (Recommend: split, k, seed; Sentiment: columns, n-grams, evaluation).");
    let before = state.sweep_model.clone();
    egui::ComboBox::from_label("model")
        .selected_text(model_label(&state.sweep_model))
        .show_ui(ui, |ui| {
            for name in ModelParams::NAMES
                .iter()
                .filter(|n| **n != "popular")
                .chain(SENTIMENT_MODELS.iter())
            {
                ui.selectable_value(
                    &mut state.sweep_model,
                    (*name).to_owned(),
                    model_label(name),
                );
            }
        });
    if state.sweep_model != before {
        state.axes = vec![default_axis(&state.sweep_model)];
    }
    let sentiment = is_sentiment(&state.sweep_model);
    let (names, planned) = if sentiment {
        let base = sentiment_base(sources.sentiment, &state.sweep_model);
        (
            sweepable(&base),
            state
                .spec()
                .and_then(|spec| expand(&base, &spec))
                .map(|v| v.len()),
        )
    } else {
        let base = sources.recommend.params_for(&state.sweep_model);
        (
            sweepable(&base),
            state
                .spec()
                .and_then(|spec| expand(&base, &spec))
                .map(|v| v.len()),
        )
    };
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
                        ui.selectable_value(&mut axis.name, n.clone(), n);
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
            .find(|n| !state.axes.iter().any(|a| &a.name == *n))
            .cloned()
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
    ui.add_enabled(
        !sentiment,
        egui::Slider::new(&mut state.patience, 0..=20).text("early-stop patience"),
    )
        .on_hover_text("Stop a run after this many validations without a better validation NDCG (0: off). Validation runs every 'validate every' epochs of the Recommend tab (5 when that is off).");
    ui.add(egui::DragValue::new(&mut state.sweep_seed).prefix("random-search seed "));
    match &planned {
        Ok(runs) => ui.label(format!("{runs} runs planned")),
        Err(e) => ui.colored_label(ui.visuals().warn_fg_color, e),
    };
    ui.add_space(4.0);
    if state.sweep_job.is_running() {
        ui.horizontal(|ui| {
            ui.spinner();
            if let Some((i, n)) = state.sweep_at {
                ui.label(format!("run {} of {n}", i + 1));
            }
            if ui.button("Cancel sweep").clicked() {
                state.cancel_sweep();
            }
        });
    } else {
        let has_data = if sentiment {
            sources.reviews.is_some()
        } else {
            sources.dataset.is_some()
        };
        let button = ui
            .add_enabled(planned.is_ok() && has_data, egui::Button::new("Run sweep"))
            .on_disabled_hover_text(if sentiment {
                "Load reviews (Sentiment tab) and fix the parameters first"
            } else {
                "Load interaction data and fix the parameters first"
            });
        if button.clicked() {
            state.start_sweep(history, sources, ui.ctx());
        }
    }
}

fn model_label(name: &str) -> &'static str {
    match name {
        "logreg" => "Sentiment: logistic regression",
        "nb" => "Sentiment: naive Bayes",
        other => ModelParams::default_for(other).map_or("?", |p| p.label()),
    }
}

fn sort_header(state: &mut RunsState, ui: &mut egui::Ui, label: &str, key: SortKey) {
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

fn table_ui(
    state: &mut RunsState,
    history: &mut RunHistory,
    ui: &mut egui::Ui,
) -> Option<RunsAction> {
    ui.horizontal(|ui| {
        ui.label(egui::RichText::new(format!("Runs ({})", history.len())).strong());
        ui.add(
            egui::TextEdit::singleline(&mut state.filter)
                .desired_width(180.0)
                .hint_text("filter: model, status, factors=64…"),
        );
        egui::ComboBox::from_id_salt("runs_kind")
            .selected_text(state.kind.map_or("all kinds", |k| k.label()))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut state.kind, None, "all kinds");
                for k in [RunKind::Recommender, RunKind::Sentiment, RunKind::Segments] {
                    ui.selectable_value(&mut state.kind, Some(k), k.label());
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
                for id in std::mem::take(&mut state.selected) {
                    history.remove(id);
                }
            }
        }
    });
    if history.is_empty() {
        ui.label("No runs yet. Train a model in the Recommend, Sentiment or Segments tab, or run a sweep on the left.");
        return None;
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
    let mut action = None;
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
                    ui.label(r.kind.label());
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
                    match history.get(r.id).and_then(|e| e.model.clone()) {
                        Some(RunModel::Recommender(t)) => {
                            if ui
                                .small_button("Explore")
                                .on_hover_text("Open this model in the Recommend tab")
                                .clicked()
                            {
                                action = Some(RunsAction::Explore(t));
                            }
                        }
                        Some(RunModel::Sentiment(r)) => {
                            if ui
                                .small_button("Explore")
                                .on_hover_text("Open this classifier in the Sentiment tab")
                                .clicked()
                            {
                                action = Some(RunsAction::ExploreSentiment(r));
                            }
                        }
                        Some(RunModel::Segments(fit)) => {
                            if ui
                                .small_button("Explore")
                                .on_hover_text("Show these clusters in the Segments tab")
                                .clicked()
                            {
                                action = Some(RunsAction::ExploreSegments(fit));
                            }
                        }
                        None => {
                            ui.label("");
                        }
                    }
                    ui.end_row();
                }
            });
        });
    action
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
                r.kind.label().into(),
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

fn curves_ui(state: &mut RunsState, history: &RunHistory, ui: &mut egui::Ui) {
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
    if selected.is_empty() && state.live.is_empty() {
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
    let live = state.live.clone();
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

fn compare_ui(state: &mut RunsState, history: &RunHistory, ui: &mut egui::Ui) {
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

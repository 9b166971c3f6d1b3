//! The Recommend tab: pick a model and its hyperparameters, train on a worker
//! while the loss and validation curves grow, compare runs, explore a customer's
//! history and recommendations (with reasons), and export every user's top-k.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;
use std::time::Duration;

use eframe::egui;
use egui_plot::{Legend, Line, Plot, PlotPoints};

use crate::data::catalogue::Catalogue;
use crate::data::{Dataset, EventWeights};
use crate::jobs::{EpochEvent, JobSlot, Outcome};
use crate::recsys::matrix::{Interactions, MatrixOptions};
use crate::recsys::params::*;
use crate::recsys::split::Split;
use crate::recsys::{train_and_evaluate, Trained};
use crate::runs::{
    fingerprint, known_fingerprint, DataFingerprint, RunModel, RunRecord, RunStatus,
};

const POLL_BUDGET: Duration = Duration::from_millis(2);
const MAX_RUNS: usize = 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SplitChoice {
    LeaveLastOut,
    Random,
    Temporal,
}

/// One finished (or failed) training run, for the comparison table.
pub struct TabRun {
    pub id: usize,
    pub label: String,
    pub params: ModelParams,
    pub split: String,
    pub outcome: Result<Arc<Trained>, String>,
}

pub struct RecommendState {
    pub model: &'static str,
    pub knn: ItemKnnParams,
    pub als: AlsParams,
    pub bpr: BprParams,
    pub ease: EaseParams,
    pub split: SplitChoice,
    pub temporal_date: String,
    pub options: TrainOptions,
    pub min_user_interactions: usize,
    pub min_item_interactions: usize,
    pub job: JobSlot<(Trained, DataFingerprint)>,
    /// The run being trained, completed into a record when it ends.
    attempt: Option<(RunRecord, ModelParams)>,
    /// Records of runs that ended, collected by the app into its run history.
    pub finished_runs: Vec<(RunRecord, Option<RunModel>)>,
    /// Replace customer ids by salted hashes in the export.
    pub pseudonymise: bool,
    /// The workspace's pseudonym salt (set by the app).
    pub salt: String,
    /// Epochs of the running job, for the live curves.
    pub live_epochs: Vec<EpochEvent>,
    pub runs: Vec<TabRun>,
    next_run_id: usize,
    /// The run being explored.
    pub explored: Option<Arc<Trained>>,
    pub user_query: String,
    pub selected_user: Option<u32>,
    pub selected_item: Option<u32>,
    pub export_job: JobSlot<usize>,
    pub export_path: String,
    pub message: Option<String>,
    images: ImageCache,
}

impl Default for RecommendState {
    fn default() -> Self {
        Self {
            model: "als",
            knn: Default::default(),
            als: Default::default(),
            bpr: BprParams {
                epochs: 40,
                ..Default::default()
            },
            ease: Default::default(),
            split: SplitChoice::LeaveLastOut,
            temporal_date: String::new(),
            options: TrainOptions::default(),
            min_user_interactions: 1,
            min_item_interactions: 1,
            job: JobSlot::default(),
            attempt: None,
            finished_runs: Vec::new(),
            pseudonymise: false,
            salt: String::new(),
            live_epochs: Vec::new(),
            runs: Vec::new(),
            next_run_id: 1,
            explored: None,
            user_query: String::new(),
            selected_user: None,
            selected_item: None,
            export_job: JobSlot::default(),
            export_path: "recommendations.csv".into(),
            message: None,
            images: ImageCache::default(),
        }
    }
}

impl RecommendState {
    pub fn params(&self) -> ModelParams {
        self.params_for(self.model)
    }

    /// The tab's current settings of `model` (sweeps start from them).
    pub fn params_for(&self, model: &str) -> ModelParams {
        match model {
            "popular" => ModelParams::Popular,
            "itemknn" => ModelParams::ItemKnn(self.knn.clone()),
            "bpr" => ModelParams::Bpr(self.bpr.clone()),
            "ease" => ModelParams::Ease(self.ease.clone()),
            _ => ModelParams::Als(self.als.clone()),
        }
    }

    pub fn split(&self) -> Result<Split, String> {
        match self.split {
            SplitChoice::LeaveLastOut => Ok(Split::LeaveLastOut),
            SplitChoice::Random => Ok(Split::Random {
                seed: self.options.seed,
            }),
            SplitChoice::Temporal => {
                Split::parse(&format!("temporal:{}", self.temporal_date.trim()), 0)
            }
        }
    }

    /// Start training on a worker; a running job is cancelled and superseded.
    pub fn start_training(
        &mut self,
        dataset: Arc<Dataset>,
        weights: EventWeights,
        ctx: &egui::Context,
    ) {
        let params = self.params();
        if let Err(errors) = params.validate() {
            self.message = Some(format!(
                "Fix the parameters first: {}",
                errors
                    .iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
            return;
        }
        let split = match self.split() {
            Ok(s) => s,
            Err(e) => {
                self.message = Some(e);
                return;
            }
        };
        let options = self.options.clone();
        let matrix = MatrixOptions {
            weights,
            min_user_interactions: self.min_user_interactions,
            min_item_interactions: self.min_item_interactions,
        };
        self.message = None;
        self.live_epochs.clear();
        self.attempt = Some((
            RunRecord::recommender_attempt(&params, &options, &split, known_fingerprint(&dataset)),
            params.clone(),
        ));
        let ctx = ctx.clone();
        let started = self.job.start("train", move |job| {
            job.progress(None, "fingerprinting the data");
            let print = fingerprint(&dataset);
            job.progress(None, "building the interaction matrix");
            let data = Interactions::from_dataset(&dataset, &matrix)?;
            job.progress(None, format!("training {}", params.label()));
            let repaint = ctx.clone();
            let trained = train_and_evaluate(
                Arc::new(data),
                &split,
                &params,
                &options,
                job.cancel_token(),
                &|e| {
                    job.epoch(e);
                    repaint.request_repaint();
                },
            )?;
            ctx.request_repaint();
            Ok((trained, print))
        });
        if let Err(e) = started {
            self.message = Some(e);
        }
    }

    pub fn poll(&mut self) {
        let (epochs, finished) = self.job.poll(POLL_BUDGET);
        self.live_epochs.extend(epochs);
        if let Some((_, outcome)) = finished {
            let attempt = self.attempt.take();
            let outcome = match outcome {
                Outcome::Done((t, print)) => {
                    let t = Arc::new(t);
                    if let Some(epoch) = t.stopped_early {
                        self.message = Some(format!(
                            "Stopped early at epoch {epoch}: NDCG@{} did not improve for {} validations in a row",
                            t.options.k, t.options.patience
                        ));
                    }
                    self.live_epochs = t.epochs.clone();
                    self.explored = Some(Arc::clone(&t));
                    self.selected_user = None;
                    self.selected_item = None;
                    self.finished_runs.push((
                        RunRecord::from_trained(&t, print),
                        Some(RunModel::Recommender(Arc::clone(&t))),
                    ));
                    Ok(t)
                }
                Outcome::Failed(m) => {
                    self.message = Some(m.clone());
                    if let Some((mut r, _)) = attempt.clone() {
                        r.status = RunStatus::Failed(m.clone());
                        self.finished_runs.push((r, None));
                    }
                    Err(m)
                }
                Outcome::Cancelled => {
                    if let Some((mut r, _)) = attempt {
                        r.status = RunStatus::Cancelled;
                        r.curve = self.live_epochs.clone();
                        self.finished_runs.push((r, None));
                    }
                    return;
                }
            };
            let (params, split) = match (&outcome, &attempt) {
                (Ok(t), _) => (t.params.clone(), t.split.describe()),
                (Err(_), Some((r, p))) => (p.clone(), r.evaluation.clone()),
                (Err(_), None) => (self.params(), String::new()),
            };
            self.runs.push(TabRun {
                id: self.next_run_id,
                label: params.label().to_owned(),
                params,
                split,
                outcome,
            });
            self.next_run_id += 1;
            if self.runs.len() > MAX_RUNS {
                self.runs.remove(0);
            }
        }
        let (_, exported) = self.export_job.poll(POLL_BUDGET);
        if let Some((_, outcome)) = exported {
            self.message = Some(match outcome {
                Outcome::Done(rows) => {
                    format!("Exported {rows} recommendations to {}", self.export_path)
                }
                Outcome::Failed(m) => m,
                Outcome::Cancelled => "Export cancelled".into(),
            });
        }
        self.images.poll();
    }

    fn start_export(&mut self, ctx: &egui::Context) {
        let Some(trained) = self.explored.clone() else {
            return;
        };
        let path = PathBuf::from(self.export_path.trim());
        let k = trained.options.k;
        let pseudonym = self
            .pseudonymise
            .then(|| crate::export::Pseudonymizer::new(&self.salt));
        let ctx = ctx.clone();
        let started = self.export_job.start("export", move |job| {
            let rows = trained.export_top_k(
                &path,
                k,
                pseudonym.as_ref(),
                job.cancel_token(),
                &|f, m| {
                    job.progress(Some(f), m);
                    ctx.request_repaint();
                },
            )?;
            ctx.request_repaint();
            Ok(rows)
        });
        if let Err(e) = started {
            self.message = Some(e);
        }
    }
}

pub fn recommend_tab_ui(
    state: &mut RecommendState,
    dataset: Option<Arc<Dataset>>,
    catalogue: Option<Arc<Catalogue>>,
    weights: &EventWeights,
    ui: &mut egui::Ui,
) {
    state.poll();
    let Some(dataset) = dataset else {
        ui.label("Load interaction data first (Data tab).");
        return;
    };
    if dataset.roles.get(crate::data::Role::User).is_none()
        || dataset.roles.get(crate::data::Role::Item).is_none()
    {
        ui.label(format!(
            "{} has no user and item columns, so there is nothing to recommend. Assign them in the Data tab's column mapping, or open an events file.",
            crate::ui::display_name(&dataset.path)
        ));
        return;
    }
    egui::Panel::left("recommend_controls")
        .resizable(true)
        .default_size(290.0)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("rec_controls")
                .show(ui, |ui| {
                    controls_ui(state, ui, &dataset, weights);
                });
        });
    egui::CentralPanel::default().show(ui, |ui| {
        egui::ScrollArea::vertical()
            .id_salt("rec_main")
            .show(ui, |ui| {
                if let Some(m) = &state.message {
                    ui.colored_label(ui.visuals().warn_fg_color, m);
                }
                curves_ui(state, ui);
                runs_ui(state, ui);
                explorer_ui(state, catalogue.as_deref(), ui);
            });
    });
}

fn controls_ui(
    state: &mut RecommendState,
    ui: &mut egui::Ui,
    dataset: &Arc<Dataset>,
    weights: &EventWeights,
) {
    let heading = ui.heading("Model");
    egui::ComboBox::from_id_salt("model_choice")
        .selected_text(ModelParams::default_for(state.model).map_or("", |p| p.label()))
        .show_ui(ui, |ui| {
            for name in ModelParams::NAMES {
                let label = ModelParams::default_for(name).map_or(name, |p| p.label());
                ui.selectable_value(&mut state.model, name, label);
            }
        })
        .response
        .labelled_by(heading.id);
    ui.add_space(4.0);
    match state.model {
        "popular" => {
            ui.label("Recommends the items most users interacted with. No parameters.");
        }
        "itemknn" => {
            let p = &mut state.knn;
            ui.horizontal(|ui| {
                ui.label("similarity")
                    .on_hover_text("How item vectors are compared");
                ui.selectable_value(&mut p.similarity, Similarity::Cosine, "cosine")
                    .on_hover_text("Cosine between the items' user vectors");
                ui.selectable_value(&mut p.similarity, Similarity::Bm25, "BM25")
                    .on_hover_text(
                        "BM25 weighting: down-weights very active users and very popular items",
                    );
            });
            ui.add(
                egui::Slider::new(&mut p.neighbors, 1..=500)
                    .text("neighbours K")
                    .logarithmic(true),
            )
            .on_hover_text("Similar items kept per item (the item itself counts)");
            if p.similarity == Similarity::Bm25 {
                ui.add(egui::Slider::new(&mut p.k1, 0.0..=5.0).text("K1"))
                    .on_hover_text(
                        "BM25 saturation: how fast repeated interactions stop adding weight",
                    );
                ui.add(egui::Slider::new(&mut p.b, 0.0..=1.0).text("B"))
                    .on_hover_text("BM25 length normalisation: 0 none, 1 full");
            }
        }
        "als" => {
            let p = &mut state.als;
            ui.add(egui::Slider::new(&mut p.factors, 1..=256).text("factors").logarithmic(true))
                .on_hover_text("Latent dimensions: more capture finer taste but overfit small data and train slower");
            ui.add(egui::Slider::new(&mut p.regularization, 0.0..=10.0).text("regularisation").logarithmic(true))
                .on_hover_text("L2 penalty λ on the factors: higher is smoother, lower fits the training data closer");
            ui.add(egui::Slider::new(&mut p.alpha, 0.01..=100.0).text("alpha").logarithmic(true))
                .on_hover_text("Confidence of an observed interaction = alpha × its weight (unobserved pairs count 1)");
            ui.add(egui::Slider::new(&mut p.iterations, 1..=100).text("iterations"))
                .on_hover_text("Alternating passes over users and items");
            ui.add(egui::Slider::new(&mut p.cg_steps, 1..=10).text("CG steps"))
                .on_hover_text("Conjugate-gradient steps per user/item and pass");
            ui.checkbox(&mut p.track_loss, "plot training loss")
                .on_hover_text("Computes the loss each iteration: one more pass over the data");
        }
        "bpr" => {
            let p = &mut state.bpr;
            ui.add(
                egui::Slider::new(&mut p.factors, 1..=256)
                    .text("factors")
                    .logarithmic(true),
            )
            .on_hover_text("Latent dimensions (an item bias is added)");
            ui.add(
                egui::Slider::new(&mut p.learning_rate, 0.001..=0.5)
                    .text("learning rate")
                    .logarithmic(true),
            )
            .on_hover_text("SGD step size");
            ui.add(
                egui::Slider::new(&mut p.regularization, 0.0..=1.0)
                    .text("regularisation")
                    .logarithmic(true),
            )
            .on_hover_text("L2 penalty on the factors");
            ui.add(
                egui::Slider::new(&mut p.epochs, 1..=500)
                    .text("epochs")
                    .logarithmic(true),
            )
            .on_hover_text("Passes; each draws as many samples as there are train interactions");
            ui.add(egui::Slider::new(&mut p.negatives, 1..=20).text("negatives"))
                .on_hover_text("Negative items sampled per positive pair (popularity-weighted)");
        }
        "ease" => {
            let p = &mut state.ease;
            ui.add(
                egui::Slider::new(&mut p.lambda, 1.0..=5000.0)
                    .text("λ")
                    .logarithmic(true),
            )
            .on_hover_text("L2 penalty of the closed-form item-item model");
            ui.add(
                egui::Slider::new(&mut p.max_items, 100..=20_000)
                    .text("max items")
                    .logarithmic(true),
            )
            .on_hover_text("EASE inverts an items × items matrix; it refuses larger catalogues");
        }
        _ => {}
    }
    ui.separator();
    ui.heading("Evaluation");
    ui.horizontal(|ui| {
        ui.selectable_value(
            &mut state.split,
            SplitChoice::LeaveLastOut,
            "leave last out",
        )
        .on_hover_text("Each user's last interaction (by time, ties by item) is held out");
        ui.selectable_value(&mut state.split, SplitChoice::Random, "random 80/20")
            .on_hover_text("A seeded 20% of each user's items are held out");
        ui.selectable_value(&mut state.split, SplitChoice::Temporal, "temporal")
            .on_hover_text("Everything from a date on is held out");
    });
    if state.split == SplitChoice::Temporal {
        ui.horizontal(|ui| {
            ui.label("cut date");
            ui.add(
                egui::TextEdit::singleline(&mut state.temporal_date)
                    .hint_text("YYYY-MM-DD")
                    .desired_width(100.0),
            );
        });
    }
    let n_items = dataset.df.height().max(1);
    ui.add(egui::Slider::new(&mut state.options.k, 1..=100.min(n_items)).text("k"))
        .on_hover_text("List length for HR, precision, recall, NDCG and MAP");
    ui.add(egui::Slider::new(&mut state.options.validate_every, 0..=20).text("validate every"))
        .on_hover_text("Compute NDCG@k on the held-out users every N epochs (0: only at the end)");
    ui.add_enabled(
        state.options.validate_every > 0,
        egui::Slider::new(&mut state.options.patience, 0..=20).text("early-stop patience"),
    )
    .on_hover_text("Stop ALS or BPR after this many validations in a row without a better NDCG@k, keeping the model at that epoch (0: off). Needs 'validate every' above 0.");
    ui.add(egui::Slider::new(&mut state.min_user_interactions, 1..=50).text("min items per user"))
        .on_hover_text("Drop users with fewer distinct items");
    ui.add(egui::Slider::new(&mut state.min_item_interactions, 1..=50).text("min users per item"))
        .on_hover_text("Then drop items with fewer distinct users");
    ui.horizontal(|ui| {
        ui.label("seed");
        ui.add(egui::DragValue::new(&mut state.options.seed));
        ui.label("threads");
        ui.add(egui::DragValue::new(&mut state.options.threads).range(1..=64))
            .on_hover_text("BPR reproduces exactly only with 1 thread");
    });
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        let running = state.job.is_running();
        if ui
            .add_enabled(!running, egui::Button::new("Train"))
            .clicked()
        {
            state.start_training(Arc::clone(dataset), weights.clone(), ui.ctx());
        }
        if running {
            if ui.button("Cancel").clicked() {
                state.job.cancel();
            }
            ui.spinner();
        }
    });
    if let Some((_, message)) = &state.job.last_progress {
        if state.job.is_running() {
            ui.label(message);
        }
    }
}

fn curves_ui(state: &RecommendState, ui: &mut egui::Ui) {
    let epochs = &state.live_epochs;
    ui.label(egui::RichText::new(format!("Training curves ({} epochs)", epochs.len())).strong());
    let loss: Vec<[f64; 2]> = epochs
        .iter()
        .filter(|e| e.loss.is_finite())
        .map(|e| [e.epoch as f64, e.loss])
        .collect();
    let metric: Vec<[f64; 2]> = epochs
        .iter()
        .filter_map(|e| e.metric.as_ref().map(|(_, v)| [e.epoch as f64, *v]))
        .collect();
    let metric_name = epochs
        .iter()
        .find_map(|e| e.metric.as_ref().map(|(n, _)| n.clone()))
        .unwrap_or_else(|| "validation".into());
    ui.columns(2, |cols| {
        let png_plot = Plot::new("loss_curve")
            .height(170.0)
            .legend(Legend::default())
            .x_axis_label("epoch")
            .show(&mut cols[0], |p| {
                p.line(Line::new("training loss", PlotPoints::from(loss)))
            });
        crate::ui::exporter::png_button(&mut cols[0], png_plot.response.rect, "training loss");
        let png_plot = Plot::new("metric_curve")
            .height(170.0)
            .legend(Legend::default())
            .x_axis_label("epoch")
            .show(&mut cols[1], |p| {
                p.line(Line::new(metric_name.clone(), PlotPoints::from(metric)))
            });
        crate::ui::exporter::png_button(&mut cols[1], png_plot.response.rect, "validation metric");
    });
}

fn runs_ui(state: &mut RecommendState, ui: &mut egui::Ui) {
    ui.add_space(6.0);
    ui.label(egui::RichText::new("Runs").strong());
    if state.runs.is_empty() {
        ui.label("Train a model to see its metrics here.");
        return;
    }
    let k = state
        .runs
        .iter()
        .rev()
        .find_map(|r| r.outcome.as_ref().ok().map(|t| t.options.k))
        .unwrap_or(10);
    let mut explore = None;
    crate::ui::exporter::csv_button(ui, "recommender runs", || {
        let mut headers = vec![
            "run".to_owned(),
            "model".into(),
            "split".into(),
            "params".into(),
        ];
        let names: Vec<String> = crate::recsys::metrics::Metrics {
            k,
            ..Default::default()
        }
        .to_map()
        .into_keys()
        .collect();
        headers.extend(names.iter().cloned());
        headers.extend([
            "users_evaluated".to_owned(),
            "fit_secs".into(),
            "error".into(),
        ]);
        let rows = state
            .runs
            .iter()
            .map(|run| {
                let mut row = vec![
                    run.id.to_string(),
                    run.label.clone(),
                    run.split.clone(),
                    run.params.to_json().to_string(),
                ];
                match &run.outcome {
                    Ok(t) => {
                        let m = t.metrics.to_map();
                        row.extend(
                            names
                                .iter()
                                .map(|n| m.get(n).map_or(String::new(), |v| v.to_string())),
                        );
                        row.extend([
                            t.metrics.users_evaluated.to_string(),
                            t.fit_secs.to_string(),
                            String::new(),
                        ]);
                    }
                    Err(e) => {
                        row.extend(names.iter().map(|_| String::new()));
                        row.extend([String::new(), String::new(), e.clone()]);
                    }
                }
                row
            })
            .collect();
        (headers, rows)
    });
    egui::Grid::new("runs_table").striped(true).show(ui, |ui| {
        for h in [
            "#",
            "model",
            "split",
            &format!("HR@{k}"),
            &format!("NDCG@{k}"),
            &format!("P@{k}"),
            &format!("R@{k}"),
            &format!("MAP@{k}"),
            "MRR",
            "coverage",
            "novelty",
            "users",
            "fit s",
            "",
        ] {
            ui.label(egui::RichText::new(h).strong());
        }
        ui.end_row();
        for run in state.runs.iter().rev() {
            ui.label(run.id.to_string());
            ui.label(&run.label)
                .on_hover_text(run.params.to_json().to_string());
            ui.label(&run.split);
            match &run.outcome {
                Ok(t) => {
                    let m = &t.metrics;
                    for v in [
                        m.hr,
                        m.ndcg,
                        m.precision,
                        m.recall,
                        m.map,
                        m.mrr,
                        m.coverage,
                    ] {
                        ui.label(format!("{v:.4}"));
                    }
                    ui.label(format!("{:.2}", m.novelty));
                    ui.label(m.users_evaluated.to_string());
                    ui.label(format!("{:.2}", t.fit_secs));
                    let current = state.explored.as_ref().is_some_and(|e| Arc::ptr_eq(e, t));
                    if ui
                        .add_enabled(!current, egui::Button::new("Explore"))
                        .clicked()
                    {
                        explore = Some(Arc::clone(t));
                    }
                }
                Err(m) => {
                    ui.colored_label(ui.visuals().error_fg_color, format!("failed: {m}"));
                }
            }
            ui.end_row();
        }
    });
    if let Some(t) = explore {
        state.live_epochs = t.epochs.clone();
        state.explored = Some(t);
        state.selected_user = None;
        state.selected_item = None;
    }
}

fn item_label(t: &Trained, catalogue: Option<&Catalogue>, item: u32) -> String {
    let id = &t.data.item_labels[item as usize];
    match catalogue.and_then(|c| c.get(id)) {
        Some(entry) => format!(
            "{id} · {}{}",
            entry.name.as_deref().unwrap_or(""),
            entry
                .category
                .as_ref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default()
        ),
        None => id.clone(),
    }
}

fn explorer_ui(state: &mut RecommendState, catalogue: Option<&Catalogue>, ui: &mut egui::Ui) {
    let Some(t) = state.explored.clone() else {
        return;
    };
    ui.add_space(8.0);
    ui.separator();
    ui.heading(format!("Explore: {}", t.params.label()));
    ui.horizontal(|ui| {
        ui.label("Customer:");
        ui.add(
            egui::TextEdit::singleline(&mut state.user_query)
                .hint_text("user id")
                .desired_width(140.0),
        );
        let query = state.user_query.trim();
        // An exact id selects the customer straight away.
        if let Some(u) = t.data.user_index(query) {
            if state.selected_user != Some(u) {
                state.selected_user = Some(u);
                state.selected_item = None;
            }
        }
        if !query.is_empty() {
            let matches: Vec<u32> = t
                .data
                .user_labels
                .iter()
                .enumerate()
                .filter(|(_, l)| l.contains(query))
                .take(8)
                .map(|(i, _)| i as u32)
                .collect();
            for u in matches {
                if ui
                    .selectable_label(
                        state.selected_user == Some(u),
                        &t.data.user_labels[u as usize],
                    )
                    .clicked()
                {
                    state.selected_user = Some(u);
                    state.selected_item = None;
                }
            }
        }
    });
    ui.horizontal(|ui| {
        ui.label("Export every customer's top-k to");
        ui.add(egui::TextEdit::singleline(&mut state.export_path).desired_width(240.0));
        if state.export_job.is_running() {
            ui.spinner();
            if ui.button("Cancel export").clicked() {
                state.export_job.cancel();
            }
        } else if ui.button("Export CSV").clicked() {
            state.start_export(ui.ctx());
        }
        ui.checkbox(&mut state.pseudonymise, "Pseudonymise customer ids")
            .on_hover_text(crate::ui::PSEUDONYM_TIP);
    });
    let Some(user) = state.selected_user else {
        ui.label("Type a customer id above to see their history and recommendations.");
        return;
    };
    let k = t.options.k;
    let recs = t.recommend(user, k, 3);
    let history = t.train.row(user as usize);
    ui.columns(2, |cols| {
        let ui = &mut cols[0];
        ui.label(
            egui::RichText::new(format!(
                "History of {} ({} items)",
                t.data.user_labels[user as usize],
                history.0.len()
            ))
            .strong(),
        );
        egui::ScrollArea::vertical()
            .id_salt("history")
            .max_height(320.0)
            .show(ui, |ui| {
                for (&item, &w) in history.0.iter().zip(history.1) {
                    ui.horizontal(|ui| {
                        state.images.thumbnail_ui(
                            ui,
                            catalogue,
                            &t.data.item_labels[item as usize],
                        );
                        if ui
                            .selectable_label(
                                state.selected_item == Some(item),
                                item_label(&t, catalogue, item),
                            )
                            .clicked()
                        {
                            state.selected_item = Some(item);
                        }
                        ui.label(egui::RichText::new(format!("weight {w}")).weak());
                    });
                }
            });
        let ui = &mut cols[1];
        ui.label(
            egui::RichText::new(format!(
                "Recommendations for {}",
                t.data.user_labels[user as usize]
            ))
            .strong(),
        );
        egui::ScrollArea::vertical()
            .id_salt("recs")
            .max_height(320.0)
            .show(ui, |ui| {
                for (rank, rec) in recs.iter().enumerate() {
                    ui.horizontal(|ui| {
                        state.images.thumbnail_ui(
                            ui,
                            catalogue,
                            &t.data.item_labels[rec.item as usize],
                        );
                        ui.vertical(|ui| {
                            if ui
                                .selectable_label(
                                    state.selected_item == Some(rec.item),
                                    format!(
                                        "{}. {}",
                                        rank + 1,
                                        item_label(&t, catalogue, rec.item)
                                    ),
                                )
                                .clicked()
                            {
                                state.selected_item = Some(rec.item);
                            }
                            let because = if rec.because.is_empty() {
                                "popular with many customers".to_owned()
                            } else {
                                rec.because
                                    .iter()
                                    .map(|(i, c)| {
                                        format!("{} ({c:.3})", t.data.item_labels[*i as usize])
                                    })
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            };
                            ui.label(
                                egui::RichText::new(format!(
                                    "score {:.4} · because of {because}",
                                    rec.score
                                ))
                                .small(),
                            );
                        });
                    });
                }
            });
    });
    if let Some(item) = state.selected_item {
        ui.add_space(6.0);
        ui.label(
            egui::RichText::new(format!("Similar to {}", item_label(&t, catalogue, item))).strong(),
        );
        ui.horizontal_wrapped(|ui| {
            for (j, s) in t.model.similar_items(item, 8) {
                ui.vertical(|ui| {
                    state
                        .images
                        .thumbnail_ui(ui, catalogue, &t.data.item_labels[j as usize]);
                    ui.label(format!("{} ({s:.3})", t.data.item_labels[j as usize]));
                });
            }
        });
    }
}

/// Item pictures decoded on worker threads, uploaded as textures on the UI thread.
type DecodedImage = (PathBuf, Option<egui::ColorImage>);

#[derive(Default)]
struct ImageCache {
    textures: HashMap<PathBuf, egui::TextureHandle>,
    requested: HashSet<PathBuf>,
    channel: Option<(Sender<DecodedImage>, Receiver<DecodedImage>)>,
    decoded: Vec<(PathBuf, egui::ColorImage)>,
}

impl ImageCache {
    fn poll(&mut self) {
        if let Some((_, rx)) = &self.channel {
            while let Ok((path, image)) = rx.try_recv() {
                if let Some(image) = image {
                    self.decoded.push((path, image));
                }
            }
        }
    }

    fn thumbnail_ui(&mut self, ui: &mut egui::Ui, catalogue: Option<&Catalogue>, item: &str) {
        let Some(path) = catalogue
            .and_then(|c| c.get(item))
            .and_then(|e| e.image.clone())
        else {
            return;
        };
        if let Some(pos) = self.decoded.iter().position(|(p, _)| *p == path) {
            let (p, image) = self.decoded.swap_remove(pos);
            let texture =
                ui.ctx()
                    .load_texture(p.display().to_string(), image, egui::TextureOptions::LINEAR);
            self.textures.insert(p, texture);
        }
        if let Some(texture) = self.textures.get(&path) {
            ui.add(egui::Image::new(texture).fit_to_exact_size(egui::vec2(32.0, 32.0)));
            return;
        }
        if self.requested.insert(path.clone()) {
            let (tx, _) = self.channel.get_or_insert_with(std::sync::mpsc::channel);
            let tx = tx.clone();
            let ctx = ui.ctx().clone();
            let _ = std::thread::Builder::new()
                .name("shoplens-image".into())
                .spawn(move || {
                    let image = image::open(&path).ok().map(|img| {
                        let rgba = img.thumbnail(64, 64).to_rgba8();
                        egui::ColorImage::from_rgba_unmultiplied(
                            [rgba.width() as usize, rgba.height() as usize],
                            rgba.as_raw(),
                        )
                    });
                    let _ = tx.send((path, image));
                    ctx.request_repaint();
                });
        }
        ui.add_space(36.0);
    }
}

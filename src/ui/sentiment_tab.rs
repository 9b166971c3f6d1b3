//! The Sentiment tab: choose the review columns and a classifier, train on a
//! worker while the loss curve grows, then read the metrics, open the reviews
//! behind each confusion-matrix cell, see the n-grams that push reviews each
//! way, try sentences live, and find the products with the most negative reviews.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use eframe::egui;

use crate::data::catalogue::Catalogue;
use crate::data::{load_dataset, Dataset, LoadOptions, Role};
use crate::jobs::{EpochEvent, JobSlot, Outcome};
use crate::runs::{fingerprint, known_fingerprint, RunModel, RunRecord, RunStatus};
use crate::text::{
    train_sentiment, ClassifierKind, Evaluation, LabelSource, Ngrams, ReviewColumns, Reviews,
    SentimentOptions, SentimentParams,
};

const POLL_BUDGET: Duration = Duration::from_millis(2);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NgramChoice {
    Auto,
    Word,
    Char,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProductSort {
    Negative,
    Reviews,
    PositiveShare,
    Stars,
    Name,
}

pub use crate::text::SentimentResult;

/// The try-it box's last scoring, reused until the text or the model changes
/// (a new result clears it).
pub struct TryScored {
    pub text: String,
    pub probability: f64,
    pub parts: Vec<crate::text::Contribution>,
}

pub struct SentimentState {
    pub params: SentimentParams,
    pub options: SentimentOptions,
    pub ngram_choice: NgramChoice,
    pub ngram_min: usize,
    pub ngram_max: usize,
    pub k_folds: usize,
    pub use_kfold: bool,
    /// Reviews loaded by this tab when the Data tab's file has no text column.
    pub own_source: Option<Arc<Dataset>>,
    pub source_job: JobSlot<Dataset>,
    /// The reviews file loaded automatically (once) for the Data tab's file.
    auto_loaded: Option<PathBuf>,
    /// The column choice, and the file it belongs to.
    pub columns: Option<ReviewColumns>,
    columns_for: Option<PathBuf>,
    pub job: JobSlot<SentimentResult>,
    /// The run being trained, completed into a record when it ends.
    attempt: Option<RunRecord>,
    /// Records of runs that ended, collected by the app into its run history.
    pub finished_runs: Vec<(RunRecord, Option<RunModel>)>,
    pub live_epochs: Vec<EpochEvent>,
    pub result: Option<Arc<SentimentResult>>,
    /// Selected confusion-matrix cell: (actual positive, predicted positive).
    pub selected_cell: Option<(bool, bool)>,
    pub try_text: String,
    pub try_scored: Option<TryScored>,
    pub product_sort: ProductSort,
    pub product_descending: bool,
    pub message: Option<String>,
}

impl Default for SentimentState {
    fn default() -> Self {
        Self {
            params: SentimentParams::default(),
            options: SentimentOptions::default(),
            attempt: None,
            finished_runs: Vec::new(),
            ngram_choice: NgramChoice::Auto,
            ngram_min: 1,
            ngram_max: 2,
            k_folds: 5,
            use_kfold: false,
            own_source: None,
            source_job: JobSlot::default(),
            auto_loaded: None,
            columns: None,
            columns_for: None,
            job: JobSlot::default(),
            live_epochs: Vec::new(),
            result: None,
            selected_cell: None,
            try_text: String::new(),
            try_scored: None,
            product_sort: ProductSort::Negative,
            product_descending: true,
            message: None,
        }
    }
}

fn has_text(ds: &Dataset) -> bool {
    ds.roles.get(Role::Text).is_some()
}

/// `reviews.csv` in the folder of `ds` (the sample store keeps it beside events.csv).
fn reviews_beside(ds: &Dataset) -> Option<PathBuf> {
    let candidate = ds.path.parent()?.join("reviews.csv");
    (candidate != ds.path && candidate.exists()).then_some(candidate)
}

impl SentimentState {
    /// The reviews this tab works on: the Data tab's file when it has a text
    /// column, else the file this tab loaded.
    pub fn source(&self, data_tab: Option<&Arc<Dataset>>) -> Option<Arc<Dataset>> {
        match data_tab {
            Some(ds) if has_text(ds) => Some(Arc::clone(ds)),
            _ => self.own_source.clone(),
        }
    }

    pub fn load_source(&mut self, path: PathBuf, ctx: &egui::Context) {
        let ctx = ctx.clone();
        let started = self.source_job.start("load reviews", move |job| {
            let report = |f: f32, m: &str| {
                job.progress(Some(f), m);
                ctx.request_repaint();
            };
            let ds = load_dataset(&path, &LoadOptions::default(), job.cancel_token(), &report)?;
            ctx.request_repaint();
            Ok(ds)
        });
        if let Err(e) = started {
            self.message = Some(e);
        }
    }

    /// The columns chosen for `ds`, when this tab has chosen them for it.
    pub fn columns_of(&self, ds: &Dataset) -> Option<ReviewColumns> {
        (self.columns_for.as_deref() == Some(ds.path.as_path()))
            .then(|| self.columns.clone())
            .flatten()
    }

    /// The parameters as set in the tab (sweeps start from them).
    pub fn current_params(&self) -> SentimentParams {
        let mut params = self.params.clone();
        params.ngrams = self.ngrams();
        params
    }

    /// Evaluation, seed and threads as set in the tab.
    pub fn current_options(&self) -> SentimentOptions {
        let mut options = self.options.clone();
        options.evaluation = if self.use_kfold {
            Evaluation::KFold { k: self.k_folds }
        } else {
            Evaluation::HoldOut
        };
        options
    }

    fn ngrams(&self) -> Option<Ngrams> {
        let (min, max) = (self.ngram_min, self.ngram_max);
        match self.ngram_choice {
            NgramChoice::Auto => None,
            NgramChoice::Word => Some(Ngrams::Word { min, max }),
            NgramChoice::Char => Some(Ngrams::Char { min, max }),
        }
    }

    /// Train on a worker; a running job is cancelled and superseded.
    pub fn start_training(&mut self, dataset: Arc<Dataset>, ctx: &egui::Context) {
        let params = self.current_params();
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
        let Some(columns) = self.columns.clone() else {
            self.message = Some("Choose the text and label columns first.".into());
            return;
        };
        let options = self.current_options();
        self.message = None;
        self.live_epochs.clear();
        self.attempt = Some(RunRecord::sentiment_attempt(
            &params,
            &options,
            known_fingerprint(&dataset),
        ));
        let ctx = ctx.clone();
        let started = self.job.start("train sentiment", move |job| {
            job.progress(None, "fingerprinting the data");
            let data = fingerprint(&dataset);
            job.progress(None, "reading the reviews");
            let reviews = Reviews::from_dataset(&dataset, &columns)?;
            let repaint = ctx.clone();
            let report = |f: f32, m: &str| {
                job.progress(Some(f), m);
                repaint.request_repaint();
            };
            let run = train_sentiment(
                &reviews,
                &params,
                &options,
                job.cancel_token(),
                &report,
                &|e| {
                    job.epoch(e);
                    repaint.request_repaint();
                },
            )?;
            ctx.request_repaint();
            Ok(SentimentResult {
                run,
                reviews,
                source: crate::ui::display_name(&dataset.path),
                data,
                catalogue: Catalogue::beside(&dataset.path),
            })
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
            match outcome {
                Outcome::Done(result) => {
                    let result = Arc::new(result);
                    self.finished_runs.push((
                        RunRecord::from_sentiment(&result.run, result.data.clone()),
                        Some(RunModel::Sentiment(Arc::clone(&result))),
                    ));
                    self.show(result);
                }
                // The previous result stays on screen.
                Outcome::Failed(m) => {
                    if let Some(mut r) = attempt {
                        r.status = RunStatus::Failed(m.clone());
                        self.finished_runs.push((r, None));
                    }
                    self.message = Some(m);
                }
                Outcome::Cancelled => {
                    if let Some(mut r) = attempt {
                        r.status = RunStatus::Cancelled;
                        r.curve = self.live_epochs.clone();
                        self.finished_runs.push((r, None));
                    }
                }
            }
        }
        let (_, loaded) = self.source_job.poll(POLL_BUDGET);
        if let Some((_, outcome)) = loaded {
            match outcome {
                Outcome::Done(ds) => self.own_source = Some(Arc::new(ds)),
                Outcome::Failed(m) => self.message = Some(m),
                Outcome::Cancelled => {}
            }
        }
    }

    /// Show a trained classifier (a new run, or one reopened from the Runs tab).
    pub fn show(&mut self, result: Arc<SentimentResult>) {
        self.live_epochs = result.run.epochs.clone();
        self.selected_cell = None;
        self.try_scored = None;
        self.result = Some(result);
    }

    pub fn is_busy(&self) -> bool {
        self.job.is_running() || self.source_job.is_running()
    }

    /// Keep the column choice when the source is the same file; else guess anew.
    fn sync_columns(&mut self, ds: &Dataset) {
        if self.columns_for.as_deref() == Some(ds.path.as_path()) && self.columns.is_some() {
            return;
        }
        self.columns_for = Some(ds.path.clone());
        match ReviewColumns::from_roles(ds) {
            Ok(c) => self.columns = Some(c),
            Err(e) => {
                self.columns = None;
                self.message = Some(e.to_string());
            }
        }
    }
}

pub fn sentiment_tab_ui(
    state: &mut SentimentState,
    data_tab: Option<Arc<Dataset>>,
    ui: &mut egui::Ui,
) {
    state.poll();
    let Some(dataset) = state.source(data_tab.as_ref()) else {
        no_source_ui(state, data_tab.as_deref(), ui);
        return;
    };
    state.sync_columns(&dataset);
    egui::Panel::left("sentiment_controls")
        .resizable(true)
        .default_size(300.0)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("sent_controls")
                .show(ui, |ui| controls_ui(state, &dataset, ui));
        });
    egui::CentralPanel::default().show(ui, |ui| {
        egui::ScrollArea::vertical()
            .id_salt("sent_main")
            .show(ui, |ui| super::sentiment_results::results_ui(state, ui));
    });
}

fn no_source_ui(state: &mut SentimentState, data_tab: Option<&Dataset>, ui: &mut egui::Ui) {
    ui.heading("Review sentiment");
    if let Some((fraction, message)) = &state.source_job.last_progress {
        ui.horizontal(|ui| {
            ui.add(egui::ProgressBar::new(fraction.unwrap_or(0.0)).desired_width(200.0));
            ui.label(message);
        });
    }
    if let Some(m) = &state.message {
        ui.colored_label(ui.visuals().warn_fg_color, m);
    }
    match data_tab {
        Some(ds) => {
            ui.label(format!(
                "{} has no text column. Open a review file (File › Open…), or:",
                crate::ui::display_name(&ds.path)
            ));
            if let Some(path) = reviews_beside(ds) {
                // The sample store (and any store laid out like it) keeps its
                // reviews beside the events: open them without a click, once.
                if state.auto_loaded.as_ref() != Some(&path) && !state.source_job.is_running() {
                    state.auto_loaded = Some(path.clone());
                    state.load_source(path.clone(), ui.ctx());
                }
                let label = format!(
                    "Load {} from the same folder",
                    crate::ui::display_name(&path)
                );
                if ui.button(label).clicked() {
                    state.load_source(path, ui.ctx());
                }
            }
        }
        None => {
            ui.label("Open a review file (File › Open…) to train a sentiment classifier.");
        }
    }
}

fn column_combo(
    ui: &mut egui::Ui,
    id: &str,
    label: &str,
    names: &[String],
    value: &mut Option<String>,
    optional: bool,
    tip: &str,
) {
    ui.horizontal(|ui| {
        let l = ui.label(label).on_hover_text(tip);
        egui::ComboBox::from_id_salt(id)
            .selected_text(value.clone().unwrap_or_else(|| "none".into()))
            .show_ui(ui, |ui| {
                if optional {
                    ui.selectable_value(value, None, "none");
                }
                for n in names {
                    ui.selectable_value(value, Some(n.clone()), n);
                }
            })
            .response
            .labelled_by(l.id);
    });
}

fn columns_ui(state: &mut SentimentState, dataset: &Dataset, ui: &mut egui::Ui) {
    ui.heading("Reviews");
    ui.label(format!(
        "{} · {} rows",
        crate::ui::display_name(&dataset.path),
        crate::cli::thousands(dataset.df.height() as u64)
    ));
    let names = dataset.column_names();
    let Some(columns) = state.columns.as_mut() else {
        // No text column guessed: let the user pick one and a label.
        let mut text = None;
        column_combo(
            ui,
            "sent_text_pick",
            "text",
            &names,
            &mut text,
            false,
            "The column with the review text",
        );
        if let Some(t) = text {
            let label = names.iter().find(|n| **n != t).cloned().unwrap_or_default();
            state.columns = Some(ReviewColumns {
                text: t,
                label: LabelSource::Label { column: label },
                category: None,
                product: None,
                stars: None,
            });
        }
        return;
    };
    let mut text = Some(columns.text.clone());
    column_combo(
        ui,
        "sent_text",
        "text",
        &names,
        &mut text,
        false,
        "The column with the review text",
    );
    if let Some(t) = text {
        columns.text = t;
    }
    let mut use_stars = matches!(columns.label, LabelSource::Rating { .. });
    ui.horizontal(|ui| {
        ui.label("label from").on_hover_text(
            "A label column (0/1, pos/neg, positive/negative), or star ratings turned into labels",
        );
        ui.radio_value(&mut use_stars, false, "label column");
        ui.radio_value(&mut use_stars, true, "star rating");
    });
    let current = columns.label.column().to_owned();
    match (&columns.label, use_stars) {
        (LabelSource::Label { .. }, true) => columns.label = LabelSource::stars(&current),
        (LabelSource::Rating { .. }, false) => {
            columns.label = LabelSource::Label { column: current }
        }
        _ => {}
    }
    let mut label_column = Some(columns.label.column().to_owned());
    column_combo(
        ui,
        "sent_label",
        if use_stars { "rating" } else { "label" },
        &names,
        &mut label_column,
        false,
        "Where positive/negative comes from",
    );
    if let Some(c) = label_column {
        match &mut columns.label {
            LabelSource::Label { column } | LabelSource::Rating { column, .. } => *column = c,
        }
    }
    if let LabelSource::Rating {
        positive_min,
        negative_max,
        ..
    } = &mut columns.label
    {
        ui.horizontal(|ui| {
            ui.label("positive ≥");
            ui.add(
                egui::DragValue::new(positive_min)
                    .speed(0.5)
                    .range(0.0..=100.0),
            );
            ui.label("negative ≤");
            ui.add(
                egui::DragValue::new(negative_max)
                    .speed(0.5)
                    .range(0.0..=100.0),
            );
        })
        .response
        .on_hover_text(
            "Ratings between the two thresholds are left out of training and evaluation",
        );
    }
    column_combo(
        ui,
        "sent_category",
        "category",
        &names,
        &mut columns.category,
        true,
        "Per-category accuracy is reported when set",
    );
    column_combo(
        ui,
        "sent_product",
        "product",
        &names,
        &mut columns.product,
        true,
        "Groups reviews for the product table",
    );
    column_combo(
        ui,
        "sent_stars",
        "stars",
        &names,
        &mut columns.stars,
        true,
        "Average stars in the product table",
    );
}

fn controls_ui(state: &mut SentimentState, dataset: &Arc<Dataset>, ui: &mut egui::Ui) {
    columns_ui(state, dataset, ui);
    ui.separator();
    let heading = ui.heading("Classifier");
    egui::ComboBox::from_id_salt("sent_model")
        .selected_text(state.params.model.label())
        .show_ui(ui, |ui| {
            for kind in [
                ClassifierKind::LogisticRegression,
                ClassifierKind::NaiveBayes,
            ] {
                ui.selectable_value(&mut state.params.model, kind, kind.label());
            }
        })
        .response
        .labelled_by(heading.id);
    let p = &mut state.params;
    match p.model {
        ClassifierKind::LogisticRegression => {
            ui.add(
                egui::Slider::new(&mut p.c, 0.01..=1000.0)
                    .logarithmic(true)
                    .text("C"),
            )
            .on_hover_text("Inverse regularisation strength: larger C fits the training reviews more closely (less L2 penalty)");
            ui.add(egui::Slider::new(&mut p.max_iter, 1..=1000).text("max iterations"))
                .on_hover_text("L-BFGS stops here at the latest (it usually converges earlier)");
        }
        ClassifierKind::NaiveBayes => {
            ui.add(
                egui::Slider::new(&mut p.alpha, 0.001..=10.0)
                    .logarithmic(true)
                    .text("alpha"),
            )
            .on_hover_text(
                "Additive smoothing: how much an n-gram never seen with a class still counts",
            );
        }
    }
    ui.add_space(4.0);
    ui.label(egui::RichText::new("Features").strong());
    ui.horizontal(|ui| {
        ui.label("n-grams").on_hover_text(
            "Words for space-separated languages, characters for Chinese/Japanese; auto decides from the text",
        );
        ui.selectable_value(&mut state.ngram_choice, NgramChoice::Auto, "auto");
        ui.selectable_value(&mut state.ngram_choice, NgramChoice::Word, "words");
        ui.selectable_value(&mut state.ngram_choice, NgramChoice::Char, "characters");
    });
    if state.ngram_choice != NgramChoice::Auto {
        ui.horizontal(|ui| {
            ui.label("lengths");
            ui.add(egui::DragValue::new(&mut state.ngram_min).range(1..=5));
            ui.label("to");
            ui.add(egui::DragValue::new(&mut state.ngram_max).range(1..=5));
        });
    }
    let p = &mut state.params;
    ui.add(egui::Slider::new(&mut p.min_df, 1..=50).text("min document freq."))
        .on_hover_text("Keep n-grams that occur in at least this many training reviews");
    let mut limit = p.max_features.is_some();
    ui.horizontal(|ui| {
        ui.checkbox(&mut limit, "max features")
            .on_hover_text("Keep only the most frequent n-grams");
        if limit {
            let mut n = p.max_features.unwrap_or(100_000);
            ui.add(
                egui::DragValue::new(&mut n)
                    .range(1..=10_000_000)
                    .speed(1000),
            );
            p.max_features = Some(n);
        } else {
            p.max_features = None;
        }
    });
    ui.add_space(4.0);
    ui.label(egui::RichText::new("Evaluation").strong());
    ui.radio_value(
        &mut state.use_kfold,
        false,
        "hold-out: every 5th labelled review",
    )
    .on_hover_text("Labelled reviews whose 0-based index % 5 == 0 are the test set");
    ui.horizontal(|ui| {
        ui.radio_value(&mut state.use_kfold, true, "k-fold cross-validation");
        ui.add_enabled(
            state.use_kfold,
            egui::DragValue::new(&mut state.k_folds)
                .range(2..=20)
                .prefix("k = "),
        );
    });
    ui.horizontal(|ui| {
        ui.label("seed")
            .on_hover_text("Shuffles the k-fold assignment");
        ui.add(egui::DragValue::new(&mut state.options.seed));
        ui.label("threads");
        ui.add(egui::DragValue::new(&mut state.options.threads).range(1..=64));
    });
    ui.add_space(8.0);
    ui.horizontal(|ui| {
        let running = state.job.is_running();
        if ui
            .add_enabled(!running, egui::Button::new("Train"))
            .clicked()
        {
            state.start_training(Arc::clone(dataset), ui.ctx());
        }
        if running && ui.button("Cancel").clicked() {
            state.job.cancel();
        }
    });
    if let Some((fraction, message)) = &state.job.last_progress {
        ui.add(egui::ProgressBar::new(fraction.unwrap_or(0.0)).text(message.as_str()));
    }
}

//! The Sentiment tab: choose the review columns and a classifier, train on a
//! worker while the loss curve grows, then read the metrics, open the reviews
//! behind each confusion-matrix cell, see the n-grams that push reviews each
//! way, try sentences live, and find the products with the most negative
//! reviews. Training is `runs::run` on a sentiment request behind a [`Command::Run`].

use std::path::PathBuf;
use std::sync::Arc;

use eframe::egui;

use super::demo::{done_on_current_data, train_until};
use super::params_ui::params_ui;
use super::tabs::{Tab, TourStep};
use super::widgets::{
    job_buttons, main_area, other_data_banner, own_run_ended, seed_ui, side_panel,
};
use super::TabContext;
use crate::data::Dataset;
use crate::demo::state::Outcome;
use crate::demo::tour::Action;
use crate::params::Hyperparams;
use crate::runs::RunEntry;
use crate::task::EpochEvent;
use crate::text::settings::{NgramChoice, ReviewsBeside, SentimentSettings};
use crate::text::{ClassifierKind, LabelSource, ReviewColumns};
use crate::workbench::{Command, Event, JobKind, RunRequest, SideJob, Workbench};

/// The tab's id.
pub(crate) const ID: &str = "sentiment";
const JOB: JobKind = JobKind::Train(crate::text::KIND);
/// Loading a review file beside the data.
pub(crate) const REVIEWS: JobKind = JobKind::Side("reviews");

/// Load `path` as the review file beside the data.
/// The reviews found beside the loaded store: they belong to it and go
/// when another file loads.
pub(crate) fn load_reviews(path: PathBuf) -> Command {
    Command::Side(
        SideJob::load_file(REVIEWS, path, |ds| Arc::new(ReviewsBeside(ds))).for_loaded_file(),
    )
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

pub(crate) struct SentimentTab {
    pub settings: SentimentSettings,
    /// The reviews file loaded automatically (once) for the Data tab's file.
    auto_loaded: Option<PathBuf>,
    /// The curve of the run shown (the live one comes from the job).
    pub curve: Vec<EpochEvent>,
    pub result: Option<Arc<SentimentResult>>,
    /// Selected confusion-matrix cell: (actual positive, predicted positive).
    pub selected_cell: Option<(bool, bool)>,
    pub try_text: String,
    pub try_scored: Option<TryScored>,
    pub product_sort: ProductSort,
    pub product_descending: bool,
    pub message: Option<String>,
}

impl Default for SentimentTab {
    fn default() -> Self {
        Self {
            settings: SentimentSettings::default(),
            auto_loaded: None,
            curve: Vec::new(),
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

/// `reviews.csv` in the folder of `ds` (the sample store keeps it beside events.csv).
pub(crate) fn reviews_beside(ds: &Dataset) -> Option<PathBuf> {
    let candidate = ds.path.parent()?.join("reviews.csv");
    (candidate != ds.path && candidate.exists()).then_some(candidate)
}

/// The reviews the tab works on: the Data tab's file when it has a text
/// column, else the review file loaded beside it.
pub fn review_source(bench: &Workbench) -> Option<Arc<Dataset>> {
    crate::text::settings::review_source(&bench.data_context())
}

impl SentimentTab {
    /// Open the reviews kept beside the loaded store (the sample store's
    /// reviews.csv), as the tab does when it is first shown; whether there
    /// were any to open.
    pub(crate) fn load_reviews_beside(&mut self, ctx: &mut TabContext) -> bool {
        let Some(path) = ctx.bench.dataset().and_then(|ds| reviews_beside(ds)) else {
            return false;
        };
        if self.auto_loaded.as_ref() != Some(&path) {
            self.auto_loaded = Some(path.clone());
            ctx.send(load_reviews(path));
        }
        true
    }

    pub(crate) fn start_training(&mut self, ctx: &mut TabContext) {
        let params = self.settings.current_params();
        if let Err(errors) = params.check() {
            self.message = Some(format!(
                "Fix the parameters first: {}",
                crate::params::joined(&errors)
            ));
            return;
        }
        if self.settings.columns.is_none() {
            self.message = Some("Choose the text and label columns first.".into());
            return;
        }
        match self.settings.request(&ctx.bench.data_context(), params) {
            Ok(request) => {
                self.message = None;
                self.curve.clear();
                ctx.send(Command::Run(RunRequest::new(request)));
            }
            Err(e) => self.message = Some(e),
        }
    }

    /// Show a trained classifier (a new run, or one reopened from the Runs tab).
    pub fn show(&mut self, result: Arc<SentimentResult>) {
        self.curve = result.run.epochs.clone();
        self.selected_cell = None;
        self.try_scored = None;
        self.result = Some(result);
    }
}

fn no_source_ui(
    state: &mut SentimentTab,
    ctx: &mut TabContext,
    data_tab: Option<&Dataset>,
    ui: &mut egui::Ui,
) {
    ui.heading("Review sentiment");
    let loading = ctx.bench.jobs().is_active(REVIEWS);
    if let Some((fraction, message)) = ctx.bench.jobs().progress(REVIEWS) {
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
            let beside = reviews_beside(ds);
            // "or:" only when there is something to offer after it.
            ui.label(format!(
                "{} has no text column. Open a review file (File › Open…){}",
                crate::display::display_name(&ds.path),
                if beside.is_some() {
                    ", or:"
                } else {
                    " to train a sentiment classifier."
                }
            ));
            if let Some(path) = beside {
                // The sample store (and any store laid out like it) keeps its
                // reviews beside the events: open them without a click, once.
                if state.auto_loaded.as_ref() != Some(&path) && !loading {
                    state.auto_loaded = Some(path.clone());
                    ctx.send(load_reviews(path.clone()));
                }
                let label = format!(
                    "Load {} from the same folder",
                    crate::display::display_name(&path)
                );
                if ui.button(label).clicked() {
                    ctx.send(load_reviews(path));
                }
            }
        }
        None => {
            ui.label("Open a review file (File › Open…) to train a sentiment classifier.");
        }
    }
}

pub(crate) fn column_combo(
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

/// "Reviews" and the file they come from.
pub(crate) fn reviews_heading(dataset: &Dataset, ui: &mut egui::Ui) {
    ui.heading("Reviews");
    ui.label(format!(
        "{} · {} rows",
        crate::display::display_name(&dataset.path),
        crate::display::thousands(dataset.df.height() as u64)
    ));
}

fn columns_ui(state: &mut SentimentTab, dataset: &Dataset, ui: &mut egui::Ui) {
    reviews_heading(dataset, ui);
    let names = dataset.column_names();
    let mut text = state.settings.columns.as_ref().map(|c| c.text.clone());
    column_combo(
        ui,
        "sent_text",
        "text",
        &names,
        &mut text,
        false,
        "The column with the review text",
    );
    let Some(columns) = state.settings.columns.as_mut() else {
        // No text column guessed: the user picks one (and then a label).
        if let Some(t) = text {
            let label = names.iter().find(|n| **n != t).cloned().unwrap_or_default();
            state.settings.columns = Some(ReviewColumns {
                text: t,
                label: LabelSource::Label { column: label },
                category: None,
                product: None,
                stars: None,
            });
        }
        return;
    };
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

fn controls_ui(
    state: &mut SentimentTab,
    ctx: &mut TabContext,
    dataset: &Arc<Dataset>,
    ui: &mut egui::Ui,
) {
    columns_ui(state, dataset, ui);
    ui.separator();
    let heading = ui.heading("Classifier");
    egui::ComboBox::from_id_salt("sent_model")
        .selected_text(state.settings.params.model.label())
        .show_ui(ui, |ui| {
            for kind in ClassifierKind::ALL {
                ui.selectable_value(&mut state.settings.params.model, kind, kind.label());
            }
        })
        .response
        .labelled_by(heading.id);
    params_ui(ui, &mut state.settings.params, ctx.simple);
    ui.add_space(4.0);
    ui.label(egui::RichText::new("Features").strong());
    ui.horizontal(|ui| {
        ui.label("n-grams").on_hover_text(
            "Words for space-separated languages, characters for Chinese/Japanese; auto decides from the text",
        );
        ui.selectable_value(&mut state.settings.ngram_choice, NgramChoice::Auto, "auto");
        ui.selectable_value(&mut state.settings.ngram_choice, NgramChoice::Word, "words");
        ui.selectable_value(&mut state.settings.ngram_choice, NgramChoice::Char, "characters");
    });
    if state.settings.ngram_choice != NgramChoice::Auto {
        ui.horizontal(|ui| {
            ui.label("lengths");
            ui.add(egui::DragValue::new(&mut state.settings.ngram_min).range(1..=5));
            ui.label("to");
            ui.add(egui::DragValue::new(&mut state.settings.ngram_max).range(1..=5));
        });
    }
    ui.add_space(4.0);
    ui.label(egui::RichText::new("Evaluation").strong());
    ui.radio_value(
        &mut state.settings.use_kfold,
        false,
        "hold-out: every 5th labelled review",
    )
    .on_hover_text("Labelled reviews whose 0-based index % 5 == 0 are the test set");
    ui.horizontal(|ui| {
        ui.radio_value(
            &mut state.settings.use_kfold,
            true,
            "k-fold cross-validation",
        );
        ui.add_enabled(
            state.settings.use_kfold,
            egui::DragValue::new(&mut state.settings.k_folds)
                .range(2..=20)
                .prefix("k = "),
        );
    });
    let o = &mut state.settings.options;
    seed_ui(ui, &mut o.seed, (!ctx.simple).then_some(&mut o.threads));
    ui.add_space(8.0);
    if job_buttons(ui, ctx, "Train", "Cancel", JOB) {
        state.start_training(ctx);
    }
}

impl Tab for SentimentTab {
    fn id(&self) -> &'static str {
        ID
    }

    fn label(&self) -> &'static str {
        "Sentiment"
    }

    fn on_event(&mut self, event: &Event, bench: &Workbench) {
        // A cancelled or failed run leaves the previous result on screen.
        let ended = own_run_ended(event, JOB, bench, &mut self.curve, &mut self.message);
        if let Some(result) = ended.and_then(|e| e.model_of::<SentimentResult>()) {
            self.message = None;
            self.show(result);
        }
        if let Event::Message {
            job: JOB | REVIEWS,
            text,
        } = event
        {
            self.message = Some(text.clone());
        }
    }

    fn ui(&mut self, ctx: &mut TabContext, ui: &mut egui::Ui) {
        let Some(dataset) = review_source(ctx.bench) else {
            let data_tab = ctx.bench.dataset().cloned();
            no_source_ui(self, ctx, data_tab.as_deref(), ui);
            return;
        };
        if let Some(problem) = self.settings.sync_columns(&dataset) {
            self.message = Some(problem);
        }
        side_panel(ui, "sentiment_controls", 300.0, |ui| {
            controls_ui(self, ctx, &dataset, ui)
        });
        main_area(ui, "sent_main", |ui| {
            // The result carries the reviews it was trained on.
            if let Some(data) = self.result.as_ref().map(|r| r.data.clone()) {
                if other_data_banner(ui, ctx, &data, Some(&dataset)) {
                    self.result = None;
                    self.curve.clear();
                }
            }
            let epochs = super::widgets::live_curve(ctx.bench, JOB, &self.curve);
            super::sentiment_results::results_ui(self, &epochs, ui)
        });
    }

    fn explore(&mut self, run: &RunEntry, _bench: &Workbench) -> bool {
        let shown = run
            .model_of::<SentimentResult>()
            .map(|result| self.show(result));
        shown.is_some()
    }

    fn settings(&self) -> Vec<&dyn std::any::Any> {
        vec![&self.settings]
    }

    fn perform(&mut self, step: &TourStep, ctx: &mut TabContext) -> Option<Outcome> {
        Some(match step.action {
            Action::TrainSentiment => {
                if self.settings.columns.is_none() {
                    if review_source(ctx.bench).is_some() {
                        // The tab picks the columns when it next draws.
                        return Some(Outcome::NotYet("reading the reviews' columns".into()));
                    }
                    if ctx.bench.jobs().is_active(REVIEWS) {
                        return Some(Outcome::NotYet("loading the store's reviews".into()));
                    }
                    let before = ctx.sent();
                    if self.load_reviews_beside(ctx) && ctx.sent() > before {
                        return Some(Outcome::NotYet("loading the store's reviews".into()));
                    }
                    return Some(Outcome::Failed(
                        "the store has no reviews beside it to learn from".into(),
                    ));
                }
                let ready =
                    self.result.is_some() && done_on_current_data(ctx.bench, crate::text::KIND);
                train_until(
                    ctx,
                    step,
                    ready,
                    JOB,
                    "training the review classifier",
                    |ctx| self.start_training(ctx),
                )
            }
            Action::TryReview(text) => {
                if self.result.is_none() {
                    return Some(Outcome::Failed("no classifier to try".into()));
                }
                if self.try_text != text {
                    self.try_text = text.to_owned();
                }
                Outcome::Done
            }
            _ => return None,
        })
    }
}

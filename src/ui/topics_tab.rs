//! The Topics tab: what the reviews of a polarity (by default the negative
//! ones) are about. Choose the columns, the method and k (or scan k), find
//! topics on a worker with progress and Cancel, then read each topic's
//! words, share, categories, products and months, its examples with the
//! words highlighted, and every review behind it; rename topics and export
//! them. Fitting is `runs::run` on a topics request behind a [`Command::Run`].

use std::collections::BTreeMap;
use std::sync::Arc;

use eframe::egui;

use super::demo::{done_on_current_data, train_until};
use super::params_ui::params_ui;
use super::sentiment_tab::{column_combo, load_reviews, reviews_beside, reviews_heading, REVIEWS};
use super::tabs::{Tab, TourStep};
use super::widgets::{
    job_buttons, main_area, other_data_banner, own_run_ended, seed_ui, side_panel, string_combo,
};
use super::TabContext;
use crate::data::Dataset;
use crate::demo::state::Outcome;
use crate::demo::tour::Action;
use crate::runs::RunEntry;
use crate::task::EpochEvent;
use crate::text::reviews::LabelSource;
use crate::text::topics::listing::{ReviewRow, ReviewSort};
use crate::text::topics::settings::{TopicSettings, SCAN_K};
use crate::text::topics::task::{Classifier, TopicColumns, TopicsResult};
use crate::text::topics::{Polarity, TopicMethod, KIND};
use crate::workbench::{Command, Event, JobKind, RunRequest, Workbench};

/// The tab's id.
pub(crate) const ID: &str = "topics";
const JOB: JobKind = JobKind::Train(KIND);

pub(crate) struct TopicsTab {
    pub settings: TopicSettings,
    pub result: Option<Arc<TopicsResult>>,
    /// The run shown (its record keeps the topics' names).
    pub run_id: Option<u64>,
    pub curve: Vec<EpochEvent>,
    /// The topic whose details are shown (0-based).
    pub selected: usize,
    /// Every review of the selected topic is listed.
    pub listing: bool,
    pub sort: ReviewSort,
    pub descending: bool,
    /// A name being typed: (topic, text).
    pub renaming: Option<(usize, String)>,
    /// The selected topic's sorted reviews and its examples' highlights,
    /// worked out once per topic and sort rather than every frame.
    pub views: TopicViews,
    /// The values of k a scan tries.
    pub scan_ks: String,
    pub message: Option<String>,
    /// The reviews file opened on its own (once) beside the Data tab's file.
    auto_loaded: Option<std::path::PathBuf>,
}

impl Default for TopicsTab {
    fn default() -> Self {
        Self {
            settings: TopicSettings::default(),
            result: None,
            run_id: None,
            curve: Vec::new(),
            selected: 0,
            listing: false,
            sort: ReviewSort::Weight,
            descending: true,
            renaming: None,
            views: TopicViews::default(),
            scan_ks: SCAN_K.into(),
            message: None,
            auto_loaded: None,
        }
    }
}

/// A topic's reviews in one order: (topic, sort, descending) and the rows.
pub(crate) type SortedRows = ((usize, ReviewSort, bool), Arc<Vec<ReviewRow>>);
/// Byte spans to highlight in each example of a topic.
pub(crate) type ExampleMarks = Arc<Vec<Vec<(usize, usize)>>>;

/// What the selected topic shows that takes work to compute.
#[derive(Default)]
pub(crate) struct TopicViews {
    /// (topic, sort, descending) and its reviews in that order.
    pub rows: Option<SortedRows>,
    /// Topic and the highlighted spans of each of its examples.
    pub marks: Option<(usize, ExampleMarks)>,
}

impl TopicsTab {
    pub(crate) fn start(&mut self, ctx: &mut TabContext) {
        let params = self.settings.params.clone();
        if let Err(errors) = crate::params::Hyperparams::check(&params) {
            self.message = Some(format!(
                "Fix the parameters first: {}",
                crate::params::joined(&errors)
            ));
            return;
        }
        match self.settings.request(&ctx.bench.data_context(), params) {
            Ok(mut request) => {
                request.classifier = Classifier::latest(ctx.bench.runs());
                self.message = None;
                self.curve.clear();
                ctx.send(Command::Run(RunRequest::new(request)));
            }
            Err(e) => self.message = Some(e),
        }
    }

    fn scan(&mut self, ctx: &mut TabContext) {
        let classifier = Classifier::latest(ctx.bench.runs());
        match self
            .settings
            .scan_k(&ctx.bench.data_context(), &self.scan_ks, classifier)
        {
            Ok(plan) => {
                self.message = None;
                ctx.send(Command::Sweep(plan));
            }
            Err(e) => self.message = Some(e),
        }
    }

    /// Show a finished run (a new one, one of a scan, or one reopened).
    pub fn show(&mut self, run_id: u64, result: Arc<TopicsResult>) {
        self.curve = result.run.epochs.clone();
        self.run_id = Some(run_id);
        self.selected = 0;
        self.listing = false;
        self.renaming = None;
        self.views = TopicViews::default();
        self.result = Some(result);
    }

    /// The names given to the shown run's topics.
    pub fn names(&self, bench: &Workbench) -> BTreeMap<String, String> {
        self.run_id
            .and_then(|id| bench.runs().get(id))
            .map(|e| e.record.labels.clone())
            .unwrap_or_default()
    }

    /// Keep the column choice in step with the file: a new file starts
    /// from the columns its roles point at.
    fn sync_columns(&mut self, dataset: &Dataset) {
        if self.settings.columns_for.as_ref() == Some(&dataset.path) {
            return;
        }
        match TopicColumns::from_roles(dataset) {
            Ok(c) => self.settings.columns = Some(c),
            Err(e) => {
                self.settings.columns = None;
                self.message = Some(e);
            }
        }
        self.settings.columns_for = Some(dataset.path.clone());
    }
}

/// How the polarity is told: none, a label column, or star ratings.
#[derive(Clone, Copy, PartialEq, Eq)]
enum LabelKind {
    None,
    Label,
    Stars,
}

fn label_ui(columns: &mut TopicColumns, names: &[String], ui: &mut egui::Ui) {
    let kind = match &columns.label {
        None => LabelKind::None,
        Some(LabelSource::Label { .. }) => LabelKind::Label,
        Some(LabelSource::Rating { .. }) => LabelKind::Stars,
    };
    let mut chosen = kind;
    ui.horizontal(|ui| {
        ui.label("polarity from").on_hover_text(
            "A label column (0/1, pos/neg), star ratings, or none (a trained sentiment classifier then predicts it)",
        );
        ui.radio_value(&mut chosen, LabelKind::Label, "label");
        ui.radio_value(&mut chosen, LabelKind::Stars, "stars");
        ui.radio_value(&mut chosen, LabelKind::None, "none");
    });
    let current = columns
        .label
        .as_ref()
        .map(|l| l.column().to_owned())
        .or_else(|| names.iter().find(|n| **n != columns.text).cloned())
        .unwrap_or_default();
    if chosen != kind {
        columns.label = match chosen {
            LabelKind::None => None,
            LabelKind::Label => Some(LabelSource::Label { column: current }),
            LabelKind::Stars => Some(LabelSource::stars(&current)),
        };
    }
    if let Some(LabelSource::Label { column } | LabelSource::Rating { column, .. }) =
        &mut columns.label
    {
        ui.horizontal(|ui| string_combo(ui, "topics_label", "column", column, names));
    }
}

fn columns_ui(state: &mut TopicsTab, dataset: &Dataset, ui: &mut egui::Ui) {
    reviews_heading(dataset, ui);
    let names = dataset.column_names();
    let Some(columns) = state.settings.columns.as_mut() else {
        return;
    };
    ui.horizontal(|ui| string_combo(ui, "topics_text", "text", &mut columns.text, &names));
    label_ui(columns, &names, ui);
    column_combo(
        ui,
        "topics_category",
        "category",
        &names,
        &mut columns.category,
        true,
        "Each topic's share per category",
    );
    column_combo(
        ui,
        "topics_product",
        "product",
        &names,
        &mut columns.product,
        true,
        "Each topic's share per product",
    );
    column_combo(
        ui,
        "topics_time",
        "date",
        &names,
        &mut columns.time,
        true,
        "Each topic's trend per month",
    );
}

fn controls_ui(
    state: &mut TopicsTab,
    ctx: &mut TabContext,
    dataset: &Arc<Dataset>,
    ui: &mut egui::Ui,
) {
    columns_ui(state, dataset, ui);
    ui.separator();
    ui.heading("Which reviews");
    ui.horizontal(|ui| {
        for p in Polarity::ALL {
            ui.radio_value(&mut state.settings.options.polarity, p, p.label());
        }
    });
    ui.separator();
    let heading = ui.heading("Model");
    egui::ComboBox::from_id_salt("topics_method")
        .selected_text(state.settings.params.method.label())
        .show_ui(ui, |ui| {
            for m in TopicMethod::ALL {
                ui.selectable_value(&mut state.settings.params.method, m, m.label());
            }
        })
        .response
        .labelled_by(heading.id);
    params_ui(ui, &mut state.settings.params, ctx.simple);
    ui.label("extra stop words")
        .on_hover_text("Words to leave out besides the built-in Chinese and English lists, separated by commas (e.g. the store's own name)");
    ui.add(
        egui::TextEdit::multiline(&mut state.settings.params.stop_words)
            .desired_rows(2)
            .hint_text("e.g. 酒店, 京东, hotel"),
    );
    let o = &mut state.settings.options;
    seed_ui(ui, &mut o.seed, (!ctx.simple).then_some(&mut o.threads));
    ui.add_space(8.0);
    if job_buttons(ui, ctx, "Find topics", "Cancel", JOB) {
        state.start(ctx);
    }
    ui.add_space(6.0);
    ui.label(egui::RichText::new("Scan k").strong())
        .on_hover_text("One run per k with these settings; compare their coherence below the topics and in the Runs tab");
    ui.horizontal(|ui| {
        ui.label("k =");
        ui.add(egui::TextEdit::singleline(&mut state.scan_ks).desired_width(110.0));
        let sweeping = ctx.bench.jobs().is_active(JobKind::Sweep);
        if ui
            .add_enabled(!sweeping, egui::Button::new("Scan"))
            .clicked()
        {
            state.scan(ctx);
        }
        if sweeping {
            ui.spinner();
            if ui.small_button("Cancel scan").clicked() {
                ctx.send(Command::Cancel(JobKind::Sweep));
            }
        }
    });
    if let Some((_, at)) = ctx.bench.jobs().progress(JobKind::Sweep) {
        ui.small(at.lines().next().unwrap_or_default());
    }
}

/// Load the reviews kept beside the loaded store (the sample store's
/// reviews.csv) unless they are loading; whether there are any.
fn load_reviews_beside(ctx: &mut TabContext) -> bool {
    let Some(path) = ctx.bench.dataset().and_then(|ds| reviews_beside(ds)) else {
        return false;
    };
    if !ctx.bench.jobs().is_active(REVIEWS) {
        ctx.send(load_reviews(path));
    }
    true
}

fn no_reviews_ui(state: &mut TopicsTab, ctx: &mut TabContext, ui: &mut egui::Ui) {
    ui.heading("Topics in reviews");
    if let Some(m) = &state.message {
        ui.colored_label(ui.visuals().warn_fg_color, m);
    }
    if ctx.bench.jobs().is_active(REVIEWS) {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("loading the store's reviews…");
        });
        return;
    }
    let Some(ds) = ctx.bench.dataset().cloned() else {
        ui.label("Open a review file (File › Open…) to find what its reviews are about.");
        return;
    };
    ui.label(format!(
        "{} has no text column. Open a review file (File › Open…) to find what its reviews are about.",
        crate::display::display_name(&ds.path)
    ));
    if let Some(path) = reviews_beside(&ds) {
        // A store laid out like the sample keeps its reviews beside the
        // events: open them without a click, once.
        if state.auto_loaded.as_ref() != Some(&path) {
            state.auto_loaded = Some(path.clone());
            load_reviews_beside(ctx);
        }
        let label = format!(
            "Load {} from the same folder",
            crate::display::display_name(&path)
        );
        if ui.button(label).clicked() {
            load_reviews_beside(ctx);
        }
    }
}

impl Tab for TopicsTab {
    fn id(&self) -> &'static str {
        ID
    }

    fn label(&self) -> &'static str {
        "Topics"
    }

    fn on_event(&mut self, event: &Event, bench: &Workbench) {
        let ended = own_run_ended(event, JOB, bench, &mut self.curve, &mut self.message);
        if let Some(entry) = ended {
            if let Some(result) = entry.model_of::<TopicsResult>() {
                self.message = None;
                self.show(entry.record.id, result);
            }
        }
        if let Event::Message { job: JOB, text } = event {
            self.message = Some(text.clone());
        }
    }

    fn ui(&mut self, ctx: &mut TabContext, ui: &mut egui::Ui) {
        let Some(dataset) = crate::text::settings::review_source(&ctx.bench.data_context()) else {
            no_reviews_ui(self, ctx, ui);
            return;
        };
        self.sync_columns(&dataset);
        side_panel(ui, "topics_controls", 300.0, |ui| {
            controls_ui(self, ctx, &dataset, ui)
        });
        main_area(ui, "topics_main", |ui| {
            if let Some(data) = self.result.as_ref().map(|r| r.data.clone()) {
                if other_data_banner(ui, ctx, &data, Some(&dataset)) {
                    self.result = None;
                    self.run_id = None;
                    self.curve.clear();
                }
            }
            let epochs = super::widgets::live_curve(ctx.bench, JOB, &self.curve);
            super::topics_view::results_ui(self, ctx, &dataset, &epochs, ui)
        });
    }

    fn explore(&mut self, run: &RunEntry, _bench: &Workbench) -> bool {
        let Some(result) = run.model_of::<TopicsResult>() else {
            return false;
        };
        self.show(run.record.id, result);
        true
    }

    fn settings(&self) -> Vec<&dyn std::any::Any> {
        vec![&self.settings]
    }

    fn perform(&mut self, step: &TourStep, ctx: &mut TabContext) -> Option<Outcome> {
        if step.action != Action::FindTopics {
            return None;
        }
        let Some(dataset) = crate::text::settings::review_source(&ctx.bench.data_context()) else {
            if load_reviews_beside(ctx) {
                return Some(Outcome::NotYet("loading the store's reviews".into()));
            }
            return Some(Outcome::Failed(
                "the store has no reviews beside it to read".into(),
            ));
        };
        self.sync_columns(&dataset);
        let ready = self.result.is_some() && done_on_current_data(ctx.bench, KIND);
        Some(train_until(
            ctx,
            step,
            ready,
            JOB,
            "finding what the unhappy reviews are about",
            |ctx| self.start(ctx),
        ))
    }
}

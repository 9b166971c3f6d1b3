//! The Recommend tab: pick a model and its hyperparameters, train on a worker
//! while the loss and validation curves grow, compare runs, explore a
//! customer's history and recommendations (with reasons), and export every
//! user's top-k. Training is `runs::run` on a recommender request behind a
//! [`Command::Run`]; this tab only builds the request and draws the result.

use std::path::PathBuf;
use std::sync::Arc;

use eframe::egui;

use super::demo::{done_on_current_data, train_until};
use super::images::ImageCache;
use super::params_ui::params_ui;
use super::plots::training_curves_ui;
use super::sessions_view::SessionView;
use super::spark_view::{self, SparkView};
use super::tabs::{Tab, TourStep};
use super::widgets::cancelled_note;
use super::widgets::{
    header_row, item_chip, job_buttons, main_area, other_data_banner, own_run, runs_on_data,
    seed_ui, side_panel, OwnRun,
};
use super::TabContext;
use crate::data::catalogue::Catalogue;
use crate::data::{Dataset, Role};
use crate::demo::state::Outcome;
use crate::demo::tour::Action;
use crate::display::display_name;
use crate::params::Hyperparams;
use crate::params::ModelKind;
use crate::recsys::params::{ModelParams, RecommenderKind};
use crate::recsys::settings::{RecommendSettings, SplitChoice};
use crate::recsys::Trained;
use crate::runs::{DataFingerprint, RunEntry, RunStatus};
use crate::session::SessionTrained;
use crate::task::EpochEvent;
use crate::workbench::{Command, Event, ExportJob, JobKind, RunRequest, Workbench};

/// The tab's id.
pub(crate) const ID: &str = "recommend";
/// Rows of the tab's own run table (the Runs tab has them all).
const TABLE_RUNS: usize = 20;
const JOB: JobKind = JobKind::Train(crate::recsys::KIND);
const EXPORT: JobKind = JobKind::Export("recommendations");

/// Customers with history, or anonymous sessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecommendMode {
    Customers,
    Sessions,
}

pub(crate) struct RecommendTab {
    pub mode: RecommendMode,
    /// The session mode's settings, runs and explorer.
    pub sessions: SessionView,
    pub settings: RecommendSettings,
    /// The curve of the run shown (the live one comes from the job).
    pub curve: Vec<EpochEvent>,
    /// The run being explored, and the data it was trained on.
    pub explored: Option<Arc<Trained>>,
    pub explored_data: Option<DataFingerprint>,
    /// The runs table shows runs on every file, not only the loaded one.
    pub all_files: bool,
    pub user_query: String,
    pub selected_user: Option<u32>,
    pub selected_item: Option<u32>,
    pub export_path: String,
    /// Replace customer ids by salted hashes in the export.
    pub pseudonymise: bool,
    pub message: Option<String>,
    /// A new customer's basket (item indices of the explored model).
    pub basket: Vec<u32>,
    pub basket_input: String,
    /// The basket's list, kept until the basket or the model changes.
    basket_recs: Option<BasketList>,
    /// Weight of content in a customer's list (0: the model alone).
    pub content_blend: f32,
    /// The shown customer's list, kept until the customer, the blend or the
    /// model changes: blending scores every item's content each time.
    customer_recs: Option<CustomerList>,
    images: ImageCache,
    /// ALS on Spark's settings and log.
    spark: SparkView,
}

type BasketList = (Vec<u32>, Arc<Trained>, Vec<crate::recsys::Recommendation>);
/// (customer, blend, model, list).
type CustomerList = (u32, f32, Arc<Trained>, Vec<crate::recsys::Recommendation>);

impl Default for RecommendTab {
    fn default() -> Self {
        Self {
            mode: RecommendMode::Customers,
            sessions: SessionView::default(),
            settings: RecommendSettings::default(),
            curve: Vec::new(),
            explored: None,
            explored_data: None,
            all_files: false,
            user_query: String::new(),
            selected_user: None,
            selected_item: None,
            export_path: "recommendations.csv".into(),
            pseudonymise: false,
            message: None,
            basket: Vec::new(),
            basket_input: String::new(),
            basket_recs: None,
            customer_recs: None,
            content_blend: 0.0,
            images: ImageCache::default(),
            spark: SparkView::default(),
        }
    }
}

impl RecommendTab {
    /// Show a trained model (a new run, or one reopened from the Runs tab).
    pub fn show(&mut self, t: Arc<Trained>, data: DataFingerprint) {
        // A basket is item indices of one model's catalogue.
        if self
            .explored
            .as_ref()
            .is_none_or(|old| old.data.item_labels != t.data.item_labels)
        {
            self.basket.clear();
        }
        self.curve = t.epochs.clone();
        self.explored = Some(t);
        self.explored_data = Some(data);
        self.selected_user = None;
        self.selected_item = None;
    }

    pub fn add_to_basket(&mut self, item: u32) {
        if !self.basket.contains(&item) {
            self.basket.push(item);
        }
    }

    pub(crate) fn start_training(&mut self, ctx: &mut TabContext, dataset: &Arc<Dataset>) {
        let params = self.settings.params.get(self.settings.model);
        if let Err(errors) = params.check() {
            self.message = Some(format!(
                "Fix the parameters first: {}",
                crate::params::joined(&errors)
            ));
            return;
        }
        let weights = &ctx.bench.settings().event_weights;
        match self.settings.request(Arc::clone(dataset), weights, params) {
            Ok(request) => {
                self.message = None;
                self.curve.clear();
                ctx.send(Command::Run(RunRequest::new(request)));
            }
            Err(e) => self.message = Some(e),
        }
    }

    fn mode_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.mode, RecommendMode::Customers, "Customers")
                .on_hover_text(
                    "Recommend for customers with a history (and new customers' fallback)",
                );
            ui.selectable_value(&mut self.mode, RecommendMode::Sessions, "Sessions")
                .on_hover_text("Predict the next view of anonymous browsing sessions");
        });
        ui.separator();
    }

    fn controls_ui(&mut self, ctx: &mut TabContext, ui: &mut egui::Ui, dataset: &Arc<Dataset>) {
        let heading = ui.heading("Model");
        egui::ComboBox::from_id_salt("model_choice")
            .selected_text(self.settings.model.label())
            .show_ui(ui, |ui| {
                for kind in RecommenderKind::ALL {
                    ui.selectable_value(&mut self.settings.model, kind, kind.label())
                        .on_hover_text(kind.describe());
                }
            })
            .response
            .labelled_by(heading.id);
        ui.add_space(4.0);
        if self.settings.model == RecommenderKind::Popular {
            ui.label(RecommenderKind::Popular.describe());
        }
        if let Some(p) = self.settings.params.get_mut(self.settings.model) {
            params_ui(ui, p, ctx.simple);
            if let ModelParams::SparkAls(spark) = p {
                self.spark.settings_ui(ui, spark, ctx.simple);
            }
        }
        ui.separator();
        ui.heading("Evaluation");
        ui.horizontal(|ui| {
            ui.selectable_value(
                &mut self.settings.split,
                SplitChoice::LeaveLastOut,
                "leave last out",
            )
            .on_hover_text("Each user's last interaction (by time, ties by item) is held out");
            ui.selectable_value(
                &mut self.settings.split,
                SplitChoice::Random,
                "random 80/20",
            )
            .on_hover_text("A seeded 20% of each user's items are held out");
            ui.selectable_value(&mut self.settings.split, SplitChoice::Temporal, "temporal")
                .on_hover_text("Everything from a date on is held out");
        });
        if self.settings.split == SplitChoice::Temporal {
            ui.horizontal(|ui| {
                ui.label("cut date");
                ui.add(
                    egui::TextEdit::singleline(&mut self.settings.temporal_date)
                        .hint_text("YYYY-MM-DD")
                        .desired_width(100.0),
                );
            });
        }
        let n_items = dataset.df.height().max(1);
        ui.add(egui::Slider::new(&mut self.settings.options.k, 1..=100.min(n_items)).text("k"))
            .on_hover_text("List length for HR, precision, recall, NDCG and MAP");
        // Validation, filters, seed and threads are for experts: simple mode hides them.
        if !ctx.simple {
            // Only models that train epoch by epoch validate along the way.
            if self.settings.model.iterates() {
                ui.add(
                    egui::Slider::new(&mut self.settings.options.validate_every, 0..=20)
                        .text("validate every"),
                )
                .on_hover_text(
                    "Compute NDCG@k on the held-out users every N epochs (0: only at the end)",
                );
                ui.add_enabled(
                    self.settings.options.validate_every > 0,
                    egui::Slider::new(&mut self.settings.options.patience, 0..=20).text("early-stop patience"),
                )
                .on_hover_text("Stop ALS or BPR after this many validations in a row without a better NDCG@k, keeping the model at that epoch (0: off). Needs 'validate every' above 0.");
            }
            ui.add(
                egui::Slider::new(&mut self.settings.min_user_interactions, 1..=50)
                    .text("min items per user"),
            )
            .on_hover_text("Drop users with fewer distinct items");
            ui.add(
                egui::Slider::new(&mut self.settings.min_item_interactions, 1..=50)
                    .text("min users per item"),
            )
            .on_hover_text("Then drop items with fewer distinct users");
            let o = &mut self.settings.options;
            eval_sample_ui(ui, &mut o.eval_users);
            seed_ui(ui, &mut o.seed, Some(&mut o.threads));
        }
        ui.add_space(6.0);
        if job_buttons(ui, ctx, "Train", "Cancel", JOB) {
            self.start_training(ctx, dataset);
        }
    }

    /// The latest recommender runs of the history, newest first.
    fn runs_ui(&mut self, ctx: &mut TabContext, ui: &mut egui::Ui) {
        ui.add_space(6.0);
        ui.label(egui::RichText::new("Runs").strong());
        let runs = runs_on_data(ui, ctx.bench, crate::recsys::KIND, &mut self.all_files);
        let runs: Vec<_> = runs.into_iter().rev().take(TABLE_RUNS).collect();
        if runs.is_empty() {
            ui.label("Train a model to see its metrics here.");
            return;
        }
        let k = runs
            .iter()
            .find_map(|e| e.record.param_value("k"))
            .map_or(10, |k| k as usize);
        let names = |k: usize| {
            [
                format!("hr@{k}"),
                format!("ndcg@{k}"),
                format!("precision@{k}"),
                format!("recall@{k}"),
                format!("map@{k}"),
                "mrr".into(),
                "coverage".into(),
                "novelty".into(),
            ]
        };
        super::exporter::csv_button(ui, "recommender runs", || {
            let mut headers = vec![
                "run".to_owned(),
                "model".into(),
                "data".into(),
                "split".into(),
                "params".into(),
            ];
            headers.extend(names(k));
            headers.extend(["status".to_owned(), "fit_secs".into(), "error".into()]);
            let rows = runs
                .iter()
                .map(|e| {
                    let r = &e.record;
                    let row_k = r.param_value("k").map_or(k, |v| v as usize);
                    let mut row = vec![
                        r.id.to_string(),
                        r.model.clone(),
                        r.data.short(),
                        r.evaluation.clone(),
                        r.params_summary(),
                    ];
                    row.extend(
                        names(row_k)
                            .iter()
                            .map(|n| r.metrics.get(n).map_or(String::new(), |v| v.to_string())),
                    );
                    row.extend([
                        r.status.label().to_owned(),
                        r.fit_secs.to_string(),
                        match &r.status {
                            RunStatus::Failed(m) => m.clone(),
                            _ => String::new(),
                        },
                    ]);
                    row
                })
                .collect();
            (headers, rows)
        });
        let mut explore = None;
        super::widgets::wide_table(ui, "recommend_runs_scroll", |ui| {
            egui::Grid::new("runs_table").striped(true).show(ui, |ui| {
            header_row(
                ui,
                &[
                    String::new(),
                    "#".to_owned(),
                    "model".into(),
                    "data".into(),
                    "split".into(),
                    "status".into(),
                    format!("HR@{k}"),
                    format!("NDCG@{k}"),
                    format!("P@{k}"),
                    format!("R@{k}"),
                    format!("MAP@{k}"),
                    "MRR".into(),
                    "coverage".into(),
                    "novelty".into(),
                    "users".into(),
                    "new customers".into(),
                    "new items".into(),
                    "fit s".into(),
                ],
            );
            for e in &runs {
                let r = &e.record;
                let row_k = r.param_value("k").map_or(k, |v| v as usize);
                let trained = e.model.as_ref().and_then(|m| m.get::<Trained>());
                // First, so it is reachable however wide the table.
                match &trained {
                    Some(t) => {
                        let current = self.explored.as_ref().is_some_and(|x| Arc::ptr_eq(x, t));
                        if ui
                            .add_enabled(!current, egui::Button::new("Explore"))
                            .clicked()
                        {
                            explore = Some((Arc::clone(t), r.data.clone()));
                        }
                    }
                    None => {
                        ui.label("");
                    }
                }
                ui.label(format!("#{}", r.id));
                let label =
                    RecommenderKind::from_name(&r.model).map_or(r.model.as_str(), |m| m.label());
                match (&r.engine, spark_view::engine_note(r)) {
                    (Some(engine), Some(note)) => ui
                        .label(format!("{label} {}", engine.version))
                        .on_hover_text(format!("{}\n{note}", r.params_summary())),
                    _ => ui.label(label).on_hover_text(r.params_summary()),
                };
                ui.label(r.data.short())
                    .on_hover_text(r.data.file.display().to_string());
                ui.label(&r.evaluation);
                // The status in its own column, short: the whole message on
                // hover, so the table keeps its width.
                super::widgets::status_label(ui, r);
                if r.status == RunStatus::Done {
                    for (i, n) in names(row_k).iter().enumerate() {
                        let v = r.metrics.get(n).copied().unwrap_or(f64::NAN);
                        ui.label(if i == 7 {
                            format!("{v:.2}")
                        } else {
                            format!("{v:.4}")
                        });
                    }
                    let new_customers = match (
                        r.metrics.get("new_customers"),
                        r.metrics.get(&format!("new_customers_hr@{row_k}")),
                    ) {
                        (Some(n), Some(hr)) => format!("{n} · HR {hr:.4}"),
                        (Some(n), None) => format!("{n} · not evaluated"),
                        _ => "–".into(),
                    };
                    let new_items = match (
                        r.metrics.get(&format!("new_items_content_hr@{row_k}")),
                        r.metrics.get(&format!("new_items_category_hr@{row_k}")),
                    ) {
                        (Some(c), Some(p)) => format!("HR {c:.3} vs {p:.3}"),
                        _ => "–".into(),
                    };
                    let users = trained.as_ref().map_or("–".into(), |t| {
                        match t.metrics.users_sampled_from {
                            Some(of) => format!("{} of {of}", t.metrics.users_evaluated),
                            None => t.metrics.users_evaluated.to_string(),
                        }
                    });
                    ui.label(users).on_hover_text(
                        "Customers with history whose rankings the metrics average; \"a of b\": a random sample of a of the b customers with a test item",
                    );
                    ui.label(new_customers).on_hover_text(
                        "Customers with no training history (first seen in the test period), shown the bestsellers (of the category of the first item they touched, when items have categories); HR@k over those who touched more items. The other columns cover customers with history.",
                    );
                    let tip = match trained.as_ref().and_then(|t| t.new_items.as_ref()) {
                        Some(n) => format!(
                            "{} items first seen after the cut; {} later interactions of {} customers with history. How often content (description, category, brand, price) puts the item in the customer's top {k} of the new items: HR {:.4}, MRR {:.4}; category popularity (the customer's categories, then later sales — optimistic): HR {:.4}, MRR {:.4}; random: HR {:.4}",
                            n.items, n.cases, n.customers, n.content.hr, n.content.mrr,
                            n.category_popularity.hr, n.category_popularity.mrr, n.random.hr,
                            k = n.k
                        ),
                        None => "Needs a temporal split, items first seen after the cut, and item descriptions or attributes".into(),
                    };
                    ui.label(new_items).on_hover_text(tip);
                    super::widgets::fit_secs_label(ui, r);
                }
                ui.end_row();
            }
        });
        });
        if let Some((t, data)) = explore {
            self.show(t, data);
        }
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

/// An item as a reason: its name when the catalogue has one (shortened), else its id.
fn reason_name(t: &Trained, catalogue: Option<&Catalogue>, item: u32) -> String {
    const LONGEST: usize = 28;
    let id = &t.data.item_labels[item as usize];
    match catalogue
        .and_then(|c| c.get(id))
        .and_then(|entry| entry.name.as_deref())
        .map(str::trim)
        .filter(|name| !name.is_empty())
    {
        Some(name) if name.chars().count() > LONGEST => {
            format!("{}…", name.chars().take(LONGEST - 1).collect::<String>())
        }
        Some(name) => name.to_owned(),
        None => id.clone(),
    }
}

fn explorer_ui(
    state: &mut RecommendTab,
    ctx: &mut TabContext,
    catalogue: Option<&Catalogue>,
    ui: &mut egui::Ui,
) {
    let Some(t) = state.explored.clone() else {
        return;
    };
    ui.add_space(8.0);
    ui.separator();
    ui.heading(format!("Explore: {}", t.params.label()));
    let record = ctx.bench.runs().entries.iter().find(|e| {
        e.model
            .as_ref()
            .and_then(|m| m.get::<Trained>())
            .is_some_and(|m| Arc::ptr_eq(&m, &t))
    });
    if let Some(summary) = record.and_then(|e| e.record.time_summary()) {
        ui.weak(format!("Time: {summary}")).on_hover_text(
            "Where this run's time went, step by step, and the app's peak memory by its end",
        );
    }
    customer_picker_ui(state, &t, ui);
    ui.horizontal(|ui| {
        ui.label("Export every customer's top-k to");
        ui.add(egui::TextEdit::singleline(&mut state.export_path).desired_width(240.0));
        if ctx.bench.jobs().is_active(EXPORT) {
            ui.spinner();
            if ui.button("Cancel export").clicked() {
                ctx.send(Command::Cancel(EXPORT));
            }
        } else if ui.button("Export CSV").clicked() {
            let (trained, path) = (Arc::clone(&t), PathBuf::from(state.export_path.trim()));
            ctx.send(Command::Export(ExportJob::new(
                EXPORT,
                state.pseudonymise,
                move |pseudonym, r| {
                    trained.export_lists(&path, pseudonym, r.cancel_token(), &r.fraction())
                },
            )));
        }
        ui.checkbox(&mut state.pseudonymise, "Pseudonymise customer ids")
            .on_hover_text(super::PSEUDONYM_TIP);
    });
    match state.selected_user {
        Some(user) => customer_ui(state, &t, catalogue, user, ui),
        None => {
            ui.label("Type a customer id above to see their history and recommendations, or build a new customer's basket below.");
        }
    }
    basket_ui(state, &t, catalogue, ui);
    if let Some(item) = state.selected_item {
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            ui.label(
                egui::RichText::new(format!("Similar to {}", item_label(&t, catalogue, item)))
                    .strong(),
            );
            if ui
                .small_button("+ basket")
                .on_hover_text("Add this item to the new customer's basket")
                .clicked()
            {
                state.add_to_basket(item);
            }
        });
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
        if let Some(content) = &t.content {
            content_similar_ui(state, &t, content, catalogue, item, ui);
        }
    }
}

/// Items alike by description and attributes: works for items nobody has
/// touched yet.
fn content_similar_ui(
    state: &mut RecommendTab,
    t: &Trained,
    content: &crate::recsys::content::ContentIndex,
    catalogue: Option<&Catalogue>,
    item: u32,
    ui: &mut egui::Ui,
) {
    let alike = content.similar(item, 8);
    ui.label(egui::RichText::new("Alike by description and attributes").strong())
        .on_hover_text("Cosine of TF-IDF words of the name or description, category, brand and price band: no interactions needed, so it works for new items");
    if alike.is_empty() {
        ui.label("This item has no description or attributes to compare.");
        return;
    }
    ui.horizontal_wrapped(|ui| {
        for (j, s) in alike {
            let shared = content.shared(item, j, 4).join(", ");
            ui.vertical(|ui| {
                state
                    .images
                    .thumbnail_ui(ui, catalogue, &t.data.item_labels[j as usize]);
                if ui
                    .selectable_label(
                        false,
                        format!("{} ({s:.3})", t.data.item_labels[j as usize]),
                    )
                    .on_hover_text(format!("shares: {shared}"))
                    .clicked()
                {
                    state.selected_item = Some(j);
                }
            });
        }
    });
}

/// Type an id (an exact one selects at once) or click one of the matches.
fn customer_picker_ui(state: &mut RecommendTab, t: &Trained, ui: &mut egui::Ui) {
    ui.horizontal(|ui| {
        ui.label("Customer:");
        ui.add(
            egui::TextEdit::singleline(&mut state.user_query)
                .hint_text("user id")
                .desired_width(140.0),
        );
        let query = state.user_query.trim();
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
}

/// A customer's history beside their list (the fallback, said so, for a new customer).
fn customer_ui(
    state: &mut RecommendTab,
    t: &Arc<Trained>,
    catalogue: Option<&Catalogue>,
    user: u32,
    ui: &mut egui::Ui,
) {
    if t.content.is_some() {
        ui.add(egui::Slider::new(&mut state.content_blend, 0.0..=1.0).text("blend in content"))
            .on_hover_text("Weight of content (description, category, brand, price band) against the model's score, each scaled to its best item. Above 0, items nobody has bought yet (new arrivals) can be recommended by how alike they are to this customer's history.");
    }
    let alpha = state.content_blend;
    let recs = match &state.customer_recs {
        Some((u, a, m, recs)) if *u == user && *a == alpha && Arc::ptr_eq(m, t) => recs.clone(),
        _ => {
            let recs = t.recommend_hybrid(user, alpha, t.options.k, 3);
            state.customer_recs = Some((user, alpha, Arc::clone(t), recs.clone()));
            recs
        }
    };
    let history = t.train.row(user as usize);
    let name = t.data.user_labels[user as usize].clone();
    let note = t.source_of(user).note();
    ui.columns(2, |cols| {
        let ui = &mut cols[0];
        ui.label(
            egui::RichText::new(format!("History of {name} ({} items)", history.0.len())).strong(),
        );
        if history.0.is_empty() {
            ui.label("No training history: this customer first appears in the test period.");
        }
        let sequence = t.model.sequence(user).filter(|s| !s.is_empty());
        if let Some(seq) = sequence {
            ui.label(
                egui::RichText::new(format!(
                    "In the order the model reads them, newest last: {} events (repeats included)",
                    seq.len()
                ))
                .weak(),
            );
        }
        egui::ScrollArea::vertical()
            .id_salt("history")
            .max_height(320.0)
            .min_scrolled_height(320.0)
            .show(ui, |ui| match sequence {
                Some(seq) => {
                    for (step, &item) in seq.iter().enumerate() {
                        ui.horizontal(|ui| {
                            ui.label(egui::RichText::new(format!("{}.", step + 1)).weak());
                            item_row_ui(state, t, catalogue, item, ui);
                        });
                    }
                }
                None => {
                    for (&item, &w) in history.0.iter().zip(history.1) {
                        ui.horizontal(|ui| {
                            item_row_ui(state, t, catalogue, item, ui);
                            ui.label(egui::RichText::new(format!("weight {w}")).weak());
                        });
                    }
                }
            });
        let ui = &mut cols[1];
        ui.label(egui::RichText::new(format!("Recommendations for {name}")).strong());
        if !note.is_empty() {
            ui.colored_label(ui.visuals().warn_fg_color, note.as_str());
        }
        rec_list_ui(state, t, catalogue, &recs, "recs", ui);
    });
}

/// One item: its picture, a selectable label, and "+ basket".
fn item_row_ui(
    state: &mut RecommendTab,
    t: &Trained,
    catalogue: Option<&Catalogue>,
    item: u32,
    ui: &mut egui::Ui,
) {
    state
        .images
        .thumbnail_ui(ui, catalogue, &t.data.item_labels[item as usize]);
    let click = item_chip(
        ui,
        state.selected_item == Some(item),
        item_label(t, catalogue, item),
        "Add to the new customer's basket",
    );
    if click.select {
        state.selected_item = Some(item);
    }
    if click.add {
        state.add_to_basket(item);
    }
}

/// A ranked list with the reason behind each item.
fn rec_list_ui(
    state: &mut RecommendTab,
    t: &Trained,
    catalogue: Option<&Catalogue>,
    recs: &[crate::recsys::Recommendation],
    id: &str,
    ui: &mut egui::Ui,
) {
    egui::ScrollArea::vertical()
        .id_salt(id)
        .max_height(320.0)
        .min_scrolled_height(320.0)
        .show(ui, |ui| {
            for (rank, rec) in recs.iter().enumerate() {
                ui.horizontal(|ui| {
                    state.images.thumbnail_ui(
                        ui,
                        catalogue,
                        &t.data.item_labels[rec.item as usize],
                    );
                    ui.vertical(|ui| {
                        ui.horizontal(|ui| {
                            if ui
                                .selectable_label(
                                    state.selected_item == Some(rec.item),
                                    format!(
                                        "{}. {}{}",
                                        rank + 1,
                                        item_label(t, catalogue, rec.item),
                                        if t.is_new_item(rec.item) {
                                            " · new item"
                                        } else {
                                            ""
                                        }
                                    ),
                                )
                                .clicked()
                            {
                                state.selected_item = Some(rec.item);
                            }
                            if ui
                                .small_button("+")
                                .on_hover_text("Add to the new customer's basket")
                                .clicked()
                            {
                                state.add_to_basket(rec.item);
                            }
                        });
                        let because = if rec.because.is_empty() {
                            "popular with many customers".to_owned()
                        } else {
                            rec.because
                                .iter()
                                .map(|(i, c)| format!("{} ({c:.3})", reason_name(t, catalogue, *i)))
                                .collect::<Vec<_>>()
                                .join(", ")
                        };
                        let ids = rec
                            .because
                            .iter()
                            .map(|(i, c)| format!("{} {c:.4}", t.data.item_labels[*i as usize]))
                            .collect::<Vec<_>>()
                            .join(", ");
                        ui.label(
                            egui::RichText::new(format!(
                                "score {:.4} · because of {because}",
                                rec.score
                            ))
                            .small(),
                        )
                        .on_hover_text(format!(
                            "Items in the history that contribute most to the score, with their contribution: {ids}"
                        ));
                    });
                });
            }
        });
}

/// A customer the model has never seen: their basket, typed or clicked,
/// and their recommendations at once (no retraining).
fn basket_ui(
    state: &mut RecommendTab,
    t: &Arc<Trained>,
    catalogue: Option<&Catalogue>,
    ui: &mut egui::Ui,
) {
    ui.add_space(8.0);
    ui.label(egui::RichText::new("A new customer's basket").strong())
        .on_hover_text("Items a customer the model has never seen looked at or bought: their recommendations follow at once, item kNN and EASE by their formula, ALS and BPR by one least-squares fold-in with the item factors fixed");
    ui.horizontal_wrapped(|ui| {
        let response = ui.add(
            egui::TextEdit::singleline(&mut state.basket_input)
                .hint_text("item ids, comma-separated, then Enter")
                .desired_width(220.0),
        );
        let enter = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if ui.button("Add").clicked() || enter {
            let typed = std::mem::take(&mut state.basket_input);
            let mut unknown = Vec::new();
            for id in typed.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                match t.data.item_labels.iter().position(|l| l == id) {
                    Some(i) => state.add_to_basket(i as u32),
                    None => unknown.push(id.to_owned()),
                }
            }
            state.message = (!unknown.is_empty())
                .then(|| format!("Not in the training data's items: {}", unknown.join(", ")));
        }
        let mut remove = None;
        for &item in &state.basket {
            if ui
                .small_button(format!("{} ×", t.data.item_labels[item as usize]))
                .on_hover_text("Remove from the basket")
                .clicked()
            {
                remove = Some(item);
            }
        }
        if let Some(item) = remove {
            state.basket.retain(|i| *i != item);
        }
        if !state.basket.is_empty() && ui.small_button("Clear").clicked() {
            state.basket.clear();
        }
    });
    if state.basket.is_empty() {
        ui.label(
            egui::RichText::new("Click + beside any item, or type ids, to build a basket.").weak(),
        );
        return;
    }
    // Scored only when the basket or the model changes.
    let fresh = state
        .basket_recs
        .as_ref()
        .is_some_and(|(b, m, _)| *b == state.basket && Arc::ptr_eq(m, t));
    if !fresh {
        let basket: Vec<(u32, f32)> = state.basket.iter().map(|&i| (i, 1.0)).collect();
        let recs = t.recommend_basket(&basket, t.options.k, 3);
        state.basket_recs = Some((state.basket.clone(), Arc::clone(t), recs));
    }
    let recs = state
        .basket_recs
        .as_ref()
        .map(|(_, _, r)| r.clone())
        .unwrap_or_default();
    ui.label(
        egui::RichText::new(format!(
            "Recommendations for this basket ({} items)",
            state.basket.len()
        ))
        .strong(),
    );
    rec_list_ui(state, t, catalogue, &recs, "basket_recs", ui);
}

impl Tab for RecommendTab {
    fn id(&self) -> &'static str {
        ID
    }

    fn label(&self) -> &'static str {
        "Recommend"
    }

    fn on_event(&mut self, event: &Event, bench: &Workbench) {
        self.sessions.on_event(event, bench);
        if let Event::DataLoaded = event {
            // A cancelled or failed run's curve and message were about the
            // file before; an explored model keeps its own (with the
            // other-data banner).
            if self.explored.is_none() {
                self.curve.clear();
                self.message = None;
            }
            // A log whose sessions stand in for users is a session log.
            if let Some(ds) = bench.dataset() {
                let session = ds.roles.get(Role::Session);
                if session.is_some() && session == ds.roles.get(Role::User) {
                    self.mode = RecommendMode::Sessions;
                }
            }
        }
        match own_run(event, JOB, bench) {
            Some(OwnRun::Trained(entry)) => {
                let Some(t) = entry.model_of::<Trained>() else {
                    return;
                };
                let data = entry.record.data.clone();
                self.message = t.stopped_early.map(|epoch| {
                    format!(
                        "Stopped early at epoch {epoch}: NDCG@{} did not improve for {} validations in a row",
                        t.options.k, t.options.patience
                    )
                });
                self.show(t, data);
            }
            Some(OwnRun::Cancelled { id, curve }) => {
                self.curve = curve.to_vec();
                self.message = Some(cancelled_note(id, curve.len(), "epochs"));
            }
            Some(OwnRun::Failed(m)) => self.message = Some(m.to_owned()),
            None => {}
        }
        if let Event::Message {
            job: JOB | EXPORT,
            text,
        } = event
        {
            self.message = Some(text.clone());
        }
    }

    fn ui(&mut self, ctx: &mut TabContext, ui: &mut egui::Ui) {
        let Some(dataset) = ctx.bench.dataset().cloned() else {
            ui.label("Load interaction data first (Data tab).");
            return;
        };
        let catalogue = ctx.bench.data().and_then(|d| d.loaded.catalogue.clone());
        if self.mode == RecommendMode::Sessions {
            side_panel(ui, "recommend_controls", 290.0, |ui| {
                self.mode_ui(ui);
                self.sessions.controls_ui(ctx, ui, &dataset)
            });
            main_area(ui, "rec_main", |ui| {
                self.sessions.main_ui(ctx, catalogue.as_deref(), ui)
            });
            return;
        }
        if dataset.roles.get(Role::User).is_none() || dataset.roles.get(Role::Item).is_none() {
            ui.label(format!(
                "{} has no user and item columns, so there is nothing to recommend. Assign them in the Data tab's column mapping, or open an events file.",
                display_name(&dataset.path)
            ));
            return;
        }
        side_panel(ui, "recommend_controls", 290.0, |ui| {
            self.mode_ui(ui);
            self.controls_ui(ctx, ui, &dataset)
        });
        main_area(ui, "rec_main", |ui| {
            if let Some(data) = self.explored_data.clone() {
                if other_data_banner(ui, ctx, &data, ctx.bench.dataset().map(|d| &**d)) {
                    self.explored = None;
                    self.explored_data = None;
                    self.curve.clear();
                }
            }
            if let Some(m) = &self.message {
                ui.colored_label(ui.visuals().warn_fg_color, m);
            }
            let jobs = ctx.bench.jobs();
            if jobs.is_active(JOB) {
                if let Some((_, message)) = jobs.progress(JOB) {
                    spark_view::log_ui(ui, message);
                }
                training_curves_ui(jobs.epochs(JOB), ui);
            } else {
                training_curves_ui(&self.curve, ui);
            }
            self.runs_ui(ctx, ui);
            explorer_ui(self, ctx, catalogue.as_deref(), ui);
        });
    }

    fn explore(&mut self, run: &RunEntry, _bench: &Workbench) -> bool {
        let Some(model) = &run.model else {
            return false;
        };
        if let Some(t) = model.get::<Trained>() {
            self.show(t, run.record.data.clone());
            self.mode = RecommendMode::Customers;
        } else if let Some(t) = model.get::<SessionTrained>() {
            self.sessions.explore(t, &run.record);
            self.mode = RecommendMode::Sessions;
        } else {
            return false;
        }
        true
    }

    fn settings(&self) -> Vec<&dyn std::any::Any> {
        vec![&self.settings, &self.sessions.settings]
    }

    fn perform(&mut self, step: &TourStep, ctx: &mut TabContext) -> Option<Outcome> {
        Some(match step.action {
            Action::TrainAls => {
                let ready = self.explored.as_ref().is_some_and(|t| {
                    t.params.kind() == RecommenderKind::Als
                        && done_on_current_data(ctx.bench, crate::recsys::KIND)
                });
                train_until(ctx, step, ready, JOB, "training ALS", |ctx| {
                    self.mode = RecommendMode::Customers;
                    self.settings.model = RecommenderKind::Als;
                    if let Some(ds) = ctx.bench.dataset().cloned() {
                        self.start_training(ctx, &ds);
                    }
                })
            }
            Action::OpenBusiestCustomer => {
                let Some(t) = self.explored.clone() else {
                    return Some(Outcome::Failed(
                        "no recommender to open a customer in".into(),
                    ));
                };
                let busiest =
                    (0..t.train.n_rows).max_by_key(|&u| (t.train.row_len(u), std::cmp::Reverse(u)));
                match busiest {
                    Some(u) => {
                        self.user_query = t.data.user_labels[u].clone();
                        self.selected_user = Some(u as u32);
                        self.selected_item = None;
                        Outcome::Done
                    }
                    None => Outcome::Failed("the model has no customers".into()),
                }
            }
            _ => return None,
        })
    }
}

/// Customers to evaluate: all (0), or a random sample of a stated size.
fn eval_sample_ui(ui: &mut egui::Ui, eval_users: &mut usize) {
    /// What ticking the box proposes: enough customers for metrics to two
    /// decimals, a few seconds of ranking on a 200,000-item catalogue.
    const SUGGESTED_SAMPLE: usize = 100_000;
    ui.horizontal(|ui| {
        let mut sampled = *eval_users > 0;
        let label = if sampled {
            "evaluate on a random sample of"
        } else {
            "evaluate on a random sample of customers"
        };
        if ui.checkbox(&mut sampled, label).changed()
        {
            *eval_users = if sampled { SUGGESTED_SAMPLE } else { 0 };
        }
        if sampled {
            ui.add(egui::DragValue::new(eval_users).range(1..=100_000_000));
            ui.label("customers");
        }
    })
    .response
    .on_hover_text("Off: every test customer is ranked against the whole catalogue. On: a random sample of this many, drawn with the seed, and the metrics say they come from a sample. On a store with hundreds of thousands of items and millions of customers, evaluating everyone takes far longer than training.");
}

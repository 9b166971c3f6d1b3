//! The Recommend tab's session mode: pick a session model (SKNN, V-SKNN,
//! STAN, association rules, session popularity, SASRec, GRU4Rec) and its
//! hyperparameters (and a seed for the deep ones, whose curves grow live),
//! fit and evaluate it on session-rec's split on a worker, compare runs, and
//! explore: pick a test session (or build one by clicking items) and see the
//! next-item list with the neighbour sessions behind each item; an item's
//! view shows what training sessions viewed next. Fitting is
//! `runs::run` on a session request behind a [`Command::Run`].

use std::sync::Arc;

use eframe::egui;

use super::params_ui::params_ui;
use super::plots::training_curves_ui;
use super::widgets::cancelled_note;
use super::widgets::{
    header_row, item_chip, job_buttons, other_data_banner, own_run, runs_on_data, seed_ui, OwnRun,
};
use super::TabContext;
use crate::data::catalogue::Catalogue;
use crate::data::{Dataset, Role};
use crate::params::Hyperparams;
use crate::params::ModelKind;
use crate::runs::{DataFingerprint, RunRecord, RunStatus};
use crate::session::params::SessionKind;
use crate::session::settings::SessionSettings;
use crate::session::{NextItem, Reason, SessionTrained};
use crate::task::EpochEvent;
use crate::workbench::{Command, Event, JobKind, RunRequest, Workbench};

pub(crate) const JOB: JobKind = JobKind::Train(crate::session::KIND);
const TABLE_RUNS: usize = 20;
/// Test sessions listed in the picker.
const PICKER_SESSIONS: usize = 200;

/// Which session the explorer scores.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Source {
    /// A test session (index into the split's test sessions), its first
    /// `views` views.
    Test { session: usize, views: usize },
    /// Items clicked or typed.
    Built(Vec<u32>),
}

pub(crate) struct SessionView {
    pub settings: SessionSettings,
    pub explored: Option<Arc<SessionTrained>>,
    /// The data the explored model was trained on.
    pub explored_data: Option<DataFingerprint>,
    /// The runs table shows runs on every file, not only the loaded one.
    pub all_files: bool,
    pub source: Source,
    pub selected_item: Option<u32>,
    pub item_input: String,
    pub message: Option<String>,
    /// The list shown, kept until the session or the model changes.
    cached: Option<(Source, Arc<SessionTrained>, Vec<NextItem>)>,
    /// The explored run's training curve (deep models).
    curve: Vec<EpochEvent>,
}

impl Default for SessionView {
    fn default() -> Self {
        Self {
            settings: SessionSettings::default(),
            explored: None,
            explored_data: None,
            all_files: false,
            source: Source::Built(Vec::new()),
            selected_item: None,
            item_input: String::new(),
            message: None,
            cached: None,
            curve: Vec::new(),
        }
    }
}

impl SessionView {
    /// Show a trained session model (of the run `record`): its first test
    /// session, 1 view in.
    pub fn explore(&mut self, t: Arc<SessionTrained>, record: &RunRecord) {
        let same_items = self
            .explored
            .as_ref()
            .is_some_and(|old| old.data.item_labels == t.data.item_labels);
        if !same_items || !matches!(self.source, Source::Built(_)) {
            self.source = if t.data.test.is_empty() {
                Source::Built(Vec::new())
            } else {
                Source::Test {
                    session: 0,
                    views: 1,
                }
            };
            self.selected_item = None;
        }
        self.explored = Some(t);
        self.explored_data = Some(record.data.clone());
        self.curve = record.curve.clone();
    }

    /// Add `item` to the built session (switching to it from a test session
    /// keeps that session's views so far).
    pub fn add_view(&mut self, item: u32) {
        let mut views = self.prefix();
        views.push(item);
        self.source = Source::Built(views);
    }

    /// The views the explorer scores.
    pub fn prefix(&self) -> Vec<u32> {
        match (&self.source, &self.explored) {
            (Source::Built(v), _) => v.clone(),
            (Source::Test { session, views }, Some(t)) => t
                .data
                .test
                .get(*session)
                .map(|s| s.items[..(*views).min(s.items.len())].to_vec())
                .unwrap_or_default(),
            (Source::Test { .. }, None) => Vec::new(),
        }
    }

    /// The next-item list of the explored session.
    pub fn next_items(&mut self) -> Vec<NextItem> {
        let Some(t) = self.explored.clone() else {
            return Vec::new();
        };
        if let Some((s, m, list)) = &self.cached {
            if *s == self.source && Arc::ptr_eq(m, &t) {
                return list.clone();
            }
        }
        let now = match &self.source {
            Source::Test { session, views } => t
                .data
                .test
                .get(*session)
                .and_then(|s| s.times.get((*views).min(s.times.len().saturating_sub(1))))
                .copied(),
            Source::Built(_) => None,
        };
        let list = t.next_items_to_show(&self.prefix(), now, t.options.k);
        self.cached = Some((self.source.clone(), t, list.clone()));
        list
    }

    pub fn on_event(&mut self, event: &Event, bench: &Workbench) {
        if matches!(event, Event::DataLoaded) && self.explored.is_none() {
            // A cancelled or failed run's curve was about the file before.
            self.curve.clear();
            self.message = None;
        }
        match own_run(event, JOB, bench) {
            Some(OwnRun::Trained(entry)) => {
                if let Some(t) = entry.model_of::<SessionTrained>() {
                    self.message = None;
                    self.explore(t, &entry.record);
                }
            }
            Some(OwnRun::Cancelled { id, curve }) => {
                // The deep models' curve so far stays on screen.
                self.curve = curve.to_vec();
                self.message = Some(if curve.is_empty() {
                    format!("Cancelled; run #{id} is recorded as cancelled in the Runs tab")
                } else {
                    cancelled_note(id, curve.len(), "epochs")
                });
            }
            Some(OwnRun::Failed(m)) => self.message = Some(m.to_owned()),
            None => {}
        }
    }

    fn start(&mut self, ctx: &mut TabContext, dataset: &Arc<Dataset>) {
        let params = self.settings.params.get(self.settings.model);
        if let Err(errors) = params.check() {
            self.message = Some(format!(
                "Fix the parameters first: {}",
                crate::params::joined(&errors)
            ));
            return;
        }
        self.message = None;
        let request = self.settings.request(Arc::clone(dataset), params);
        ctx.send(Command::Run(RunRequest::new(request)));
    }

    /// The side panel's session controls.
    pub fn controls_ui(&mut self, ctx: &mut TabContext, ui: &mut egui::Ui, dataset: &Arc<Dataset>) {
        let heading = ui.heading("Session model");
        egui::ComboBox::from_id_salt("session_model_choice")
            .selected_text(self.settings.model.label())
            .show_ui(ui, |ui| {
                for kind in SessionKind::ALL {
                    ui.selectable_value(&mut self.settings.model, kind, kind.label())
                        .on_hover_text(kind.describe());
                }
            })
            .response
            .labelled_by(heading.id);
        ui.label(egui::RichText::new(self.settings.model.describe()).weak());
        let model = self.settings.model;
        if let Some(p) = self.settings.params.get_mut(model) {
            params_ui(ui, p, ctx.simple);
        }
        ui.separator();
        ui.heading("Evaluation");
        ui.label(egui::RichText::new("session-rec's split: sessions ending in the last N days are the test set; the next view is predicted at every position").weak());
        let p = &mut self.settings.protocol;
        ui.add(
            egui::Slider::new(&mut p.test_days, 1.0..=60.0)
                .text("test days")
                .clamping(egui::SliderClamping::Never),
        );
        ui.add(egui::Slider::new(&mut p.min_item_support, 1..=50).text("min views per item"))
            .on_hover_text("Drop items viewed fewer times (after dropping one-view sessions)");
        ui.add(egui::Slider::new(&mut p.min_session_length, 1..=10).text("min views per session"));
        ui.add(egui::Slider::new(&mut self.settings.options.k, 1..=100).text("k"))
            .on_hover_text("List length for HR@k and MRR@k");
        if model.is_deep() {
            seed_ui(ui, &mut self.settings.options.seed, None);
        }
        if dataset.roles.get(Role::Session).is_none() {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                "This file has no session column: set the 'session' role in the Data tab's column mapping.",
            );
        }
        ui.add_space(6.0);
        if job_buttons(ui, ctx, "Train", "Cancel", JOB) {
            self.start(ctx, dataset);
        }
    }

    /// The main area: message, runs, explorer.
    pub fn main_ui(
        &mut self,
        ctx: &mut TabContext,
        catalogue: Option<&Catalogue>,
        ui: &mut egui::Ui,
    ) {
        if let Some(data) = self.explored_data.clone() {
            if other_data_banner(ui, ctx, &data, ctx.bench.dataset().map(|d| &**d)) {
                self.explored = None;
                self.explored_data = None;
                self.cached = None;
                self.curve.clear();
            }
        }
        if let Some(m) = &self.message {
            ui.colored_label(ui.visuals().warn_fg_color, m);
        }
        let jobs = ctx.bench.jobs();
        if jobs.is_active(JOB) {
            if let Some((_, message)) = jobs.progress(JOB) {
                ui.label(egui::RichText::new(message).weak());
            }
            training_curves_ui(jobs.epochs(JOB), ui);
        } else {
            training_curves_ui(&self.curve, ui);
        }
        self.runs_ui(ctx, ui);
        if let Some(t) = self.explored.clone() {
            self.explorer_ui(&t, catalogue, ui);
        } else {
            ui.add_space(8.0);
            ui.label("Fit a session model to explore next-item recommendations. A session log (a file with a session column, such as the DIGINETICA item views) opens in this mode.");
        }
    }

    fn runs_ui(&mut self, ctx: &mut TabContext, ui: &mut egui::Ui) {
        ui.label(egui::RichText::new("Session runs").strong());
        let runs = runs_on_data(ui, ctx.bench, crate::session::KIND, &mut self.all_files);
        let runs: Vec<_> = runs.into_iter().rev().take(TABLE_RUNS).collect();
        if runs.is_empty() {
            ui.label("No session runs yet.");
            return;
        }
        let mut explore = None;
        // Its own horizontal scroll, so a wide table does not widen the explorer.
        egui::ScrollArea::horizontal()
            .id_salt("session_runs_scroll")
            .show(ui, |ui| {
                egui::Grid::new("session_runs")
                    .striped(true)
                    .show(ui, |ui| {
                        header_row(
                            ui,
                            &[
                                "",
                                "#",
                                "model",
                                "data",
                                "split",
                                "HR@k",
                                "MRR@k",
                                "random ties",
                                "coverage",
                                "predictions",
                                "fit s",
                            ],
                        );
                        for e in &runs {
                            self.run_row_ui(e, &mut explore, ui);
                            ui.end_row();
                        }
                    });
            });
        ui.label(egui::RichText::new("Over all next-view predictions. HR@k and MRR@k rank tied scores as the list shows them (more training views first); 'random ties' averages over random orders of tied items, as session-rec's unstable sort would.").weak().small());
        if let Some((t, record)) = explore {
            self.explore(t, &record);
        }
    }

    fn run_row_ui(
        &self,
        e: &crate::runs::RunEntry,
        explore: &mut Option<(Arc<SessionTrained>, RunRecord)>,
        ui: &mut egui::Ui,
    ) {
        let r = &e.record;
        let k = r.param_value("k").map_or(20, |v| v as usize);
        let metric = |name: String| r.metrics.get(&name).copied().unwrap_or(f64::NAN);
        // Explore comes first so it stays in view however wide the table is.
        match e.model.as_ref().and_then(|m| m.get::<SessionTrained>()) {
            Some(t) if r.status == RunStatus::Done => {
                let current = self.explored.as_ref().is_some_and(|x| Arc::ptr_eq(x, &t));
                if ui
                    .add_enabled(!current, egui::Button::new("Explore"))
                    .clicked()
                {
                    *explore = Some((t, r.clone()));
                }
            }
            _ => {
                ui.label("");
            }
        }
        ui.label(format!("#{}", r.id));
        let label = SessionKind::from_name(&r.model).map_or(r.model.as_str(), |m| m.short_label());
        ui.label(label).on_hover_text(r.params_summary());
        ui.label(r.data.short())
            .on_hover_text(r.data.file.display().to_string());
        let split = r.evaluation.split(' ').next().unwrap_or_default();
        ui.label(split).on_hover_text(&r.evaluation);
        match &r.status {
            RunStatus::Done => {
                ui.label(format!("{:.4}", metric(format!("hr@{k}"))));
                ui.label(format!("{:.4}", metric(format!("mrr@{k}"))));
                ui.label(format!(
                    "{:.4} · {:.4}",
                    metric(format!("expected_hr@{k}")),
                    metric(format!("expected_mrr@{k}"))
                ))
                .on_hover_text("HR@k · MRR@k averaged over random orders of tied scores (what session-rec's unstable sort gives on average)");
                ui.label(format!("{:.3}", metric(format!("coverage@{k}"))))
                    .on_hover_text("Share of the training items that appear in some top-k list");
                ui.label(format!("{:.0}", metric("predictions".into())))
                    .on_hover_text(format!(
                        "{:.0} train sessions, {:.0} test sessions",
                        metric("train_sessions".into()),
                        metric("test_sessions".into())
                    ));
                ui.label(format!("{:.2}", r.fit_secs))
                    .on_hover_text(r.note.clone().unwrap_or_default());
            }
            _ => {
                super::widgets::status_label(ui, r);
            }
        }
    }

    fn explorer_ui(
        &mut self,
        t: &Arc<SessionTrained>,
        catalogue: Option<&Catalogue>,
        ui: &mut egui::Ui,
    ) {
        ui.add_space(8.0);
        ui.separator();
        ui.heading(format!("Explore: {}", t.params.title()));
        self.session_picker_ui(t, catalogue, ui);
        let prefix = self.prefix();
        let list = self.next_items();
        ui.columns(2, |cols| {
            let ui = &mut cols[0];
            ui.label(egui::RichText::new(format!("Viewed so far ({})", prefix.len())).strong());
            if prefix.is_empty() {
                ui.label("Click + beside an item, or type an item id above, to start a session.");
            }
            egui::ScrollArea::vertical()
                .id_salt("session_views")
                .max_height(320.0)
                .min_scrolled_height(320.0)
                .show(ui, |ui| {
                    for (p, &item) in prefix.iter().enumerate() {
                        ui.horizontal(|ui| {
                            ui.label(format!("{}.", p + 1));
                            self.item_button_ui(t, catalogue, item, ui);
                        });
                    }
                });
            if let Source::Test { session, views } = self.source {
                if let Some(next) = t.data.test.get(session).and_then(|s| s.items.get(views)) {
                    let rank = list.iter().position(|n| n.item == *next);
                    let verdict = match rank {
                        Some(r) => format!("#{} in the list", r + 1),
                        // The list leaves out the item in view, so a repeat view
                        // cannot be in it; say so rather than "not in the top k".
                        None if prefix.last() == Some(next) => {
                            "the same item again (the list leaves out the item in view)".to_owned()
                        }
                        None => format!("not in the top {}", t.options.k),
                    };
                    ui.label(format!(
                        "Actually viewed next: {} — {verdict}",
                        item_label(t, catalogue, *next)
                    ));
                }
            }
            let ui = &mut cols[1];
            ui.label(egui::RichText::new("Recommended next").strong())
                .on_hover_text("The item in view is left out of this list. The metrics in the runs table follow session-rec's protocol, which ranks it like any other item.");
            ui.label(egui::RichText::new("(the item in view left out; the metrics count it, as session-rec does)").small().weak());
            // Shown relative to the first item, as session-rec normalises.
            let top = list
                .first()
                .map_or(1.0, |n| n.score)
                .abs()
                .max(f64::MIN_POSITIVE);
            egui::ScrollArea::vertical()
                .id_salt("session_next")
                .max_height(360.0)
                .min_scrolled_height(360.0)
                .show(ui, |ui| {
                    for (rank, n) in list.iter().enumerate() {
                        ui.horizontal(|ui| {
                            ui.label(format!("{}.", rank + 1));
                            self.item_button_ui(t, catalogue, n.item, ui);
                            ui.label(egui::RichText::new(format!("{:.3}", n.score / top)).weak())
                                .on_hover_text(format!(
                                    "score {:.4} (shown relative to the first)",
                                    n.score
                                ));
                        });
                        self.reasons_ui(t, catalogue, n, ui);
                    }
                });
        });
        if let Some(item) = self.selected_item {
            self.item_view_ui(t, catalogue, item, ui);
        }
    }

    fn session_picker_ui(
        &mut self,
        t: &SessionTrained,
        catalogue: Option<&Catalogue>,
        ui: &mut egui::Ui,
    ) {
        ui.horizontal_wrapped(|ui| {
            ui.label("Session:");
            let text = match &self.source {
                Source::Test { session, .. } => {
                    t.data.test.get(*session).map_or("?".to_owned(), |s| {
                        format!("test session {} ({} views)", s.label, s.items.len())
                    })
                }
                Source::Built(_) => "my session".to_owned(),
            };
            egui::ComboBox::from_id_salt("session_pick")
                .selected_text(text)
                .show_ui(ui, |ui| {
                    if ui
                        .selectable_label(matches!(self.source, Source::Built(_)), "my session")
                        .clicked()
                    {
                        self.source = Source::Built(Vec::new());
                    }
                    for (i, s) in t.data.test.iter().enumerate().take(PICKER_SESSIONS) {
                        let selected =
                            matches!(self.source, Source::Test { session, .. } if session == i);
                        if ui
                            .selectable_label(
                                selected,
                                format!("test session {} ({} views)", s.label, s.items.len()),
                            )
                            .clicked()
                        {
                            self.source = Source::Test {
                                session: i,
                                views: 1,
                            };
                        }
                    }
                });
            match &mut self.source {
                Source::Test { session, views } => {
                    let len = t.data.test.get(*session).map_or(1, |s| s.items.len());
                    ui.add(
                        egui::Slider::new(views, 1..=len.saturating_sub(1).max(1))
                            .text("views so far"),
                    );
                }
                Source::Built(v) => {
                    if !v.is_empty() && ui.small_button("Clear").clicked() {
                        v.clear();
                    }
                }
            }
            let response = ui.add(
                egui::TextEdit::singleline(&mut self.item_input)
                    .hint_text("item id, then Enter")
                    .desired_width(120.0),
            );
            let enter = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui
                .button("View")
                .on_hover_text("Add this item to my session")
                .clicked()
                || enter
            {
                let typed = std::mem::take(&mut self.item_input);
                let mut unknown = Vec::new();
                for id in typed.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    match t.data.item_index(id) {
                        Some(i) => self.add_view(i),
                        None => unknown.push(id.to_owned()),
                    }
                }
                self.message = (!unknown.is_empty()).then(|| {
                    format!(
                        "Not among the training sessions' items: {}",
                        unknown.join(", ")
                    )
                });
            }
        });
        let _ = catalogue;
    }

    /// An item: a selectable label and "+" (view it next in my session).
    fn item_button_ui(
        &mut self,
        t: &SessionTrained,
        catalogue: Option<&Catalogue>,
        item: u32,
        ui: &mut egui::Ui,
    ) {
        let click = item_chip(
            ui,
            self.selected_item == Some(item),
            item_label(t, catalogue, item),
            "View this item next in my session",
        );
        if click.select {
            self.selected_item = Some(item);
        }
        if click.add {
            self.add_view(item);
        }
    }

    fn reasons_ui(
        &mut self,
        t: &SessionTrained,
        catalogue: Option<&Catalogue>,
        n: &NextItem,
        ui: &mut egui::Ui,
    ) {
        for r in &n.reasons {
            let text = match r {
                Reason::Neighbour {
                    session,
                    similarity,
                    contribution,
                } => {
                    let views = t.session_views(*session);
                    let share = if n.score != 0.0 {
                        contribution / n.score * 100.0
                    } else {
                        0.0
                    };
                    // One short line; the session's items on hover.
                    let items: Vec<String> = views
                        .iter()
                        .take(12)
                        .map(|&i| item_label(t, catalogue, i))
                        .collect();
                    let text = format!(
                        "because a similar session viewed it (similarity {similarity:.2}, {share:.0}% of the score)"
                    );
                    ui.add(egui::Label::new(egui::RichText::new(text).small()).wrap())
                        .on_hover_text(format!(
                            "Session {} viewed {} items: {}{}",
                            t.session_label(*session),
                            views.len(),
                            items.join(", "),
                            if views.len() > 12 { ", …" } else { "" }
                        ));
                    continue;
                }
                Reason::CoViewed { with, count } => format!(
                    "viewed in the same session as {} {count} times",
                    item_label(t, catalogue, *with)
                ),
                Reason::Popular { views } => format!("among the most viewed ({views} views)"),
                Reason::InSession { count } => format!("already viewed {count}× in this session"),
                Reason::Influence { item, lift } => format!(
                    "you viewed {} (it raises the network's score by {lift:.2})",
                    item_label(t, catalogue, *item)
                ),
                Reason::Filler => "no model score: shown by popularity".into(),
            };
            ui.add(egui::Label::new(egui::RichText::new(format!("because {text}")).small()).wrap());
        }
    }

    fn item_view_ui(
        &mut self,
        t: &SessionTrained,
        catalogue: Option<&Catalogue>,
        item: u32,
        ui: &mut egui::Ui,
    ) {
        ui.add_space(6.0);
        ui.label(
            egui::RichText::new(format!(
                "{} · {} views in training",
                item_label(t, catalogue, item),
                t.index.item_views.get(item as usize).copied().unwrap_or(0)
            ))
            .strong(),
        );
        let next = t.viewed_next(item, 10).to_vec();
        if next.is_empty() {
            ui.label("No training session viewed anything right after it.");
            return;
        }
        ui.label("Viewed next (in training sessions, right after this item):");
        ui.horizontal_wrapped(|ui| {
            for (j, count) in next {
                if ui
                    .selectable_label(false, format!("{} ({count}×)", item_label(t, catalogue, j)))
                    .clicked()
                {
                    self.selected_item = Some(j);
                }
            }
        });
    }
}

fn item_label(t: &SessionTrained, catalogue: Option<&Catalogue>, item: u32) -> String {
    let id = t.item_label(item);
    match catalogue
        .and_then(|c| c.get(id))
        .and_then(|e| e.name.as_deref())
    {
        Some(name) => format!("{id} · {name}"),
        None => id.to_owned(),
    }
}

//! Demo mode in the window: the driver that performs the tour's steps
//! (`crate::demo`) with the same tab actions and workbench commands as a
//! user's clicks, the caption bar the audience reads, the presenter's keys
//! (→ / Space next, ← back, P pause, Esc leave), and `--record`, which
//! screenshots each ready step into a slide.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use eframe::egui;

use super::{ShoplensApp, Tab, TabContext};
use crate::demo::state::{Outcome, StepStatus, TourState};
use crate::demo::tour::{self, Action, Place, TOUR};
use crate::recsys::params::RecommenderKind;
use crate::runs::{RunKind, RunStatus};
use crate::workbench::{sample_store_path, Command, JobKind};

/// How `shoplens demo` runs.
#[derive(Clone, Debug, Default)]
pub struct DemoOptions {
    /// Seconds a ready step stays before the next; `None`: the presenter moves.
    pub seconds_per_step: Option<f64>,
    /// Write one PNG per step and `tour.md` here, then quit.
    pub record: Option<PathBuf>,
    /// Record only the first steps.
    pub steps: Option<usize>,
    pub full_screen: bool,
    /// Record in the light, high-contrast theme.
    pub light: bool,
}

/// Run a tab's own action (its button's code) with a [`TabContext`] on the
/// app's workbench, then apply the commands it sent; evaluates to the
/// action's value and how many commands it sent.
/// A macro, because the action borrows one tab while the context borrows
/// the workbench: two fields of the same app.
macro_rules! tab_action {
    ($app:ident, |$ctx:ident| $action:expr) => {{
        let mut commands = Vec::new();
        let value = {
            let mut context = TabContext {
                bench: &$app.bench,
                commands: &mut commands,
                simple: $app.view.simple,
            };
            let $ctx = &mut context;
            $action
        };
        let sent = commands.len();
        for command in commands {
            $app.apply(command);
        }
        (value, sent)
    }};
}

type Shot = Arc<Mutex<Option<Arc<egui::ColorImage>>>>;

/// The slides of a `--record` run.
pub(crate) struct Recorder {
    dir: PathBuf,
    /// (file, outcome) per recorded step.
    slides: Vec<(String, String)>,
    pending: Option<Shot>,
    steps: usize,
    /// Set when the deck is written (or could not be): the process's exit code.
    pub exit_code: Option<i32>,
}

/// Auto-advance's first setting when the presenter turns it on.
const AUTO_SECS: f64 = 8.0;

/// Seconds a settled step is left to draw (curves, pictures) before its slide.
const SETTLE_SECS: f64 = 1.0;

pub(crate) struct Demo {
    pub tour: TourState,
    /// Runs recorded before the step began (a step's run is a newer one).
    runs_before: u64,
    /// Simple mode as it was before the tour, restored after it.
    simple_before: bool,
    pub recorder: Option<Recorder>,
}

impl Demo {
    pub fn new(options: &DemoOptions, now: f64, simple_before: bool) -> Self {
        let recorder = options.record.as_ref().map(|dir| Recorder {
            dir: dir.clone(),
            slides: Vec::new(),
            pending: None,
            steps: options.steps.unwrap_or(TOUR.len()).clamp(1, TOUR.len()),
            exit_code: None,
        });
        Self {
            tour: TourState::new(TOUR, options.seconds_per_step, now),
            runs_before: 0,
            simple_before,
            recorder,
        }
    }
}

fn tab_of(place: Place) -> Tab {
    match place {
        Place::Data => Tab::Data,
        Place::Recommend => Tab::Recommend,
        Place::Sentiment => Tab::Sentiment,
        Place::Segments => Tab::Segments,
        Place::Predict => Tab::Predict,
        Place::Bandit => Tab::Bandit,
        Place::Runs => Tab::Runs,
    }
}

impl ShoplensApp {
    /// Start the tour (the **Demo** button, `shoplens demo`).
    pub(crate) fn start_demo(&mut self, options: &DemoOptions) {
        let now = self.ctx.input(|i| i.time);
        self.demo = Some(Demo::new(options, now, self.view.simple));
        self.view.simple = true;
        if options.full_screen {
            self.ctx
                .send_viewport_cmd(egui::ViewportCommand::Fullscreen(true));
        }
        self.enter_step();
    }

    /// Simple mode as the user had it before the tour.
    pub(crate) fn demo_simple_before(&self) -> bool {
        self.demo
            .as_ref()
            .map_or(self.view.simple, |d| d.simple_before)
    }

    pub(crate) fn leave_demo(&mut self) {
        if let Some(demo) = self.demo.take() {
            self.view.simple = demo.simple_before;
        }
    }

    fn enter_step(&mut self) {
        let runs = self.bench.runs().entries.iter().map(|e| e.record.id).max();
        if let Some(demo) = &mut self.demo {
            demo.runs_before = runs.unwrap_or(0);
            if !demo.tour.finished {
                self.tab = tab_of(demo.tour.step().place);
            }
        }
    }

    /// One frame of the tour: keys, actions, auto-advance, slides.
    pub(crate) fn demo_frame(&mut self, ctx: &egui::Context) {
        let Some(mut demo) = self.demo.take() else {
            return;
        };
        let now = ctx.input(|i| i.time);
        let at = demo.tour.at;
        // Keys only when no text field has them, so the presenter can type.
        if ctx.memory(|m| m.focused().is_none()) && demo.recorder.is_none() {
            let pressed = |key| ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, key));
            if pressed(egui::Key::ArrowRight) || pressed(egui::Key::Space) {
                demo.tour.next(now);
            } else if pressed(egui::Key::ArrowLeft) {
                demo.tour.back(now);
            }
            if pressed(egui::Key::P) {
                demo.tour.toggle_pause();
            }
            if pressed(egui::Key::Escape) {
                self.demo = Some(demo);
                self.leave_demo();
                return;
            }
        }
        if !demo.tour.finished {
            let runs_before = demo.runs_before;
            demo.tour.drive(now, |action, issued| {
                self.perform(action, issued, runs_before)
            });
        }
        if let Some(recorder) = &mut demo.recorder {
            record_frame(recorder, &mut demo.tour, ctx, now);
            if let Some(code) = recorder.exit_code {
                // The deck is the point of a recorded tour: close without
                // asking about the runs it made.
                self.shell.quit_confirmed = true;
                if let Some(exit) = &self.exit_code {
                    exit.store(code, std::sync::atomic::Ordering::SeqCst);
                }
            }
        } else if demo.tour.due(now) {
            demo.tour.next(now);
        }
        if demo.tour.finished && demo.recorder.is_none() {
            self.demo = Some(demo);
            self.leave_demo();
            return;
        }
        let moved = demo.tour.at != at;
        self.demo = Some(demo);
        if moved {
            self.enter_step();
        }
        // Keep the clock moving while a step works (its wait is polled), for
        // auto-advance and for the slides; a ready step in manual mode waits
        // for the presenter without redrawing.
        let demo = self.demo.as_ref();
        if demo.is_some_and(|d| {
            !d.tour.is_settled() || d.tour.seconds_per_step.is_some() || d.recorder.is_some()
        }) {
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
        }
    }

    /// Whether a finished run of `kind` was made on the data shown now.
    fn done_on_current_data(&self, kind: RunKind) -> bool {
        let Some(d) = self.bench.dataset() else {
            return false;
        };
        self.bench.runs().entries.iter().any(|e| {
            e.record.kind == kind
                && e.record.status == RunStatus::Done
                && e.record.data.file == d.path
                && e.record.data.rows == d.df.height()
        })
    }

    /// A run of `kind` recorded since the step began: done, or why not.
    fn new_run(&self, kind: RunKind, runs_before: u64) -> Option<Result<(), String>> {
        let entry = self
            .bench
            .runs()
            .entries
            .iter()
            .rev()
            .find(|e| e.record.kind == kind && e.record.id > runs_before)?;
        Some(match &entry.record.status {
            RunStatus::Done => Ok(()),
            RunStatus::Cancelled => Err(format!("run #{} was cancelled", entry.record.id)),
            RunStatus::Failed(m) => Err(m.clone()),
        })
    }

    /// Train with `start` unless `ready`; wait for the run of `kind`.
    fn train_until(
        &mut self,
        issued: bool,
        ready: bool,
        kind: RunKind,
        runs_before: u64,
        what: &str,
        start: impl FnOnce(&mut Self),
    ) -> Outcome {
        if ready && !self.bench.jobs().is_active(JobKind::Train(kind)) {
            return Outcome::Done;
        }
        if !issued {
            start(self);
            return Outcome::Waiting(what.to_owned());
        }
        if self.bench.jobs().is_active(JobKind::Train(kind)) {
            let progress = self
                .bench
                .jobs()
                .progress(JobKind::Train(kind))
                .map(|(_, m)| m.to_owned())
                .unwrap_or_default();
            return Outcome::Waiting(format!("{what} {progress}"));
        }
        match self.new_run(kind, runs_before) {
            Some(Ok(())) => Outcome::Done,
            Some(Err(m)) => Outcome::Failed(m),
            None => Outcome::Failed(format!("{what} did not start")),
        }
    }

    /// Perform one tour action: issue it when `issued` is false, and say
    /// whether its goal holds.
    fn perform(&mut self, action: Action, issued: bool, runs_before: u64) -> Outcome {
        match action {
            Action::LoadSample => {
                let sample = sample_store_path();
                let loading = self.bench.jobs().is_active(JobKind::Load);
                // Paths as typed first; the file system only when they differ.
                let on_sample = self.bench.dataset().is_some_and(|d| {
                    d.path == sample
                        || std::fs::canonicalize(&d.path).ok()
                            == std::fs::canonicalize(&sample).ok()
                });
                if on_sample && !loading {
                    Outcome::Done
                } else if !issued {
                    self.bench.apply(Command::OpenFile(sample));
                    Outcome::Waiting("loading the sample store".into())
                } else if loading {
                    Outcome::Waiting("loading the sample store".into())
                } else {
                    Outcome::Failed(
                        self.shell
                            .error
                            .clone()
                            .unwrap_or_else(|| "the sample store did not load".into()),
                    )
                }
            }
            Action::TrainAls => {
                let ready = self.recommend.explored.as_ref().is_some_and(|t| {
                    t.params.kind() == RecommenderKind::Als
                        && self.done_on_current_data(RunKind::Recommender)
                });
                self.train_until(
                    issued,
                    ready,
                    RunKind::Recommender,
                    runs_before,
                    "training ALS",
                    |app| {
                        app.recommend.mode = super::recommend_tab::RecommendMode::Customers;
                        app.recommend.settings.model = RecommenderKind::Als;
                        if let Some(ds) = app.bench.dataset().cloned() {
                            tab_action!(app, |ctx| app.recommend.start_training(ctx, &ds));
                        }
                    },
                )
            }
            Action::OpenBusiestCustomer => {
                let Some(t) = self.recommend.explored.clone() else {
                    return Outcome::Failed("no recommender to open a customer in".into());
                };
                let busiest =
                    (0..t.train.n_rows).max_by_key(|&u| (t.train.row_len(u), std::cmp::Reverse(u)));
                match busiest {
                    Some(u) => {
                        self.recommend.user_query = t.data.user_labels[u].clone();
                        self.recommend.selected_user = Some(u as u32);
                        self.recommend.selected_item = None;
                        Outcome::Done
                    }
                    None => Outcome::Failed("the model has no customers".into()),
                }
            }
            Action::TrainSentiment => {
                if self.sentiment.settings.columns.is_none() {
                    if super::sentiment_tab::review_source(&self.bench).is_some() {
                        // The tab picks the columns when it next draws.
                        return Outcome::NotYet("reading the reviews' columns".into());
                    }
                    if self.bench.jobs().is_active(JobKind::Reviews) {
                        return Outcome::NotYet("loading the store's reviews".into());
                    }
                    let (found, sent) =
                        tab_action!(self, |ctx| self.sentiment.load_reviews_beside(ctx));
                    if found && sent > 0 {
                        return Outcome::NotYet("loading the store's reviews".into());
                    }
                    return Outcome::Failed(
                        "the store has no reviews beside it to learn from".into(),
                    );
                }
                let ready = self.sentiment.result.is_some()
                    && self.done_on_current_data(RunKind::Sentiment);
                self.train_until(
                    issued,
                    ready,
                    RunKind::Sentiment,
                    runs_before,
                    "training the review classifier",
                    |app| {
                        tab_action!(app, |ctx| app.sentiment.start_training(ctx));
                    },
                )
            }
            Action::TryReview(text) => {
                if self.sentiment.result.is_none() {
                    return Outcome::Failed("no classifier to try".into());
                }
                if self.sentiment.try_text != text {
                    self.sentiment.try_text = text.to_owned();
                }
                Outcome::Done
            }
            Action::ScanSegments => {
                let scanning = self.bench.jobs().is_active(JobKind::Scan);
                if !self.segments.scan.is_empty() && !scanning {
                    return Outcome::Done;
                }
                if self.bench.customers().is_none() {
                    if !self.bench.jobs().is_active(JobKind::Customers) {
                        self.bench.apply(Command::EnsureCustomers);
                    }
                    return Outcome::NotYet("building the customer table".into());
                }
                if !issued {
                    tab_action!(self, |ctx| self.segments.start_scan(ctx));
                    return Outcome::Waiting("scanning k".into());
                }
                if scanning {
                    let m = self
                        .bench
                        .jobs()
                        .progress(JobKind::Scan)
                        .map(|(_, m)| m.to_owned());
                    return Outcome::Waiting(format!("scanning k {}", m.unwrap_or_default()));
                }
                Outcome::Failed(
                    self.segments
                        .message
                        .clone()
                        .unwrap_or_else(|| "the k scan found nothing".into()),
                )
            }
            Action::RaceBandits => {
                if self.bandit.settings.arms.is_empty() {
                    if !self.bench.jobs().is_active(JobKind::BanditArms) {
                        tab_action!(self, |ctx| self.bandit.request_arms(ctx));
                    }
                    return Outcome::NotYet("reading the arms from the store".into());
                }
                let ready =
                    self.bandit.shown.is_some() && self.done_on_current_data(RunKind::Bandit);
                self.train_until(
                    issued,
                    ready,
                    RunKind::Bandit,
                    runs_before,
                    "racing the strategies",
                    |app| {
                        tab_action!(app, |ctx| app.bandit.start_race(ctx));
                    },
                )
            }
            Action::TrainPredict => {
                let ready =
                    self.predict.shown.is_some() && self.done_on_current_data(RunKind::Predict);
                self.train_until(
                    issued,
                    ready,
                    RunKind::Predict,
                    runs_before,
                    "training the purchase model",
                    |app| {
                        tab_action!(app, |ctx| app.predict.start_training(ctx));
                    },
                )
            }
            Action::CompareRuns => {
                let ids: Vec<u64> = self
                    .bench
                    .runs()
                    .entries
                    .iter()
                    .filter(|e| e.record.status == RunStatus::Done && !e.record.curve.is_empty())
                    .map(|e| e.record.id)
                    .collect();
                self.runs_tab.selected = ids.into_iter().rev().take(4).collect();
                Outcome::Done
            }
        }
    }

    /// The caption bar over the window: where the tour is, what the
    /// audience sees and why, and what the step waits for.
    pub(crate) fn demo_caption_ui(&mut self, ui: &mut egui::Ui) {
        let Some(demo) = &self.demo else {
            return;
        };
        let tour = &demo.tour;
        let step = tour.step();
        let mut leave = false;
        let mut go: Option<isize> = None;
        let mut pause = false;
        let mut auto = tour.seconds_per_step;
        egui::Frame::new()
            .fill(ui.visuals().selection.bg_fill)
            .inner_margin(egui::Margin::symmetric(14, 8))
            .show(ui, |ui| {
                ui.set_width(ui.available_width());
                let text = ui.visuals().selection.stroke.color;
                ui.horizontal(|ui| {
                    ui.label(
                        egui::RichText::new(format!("{} — {}", tour.position(), step.caption))
                            .size(24.0)
                            .strong()
                            .color(text),
                    );
                    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                        if demo.recorder.is_none() {
                            leave = ui.button("Leave (Esc)").clicked();
                            go = ui.button("Next").clicked().then_some(1).or(go);
                            if let Some(secs) = &mut auto {
                                pause = ui
                                    .button(if tour.paused {
                                        "Resume (P)"
                                    } else {
                                        "Pause (P)"
                                    })
                                    .clicked();
                                ui.add(egui::DragValue::new(secs).range(2.0..=120.0).suffix(" s"));
                            }
                            let mut on = auto.is_some();
                            if ui
                                .checkbox(&mut on, "auto-advance")
                                .on_hover_text(
                                    "Move on by itself this many seconds after each step is ready",
                                )
                                .changed()
                            {
                                auto = on.then_some(AUTO_SECS);
                            }
                            go = ui.button("Back").clicked().then_some(-1).or(go);
                        }
                    });
                });
                ui.label(egui::RichText::new(step.why).size(16.0).color(text));
                match &tour.status {
                    StepStatus::Working(what) => {
                        ui.horizontal(|ui| {
                            ui.spinner();
                            ui.label(egui::RichText::new(what).color(text));
                        });
                    }
                    StepStatus::Failed { message, .. } => {
                        ui.label(
                            egui::RichText::new(format!(
                                "This step could not finish: {message}. The tour goes on."
                            ))
                            .color(ui.visuals().warn_fg_color),
                        );
                    }
                    StepStatus::Ready { .. } => {}
                }
            });
        let now = ui.input(|i| i.time);
        if let Some(demo) = &mut self.demo {
            if pause {
                demo.tour.toggle_pause();
            }
            demo.tour.seconds_per_step = auto;
            match go {
                Some(1) => demo.tour.next(now),
                Some(_) => demo.tour.back(now),
                None => {}
            }
        }
        if go.is_some() {
            if self.demo.as_ref().is_some_and(|d| d.tour.finished) {
                self.leave_demo();
            } else {
                self.enter_step();
            }
        }
        if leave {
            self.leave_demo();
        }
    }
}

/// `--record`: once a step has settled, screenshot it, save the slide and
/// move on; after the last, write `tour.md` and close the window.
fn record_frame(recorder: &mut Recorder, tour: &mut TourState, ctx: &egui::Context, now: f64) {
    if recorder.exit_code.is_some() {
        return;
    }
    let settled_since = match tour.status {
        StepStatus::Ready { since } | StepStatus::Failed { since, .. } => since,
        StepStatus::Working(_) => return,
    };
    if now - settled_since < SETTLE_SECS {
        return;
    }
    match recorder.pending.take() {
        None => {
            let shot: Shot = Arc::new(Mutex::new(None));
            let sink = Arc::clone(&shot);
            let repaint = ctx.clone();
            ctx.request_screenshot(move |image| {
                if let Ok(mut slot) = sink.lock() {
                    *slot = Some(image);
                }
                repaint.request_repaint();
            });
            recorder.pending = Some(shot);
        }
        Some(shot) => {
            let image = shot.lock().ok().and_then(|mut s| s.take());
            let Some(image) = image else {
                recorder.pending = Some(shot);
                return;
            };
            let step = tour.step();
            let name = tour::slide_name(tour.at, step);
            let outcome = match (&tour.status, tour.ready_after[tour.at]) {
                (StepStatus::Failed { message, .. }, _) => format!("failed: {message}"),
                (_, Some(secs)) => format!("ready in {secs:.1} s"),
                _ => String::new(),
            };
            if let Err(e) = save_png(&recorder.dir.join(&name), &image) {
                eprintln!("error: {e}");
                recorder.exit_code = Some(1);
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                return;
            }
            println!("{name}: {} ({outcome})", step.caption);
            recorder.slides.push((name, outcome));
            tour.next(now);
            if tour.finished || recorder.slides.len() >= recorder.steps {
                let md = tour::markdown(&TOUR[..recorder.slides.len()], &recorder.slides);
                let path = recorder.dir.join("tour.md");
                recorder.exit_code =
                    Some(match crate::export::write_atomic(&path, md.as_bytes()) {
                        Ok(()) => 0,
                        Err(e) => {
                            eprintln!("error: could not write {}: {e}", path.display());
                            1
                        }
                    });
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
        }
    }
}

fn save_png(path: &std::path::Path, image: &egui::ColorImage) -> Result<(), String> {
    let [w, h] = image.size;
    let bytes: Vec<u8> = image.pixels.iter().flat_map(|c| c.to_array()).collect();
    let buffer = image::RgbaImage::from_raw(w as u32, h as u32, bytes)
        .ok_or_else(|| format!("the screenshot for {} has the wrong size", path.display()))?;
    buffer
        .save(path)
        .map_err(|e| format!("could not write {}: {e}", path.display()))
}

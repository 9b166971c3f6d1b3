//! Demo mode in the window: the driver that performs the tour's steps
//! (`crate::demo`) with the same tab actions and workbench commands as a
//! user's clicks, the caption bar the audience reads, the presenter's keys
//! (→ / Space next, ← back, P pause, Esc leave), and `--record`, which
//! screenshots each ready step into a slide.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use eframe::egui;

use super::tabs::TourStep;
use super::{ShoplensApp, TabContext};
use crate::demo::state::{Outcome, StepStatus, TourState};
use crate::demo::tour::{self, Action, TOUR};
use crate::runs::{RunKind, RunStatus};
use crate::workbench::{sample_store_path, Command, JobKind, Workbench};

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
    /// The user's tabs, tab and workbench state, put back when the tour ends.
    saved: Option<Saved>,
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
            saved: None,
        }
    }
}

/// What the tour sets aside: the tour runs on fresh tabs (every tab in its
/// first mode, scrolled to the top) and gives the user's back after.
struct Saved {
    tabs: Vec<Box<dyn super::tabs::Tab>>,
    tab: &'static str,
    bench: crate::workbench::Snapshot,
}

/// Whether a finished run of `kind` was made on the data shown now.
pub(crate) fn done_on_current_data(bench: &Workbench, kind: RunKind) -> bool {
    let Some(d) = bench.dataset() else {
        return false;
    };
    bench.runs().entries.iter().any(|e| {
        e.record.kind == kind
            && e.record.status == RunStatus::Done
            && e.record.data.file == d.path
            && e.record.data.rows == d.df.height()
    })
}

/// A run of `kind` recorded since the step began: done, or why not.
fn new_run(bench: &Workbench, kind: RunKind, runs_before: u64) -> Option<Result<(), String>> {
    let entry = bench
        .runs()
        .entries
        .iter()
        .rev()
        .find(|e| e.record.kind == kind && e.record.id > runs_before)?;
    Some(match &entry.record.status {
        RunStatus::Done => Ok(()),
        RunStatus::Cancelled => Err(format!("run #{} was cancelled", entry.record.id)),
        RunStatus::Pruned => Err(format!("run #{} was pruned", entry.record.id)),
        RunStatus::Failed(m) => Err(m.clone()),
    })
}

/// A tour step that trains: start it with `start` unless `ready`, then wait
/// for `job`'s run.
pub(crate) fn train_until(
    ctx: &mut TabContext,
    step: &TourStep,
    ready: bool,
    job: JobKind,
    what: &str,
    start: impl FnOnce(&mut TabContext),
) -> Outcome {
    let jobs = ctx.bench.jobs();
    if ready && !jobs.is_active(job) {
        return Outcome::Done;
    }
    if !step.issued {
        start(ctx);
        return Outcome::Waiting(what.to_owned());
    }
    if jobs.is_active(job) {
        let progress = jobs.progress(job).map(|(_, m)| m.to_owned());
        return Outcome::Waiting(format!("{what} {}", progress.unwrap_or_default()));
    }
    let JobKind::Train(kind) = job else {
        return Outcome::Failed(format!("{what} is not a training"));
    };
    match new_run(ctx.bench, kind, step.runs_before) {
        Some(Ok(())) => Outcome::Done,
        Some(Err(m)) => Outcome::Failed(m),
        None => Outcome::Failed(format!("{what} did not start")),
    }
}

impl ShoplensApp {
    /// Start the tour (the **Demo** button, `shoplens demo`).
    pub(crate) fn start_demo(&mut self, options: &DemoOptions) {
        let now = self.ctx.input(|i| i.time);
        let mut demo = Demo::new(options, now, self.view.simple);
        demo.saved = Some(Saved {
            tabs: std::mem::replace(&mut self.tabs, super::tabs::all(&self.bench)),
            tab: self.tab,
            bench: self.bench.set_aside(),
        });
        // The fresh tabs learn the loaded data as if it had just loaded.
        self.bench.announce_data();
        self.demo = Some(demo);
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

    /// End the tour: the user's data, runs, tabs and settings as they were.
    pub(crate) fn leave_demo(&mut self) {
        if let Some(demo) = self.demo.take() {
            self.view.simple = demo.simple_before;
            if let Some(saved) = demo.saved {
                self.bench.restore(saved.bench);
                // The path box names the file the user gets back.
                self.shell.path_input = self
                    .bench
                    .dataset()
                    .map(|ds| ds.path.display().to_string())
                    .unwrap_or_default();
                self.tabs = saved.tabs;
                self.tab = saved.tab;
                super::widgets::scroll_to_top(&self.ctx);
            }
        }
    }

    fn enter_step(&mut self) {
        let runs = self.bench.runs().entries.iter().map(|e| e.record.id).max();
        if let Some(demo) = &mut self.demo {
            demo.runs_before = runs.unwrap_or(0);
            if !demo.tour.finished {
                let place = demo.tour.step().place;
                if let Some(tab) = self.tabs.iter().find(|t| t.id() == place) {
                    self.tab = tab.id();
                }
                super::widgets::scroll_to_top(&self.ctx);
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
            // Every other action is a tab's: the tab that knows it does it.
            action => {
                let step = TourStep {
                    action,
                    issued,
                    runs_before,
                };
                let ids: Vec<&'static str> = self.tabs.iter().map(|t| t.id()).collect();
                ids.into_iter()
                    .find_map(|id| {
                        self.with_tab(id, |tab, ctx| tab.perform(&step, ctx))
                            .and_then(|(outcome, _)| outcome)
                    })
                    .unwrap_or_else(|| Outcome::Failed(format!("no tab performs {action:?}")))
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

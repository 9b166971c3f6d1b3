//! The eframe app: a thin shell around the headless [`Workbench`]. Each
//! frame, [`eframe::App::logic`] polls the workbench's one job registry
//! under one time budget and hands the events to the tabs; the tabs draw
//! from the workbench and their own view state and return [`AppCommand`]s,
//! which the app applies at the end of the frame (egui demo app's
//! `wrap_app.rs`, rerun's `SystemCommand`). No model is computed here.

pub mod bandit_ope_view;
pub mod bandit_tab;
mod data_tab;
pub mod demo;
mod dialogs;
pub mod exporter;
mod images;
mod params_ui;
mod plots;
mod predict_customers;
pub mod predict_tab;
mod recommend_tab;
mod runs_compare;
mod runs_curves;
mod runs_tab;
mod segments_tab;
mod sentiment_results;
pub mod sentiment_tab;
mod sessions_view;
mod shell;
mod spark_file_view;
mod spark_view;
mod study_view;
mod sweep_form;
mod tabs;
pub mod testing;
pub mod topics_tab;
mod topics_view;
mod widgets;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use eframe::egui;
use serde::{Deserialize, Serialize};

use crate::data::EventWeights;
use crate::runs::SettingsBoard;
use crate::workbench::{Command, Event, Settings, Workbench};
use tabs::Tab;

/// How long one frame may spend draining worker messages, all jobs together.
const POLL_BUDGET: Duration = Duration::from_millis(2);

/// Settings that survive a restart (eframe persistence).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct PersistedState {
    pub recent_files: Vec<PathBuf>,
    pub event_weights: EventWeights,
    /// The tab shown (its id).
    pub tab: String,
    /// Reopened at start (its runs and models, and its data when no file was
    /// given on the command line).
    pub last_workspace: Option<PathBuf>,
    /// UI scale (Ctrl + / Ctrl − / Ctrl 0).
    pub zoom: f32,
    pub view: ViewSettings,
}

/// How the window looks, for a desk or a projector.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ViewSettings {
    /// Hide the controls for experts (threads, CG steps, min counts …).
    pub simple: bool,
    /// The light, high-contrast theme for projectors.
    pub light: bool,
}

impl Default for PersistedState {
    fn default() -> Self {
        Self {
            recent_files: Vec::new(),
            event_weights: EventWeights::default(),
            tab: "data".into(),
            last_workspace: None,
            zoom: 1.0,
            view: ViewSettings::default(),
        }
    }
}

/// An action that would drop runs not saved yet, waiting for the user's say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unsaved {
    OpenWorkspace,
    NewWorkspace,
    Quit,
}

/// What the tabs and the shell ask for; applied at the end of the frame.
#[must_use]
pub enum AppCommand {
    /// Something for the workbench (load, train, sweep, save, …).
    Bench(Box<Command>),
    /// Open this run's trained model in its tab.
    Explore(u64),
    OpenDataDialog,
    OpenWorkspaceDialog,
    /// Save to the open workspace, or ask where.
    SaveWorkspace,
    SaveWorkspaceAs,
    /// Do this, asking first when it would drop unsaved runs.
    Guarded(Unsaved),
    /// The user chose to drop the unsaved runs and go on.
    DiscardAndProceed(Unsaved),
    /// Start the guided tour on the sample store.
    StartDemo,
    ToggleFullScreen,
}

/// What a tab gets each frame: the workbench to read, a place to put its
/// commands, and the other tabs' settings (what sweeps start from).
pub(crate) struct TabContext<'a> {
    pub bench: &'a Workbench,
    commands: &'a mut Vec<AppCommand>,
    /// Simple mode: the tabs leave out the controls for experts.
    pub simple: bool,
    pub settings: &'a SettingsBoard<'a>,
}

impl TabContext<'_> {
    pub fn send(&mut self, command: Command) {
        self.commands.push(AppCommand::Bench(Box::new(command)));
    }

    pub fn push(&mut self, command: AppCommand) {
        self.commands.push(command);
    }

    /// How many commands were sent so far.
    pub fn sent(&self) -> usize {
        self.commands.len()
    }
}

/// Time spent inside our own `ui()` while a job ran (for the benchmarks).
#[derive(Clone, Copy, Debug, Default)]
pub struct FrameStats {
    pub frames: u64,
    pub max_frame_secs: f64,
    pub total_frame_secs: f64,
    pub last_frame_secs: f64,
}

pub const PSEUDONYM_TIP: &str = "Customer ids become c_ + 16 hex digits of HMAC-SHA256 keyed with this workspace's secret salt: the same customer gets the same pseudonym in every export from the workspace, and nobody without the salt can map them back";

pub struct ShoplensApp {
    pub(crate) bench: Workbench,
    /// The id of the tab shown.
    pub(crate) tab: &'static str,
    /// Every tab, in the tab bar's order ([`tabs::all`]).
    pub(crate) tabs: Vec<Box<dyn Tab>>,
    pub(crate) shell: shell::Shell,
    pub(crate) exporter: exporter::Exporter,
    pub(crate) dialogs: dialogs::Dialogs,
    pub(crate) frame_stats: FrameStats,
    pub(crate) view: ViewSettings,
    /// The theme last applied, so it is set only when it changes.
    applied_light: Option<bool>,
    /// The guided tour, while it runs.
    pub(crate) demo: Option<demo::Demo>,
    /// Where a recorded tour leaves the process's exit code.
    exit_code: Option<Arc<std::sync::atomic::AtomicI32>>,
    commands: Vec<AppCommand>,
    ctx: egui::Context,
}

impl ShoplensApp {
    /// The app with `initial` (or the sample store, or the last workspace)
    /// loading in the background.
    pub fn new(ctx: &egui::Context, state: PersistedState, initial: Option<PathBuf>) -> Self {
        install_fonts(ctx);
        if state.zoom.is_finite() && (0.5..=3.0).contains(&state.zoom) {
            ctx.set_zoom_factor(state.zoom);
        }
        let repaint = ctx.clone();
        let settings = Settings {
            event_weights: state.event_weights,
            recent_files: state.recent_files,
            last_workspace: state.last_workspace,
        };
        let mut bench = Workbench::new(settings, Arc::new(move || repaint.request_repaint()));
        bench.start(initial);
        let tabs = tabs::all(&bench);
        // The remembered tab, by id (older settings wrote its name).
        let wanted = state.tab.to_lowercase();
        let tab = tabs
            .iter()
            .map(|t| t.id())
            .find(|id| *id == wanted)
            .unwrap_or(tabs::FIRST);
        Self {
            bench,
            tab,
            tabs,
            shell: Default::default(),
            exporter: Default::default(),
            dialogs: Default::default(),
            frame_stats: FrameStats::default(),
            view: state.view,
            applied_light: None,
            demo: None,
            exit_code: None,
            commands: Vec::new(),
            ctx: ctx.clone(),
        }
    }

    pub fn from_creation_context(
        cc: &eframe::CreationContext<'_>,
        initial: Option<PathBuf>,
    ) -> Self {
        let state = cc
            .storage
            .and_then(|s| eframe::get_value::<PersistedState>(s, eframe::APP_KEY))
            .unwrap_or_default();
        Self::new(&cc.egui_ctx, state, initial)
    }

    fn persisted(&self) -> PersistedState {
        let s = self.bench.settings();
        PersistedState {
            recent_files: s.recent_files.clone(),
            event_weights: s.event_weights.clone(),
            tab: self.tab.to_owned(),
            last_workspace: s.last_workspace.clone(),
            zoom: self.ctx.zoom_factor(),
            view: match &self.demo {
                // The tour turns simple mode on for itself only.
                Some(_) => ViewSettings {
                    simple: self.demo_simple_before(),
                    ..self.view
                },
                None => self.view,
            },
        }
    }

    /// Hand one workbench event to the shell and every tab.
    fn route(&mut self, event: &Event) {
        self.shell.on_event(event, &self.bench);
        for tab in &mut self.tabs {
            tab.on_event(event, &self.bench);
        }
    }

    /// Apply what the frame asked for.
    pub(crate) fn apply(&mut self, command: AppCommand) {
        match command {
            AppCommand::Bench(c) => self.bench.apply(*c),
            AppCommand::Explore(id) => self.explore(id),
            AppCommand::OpenDataDialog => self.dialogs.open_data(&self.ctx),
            AppCommand::OpenWorkspaceDialog => self.dialogs.open_workspace(&self.ctx),
            AppCommand::SaveWorkspace => match self.bench.workspace().path.clone() {
                Some(path) => self.bench.apply(Command::SaveWorkspace(path)),
                None => self.dialogs.save_workspace(&self.ctx),
            },
            AppCommand::SaveWorkspaceAs => self.dialogs.save_workspace(&self.ctx),
            AppCommand::DiscardAndProceed(action) => {
                self.bench.discard_unsaved();
                self.proceed(action);
            }
            AppCommand::Guarded(action) => {
                if self.bench.has_unsaved_runs() {
                    self.shell.unsaved_prompt = Some(action);
                } else {
                    self.proceed(action);
                }
            }
            AppCommand::StartDemo => self.start_demo(&demo::DemoOptions::default()),
            AppCommand::ToggleFullScreen => {
                let full = self.ctx.input(|i| i.viewport().fullscreen.unwrap_or(false));
                self.ctx
                    .send_viewport_cmd(egui::ViewportCommand::Fullscreen(!full));
            }
        }
    }

    /// Go ahead with an action the user confirmed (or that loses nothing).
    pub(crate) fn proceed(&mut self, action: Unsaved) {
        match action {
            Unsaved::OpenWorkspace => self.dialogs.open_workspace(&self.ctx),
            Unsaved::NewWorkspace => self.bench.apply(Command::NewWorkspace),
            Unsaved::Quit => {
                self.shell.quit_confirmed = true;
                self.ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
        }
    }

    /// Open run `id`'s model in the tab that shows its kind.
    fn explore(&mut self, id: u64) {
        let Some(entry) = self.bench.runs().get(id).cloned() else {
            return;
        };
        if let Some(tab) = self
            .tabs
            .iter_mut()
            .find_map(|t| t.explore(&entry, &self.bench).then(|| t.id()))
        {
            self.tab = tab;
        } else {
            // A result no tab shows (ALS on Spark from a file not loaded
            // here): say so rather than do nothing.
            self.shell.notice = Some(format!(
                "Run #{id}: no tab opens this run's result. {}",
                entry.record.note.as_deref().unwrap_or_default()
            ));
        }
    }

    /// Run `f` on the tab `id` with a context on the workbench (the other
    /// tabs' settings on its board), then apply the commands it sent. Its
    /// value and how many commands it sent; `None`: no such tab.
    pub(crate) fn with_tab<R>(
        &mut self,
        id: &str,
        f: impl FnOnce(&mut dyn Tab, &mut TabContext) -> R,
    ) -> Option<(R, usize)> {
        let (value, commands) = self.with_tab_deferred(id, f)?;
        let sent = commands.len();
        for command in commands {
            self.apply(command);
        }
        Some((value, sent))
    }

    /// Like [`Self::with_tab`], the commands handed back instead of applied.
    fn with_tab_deferred<R>(
        &mut self,
        id: &str,
        f: impl FnOnce(&mut dyn Tab, &mut TabContext) -> R,
    ) -> Option<(R, Vec<AppCommand>)> {
        let index = self.tabs.iter().position(|t| t.id() == id)?;
        let (before, rest) = self.tabs.split_at_mut(index);
        let (current, after) = rest.split_first_mut()?;
        let mut board = SettingsBoard::new();
        for other in before.iter().chain(after.iter()) {
            for s in other.settings() {
                board.push(s);
            }
        }
        let mut commands = Vec::new();
        let mut ctx = TabContext {
            bench: &self.bench,
            commands: &mut commands,
            simple: self.view.simple,
            settings: &board,
        };
        let value = f(current.as_mut(), &mut ctx);
        Some((value, commands))
    }

    /// The Recommend tab's settings (what a run from a file refused for
    /// memory is made with).
    fn recommend_settings(&self) -> crate::recsys::settings::RecommendSettings {
        let mut board = SettingsBoard::new();
        for tab in &self.tabs {
            for s in tab.settings() {
                board.push(s);
            }
        }
        board.or_default()
    }

    fn tabs_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            for tab in &self.tabs {
                ui.selectable_value(&mut self.tab, tab.id(), tab.label());
            }
        });
        ui.separator();
        // The frame's commands are applied at its end, after every panel.
        if let Some(((), sent)) = self.with_tab_deferred(self.tab, |tab, ctx| tab.ui(ctx, ui)) {
            self.commands.extend(sent);
        }
    }
}

impl eframe::App for ShoplensApp {
    /// Runs every frame, and also while the window is hidden: workers keep
    /// reporting and runs keep being recorded.
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        for event in self.bench.poll(POLL_BUDGET) {
            self.route(&event);
        }
        for command in self.dialogs.poll() {
            self.apply(command);
        }
        if let Some(command) = self.exporter.poll(ctx) {
            self.apply(command);
        }
        if self.bench.is_busy() || self.dialogs.is_open() || self.exporter.is_busy() {
            // Keep progress bars moving between worker messages.
            ctx.request_repaint_after(Duration::from_millis(50));
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let frame_start = Instant::now();
        let ctx = ui.ctx().clone();
        // Closing the window with unsaved runs asks first.
        if ctx.input(|i| i.viewport().close_requested())
            && self.bench.has_unsaved_runs()
            && !self.shell.quit_confirmed
        {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.shell.unsaved_prompt = Some(Unsaved::Quit);
        }
        if self.applied_light != Some(self.view.light) {
            ctx.set_visuals(theme(self.view.light));
            self.applied_light = Some(self.view.light);
        }
        self.demo_frame(&ctx);
        self.shell
            .unsaved_prompt_ui(&ctx, &self.bench, &mut self.commands);
        self.shell.shortcuts_and_drops(&ctx, &mut self.commands);
        egui::Panel::top("menu").show(ui, |ui| {
            self.shell
                .menu_bar_ui(ui, &self.bench, &mut self.view, &mut self.commands)
        });
        if self.demo.is_some() {
            egui::Panel::top("demo_caption")
                .frame(egui::Frame::NONE)
                .show(ui, |ui| self.demo_caption_ui(ui));
        }
        egui::Panel::bottom("status").show(ui, |ui| {
            self.shell
                .status_bar_ui(ui, &self.bench, &mut self.commands)
        });
        egui::CentralPanel::default().show(ui, |ui| {
            // A run from a file not loaded has no place in the tour (whose
            // runs are its own); it is there again after it.
            let recommend = self.recommend_settings();
            if self.demo.is_none() {
                self.shell
                    .spark_file
                    .ui(ui, (&self.bench, &recommend), &mut self.commands);
            }
            self.shell
                .error_banner_ui(ui, &self.bench, &recommend, &mut self.commands);
            self.tabs_ui(ui);
        });
        shell::drop_overlay_ui(&ctx);
        let commands = std::mem::take(&mut self.commands);
        for command in commands {
            self.apply(command);
        }
        if self.bench.is_busy() {
            let secs = frame_start.elapsed().as_secs_f64();
            let stats = &mut self.frame_stats;
            stats.frames += 1;
            stats.total_frame_secs += secs;
            stats.max_frame_secs = stats.max_frame_secs.max(secs);
            stats.last_frame_secs = secs;
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        // A recorded tour leaves the user's own settings as they were.
        if self.demo.as_ref().is_some_and(|d| d.recorder.is_some()) {
            return;
        }
        eframe::set_value(storage, eframe::APP_KEY, &self.persisted());
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.bench.cancel_all();
    }
}

/// The dark theme, or a light one with stronger contrast for projectors
/// (black text, darker strokes, a saturated selection).
fn theme(light: bool) -> egui::Visuals {
    if !light {
        return egui::Visuals::dark();
    }
    let mut v = egui::Visuals::light();
    v.override_text_color = Some(egui::Color32::BLACK);
    v.panel_fill = egui::Color32::WHITE;
    v.window_fill = egui::Color32::WHITE;
    v.extreme_bg_color = egui::Color32::from_gray(245);
    v.faint_bg_color = egui::Color32::from_gray(235);
    v.selection.bg_fill = egui::Color32::from_rgb(0, 84, 166);
    v.selection.stroke.color = egui::Color32::WHITE;
    v.hyperlink_color = egui::Color32::from_rgb(0, 70, 150);
    for w in [
        &mut v.widgets.noninteractive,
        &mut v.widgets.inactive,
        &mut v.widgets.hovered,
        &mut v.widgets.active,
    ] {
        w.bg_stroke.color = egui::Color32::from_gray(60);
        w.fg_stroke.color = egui::Color32::BLACK;
    }
    v.widgets.inactive.weak_bg_fill = egui::Color32::from_gray(225);
    v.widgets.inactive.bg_fill = egui::Color32::from_gray(225);
    v
}

/// Chinese/Japanese glyphs: Droid Sans Fallback (Apache 2.0, licence beside
/// it in assets/fonts/), bundled so review text renders on every machine.
const CJK_FONT: &[u8] = include_bytes!("../../assets/fonts/DroidSansFallbackFull.ttf");

/// Add the CJK font as a fallback after egui's own fonts.
fn install_fonts(ctx: &egui::Context) {
    let mut fonts = egui::FontDefinitions::default();
    fonts.font_data.insert(
        "cjk".into(),
        Arc::new(egui::FontData::from_static(CJK_FONT)),
    );
    for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
        fonts.families.entry(family).or_default().push("cjk".into());
    }
    ctx.set_fonts(fonts);
}

/// Start the native window. Returns the process exit code.
pub fn run_gui(initial: Option<PathBuf>) -> i32 {
    run_window(initial, None, [1280.0, 820.0])
}

/// `shoplens demo`: the window on the sample store, running the tour.
/// With `record`, the window has exactly `size` and closes after the last
/// slide; the exit code says whether the deck was written.
pub fn run_demo(options: demo::DemoOptions, size: [f32; 2]) -> i32 {
    run_window(None, Some(options), size)
}

fn run_window(initial: Option<PathBuf>, demo: Option<demo::DemoOptions>, size: [f32; 2]) -> i32 {
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("shoplens")
        .with_inner_size(size)
        .with_min_inner_size([800.0, 500.0])
        .with_drag_and_drop(true);
    match eframe::icon_data::from_png_bytes(include_bytes!("../../assets/icon.png")) {
        Ok(icon) => viewport = viewport.with_icon(icon),
        Err(e) => log::warn!("app icon: {e}"),
    }
    let recording = demo.as_ref().is_some_and(|d| d.record.is_some());
    let options = eframe::NativeOptions {
        viewport,
        renderer: eframe::Renderer::Glow,
        // A recorded deck has the size asked for, not the last window's:
        // its window keeps its state apart from the user's.
        persist_window: !recording,
        // (one folder for every recording, so none pile up).
        persistence_path: recording.then(|| std::env::temp_dir().join("shoplens-demo-window")),
        ..Default::default()
    };
    let exit = Arc::new(std::sync::atomic::AtomicI32::new(0));
    let exit_code = Arc::clone(&exit);
    let result = eframe::run_native(
        "shoplens",
        options,
        Box::new(move |cc| {
            let mut app = if recording {
                // A recorded deck looks the same on every machine: no
                // remembered scale, theme, tab or workspace.
                ShoplensApp::new(&cc.egui_ctx, PersistedState::default(), initial)
            } else {
                ShoplensApp::from_creation_context(cc, initial)
            };
            if let Some(options) = demo {
                if recording {
                    app.view.light = options.light;
                }
                app.start_demo(&options);
            }
            app.exit_code = Some(exit_code);
            Ok(Box::new(app))
        }),
    );
    match result {
        Ok(()) => exit.load(std::sync::atomic::Ordering::SeqCst),
        Err(e) => {
            eprintln!("error: could not open the window ({e}). On a machine without a display, use the CLI: shoplens --help");
            1
        }
    }
}

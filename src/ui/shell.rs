//! The window around the tabs: menu bar, path box, status bar, error banner,
//! the unsaved-runs prompt, shortcuts and file drops.

use std::path::PathBuf;

use eframe::egui;

use super::spark_file_view::SparkFileView;
use super::{AppCommand, Unsaved};
use crate::display::display_name;
use crate::recsys::settings::RecommendSettings;
use crate::workbench::{sample_store_path, Command, Event, JobKind, Workbench};

/// The shell's own state.
#[derive(Default)]
pub(crate) struct Shell {
    /// The last error, shown in a banner until dismissed or replaced.
    pub error: Option<String>,
    /// The last workspace or export outcome, for the status bar.
    pub notice: Option<String>,
    pub path_input: String,
    /// Asking whether to drop unsaved runs.
    pub unsaved_prompt: Option<Unsaved>,
    /// The user agreed to quit without saving.
    pub quit_confirmed: bool,
    /// ALS on Spark from a file refused for memory.
    pub(crate) spark_file: SparkFileView,
}

impl Shell {
    pub fn on_event(&mut self, event: &Event, bench: &Workbench) {
        self.spark_file.on_event(event, bench);
        match event {
            Event::Error(m) => self.error = Some(m.clone()),
            Event::Notice(m) => self.notice = Some(m.clone()),
            Event::DataLoaded => {
                self.error = None;
                if let Some(ds) = bench.dataset() {
                    self.path_input = ds.path.display().to_string();
                }
            }
            Event::Message {
                job: super::exporter::JOB,
                text,
            } => self.notice = Some(text.clone()),
            _ => {}
        }
    }

    pub fn shortcuts_and_drops(&mut self, ctx: &egui::Context, commands: &mut Vec<AppCommand>) {
        let open = egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::O);
        if ctx.input_mut(|i| i.consume_shortcut(&open)) {
            commands.push(AppCommand::OpenDataDialog);
        }
        let save = egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::S);
        if ctx.input_mut(|i| i.consume_shortcut(&save)) {
            commands.push(AppCommand::SaveWorkspace);
        }
        if ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::F11)) {
            commands.push(AppCommand::ToggleFullScreen);
        }
        let dropped: Option<PathBuf> = ctx.input(|i| {
            i.raw.dropped_files.iter().find_map(|f| {
                let path = f.path();
                (!path.as_os_str().is_empty()).then(|| path.to_path_buf())
            })
        });
        if let Some(path) = dropped {
            commands.push(AppCommand::Bench(Box::new(Command::OpenFile(path))));
        }
    }

    pub fn menu_bar_ui(
        &mut self,
        ui: &mut egui::Ui,
        bench: &Workbench,
        view: &mut super::ViewSettings,
        commands: &mut Vec<AppCommand>,
    ) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                let mut item = |ui: &mut egui::Ui, button: egui::Button, command: AppCommand| {
                    if ui.add(button).clicked() {
                        commands.push(command);
                        ui.close();
                    }
                };
                item(
                    ui,
                    egui::Button::new("Open…").shortcut_text("Ctrl+O"),
                    AppCommand::OpenDataDialog,
                );
                item(
                    ui,
                    egui::Button::new("Open sample store"),
                    AppCommand::Bench(Box::new(Command::OpenFile(sample_store_path()))),
                );
                let recent = &bench.settings().recent_files;
                if !recent.is_empty() {
                    ui.separator();
                    ui.label("Recent");
                    for path in recent {
                        if ui
                            .button(display_name(path))
                            .on_hover_text(path.display().to_string())
                            .clicked()
                        {
                            commands.push(AppCommand::Bench(Box::new(Command::OpenFile(path.clone()))));
                            ui.close();
                        }
                    }
                }
                ui.separator();
                if ui.button("New workspace").clicked() {
                    commands.push(AppCommand::Guarded(Unsaved::NewWorkspace));
                    ui.close();
                }
                if ui
                    .button("Open workspace…")
                    .on_hover_text("A .shoplens file: data sources with their column mapping, every run and the trained models")
                    .clicked()
                {
                    commands.push(AppCommand::Guarded(Unsaved::OpenWorkspace));
                    ui.close();
                }
                if ui
                    .add(egui::Button::new("Save workspace").shortcut_text("Ctrl+S"))
                    .clicked()
                {
                    commands.push(AppCommand::SaveWorkspace);
                    ui.close();
                }
                if ui.button("Save workspace as…").clicked() {
                    commands.push(AppCommand::SaveWorkspaceAs);
                    ui.close();
                }
                ui.separator();
                if ui.button("Quit").clicked() {
                    ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
                    ui.close();
                }
            });
            ui.menu_button("View", |ui| view_menu_ui(ui, view, commands));
            // The tour sets the user's work aside and gives it back after;
            // a job still running would finish into the tour's state.
            let busy = bench.is_busy();
            if ui
                .add_enabled(!busy, egui::Button::new("Demo"))
                .on_hover_text("A guided tour of every tab on the sample store, for a meeting: Right arrow or Space for the next step, Left arrow to go back, P to pause, Esc to leave. Your data, settings and runs come back as they were when it ends.")
                .on_disabled_hover_text("Wait for the running job to finish (or cancel it) to start the tour")
                .clicked()
            {
                commands.push(AppCommand::StartDemo);
            }
            ui.separator();
            ui.label("Path:");
            let response = ui.add(
                egui::TextEdit::singleline(&mut self.path_input)
                    .desired_width(420.0)
                    .hint_text("type or paste a file path, then Enter"),
            );
            let enter = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui.button("Open path").clicked() || enter {
                let typed = self.path_input.trim();
                if !typed.is_empty() {
                    commands.push(AppCommand::Bench(Box::new(Command::OpenFile(PathBuf::from(typed)))));
                }
            }
        });
    }

    pub fn status_bar_ui(
        &mut self,
        ui: &mut egui::Ui,
        bench: &Workbench,
        commands: &mut Vec<AppCommand>,
    ) {
        ui.horizontal(|ui| {
            let jobs = bench.jobs();
            if let Some((fraction, message)) = jobs.progress(JobKind::Load) {
                ui.spinner();
                ui.label("Loading data");
                let bar = egui::ProgressBar::new(fraction.unwrap_or(0.0))
                    .desired_width(260.0)
                    .show_percentage()
                    .text(message);
                ui.add(bar);
                if jobs.is_cancelling(JobKind::Load) {
                    ui.label("cancelling…");
                } else if ui.button("Cancel").clicked() {
                    commands.push(AppCommand::Bench(Box::new(Command::Cancel(JobKind::Load))));
                }
            } else if let Some(data) = bench.data() {
                let p = &data.loaded.profile;
                ui.label(format!(
                    "{} · loaded in {:.2}s, profiled in {:.2}s",
                    display_name(&data.dataset().path),
                    p.load_secs,
                    p.profile_secs
                ));
            } else {
                ui.label("No data loaded: File > Open…, Ctrl+O, or drop a file onto the window.");
            }
            ui.separator();
            let ws = bench.workspace();
            ui.label(match &ws.path {
                Some(p) => format!(
                    "Workspace {}{}",
                    display_name(p),
                    if ws.dirty { " (unsaved runs)" } else { "" }
                ),
                None => format!(
                    "No workspace · {}",
                    crate::display::count(bench.runs().len(), "run", "runs")
                ),
            });
            let others: Vec<String> = jobs
                .jobs()
                .filter(|j| j.key != JobKind::Load)
                .map(|j| {
                    format!(
                        "{}{}",
                        j.name,
                        if j.cancelling { " (cancelling)" } else { "" }
                    )
                })
                .collect();
            if !others.is_empty() {
                ui.spinner();
                ui.label(others.join(" · "));
            }
            if let Some(notice) = &self.notice {
                ui.separator();
                ui.label(notice);
            }
        });
    }

    pub fn error_banner_ui(
        &mut self,
        ui: &mut egui::Ui,
        bench: &Workbench,
        recommend: &RecommendSettings,
        commands: &mut Vec<AppCommand>,
    ) {
        let Some(message) = self.error.clone() else {
            return;
        };
        // Refused for memory: Spark can read the file instead.
        let refused = bench
            .failed_load()
            .filter(|_| message.contains(crate::data::error::READ_IN_SPARK));
        let data_shown = bench.data().is_some();
        // A malformed line refused the file: offer to leave such lines out.
        let retry = bench
            .retry_skipping_bad_lines()
            .filter(|_| message.contains(crate::data::error::SKIP_HINT));
        egui::Frame::new()
            .fill(ui.visuals().error_fg_color.gamma_multiply(0.15))
            .stroke(egui::Stroke::new(1.0, ui.visuals().error_fg_color))
            .inner_margin(8.0)
            .corner_radius(4.0)
            .show(ui, |ui| {
                ui.horizontal_wrapped(|ui| {
                    ui.colored_label(ui.visuals().error_fg_color, "Error:");
                    ui.label(egui::RichText::new(&message).strong());
                    if data_shown {
                        ui.label("The data loaded before is still shown.");
                    }
                    if retry.is_some()
                        && ui
                            .button("Skip malformed lines and load again")
                            .on_hover_text("Leave out every line with the wrong number of fields, a stray quote, a NUL byte or bytes that are not UTF-8; the profile says how many and which")
                            .clicked()
                    {
                        self.error = None;
                        commands.push(AppCommand::Bench(Box::new(
                            crate::workbench::Command::LoadSkippingBadLines,
                        )));
                    }
                    if let Some(refused) = refused {
                        if self
                            .spark_file
                            .offer_ui(ui, refused, bench, recommend, commands)
                        {
                            self.error = None;
                        }
                    }
                    if ui.small_button("Dismiss").clicked() {
                        self.error = None;
                    }
                });
            });
        ui.add_space(6.0);
    }

    pub fn unsaved_prompt_ui(
        &mut self,
        ctx: &egui::Context,
        bench: &Workbench,
        commands: &mut Vec<AppCommand>,
    ) {
        let Some(action) = self.unsaved_prompt else {
            return;
        };
        let modal = egui::Modal::new(egui::Id::unique("unsaved_runs")).show(ctx, |ui| {
            ui.set_width(380.0);
            ui.heading("Unsaved runs");
            ui.label(format!(
                "{} runs (and their models) are not saved in a workspace yet. {} would drop them.",
                bench.runs().len(),
                match action {
                    Unsaved::OpenWorkspace => "Opening another workspace",
                    Unsaved::NewWorkspace => "Starting a new workspace",
                    Unsaved::Quit => "Quitting",
                }
            ));
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                if ui.button("Save workspace").clicked() {
                    self.unsaved_prompt = None;
                    commands.push(AppCommand::SaveWorkspace);
                }
                if ui.button("Discard them").clicked() {
                    self.unsaved_prompt = None;
                    commands.push(AppCommand::DiscardAndProceed(action));
                }
                if ui.button("Cancel").clicked() {
                    self.unsaved_prompt = None;
                }
            });
        });
        if modal.should_close() {
            self.unsaved_prompt = None;
        }
    }
}

/// While a file is dragged over the window.
pub fn drop_overlay_ui(ctx: &egui::Context) {
    if ctx.input(|i| i.raw.hovered_files.is_empty()) {
        return;
    }
    let painter = ctx.layer_painter(egui::LayerId::new(
        egui::Order::Foreground,
        egui::Id::unique("drop_overlay"),
    ));
    let rect = ctx.content_rect();
    painter.rect_filled(rect, 0.0, egui::Color32::from_black_alpha(160));
    painter.text(
        rect.center(),
        egui::Align2::CENTER_CENTER,
        "Drop the file to open it",
        egui::FontId::proportional(28.0),
        egui::Color32::WHITE,
    );
}

/// Scale, theme, simple mode and full screen: for a desk or a projector.
fn view_menu_ui(ui: &mut egui::Ui, view: &mut super::ViewSettings, commands: &mut Vec<AppCommand>) {
    egui::gui_zoom::zoom_menu_buttons(ui);
    ui.label(format!("scale {:.0}%", ui.ctx().zoom_factor() * 100.0));
    ui.separator();
    ui.radio_value(&mut view.light, false, "Dark theme");
    ui.radio_value(&mut view.light, true, "Light, high contrast (projectors)");
    ui.separator();
    ui.checkbox(&mut view.simple, "Simple mode").on_hover_text(
        "Hide the controls for experts (threads, CG steps, minimum counts …) in every tab",
    );
    if ui
        .add(egui::Button::new("Full screen").shortcut_text("F11"))
        .clicked()
    {
        commands.push(AppCommand::ToggleFullScreen);
        ui.close();
    }
}

//! The offer beside a file refused for memory: train ALS on Spark from the
//! file itself (Spark reads, numbers, splits and trains; shoplens ranks a
//! sample of customers). Then the job's progress, its log tail and Cancel
//! in the same place, and how it ended. The request is the Recommend tab's
//! settings for ALS on Spark ([`RecommendSettings::spark_file_request`]).

use std::path::{Path, PathBuf};

use eframe::egui;

use super::widgets::{own_run, OwnRun};
use super::AppCommand;
use crate::data::LoadOptions;
use crate::display::{count, display_name, thousands};
use crate::recsys::settings::RecommendSettings;
use crate::runs::RunKind;
use crate::workbench::{Command, Event, JobKind, RunRequest, Workbench};

/// The job the run from a file trains on, beside the Recommend tab's.
pub(crate) const JOB: JobKind = JobKind::Train(RunKind::new("spark-from-file"));

#[derive(Default)]
pub(crate) struct SparkFileView {
    /// The file handed to Spark, while its job runs and after.
    file: Option<PathBuf>,
    /// How it was read (to ask again, skipping malformed lines).
    load: Option<LoadOptions>,
    /// The last run failed on a malformed line the user may skip.
    malformed: bool,
    /// How the last run ended, in a sentence.
    ended: Option<String>,
}

impl SparkFileView {
    pub fn on_event(&mut self, event: &Event, bench: &Workbench) {
        let Some(run) = own_run(event, JOB, bench) else {
            return;
        };
        let file = self.file.as_deref().map(display_name).unwrap_or_default();
        self.ended = Some(match run {
            OwnRun::Trained(entry) => {
                let r = &entry.record;
                let metric = |name: &str| r.metrics.get(name).copied().unwrap_or(f64::NAN);
                let k = r.params.get("k").and_then(|v| v.as_u64()).unwrap_or(10);
                let users = metric("users") as usize;
                let of = r
                    .metrics
                    .get("users_sampled_from")
                    .map(|&n| format!(" (a random sample of {})", thousands(n as u64)))
                    .unwrap_or_default();
                format!(
                    "ALS on Spark from {file}: HR@{k} {:.4}, NDCG@{k} {:.4} over {}{of}. Run #{} is in the Runs tab. {}",
                    metric(&format!("hr@{k}")),
                    metric(&format!("ndcg@{k}")),
                    count(users, "customer", "customers"),
                    r.id,
                    r.note.clone().unwrap_or_default()
                )
            }
            OwnRun::Cancelled { id, .. } => {
                format!("ALS on Spark from {file} was cancelled; run #{id} is in the Runs tab.")
            }
            OwnRun::Failed(m) => {
                self.malformed = m.contains(crate::data::error::SKIP_HINT);
                format!("ALS on Spark from {file} failed: {m}")
            }
        });
    }

    /// The button beside a refusal for memory of `file` (loaded with
    /// `load`); true when it was clicked and the job asked for.
    pub fn offer_ui(
        &mut self,
        ui: &mut egui::Ui,
        (file, load): (&Path, &LoadOptions),
        bench: &Workbench,
        settings: &RecommendSettings,
        commands: &mut Vec<AppCommand>,
    ) -> bool {
        let running = bench.jobs().is_running(JOB);
        let request = settings.spark_file_request(
            file.to_path_buf(),
            load.clone(),
            &bench.settings().event_weights,
        );
        let hover = format!(
            "Spark (Java 17 and pip install pyspark numpy) reads the file itself, numbers its customers and items, holds out each customer's last event, and trains ALS with the Recommend tab's settings for ALS on Spark ({} factors, {} iterations, master {}). shoplens then ranks every item for a random sample of {} and records the run.",
            request.params.factors,
            request.params.iterations,
            request.params.master,
            count(request.options.eval_users, "customer", "customers"),
        );
        let clicked = ui
            .add_enabled(
                !running,
                egui::Button::new("Train ALS on Spark from this file"),
            )
            .on_hover_text(hover)
            .clicked();
        if clicked {
            self.start(file, load, request, commands);
        }
        clicked
    }

    fn start(
        &mut self,
        file: &Path,
        load: &LoadOptions,
        request: crate::recsys::models::spark_als::SparkFileRequest,
        commands: &mut Vec<AppCommand>,
    ) {
        self.file = Some(file.to_path_buf());
        self.load = Some(load.clone());
        self.ended = None;
        self.malformed = false;
        commands.push(AppCommand::Bench(Box::new(Command::Run(RunRequest::on(
            JOB,
            "ALS on Spark from a file",
            request,
        )))));
    }

    /// After a refusal for a malformed line: the same job, skipping such
    /// lines (Spark leaves out the lines a load would).
    fn retry_skipping_ui(
        &mut self,
        ui: &mut egui::Ui,
        bench: &Workbench,
        settings: &RecommendSettings,
        commands: &mut Vec<AppCommand>,
    ) {
        let (Some(file), Some(load)) = (self.file.clone(), self.load.clone()) else {
            return;
        };
        if !self.malformed || load.skip_bad_lines {
            return;
        }
        if ui
            .button("Skip malformed lines and train on Spark again")
            .on_hover_text("Leave out every line with the wrong number of fields, a stray quote, a NUL byte or bytes that are not UTF-8; the run's record says how many and which")
            .clicked()
        {
            let load = LoadOptions {
                skip_bad_lines: true,
                ..load
            };
            let request = settings.spark_file_request(
                file.clone(),
                load.clone(),
                &bench.settings().event_weights,
            );
            self.start(&file, &load, request, commands);
        }
    }

    /// The job's progress, log tail and Cancel while it runs; how it ended
    /// after (until dismissed).
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        (bench, settings): (&Workbench, &RecommendSettings),
        commands: &mut Vec<AppCommand>,
    ) {
        let running = bench.jobs().is_running(JOB);
        if !running && self.ended.is_none() {
            return;
        }
        egui::Frame::group(ui.style()).show(ui, |ui| {
            if running {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(format!(
                        "Spark is reading and training on {} (nothing of it is loaded here)",
                        self.file.as_deref().map(display_name).unwrap_or_default()
                    ));
                    if ui.button("Cancel").clicked() {
                        commands.push(AppCommand::Bench(Box::new(Command::Cancel(JOB))));
                    }
                });
                if let Some((fraction, message)) = bench.jobs().progress(JOB) {
                    let first = message.lines().next().unwrap_or_default();
                    ui.add(egui::ProgressBar::new(fraction.unwrap_or(0.0)).text(first));
                    super::spark_view::log_ui(ui, message);
                }
            } else if let Some(ended) = self.ended.clone() {
                ui.horizontal_wrapped(|ui| {
                    ui.label(ended);
                    self.retry_skipping_ui(ui, bench, settings, commands);
                    if ui.small_button("Dismiss").clicked() {
                        self.ended = None;
                    }
                });
            }
        });
        ui.add_space(6.0);
    }
}

//! The Recommend tab's ALS-on-Spark parts: where the job runs (master URL
//! and work folder, with a folder picker; spark-submit and driver memory
//! unless in simple mode), the job's log tail while it runs, and which
//! engine trained a run. The training itself is the recommender's request
//! with the model `spark-als` ([`crate::spark`]).

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError};

use eframe::egui;

use crate::recsys::models::spark_als::params::{check_master, SparkAlsParams};
use crate::runs::RunRecord;

#[derive(Default)]
pub(crate) struct SparkView {
    /// The work-folder dialog, while it is open.
    folder_pick: Option<Receiver<Option<PathBuf>>>,
}

impl SparkView {
    /// The job's settings the generic parameter widgets leave out (text).
    pub fn settings_ui(&mut self, ui: &mut egui::Ui, params: &mut SparkAlsParams, simple: bool) {
        self.poll_folder(params);
        ui.label("master URL")
            .on_hover_text("local[2]: Spark on this machine with 2 cores; spark://host:7077: a standalone cluster; yarn (needs HADOOP_CONF_DIR); k8s://https://host:port");
        ui.add(
            egui::TextEdit::singleline(&mut params.master)
                .hint_text("local[2]")
                .desired_width(f32::INFINITY),
        );
        if let Err(e) = check_master(&params.master) {
            ui.colored_label(ui.visuals().warn_fg_color, format!("master {e}"));
        }
        ui.label("work folder").on_hover_text(
            "A folder every node of the cluster can read at the same path (a shared mount); each run writes its hand-off, factors and spark.log in a subfolder, kept. Empty: a temporary folder on this machine, removed after the run (enough for local[N]).",
        );
        ui.horizontal(|ui| {
            ui.add(
                egui::TextEdit::singleline(&mut params.work_dir)
                    .hint_text("temporary folder")
                    .desired_width(170.0),
            );
            let picking = self.folder_pick.is_some();
            if ui
                .add_enabled(!picking, egui::Button::new("Choose…"))
                .clicked()
            {
                let dialog = rfd::FileDialog::new().set_title("Work folder for Spark");
                match super::dialogs::ask_folder(ui.ctx(), dialog) {
                    Ok(rx) => self.folder_pick = Some(rx),
                    Err(e) => log::warn!("{e}"),
                }
            }
        });
        if !simple {
            ui.horizontal(|ui| {
                ui.label("spark-submit").on_hover_text(
                    "Empty: $SPARK_HOME/bin, the PATH, or a Python with pyspark installed",
                );
                ui.add(
                    egui::TextEdit::singleline(&mut params.spark_submit)
                        .hint_text("found by itself")
                        .desired_width(150.0),
                );
            });
            ui.horizontal(|ui| {
                ui.label("driver memory")
                    .on_hover_text("Heap of Spark's driver JVM (--driver-memory); with local[N] it holds the whole job");
                ui.add(
                    egui::TextEdit::singleline(&mut params.driver_memory)
                        .hint_text("Spark's default")
                        .desired_width(60.0),
                );
            });
        }
        ui.small("Needs Java 17 and Spark (pip install pyspark numpy, or SPARK_HOME). The factors come back and are evaluated here, on this split.");
    }

    fn poll_folder(&mut self, params: &mut SparkAlsParams) {
        let Some(rx) = &self.folder_pick else { return };
        match rx.try_recv() {
            Ok(picked) => {
                if let Some(dir) = picked {
                    params.work_dir = dir.display().to_string();
                }
                self.folder_pick = None;
            }
            Err(TryRecvError::Disconnected) => self.folder_pick = None,
            Err(TryRecvError::Empty) => {}
        }
    }
}

/// The log tail of a running Spark job: the progress message's lines after
/// the first (the first is the headline under the progress bar).
pub fn log_ui(ui: &mut egui::Ui, message: &str) {
    let mut lines = message.lines().skip(1).peekable();
    if lines.peek().is_none() {
        return;
    }
    ui.label(egui::RichText::new("Spark log").strong());
    egui::Frame::group(ui.style()).show(ui, |ui| {
        for line in lines {
            ui.label(egui::RichText::new(line).monospace().small());
        }
    });
}

/// "trained by Spark 4.0.1 on local[2], 38.2 s", for a run an engine trained.
pub fn engine_note(record: &RunRecord) -> Option<String> {
    record
        .engine
        .as_ref()
        .map(|e| format!("trained by {} (application {})", e.summary(), e.application))
}

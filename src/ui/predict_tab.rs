//! The Predict tab: pick a cutoff and a window, train a purchase (or churn)
//! model on the period before, and read how it ranks the period after —
//! ROC, precision–recall, gains, calibration, importance — beside the base
//! rate and the recency rule, then the customers most likely to buy now,
//! each with their top reasons, exportable as a voucher list. The work is
//! `crate::predict`'s.

use eframe::egui;
use egui_plot::{Legend, Line, PlotPoints, Points};

use super::demo::{done_on_current_data, train_until};
use super::exporter::csv_button;
use super::params_ui::params_ui;
use super::plots::{chart, chart_footer};
use super::predict_customers::CustomerView;
use super::tabs::{Tab, TourStep};
use super::widgets::{
    header_row, job_buttons, main_area, own_run, seed_ui, shown_banner, side_panel, OwnRun, Shown,
};
use super::TabContext;
use crate::demo::state::Outcome;
use crate::demo::tour::Action;
use crate::predict::features::{parse_day, suggested_window};
use crate::predict::settings::PredictSettings;
use crate::predict::task::{PredictResult, Target};
use crate::runs::RunEntry;
use crate::workbench::{Command, Event, JobKind, RunRequest, Workbench};

/// The tab's id.
pub(crate) const ID: &str = "predict";
pub(crate) const JOB: JobKind = JobKind::Train(crate::predict::KIND);

#[derive(Default)]
pub struct PredictTab {
    pub settings: PredictSettings,
    pub shown: Option<Shown<PredictResult>>,
    pub message: Option<String>,
    pseudonymise: bool,
    customers: CustomerView,
}

impl PredictTab {
    /// The window a run would use on the loaded data: as set, or the one
    /// fitted to the data's span (as the request fits it).
    pub fn window(&self, bench: &Workbench) -> Option<u32> {
        if let Some(w) = self.settings.window_days {
            return Some(w);
        }
        let p = &bench.data()?.loaded.profile;
        let first = parse_day(p.time_min.as_deref()?)?;
        let last = parse_day(p.time_max.as_deref()?)?;
        Some(suggested_window(first, last))
    }

    /// What **Train** does.
    pub(crate) fn start_training(&mut self, ctx: &mut TabContext) {
        match self
            .settings
            .request(&ctx.bench.data_context(), self.settings.params.clone())
        {
            Ok(r) => {
                self.message = None;
                ctx.send(Command::Run(RunRequest::new(r)));
            }
            Err(e) => self.message = Some(e),
        }
    }

    pub fn show(&mut self, result: Shown<PredictResult>) {
        self.shown = Some(result);
        self.customers = CustomerView::default();
    }

    fn controls_ui(&mut self, ctx: &mut TabContext, ui: &mut egui::Ui) {
        ui.heading("Who buys next?");
        let window = self.window(ctx.bench);
        let s = &mut self.settings;
        ui.horizontal(|ui| {
            ui.radio_value(&mut s.target, Target::Repurchase, "will buy");
            ui.radio_value(&mut s.target, Target::Churn, "slipping away (churn)");
        });
        egui::Grid::new("predict_dates").show(ui, |ui| {
            ui.label("cutoff");
            ui.add_sized(
                [120.0, 20.0],
                egui::TextEdit::singleline(&mut s.cutoff).hint_text("end − window"),
            );
            ui.end_row();
            ui.label("learn at");
            ui.add_sized(
                [120.0, 20.0],
                egui::TextEdit::singleline(&mut s.train_cutoff).hint_text("cutoff − window"),
            );
            ui.end_row();
            ui.label("window (days)");
            let mut days = window.unwrap_or(90);
            ui.horizontal(|ui| {
                if ui
                    .add(egui::DragValue::new(&mut days).range(1..=730))
                    .changed()
                {
                    s.window_days = Some(days);
                }
                let mut fitted = s.window_days.is_none();
                if ui
                    .checkbox(&mut fitted, "fit to the data")
                    .on_hover_text("90 days, or a quarter of the data's span when that is shorter")
                    .changed()
                {
                    s.window_days = (!fitted).then_some(days);
                }
            });
            ui.end_row();
        });
        ui.separator();
        params_ui(ui, &mut s.params, ctx.simple);
        seed_ui(ui, &mut s.seed, None);
        ui.separator();
        if job_buttons(ui, ctx, "Train", "Cancel", JOB) {
            self.start_training(ctx);
        }
        ui.checkbox(&mut self.pseudonymise, "pseudonymise ids in exports")
            .on_hover_text(super::PSEUDONYM_TIP);
    }
}

fn loss_ui(curve: &[crate::task::EpochEvent], ui: &mut egui::Ui) {
    let pts: Vec<[f64; 2]> = curve.iter().map(|e| [e.epoch as f64, e.loss]).collect();
    let valid: Vec<[f64; 2]> = curve
        .iter()
        .filter_map(|e| e.metric.as_ref().map(|(_, v)| [e.epoch as f64, *v]))
        .collect();
    chart(ui, "predict_loss", 140.0)
        .legend(Legend::default())
        .x_axis_label("tree / step")
        .y_axis_label("log loss")
        .show(ui, |p| {
            p.line(Line::new("training", PlotPoints::from(pts)));
            if !valid.is_empty() {
                p.line(Line::new("validation", PlotPoints::from(valid)));
            }
        });
}

fn model_colour(dark: bool) -> egui::Color32 {
    crate::ui::plots::series_colour(dark, 2)
}

fn reference_colour(dark: bool) -> egui::Color32 {
    crate::ui::plots::series_colour(dark, 0)
}

fn curve_plot(ui: &mut egui::Ui, id: &str, x: &str, y: &str, lines: Vec<(&str, Vec<[f64; 2]>)>) {
    let dark = ui.visuals().dark_mode;
    // ROC and gains curves leave the bottom right free; a precision-recall
    // curve falls to the base rate there and leaves the top right free.
    let corner = if id == "predict_pr" {
        egui_plot::Corner::RightTop
    } else {
        egui_plot::Corner::RightBottom
    };
    let plot = chart(ui, id, 190.0)
        .legend(Legend::default().position(corner))
        .x_axis_label(x)
        .y_axis_label(y)
        .include_x(0.0)
        .include_y(0.0)
        .include_y(1.0)
        .show(ui, |p| {
            // The model's curve has one colour on every chart; baselines are grey.
            for (i, (name, pts)) in lines.into_iter().enumerate() {
                let colour = if i == 0 {
                    model_colour(dark)
                } else {
                    reference_colour(dark)
                };
                p.line(Line::new(name, PlotPoints::from(pts)).color(colour));
            }
        });
    chart_footer(ui, id, plot.response.rect, id);
}

fn result_ui(
    r: &PredictResult,
    bench: &Workbench,
    pseudonymise: bool,
    view: &mut CustomerView,
    ui: &mut egui::Ui,
) {
    ui.heading(format!(
        "The top 10% of scores hold {:.0}% of the {} (lift {:.2}); ROC AUC {:.3} vs {:.3} for the recency rule",
        r.metrics.captured_at_10pct * 100.0,
        r.positives(),
        r.metrics.lift_at_10pct,
        r.metrics.roc_auc,
        r.recency_rule.roc_auc
    ));
    ui.label(crate::display::capitalised(&r.periods()));
    egui::Grid::new("predict_metrics")
        .striped(true)
        .show(ui, |ui| {
            header_row(
                ui,
                &[
                    "",
                    "ROC AUC",
                    "PR AUC",
                    "log loss",
                    "Brier",
                    "lift @10%",
                    "lift @20%",
                ],
            );
            let m = &r.metrics;
            ui.label(r.params.model.name());
            for v in [
                m.roc_auc,
                m.pr_auc,
                m.log_loss,
                m.brier,
                m.lift_at_10pct,
                m.lift_at_20pct,
            ] {
                ui.label(format!("{v:.4}"));
            }
            ui.end_row();
            // The rule ranks and has no probabilities: no log loss or Brier score.
            let m = &r.recency_rule;
            ui.label("recency rule");
            for v in [
                Some(m.roc_auc),
                Some(m.pr_auc),
                None,
                None,
                Some(m.lift_at_10pct),
                Some(m.lift_at_20pct),
            ] {
                ui.label(v.map_or("–".to_owned(), |v| format!("{v:.4}")));
            }
            ui.end_row();
        });
    let c = &r.curves;
    ui.columns(2, |cols| {
        curve_plot(
            &mut cols[0],
            "predict_roc",
            "false-positive rate",
            "true-positive rate",
            vec![
                ("model", c.roc.clone()),
                ("chance", vec![[0.0, 0.0], [1.0, 1.0]]),
            ],
        );
        curve_plot(
            &mut cols[1],
            "predict_pr",
            "recall",
            "precision",
            vec![
                ("model", c.pr.clone()),
                (
                    "base rate",
                    vec![[0.0, r.test.positive_rate], [1.0, r.test.positive_rate]],
                ),
            ],
        );
    });
    ui.columns(2, |cols| {
        curve_plot(
            &mut cols[0],
            "predict_gains",
            "share of customers targeted (most likely first)",
            "share of the target captured",
            vec![
                ("model", c.gains.clone()),
                ("random", vec![[0.0, 0.0], [1.0, 1.0]]),
            ],
        );
        let dark = cols[1].visuals().dark_mode;
        let plot = chart(&cols[1], "predict_calibration", 190.0)
            .legend(Legend::default().position(egui_plot::Corner::RightBottom))
            .x_axis_label("predicted probability")
            .y_axis_label("observed rate")
            .include_x(0.0)
            .include_x(1.0)
            .include_y(0.0)
            .include_y(1.0)
            .show(&mut cols[1], |p| {
                let pts: Vec<[f64; 2]> = c.calibration.iter().map(|b| [b[0], b[1]]).collect();
                p.line(Line::new("model", PlotPoints::from(pts.clone())).color(model_colour(dark)));
                p.points(
                    Points::new("bins", PlotPoints::from(pts))
                        .radius(4.0)
                        .color(model_colour(dark)),
                );
                p.line(
                    Line::new("perfect", PlotPoints::from(vec![[0.0, 0.0], [1.0, 1.0]]))
                        .color(reference_colour(dark)),
                );
            });
        chart_footer(
            &mut cols[1],
            "predict_calibration",
            plot.response.rect,
            "predict_calibration",
        );
    });
    ui.small(format!(
        "{} features from this file's columns: {}",
        r.features.len(),
        r.features
            .iter()
            .map(|f| f.describe())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    ui.label(egui::RichText::new("What drives the scores (mean push on the log-odds)").strong());
    let top = r.importance.first().map_or(1.0, |(_, v)| v.max(1e-12));
    egui::Grid::new("predict_importance")
        .striped(true)
        .show(ui, |ui| {
            for (f, v) in r.importance.iter().take(10) {
                ui.label(f.describe());
                ui.add(
                    egui::ProgressBar::new((v / top) as f32)
                        .desired_width(220.0)
                        .text(format!("{v:.3}")),
                );
                ui.end_row();
            }
        });
    csv_button(ui, "feature importance", || {
        (
            ["feature", "description", "importance"]
                .map(String::from)
                .to_vec(),
            r.importance
                .iter()
                .map(|(f, v)| vec![f.name().to_owned(), f.describe().to_owned(), v.to_string()])
                .collect(),
        )
    });
    ui.separator();
    view.ui(r, bench, pseudonymise, ui);
}

impl Tab for PredictTab {
    fn id(&self) -> &'static str {
        ID
    }

    fn label(&self) -> &'static str {
        "Predict"
    }

    fn on_event(&mut self, event: &Event, bench: &Workbench) {
        match own_run(event, JOB, bench) {
            Some(OwnRun::Trained(entry)) => {
                if let Some(r) = Shown::of(entry) {
                    self.show(r);
                    self.message = None;
                }
            }
            Some(OwnRun::Cancelled { id, .. }) => {
                self.message = Some(format!(
                    "Training cancelled; run #{id} keeps its curve in the Runs tab"
                ))
            }
            Some(OwnRun::Failed(m)) => self.message = Some(m.to_owned()),
            _ => {}
        }
        if let Event::DataLoaded = event {
            // A new file gets a window fitted to it.
            self.settings.window_days = None;
        }
    }

    fn ui(&mut self, ctx: &mut TabContext, ui: &mut egui::Ui) {
        if ctx.bench.dataset().is_none() {
            ui.label("Load orders or events first (Data tab).");
            return;
        };
        side_panel(ui, "predict_controls", 290.0, |ui| {
            self.controls_ui(ctx, ui)
        });
        let curve = ctx.bench.jobs().epochs(JOB);
        main_area(ui, "predict_main", |ui| {
            if let Some(m) = &self.message {
                ui.colored_label(ui.visuals().warn_fg_color, m);
            }
            if !curve.is_empty() && ctx.bench.jobs().is_active(JOB) {
                loss_ui(curve, ui);
            }
            shown_banner(ui, ctx, &mut self.shown, ctx.bench.dataset().map(|d| &**d));
            match self.shown.clone() {
                Some(r) => result_ui(
                    &r.value,
                    ctx.bench,
                    self.pseudonymise,
                    &mut self.customers,
                    ui,
                ),
                None => {
                    ui.label("Pick a cutoff and a window, then press Train: the model learns from the period before and is judged on who bought after, next to the recency rule.");
                }
            }
        });
    }

    fn explore(&mut self, run: &RunEntry, _bench: &Workbench) -> bool {
        let shown = Shown::of(run).map(|result| self.show(result));
        shown.is_some()
    }

    fn settings(&self) -> Vec<&dyn std::any::Any> {
        vec![&self.settings]
    }

    fn perform(&mut self, step: &TourStep, ctx: &mut TabContext) -> Option<Outcome> {
        if step.action != Action::TrainPredict {
            return None;
        }
        let ready = self.shown.is_some() && done_on_current_data(ctx.bench, crate::predict::KIND);
        Some(train_until(
            ctx,
            step,
            ready,
            JOB,
            "training the purchase model",
            |ctx| self.start_training(ctx),
        ))
    }
}

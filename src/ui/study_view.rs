//! A search's study in the Runs tab, growing live as trials end: the
//! optimisation history (every trial's value and the best so far), a slice
//! plot per parameter, parallel coordinates with the best trial in gold,
//! and parameter importance; pruned trials in grey at their last
//! validation value. Resume hands the study back to the sweep form.

use eframe::egui;
use egui_plot::{Legend, Line, PlotPoints, Points};

use super::exporter::csv_button;
use super::plots::{best_colour, chart, chart_footer};
use super::sweep_form::SweepForm;
use crate::registry;
use crate::runs::search::importance::importance;
use crate::runs::search::{best, best_so_far, trials_of, Domain, Study, Trial, TrialState};
use crate::runs::RunRecord;
use crate::workbench::Workbench;

/// Which study is shown (`None`: the latest).
#[derive(Clone, Debug, Default)]
pub(crate) struct StudyView {
    pub shown: Option<u64>,
    /// The importances of (study, trials so far): a forest is too slow to
    /// fit every frame.
    importance: Option<ImportanceFor>,
}

/// Importances and the (study, trial count) they were fit on.
type ImportanceFor = (u64, usize, Vec<(String, f64)>);

const PRUNED: egui::Color32 = egui::Color32::from_gray(150);
const DONE: egui::Color32 = egui::Color32::from_rgb(70, 130, 210);

impl StudyView {
    pub fn ui(&mut self, bench: &Workbench, form: &mut SweepForm, ui: &mut egui::Ui) {
        let history = bench.runs();
        let Some(study) = self
            .shown
            .and_then(|id| history.study(id))
            .or(history.studies.last())
            .cloned()
        else {
            return;
        };
        let records = history.sweep_records(study.id);
        let Some(rule) = registry::capability(study.kind).map(|c| c.metric) else {
            return;
        };
        let trials = trials_of(&records, &rule);
        let metric = records
            .iter()
            .find_map(|r| registry::main_metric(r).map(|(n, _)| n.to_owned()))
            .unwrap_or_else(|| "value".into());
        let count = |s: TrialState| trials.iter().filter(|t| t.state == s).count();
        let header = format!(
            "Study #{} · {} · {} · seed {} · {} trials ({} done, {} pruned, {} failed)",
            study.id,
            study.model,
            study.sampler.name().to_uppercase(),
            study.seed,
            trials.len(),
            count(TrialState::Done),
            count(TrialState::Pruned),
            count(TrialState::Failed),
        );
        egui::CollapsingHeader::new(egui::RichText::new(header).strong())
            .id_salt("study_view")
            .default_open(true)
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    if history.studies.len() > 1 {
                        egui::ComboBox::from_id_salt("study_pick")
                            .selected_text(format!("study #{}", study.id))
                            .show_ui(ui, |ui| {
                                for s in history.studies.iter().rev() {
                                    let label = format!("#{} {} ({})", s.id, s.model, s.sampler.name());
                                    ui.selectable_value(&mut self.shown, Some(s.id), label);
                                }
                            });
                    }
                    match best(&trials) {
                        Some(b) => ui.label(format!(
                            "best {metric} {:.4} at trial {}: {}",
                            b.value.unwrap_or(f64::NAN),
                            b.number + 1,
                            params_text(&study, b)
                        )),
                        None => ui.label("no trial finished yet"),
                    };
                    if ui
                        .button("Resume")
                        .on_hover_text("Set the sweep form to continue this study where it stopped (on the same data)")
                        .clicked()
                    {
                        form.resume(&study);
                    }
                    csv_button(ui, "trials", || trials_table(&study, &trials));
                });
                ui.columns(2, |cols| {
                    history_ui(&mut cols[0], &trials, &metric);
                    let fresh = |c: &(u64, usize, _)| c.0 == study.id && c.1 == trials.len();
                    if !self.importance.as_ref().is_some_and(fresh) {
                        let imp = importance(&study.space, &trials, study.seed);
                        self.importance = Some((study.id, trials.len(), imp));
                    }
                    let imp = self.importance.as_ref().map_or(&[][..], |c| &c.2[..]);
                    importance_ui(&mut cols[1], imp);
                });
                slices_ui(ui, &study, &trials, &metric);
                let done: Vec<&RunRecord> = records
                    .iter()
                    .copied()
                    .filter(|r| r.status == crate::runs::RunStatus::Done)
                    .collect();
                if done.len() >= 2 {
                    let names: Vec<String> = study.space.iter().map(|d| d.name.clone()).collect();
                    let best_id = best(&trials).and_then(|t| t.run);
                    super::runs_compare::parallel_ui(
                        ui,
                        "study_parallel",
                        &done,
                        &names,
                        &metric,
                        best_id,
                    );
                }
            });
    }
}

fn params_text(study: &Study, t: &Trial) -> String {
    study
        .space
        .iter()
        .filter_map(|d| {
            let v = t.params.get(&d.name)?;
            Some(match v.as_f64() {
                Some(x) if x.fract() != 0.0 => format!("{} {}", d.name, crate::display::sig(x, 3)),
                _ => format!("{} {v}", d.name),
            })
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A pruned trial's place on a value axis: its last validation value.
fn last_step(t: &Trial) -> Option<f64> {
    t.steps.last().map(|s| s.1).filter(|v| v.is_finite())
}

fn history_ui(ui: &mut egui::Ui, trials: &[Trial], metric: &str) {
    ui.label(egui::RichText::new("Optimisation history").strong())
        .on_hover_text("Each finished trial's value (blue), pruned trials at their last validation value (grey), and the best so far (gold)");
    let dark = ui.visuals().dark_mode;
    let x = |t: &Trial| (t.number + 1) as f64;
    let done: Vec<[f64; 2]> = trials
        .iter()
        .filter(|t| t.state == TrialState::Done)
        .filter_map(|t| Some([x(t), t.value?]))
        .collect();
    let pruned: Vec<[f64; 2]> = trials
        .iter()
        .filter(|t| t.state == TrialState::Pruned)
        .filter_map(|t| Some([x(t), last_step(t)?]))
        .collect();
    let line: Vec<[f64; 2]> = trials
        .iter()
        .zip(best_so_far(trials))
        .filter_map(|(t, b)| Some([x(t), b?]))
        .collect();
    let response = chart(ui, "study_history", 200.0)
        .legend(Legend::default().position(egui_plot::Corner::RightBottom))
        .x_axis_label("trial")
        .y_axis_label(metric)
        .show(ui, |p| {
            p.points(
                Points::new("trial", PlotPoints::from(done))
                    .radius(4.0)
                    .color(DONE),
            );
            p.points(
                Points::new("pruned", PlotPoints::from(pruned))
                    .radius(3.0)
                    .color(PRUNED),
            );
            p.line(
                Line::new("best so far", PlotPoints::from(line))
                    .color(best_colour(dark))
                    .width(2.5),
            );
        });
    chart_footer(
        ui,
        "study_history",
        response.response.rect,
        "optimisation history",
    );
}

fn importance_ui(ui: &mut egui::Ui, imp: &[(String, f64)]) {
    ui.label(egui::RichText::new("Parameter importance").strong())
        .on_hover_text("Mean decrease in impurity of a random forest (64 trees) fit from the finished trials' parameters to their values, as Optuna's MeanDecreaseImpurityImportanceEvaluator; log-range parameters on the log scale. Shares of 1.");
    if imp.is_empty() {
        ui.label("Needs at least 2 finished trials with different values.");
        return;
    }
    egui::Grid::new("study_importance")
        .striped(true)
        .show(ui, |ui| {
            for (name, share) in imp {
                ui.label(name);
                ui.label(format!("{share:.2}"));
                let (rect, _) =
                    ui.allocate_exact_size(egui::vec2(140.0, 12.0), egui::Sense::hover());
                let bar = egui::Rect::from_min_size(
                    rect.min,
                    egui::vec2(rect.width() * *share as f32, rect.height()),
                );
                ui.painter().rect_filled(bar, 2.0, DONE);
                ui.end_row();
            }
        });
}

/// One small scatter per searched parameter: its value against the metric.
fn slices_ui(ui: &mut egui::Ui, study: &Study, trials: &[Trial], metric: &str) {
    ui.label(egui::RichText::new("Slices").strong())
        .on_hover_text("The metric against each searched parameter (log axes for log ranges; choices by their place in the list); pruned trials in grey at their last validation value");
    let per_row = 3;
    for row in study.space.chunks(per_row) {
        ui.columns(per_row, |cols| {
            for (col, dim) in cols.iter_mut().zip(row) {
                let log = matches!(dim.domain, Domain::Range { log: true, .. });
                let at = |t: &Trial, y: Option<f64>| -> Option<[f64; 2]> {
                    let x = dim.internal(t.params.get(&dim.name)?)?;
                    Some([if log { x.log10() } else { x }, y?])
                };
                let done: Vec<[f64; 2]> = trials
                    .iter()
                    .filter(|t| t.state == TrialState::Done)
                    .filter_map(|t| at(t, t.value))
                    .collect();
                let pruned: Vec<[f64; 2]> = trials
                    .iter()
                    .filter(|t| t.state == TrialState::Pruned)
                    .filter_map(|t| at(t, last_step(t)))
                    .collect();
                let choices = match &dim.domain {
                    Domain::Choices { values } => Some(values.clone()),
                    Domain::Range { .. } => None,
                };
                let id = format!("study_slice_{}", dim.name);
                chart(col, &id, 140.0)
                    .x_axis_label(if log {
                        format!("{} (log)", dim.name)
                    } else {
                        dim.name.clone()
                    })
                    .y_axis_label(metric)
                    .x_axis_formatter(move |mark, _| match &choices {
                        Some(values) => {
                            let k = mark.value.round();
                            if (mark.value - k).abs() > 1e-6 || k < 0.0 {
                                return String::new();
                            }
                            values
                                .get(k as usize)
                                .map(|v| v.to_string())
                                .unwrap_or_default()
                        }
                        None if log => crate::display::sig(10f64.powf(mark.value), 3),
                        None => crate::display::sig(mark.value, 3),
                    })
                    .show(col, |p| {
                        p.points(
                            Points::new("trial", PlotPoints::from(done))
                                .radius(3.5)
                                .color(DONE),
                        );
                        p.points(
                            Points::new("pruned", PlotPoints::from(pruned))
                                .radius(2.5)
                                .color(PRUNED),
                        );
                    });
            }
        });
    }
}

/// The trials as a table: number, state, value, each searched parameter.
fn trials_table(study: &Study, trials: &[Trial]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut header = vec![
        "trial".to_owned(),
        "state".into(),
        "value".into(),
        "run".into(),
    ];
    header.extend(study.space.iter().map(|d| d.name.clone()));
    let rows = trials
        .iter()
        .map(|t| {
            let mut row = vec![
                (t.number + 1).to_string(),
                t.state.name().to_owned(),
                t.value.map(|v| v.to_string()).unwrap_or_default(),
                t.run.map(|r| r.to_string()).unwrap_or_default(),
            ];
            row.extend(study.space.iter().map(|d| {
                t.params
                    .get(&d.name)
                    .map(|v| v.to_string())
                    .unwrap_or_default()
            }));
            row
        })
        .collect();
    (header, rows)
}

//! "Which settings win": the Runs tab's comparison of one model's finished
//! runs — a metric against a parameter (scatter), every varying parameter
//! at once (parallel coordinates), and each parameter's importance.

use eframe::egui;
use egui_plot::{Legend, Line, PlotPoint, PlotPoints, Points, Text, VLine};

use super::exporter::csv_button;
use super::plots::{chart, chart_footer};
use super::widgets::string_combo;
use crate::registry;
use crate::runs::analysis::{
    best_run, metric_names, param_importance, varying_params, wide_positive, Axis,
};
use crate::runs::fingerprint::known_fingerprint;
use crate::runs::{RunRecord, RunStatus};
use crate::workbench::Workbench;

/// The model whose runs are compared, the metric, and the parameter on
/// the scatter's x axis; runs on the loaded data only unless `all_files`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Comparison {
    pub model: String,
    pub metric: String,
    pub x_param: String,
    pub all_files: bool,
}

impl Comparison {
    /// The runs compared: on the loaded data (or every file's).
    fn pool<'a>(&self, bench: &'a Workbench) -> Vec<&'a RunRecord> {
        let loaded = bench.dataset().map(|d| known_fingerprint(d));
        bench
            .runs()
            .entries
            .iter()
            .map(|e| &e.record)
            .filter(|r| self.all_files || loaded.as_ref().is_some_and(|l| l.same_data(&r.data)))
            .collect()
    }

    /// Pick a model and metric to compare when none is chosen (or it vanished).
    pub fn default_choices(&mut self, bench: &Workbench) {
        let pool = self.pool(bench);
        let state = self;
        let Some(last) = pool.last() else {
            return;
        };
        if !pool.iter().any(|r| r.model == state.model) {
            state.model = last.model.clone();
        }
        let runs: Vec<&RunRecord> = pool
            .iter()
            .copied()
            .filter(|r| r.model == state.model)
            .collect();
        let names = metric_names(&runs);
        if !names.contains(&state.metric) {
            state.metric = runs
                .iter()
                .rev()
                .find_map(|r| registry::main_metric(r).map(|(n, _)| n.to_owned()))
                .or_else(|| names.first().cloned())
                .unwrap_or_default();
        }
        let params = varying_params(&runs);
        if !params.contains(&state.x_param) {
            state.x_param = params.first().cloned().unwrap_or_default();
        }
    }

    pub fn ui(&mut self, bench: &Workbench, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.label(egui::RichText::new("Which settings win").strong());
            ui.checkbox(&mut self.all_files, "runs on every file")
                .on_hover_text("Off: only runs on the data loaded now are compared, so a run on another file cannot move the verdict");
        });
        let pool = self.pool(bench);
        let state = self;
        let mut models: Vec<String> = pool.iter().map(|r| r.model.clone()).collect();
        models.sort();
        models.dedup();
        if models.is_empty() {
            ui.label("No runs on the loaded data yet.");
            return;
        }
        let runs: Vec<&RunRecord> = pool
            .iter()
            .copied()
            .filter(|r| r.model == state.model && r.status == RunStatus::Done)
            .collect();
        let metrics = metric_names(&runs);
        let params = varying_params(&runs);
        ui.horizontal(|ui| {
            string_combo(ui, "compare_model", "Runs of", &mut state.model, &models);
            string_combo(ui, "compare_metric", "metric", &mut state.metric, &metrics);
            string_combo(ui, "compare_x", "against", &mut state.x_param, &params);
        });
        if runs.len() < 2 || params.is_empty() {
            ui.label(format!(
            "{} finished run(s) of {}; compare needs at least two whose parameters differ (a sweep makes them).",
            runs.len(),
            state.model
        ));
            return;
        }
        let metric = state.metric.clone();
        let best = best_run(&runs, &metric);
        ui.columns(2, |cols| {
            scatter_ui(&mut cols[0], &runs, &state.x_param, &metric, best);
            importance_ui(&mut cols[1], &runs, &metric);
        });
        parallel_ui(ui, "runs_parallel", &runs, &params, &metric, best);
    }
}

fn scatter_ui(
    ui: &mut egui::Ui,
    runs: &[&RunRecord],
    x_param: &str,
    metric: &str,
    best: Option<u64>,
) {
    let dark = ui.visuals().dark_mode;
    let pts: Vec<(u64, f64, f64)> = runs
        .iter()
        .filter_map(|r| Some((r.id, r.param_value(x_param)?, *r.metrics.get(metric)?)))
        .collect();
    let log_x = wide_positive(pts.iter().map(|p| p.1));
    let tx = move |v: f64| if log_x { v.log10() } else { v };
    let plain: Vec<[f64; 2]> = pts
        .iter()
        .filter(|p| Some(p.0) != best)
        .map(|p| [tx(p.1), p.2])
        .collect();
    let top: Vec<[f64; 2]> = pts
        .iter()
        .filter(|p| Some(p.0) == best)
        .map(|p| [tx(p.1), p.2])
        .collect();
    let response = chart(ui, "runs_scatter", 220.0)
        .legend(Legend::default().position(egui_plot::Corner::RightBottom))
        .x_axis_label(if log_x {
            format!("{x_param} (log)")
        } else {
            x_param.to_owned()
        })
        .y_axis_label(metric)
        .x_axis_formatter(move |mark, _| {
            let v = if log_x {
                10f64.powf(mark.value)
            } else {
                mark.value
            };
            format!("{}", (v * 1e4).round() / 1e4)
        })
        .show(ui, |p| {
            p.points(Points::new("runs", PlotPoints::from(plain)).radius(4.0));
            if let Some(id) = best {
                p.points(
                    Points::new(format!("best #{id}"), PlotPoints::from(top))
                        .radius(7.0)
                        .shape(egui_plot::MarkerShape::Diamond)
                        .color(super::plots::best_colour(dark)),
                );
            }
        });
    chart_footer(
        ui,
        "runs_scatter",
        response.response.rect,
        "metric vs parameter",
    );
}

fn importance_ui(ui: &mut egui::Ui, runs: &[&RunRecord], metric: &str) {
    ui.label(egui::RichText::new("Parameter importance").strong())
        .on_hover_text("Pearson correlation between each parameter (log10 of it when its values span more than a factor of 10) and the metric, over the finished runs shown. A first look: it sees only straight-line effects, and parameters varied together share the credit.");
    let importance = param_importance(runs, metric);
    if importance.is_empty() {
        ui.label("Needs at least 3 runs whose parameters vary.");
        return;
    }
    csv_button(ui, "parameter importance", || {
        (
            vec![
                "parameter".into(),
                "correlation".into(),
                "log_scale".into(),
                "runs".into(),
            ],
            importance
                .iter()
                .map(|i| {
                    vec![
                        i.param.clone(),
                        i.correlation.to_string(),
                        i.log_scale.to_string(),
                        i.runs.to_string(),
                    ]
                })
                .collect(),
        )
    });
    egui::Grid::new("importance").striped(true).show(ui, |ui| {
        for i in &importance {
            ui.label(if i.log_scale {
                format!("log {}", i.param)
            } else {
                i.param.clone()
            });
            ui.label(format!("{:+.2}", i.correlation));
            let (rect, _) = ui.allocate_exact_size(egui::vec2(120.0, 12.0), egui::Sense::hover());
            let mid = rect.center().x;
            let end = mid + i.correlation as f32 * rect.width() / 2.0;
            let bar = egui::Rect::from_x_y_ranges(mid.min(end)..=mid.max(end), rect.y_range());
            let color = if i.correlation >= 0.0 {
                egui::Color32::from_rgb(80, 160, 90)
            } else {
                egui::Color32::from_rgb(200, 90, 80)
            };
            ui.painter().rect_filled(bar, 2.0, color);
            ui.painter().vline(
                mid,
                rect.y_range(),
                ui.visuals().widgets.noninteractive.fg_stroke,
            );
            ui.label(crate::display::count(i.runs, "run", "runs"));
            ui.end_row();
        }
    });
}

pub(crate) fn parallel_ui(
    ui: &mut egui::Ui,
    id: &str,
    runs: &[&RunRecord],
    params: &[String],
    metric: &str,
    best: Option<u64>,
) {
    let dark = ui.visuals().dark_mode;
    ui.add_space(6.0);
    ui.label(egui::RichText::new("Parallel coordinates").strong())
        .on_hover_text("One line per run through its parameter values and the metric (each axis scaled from its lowest to its highest value; log axes for values spanning decades). The best run is gold.");
    let mut axes: Vec<Axis> = params
        .iter()
        .map(|p| {
            let values: Vec<f64> = runs.iter().filter_map(|r| r.param_value(p)).collect();
            Axis::fit(p, &values)
        })
        .collect();
    let metric_values: Vec<f64> = runs
        .iter()
        .filter_map(|r| r.metrics.get(metric).copied())
        .collect();
    axes.push(Axis::fit(metric, &metric_values));
    let n_axes = axes.len();
    let names: Vec<String> = axes.iter().map(|a| a.name.clone()).collect();
    let metric_axis = axes[n_axes - 1].clone();
    let response = chart(ui, id, 240.0)
        .allow_drag(false)
        .allow_zoom(false)
        .show_y(false)
        .show_grid(false)
        .include_x(-0.15)
        .include_x(n_axes as f64 - 0.85)
        .y_axis_formatter(|_, _| String::new())
        .x_axis_formatter(move |mark, _| {
            let k = mark.value.round();
            if (mark.value - k).abs() > 1e-6 || k < 0.0 {
                return String::new();
            }
            names.get(k as usize).cloned().unwrap_or_default()
        })
        .include_y(-0.08)
        .include_y(1.08)
        .show(ui, |p| {
            for (i, a) in axes.iter().enumerate() {
                p.vline(
                    VLine::new(a.name.clone(), i as f64)
                        .color(egui::Color32::GRAY)
                        .width(1.0),
                );
                let fmt = |v: f64| format!("{}", (v * 1e4).round() / 1e4);
                p.text(Text::new(
                    format!("{} max", a.name),
                    PlotPoint::new(i as f64, 1.05),
                    egui::RichText::new(fmt(a.value_at(1.0))).size(13.0),
                ));
                p.text(Text::new(
                    format!("{} min", a.name),
                    PlotPoint::new(i as f64, -0.05),
                    egui::RichText::new(fmt(a.value_at(0.0))).size(13.0),
                ));
            }
            let mut best_line = None;
            for r in runs {
                let Some(&m) = r.metrics.get(metric) else {
                    continue;
                };
                let pts: Option<Vec<[f64; 2]>> = axes
                    .iter()
                    .enumerate()
                    .map(|(i, a)| {
                        let v = if i + 1 == n_axes {
                            Some(m)
                        } else {
                            r.param_value(&a.name)
                        };
                        v.map(|v| [i as f64, a.position(v)])
                    })
                    .collect();
                let Some(pts) = pts else { continue };
                if Some(r.id) == best {
                    best_line = Some((r.id, pts));
                    continue;
                }
                // Colour from blue (worst) to orange (best) by the metric.
                let t = metric_axis.position(m) as f32;
                let color = egui::Color32::from_rgb(
                    (60.0 + 180.0 * t) as u8,
                    (110.0 + 40.0 * t) as u8,
                    (220.0 - 170.0 * t) as u8,
                );
                p.line(
                    Line::new(format!("#{}", r.id), PlotPoints::from(pts))
                        .color(color)
                        .width(1.5),
                );
            }
            if let Some((id, pts)) = best_line {
                p.line(
                    Line::new(format!("best #{id}"), PlotPoints::from(pts))
                        .color(super::plots::best_colour(dark))
                        .width(4.0),
                );
            }
        });
    chart_footer(ui, id, response.response.rect, "parallel coordinates");
}

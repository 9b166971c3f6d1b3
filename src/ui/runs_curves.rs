//! The Runs tab's curves: the ticked runs' training loss on one chart and
//! their validation metrics on one chart per metric (NDCG@10 and accuracy
//! never share an axis), against epochs, seconds or the share of each run
//! done (so a 15-epoch run and a 1,000-epoch run can be read side by side).

use eframe::egui;
use egui_plot::{Legend, Line, PlotPoints};

use super::plots::{chart, chart_footer};
use crate::runs::analysis::ema;
use crate::runs::RunRecord;
use crate::task::EpochEvent;

/// What the curves are drawn against.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CurveX {
    #[default]
    Epoch,
    /// Seconds since the run started.
    Seconds,
    /// The share of the run's own epochs, 0 to 1.
    Progress,
}

impl CurveX {
    fn label(self) -> &'static str {
        match self {
            CurveX::Epoch => "epoch",
            CurveX::Seconds => "seconds",
            CurveX::Progress => "share of the run done",
        }
    }

    fn of(self, e: &EpochEvent, epochs: usize) -> f64 {
        match self {
            CurveX::Epoch => e.epoch as f64,
            CurveX::Seconds => e.secs,
            CurveX::Progress => e.epoch as f64 / epochs.max(1) as f64,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub(crate) struct CurveView {
    /// EMA weight of the smoothing, 0 (off) to 0.99.
    pub smoothing: f64,
    pub log_y: bool,
    pub x: CurveX,
}

/// One line: a name that starts with the run's id (so runs of one model stay
/// apart in the legend) and its points.
type Series = (String, Vec<[f64; 2]>);

impl CurveView {
    pub fn ui(&mut self, runs: &[&RunRecord], live: &[EpochEvent], ui: &mut egui::Ui) {
        ui.label(egui::RichText::new("Curves").strong());
        ui.horizontal_wrapped(|ui| {
            ui.add(egui::Slider::new(&mut self.smoothing, 0.0..=0.99).text("EMA smoothing"))
                .on_hover_text("Exponential moving average: each point = w × previous smoothed + (1 − w) × this point");
            ui.checkbox(&mut self.log_y, "log y");
            ui.label("against");
            for x in [CurveX::Epoch, CurveX::Seconds, CurveX::Progress] {
                ui.radio_value(&mut self.x, x, x.label());
            }
        });
        if runs.is_empty() && live.is_empty() {
            ui.label("Tick runs in the table to overlay their loss and validation curves.");
            return;
        }
        let without: Vec<String> = runs
            .iter()
            .filter(|r| r.curve.is_empty())
            .map(|r| format!("#{}", r.id))
            .collect();
        if !without.is_empty() {
            ui.label(
                egui::RichText::new(format!(
                    "No curve (the model fits in one step): {}",
                    without.join(", ")
                ))
                .weak(),
            );
        }
        let mut loss: Vec<Series> = Vec::new();
        // Validation metrics by name, in order of first appearance.
        let mut metrics: Vec<(String, Vec<Series>)> = Vec::new();
        let mut add = |name: String, curve: &[EpochEvent]| {
            let epochs = curve.last().map_or(1, |e| e.epoch);
            let points: Vec<(f64, f64)> = curve
                .iter()
                .map(|e| (self.x.of(e, epochs), e.loss))
                .filter(|p| p.1.is_finite())
                .collect();
            if !points.is_empty() {
                loss.push((name.clone(), self.smoothed(points)));
            }
            let mut by_metric: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
            for e in curve {
                if let Some((m, v)) = &e.metric {
                    let x = self.x.of(e, epochs);
                    match by_metric.iter_mut().find(|(n, _)| n == m) {
                        Some((_, pts)) => pts.push((x, *v)),
                        None => by_metric.push((m.clone(), vec![(x, *v)])),
                    }
                }
            }
            for (m, pts) in by_metric {
                let line = (name.clone(), self.smoothed(pts));
                match metrics.iter_mut().find(|(n, _)| *n == m) {
                    Some((_, lines)) => lines.push(line),
                    None => metrics.push((m, vec![line])),
                }
            }
        };
        for r in runs {
            add(format!("#{} {}", r.id, r.model), &r.curve);
        }
        if !live.is_empty() {
            add("running".into(), live);
        }
        self.chart_ui("runs_loss", "training loss", &loss, ui);
        for (i, (metric, lines)) in metrics.iter().enumerate() {
            self.chart_ui(&format!("runs_metric_{i}"), metric, lines, ui);
        }
    }

    fn smoothed(&self, points: Vec<(f64, f64)>) -> Vec<[f64; 2]> {
        let ys: Vec<f64> = points.iter().map(|p| p.1).collect();
        let log_y = self.log_y;
        points
            .iter()
            .zip(ema(&ys, self.smoothing))
            .filter(|(_, y)| y.is_finite() && (!log_y || *y > 0.0))
            .map(|(p, y)| [p.0, if log_y { y.log10() } else { y }])
            .collect()
    }

    fn chart_ui(&self, id: &str, name: &str, lines: &[Series], ui: &mut egui::Ui) {
        if lines.is_empty() {
            return;
        }
        let log_y = self.log_y;
        let response = chart(ui, id, 200.0)
            .legend(Legend::default().position(egui_plot::Corner::RightTop))
            .x_axis_label(self.x.label())
            .y_axis_label(if log_y {
                format!("{name} (log)")
            } else {
                name.to_owned()
            })
            .y_axis_formatter(move |mark, _| {
                if log_y {
                    format!("{:.3}", 10f64.powf(mark.value))
                } else {
                    format!("{:.3}", mark.value)
                }
            })
            .show(ui, |p| {
                for (label, points) in lines {
                    let line = Line::new(label.clone(), PlotPoints::from(points.clone()));
                    p.line(if label == "running" {
                        line.style(egui_plot::LineStyle::dashed_loose())
                    } else {
                        line
                    });
                }
            });
        chart_footer(ui, id, response.response.rect, name);
    }
}

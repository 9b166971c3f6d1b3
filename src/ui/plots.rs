//! Every chart's frame ([`chart`], [`chart_footer`]) and small plot
//! helpers shared by the tabs.

use eframe::egui;
use egui_plot::{Bar, BarChart, Legend, Line, Plot, PlotPoints};

use crate::data::profile::{CountSummary, DayCount};
use crate::task::EpochEvent;

fn reset_id(id: &str) -> egui::Id {
    egui::Id::unique(("shoplens_chart_reset", id))
}

/// A chart as every tab draws it. The page's scroll wheel never pans it:
/// drag to pan, Ctrl + wheel to zoom, double-click or **Reset view**
/// ([`chart_footer`]) to go back. Tick labels come at 1, 2 and 5 × 10ⁿ so
/// both axes carry numbers at any height.
pub fn chart<'a>(ui: &egui::Ui, id: &str, height: f32) -> Plot<'a> {
    let reset = ui
        .ctx()
        .data_mut(|d| d.remove_temp::<bool>(reset_id(id)))
        .unwrap_or(false);
    let plot = Plot::new(id)
        .height(height)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .x_grid_spacer(egui_plot::uniform_grid_spacer(|input| {
            nice_steps(input.base_step_size)
        }))
        .y_grid_spacer(egui_plot::uniform_grid_spacer(|input| {
            nice_steps(input.base_step_size)
        }))
        .x_axis_formatter(|mark, _| tick_label(mark))
        .y_axis_formatter(|mark, _| tick_label(mark))
        .y_axis_min_width(36.0);
    if reset {
        plot.reset()
    } else {
        plot
    }
}

/// The colour of series `i` (a policy, a model), with one meaning in every
/// chart; darker on the light theme so it reads on white (Okabe–Ito hues).
pub fn series_colour(dark: bool, i: usize) -> egui::Color32 {
    // Each hue on the dark theme, then on the light one.
    const HUES: [[(u8, u8, u8); 2]; 6] = [
        [(160, 160, 160), (90, 90, 90)],
        [(230, 160, 40), (170, 100, 0)],
        [(86, 180, 233), (0, 90, 170)],
        [(0, 190, 130), (0, 120, 80)],
        [(230, 110, 40), (180, 60, 0)],
        [(204, 121, 167), (150, 60, 120)],
    ];
    let (r, g, b) = HUES[i % HUES.len()][usize::from(!dark)];
    egui::Color32::from_rgb(r, g, b)
}

/// What marks the best run: gold on the dark theme, deep orange on the light.
pub fn best_colour(dark: bool) -> egui::Color32 {
    if dark {
        egui::Color32::GOLD
    } else {
        egui::Color32::from_rgb(190, 90, 0)
    }
}

/// Three nested grid steps on the 1-2-5 ladder, the finest at least
/// `smallest`: ticks read 0, 2,000, 4,000, not 0, 3,125, 6,250 (the
/// power-of-5 spacing egui_plot offers). Each step divides the next.
pub fn nice_steps(smallest: f64) -> [f64; 3] {
    if !(smallest.is_finite() && smallest > 0.0) {
        return [1.0, 5.0, 10.0];
    }
    let decade = 10f64.powf(smallest.log10().floor());
    let mantissa = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .find(|m| m * decade >= smallest * (1.0 - 1e-9))
        .unwrap_or(10.0);
    let fine = mantissa * decade;
    // 1 → 5 → 10, 2 → 10 → 20, 5 → 10 → 50: every step divides the next.
    let mid = if mantissa == 5.0 { 2.0 } else { 5.0 };
    [fine, fine * mid, fine * 10.0]
}

/// A tick's number with as many decimals as its step needs (0.04 at a
/// step of 0.01, not "0.0"), thousands separated.
pub fn tick_label(mark: egui_plot::GridMark) -> String {
    let decimals = (-mark.step_size.log10()).ceil().clamp(0.0, 6.0) as usize;
    if decimals == 0 && mark.value.abs() >= 1000.0 && mark.value.abs() < 1e15 {
        let v = mark.value.round();
        let sign = if v < 0.0 { "-" } else { "" };
        return format!("{sign}{}", crate::display::thousands(v.abs() as u64));
    }
    format!("{:.*}", decimals, mark.value)
}

/// Under a chart drawn in `rect`: **Save PNG…** and **Reset view**.
pub fn chart_footer(ui: &mut egui::Ui, id: &str, rect: egui::Rect, name: &str) {
    ui.horizontal(|ui| {
        crate::ui::exporter::png_button(ui, rect, name);
        if ui
            .small_button("Reset view")
            .on_hover_text("Back to the whole chart (drag pans, Ctrl + wheel zooms)")
            .clicked()
        {
            ui.ctx().data_mut(|d| d.insert_temp(reset_id(id), true));
        }
    });
}

/// Interactions-per-key histogram on log2 bins with a log10 count axis.
pub fn log_histogram_ui(ui: &mut egui::Ui, id: &str, title: &str, summary: &CountSummary) {
    ui.label(egui::RichText::new(title).strong());
    ui.label(format!(
        "min {} · median {} · mean {:.1} · max {}",
        summary.min, summary.median, summary.mean, summary.max
    ));
    let bars: Vec<Bar> = summary
        .histogram
        .iter()
        .enumerate()
        .filter(|(_, b)| b.count > 0)
        .map(|(k, b)| {
            Bar::new(k as f64, (b.count as f64).log10() + 1.0)
                .width(0.85)
                .name(format!("{}–{}: {}", b.lo, b.hi - 1, b.count))
        })
        .collect();
    let bins: Vec<(u64, u64)> = summary.histogram.iter().map(|b| (b.lo, b.hi)).collect();
    let png_plot = chart(ui, id, 160.0)
        .allow_drag(false)
        .allow_zoom(false)
        .x_axis_label("interactions (log₂ bins)")
        .y_axis_label("count (log₁₀)")
        .x_axis_formatter(move |mark, _| {
            let k = mark.value.round();
            if (mark.value - k).abs() > 1e-6 || k < 0.0 {
                return String::new();
            }
            bins.get(k as usize)
                .map(|(lo, _)| format!("≥{lo}"))
                .unwrap_or_default()
        })
        .y_axis_formatter(|mark, _| {
            let v = mark.value - 1.0;
            if v < 0.0 || (v - v.round()).abs() > 1e-6 {
                String::new()
            } else {
                format!("{}", 10f64.powi(v.round() as i32))
            }
        })
        .show(ui, |plot_ui| plot_ui.bar_chart(BarChart::new(title, bars)));
    chart_footer(ui, id, png_plot.response.rect, id);
}

/// Events per day.
pub fn daily_ui(ui: &mut egui::Ui, daily: &[DayCount]) {
    let points: Vec<[f64; 2]> = daily
        .iter()
        .enumerate()
        .map(|(i, d)| [i as f64, d.events as f64])
        .collect();
    let labels: Vec<String> = daily.iter().map(|d| d.day.clone()).collect();
    let png_plot = chart(ui, "daily", 180.0)
        .x_axis_label("day")
        .y_axis_label("events")
        .x_axis_formatter(move |mark, _| {
            let k = mark.value.round();
            if (mark.value - k).abs() > 1e-6 || k < 0.0 {
                return String::new();
            }
            labels.get(k as usize).cloned().unwrap_or_default()
        })
        .label_formatter({
            let labels: Vec<String> = daily.iter().map(|d| d.day.clone()).collect();
            move |hover| match hover {
                egui_plot::HoverPosition::NearDataPoint { position, .. } => {
                    let k = position.x.round().max(0.0) as usize;
                    Some(format!(
                        "{}: {:.0} events",
                        labels.get(k).cloned().unwrap_or_default(),
                        position.y
                    ))
                }
                _ => None,
            }
        })
        .show(ui, |plot_ui| {
            plot_ui.line(Line::new("events per day", PlotPoints::from(points)))
        });
    chart_footer(ui, "daily", png_plot.response.rect, "events per day");
}

/// Bars with text labels on the x axis.
pub fn labelled_bars_ui(ui: &mut egui::Ui, id: &str, name: &str, values: &[(String, f64)]) {
    let bars: Vec<Bar> = values
        .iter()
        .enumerate()
        .map(|(i, (label, v))| {
            Bar::new(i as f64, *v)
                .width(0.7)
                .name(format!("{label}: {v}"))
        })
        .collect();
    let labels: Vec<String> = values.iter().map(|(l, _)| l.clone()).collect();
    let png_plot = chart(ui, id, 150.0)
        .allow_drag(false)
        .allow_zoom(false)
        .x_axis_formatter(move |mark, _| {
            let k = mark.value.round();
            if (mark.value - k).abs() > 1e-6 || k < 0.0 {
                return String::new();
            }
            labels.get(k as usize).cloned().unwrap_or_default()
        })
        .show(ui, |plot_ui| plot_ui.bar_chart(BarChart::new(name, bars)));
    chart_footer(ui, id, png_plot.response.rect, id);
}

/// A model's training loss and validation metric by epoch, titled with the
/// epoch count and time per epoch (nothing for a model fitted in one step).
pub fn training_curves_ui(epochs: &[EpochEvent], ui: &mut egui::Ui) {
    if epochs.is_empty() {
        // Popular, item kNN, EASE and the session kNNs fit in one step.
        return;
    }
    // `secs` is the time since training started, so the last over the count
    // is the mean time an epoch took (validation included).
    let per_epoch = epochs.last().map_or(0.0, |e| e.secs / epochs.len() as f64);
    ui.label(
        egui::RichText::new(format!(
            "Training curves ({}, {})",
            crate::display::count_of(epochs.len(), "epochs"),
            crate::display::seconds_per_epoch(per_epoch)
        ))
        .strong(),
    );
    let loss: Vec<[f64; 2]> = epochs
        .iter()
        .filter(|e| e.loss.is_finite())
        .map(|e| [e.epoch as f64, e.loss])
        .collect();
    let metric: Vec<[f64; 2]> = epochs
        .iter()
        .filter_map(|e| e.metric.as_ref().map(|(_, v)| [e.epoch as f64, *v]))
        .collect();
    let metric_name = epochs
        .iter()
        .find_map(|e| e.metric.as_ref().map(|(n, _)| n.clone()))
        .unwrap_or_else(|| "validation".into());
    ui.columns(2, |cols| {
        let png_plot = chart(&cols[0], "loss_curve", 170.0)
            .legend(Legend::default())
            .x_axis_label("epoch")
            .show(&mut cols[0], |p| {
                p.line(Line::new("training loss", PlotPoints::from(loss)))
            });
        chart_footer(
            &mut cols[0],
            "loss_curve",
            png_plot.response.rect,
            "training loss",
        );
        if metric.is_empty() {
            // Before the first validation (or with validation off) an empty
            // chart would only show made-up axes.
            cols[1].label(
                egui::RichText::new("The validation curve starts at the first validation epoch (set by \"validate every\").")
                    .weak(),
            );
            return;
        }
        let png_plot = chart(&cols[1], "metric_curve", 170.0)
            .legend(Legend::default())
            .x_axis_label("epoch")
            .show(&mut cols[1], |p| {
                p.line(Line::new(metric_name.clone(), PlotPoints::from(metric)))
            });
        chart_footer(
            &mut cols[1],
            "metric_curve",
            png_plot.response.rect,
            "validation metric",
        );
    });
}

#[cfg(test)]
mod tests {
    use super::nice_steps;

    fn close(a: [f64; 3], b: [f64; 3]) -> bool {
        a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= 1e-9 * y.abs())
    }

    #[test]
    fn grid_steps_follow_the_one_two_five_ladder_and_nest() {
        assert!(close(nice_steps(0.7), [1.0, 5.0, 10.0]));
        assert!(close(nice_steps(1.0), [1.0, 5.0, 10.0]));
        assert!(close(nice_steps(130.0), [200.0, 1000.0, 2000.0]));
        assert!(close(nice_steps(0.003), [0.005, 0.01, 0.05]));
        assert!(close(nice_steps(6.0), [10.0, 50.0, 100.0]));
        for smallest in [0.0012, 0.37, 3.3, 48.0, 7e5] {
            let [a, b, c] = nice_steps(smallest);
            assert!(a >= smallest * (1.0 - 1e-9));
            for (fine, coarse) in [(a, b), (b, c)] {
                let ratio = coarse / fine;
                assert!(
                    (ratio - ratio.round()).abs() < 1e-9,
                    "{fine} divides {coarse}"
                );
            }
        }
        assert!(close(nice_steps(f64::NAN), [1.0, 5.0, 10.0]));
    }
}

//! Small plot helpers shared by the tabs.

use eframe::egui;
use egui_plot::{Bar, BarChart, Line, Plot, PlotPoints};

use crate::data::profile::{CountSummary, DayCount};

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
    let png_plot = Plot::new(id)
        .height(160.0)
        .allow_scroll(false)
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
    crate::ui::exporter::png_button(ui, png_plot.response.rect, id);
}

/// Events per day.
pub fn daily_ui(ui: &mut egui::Ui, daily: &[DayCount]) {
    let points: Vec<[f64; 2]> = daily
        .iter()
        .enumerate()
        .map(|(i, d)| [i as f64, d.events as f64])
        .collect();
    let labels: Vec<String> = daily.iter().map(|d| d.day.clone()).collect();
    let png_plot = Plot::new("daily")
        .height(180.0)
        .allow_scroll(false)
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
    crate::ui::exporter::png_button(ui, png_plot.response.rect, "events per day");
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
    let png_plot = Plot::new(id)
        .height(150.0)
        .allow_scroll(false)
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
    crate::ui::exporter::png_button(ui, png_plot.response.rect, id);
}

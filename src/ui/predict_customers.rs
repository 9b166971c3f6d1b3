//! The Predict tab's customer list: everyone active at the data's end, most
//! likely first, with their top reasons; a search by id; a click opens the
//! customer's detail — every feature, its value and how far it pushed the
//! score — and the top decile exports as a voucher list.

use eframe::egui;

use super::exporter::csv_button;
use super::widgets::header_row;
use crate::predict::features::day_label;
use crate::predict::task::{PredictResult, Scored, Target};
use crate::workbench::Workbench;

/// How many rows of the list are drawn; the export holds the whole decile.
const SHOWN: usize = 30;

#[derive(Default)]
pub struct CustomerView {
    /// Rank (index into `PredictResult::scored`) of the customer in detail.
    selected: Option<usize>,
    /// Scroll the detail into view on the frame after a click.
    reveal: bool,
    find: String,
    /// The rows shown for `find` (as searched), so a search over a long list
    /// runs when the text changes, not every frame.
    found: Option<(String, Vec<usize>)>,
}

fn reasons(s: &Scored) -> String {
    s.reasons
        .iter()
        .map(|(f, v, _)| f.reason(*v))
        .collect::<Vec<_>>()
        .join(" · ")
}

impl CustomerView {
    pub fn ui(
        &mut self,
        r: &PredictResult,
        bench: &Workbench,
        pseudonymise: bool,
        ui: &mut egui::Ui,
    ) {
        let goal = if r.target == Target::Churn {
            "likely to slip away"
        } else {
            "likely to buy"
        };
        ui.label(
            egui::RichText::new(format!(
                "Customers at {} ({goal}), most likely first",
                day_label(r.scored_at)
            ))
            .strong(),
        );
        let pseudonym =
            pseudonymise.then(|| crate::export::Pseudonymizer::new(&bench.workspace().salt));
        let id = |c: &str| {
            pseudonym
                .as_ref()
                .map_or_else(|| c.to_owned(), |p| p.pseudonym(c))
        };
        ui.horizontal(|ui| {
            let label = ui.label("find customer");
            ui.add_sized(
                [160.0, 20.0],
                egui::TextEdit::singleline(&mut self.find).hint_text("id, or part of one"),
            )
            .labelled_by(label.id);
        });
        let needle = self.find.trim().to_lowercase();
        if self.found.as_ref().is_none_or(|(n, _)| *n != needle) {
            let rows = (0..r.scored.len())
                .filter(|&k| {
                    needle.is_empty() || r.scored[k].customer.to_lowercase().contains(&needle)
                })
                .take(SHOWN)
                .collect();
            self.found = Some((needle, rows));
        }
        let rows = self
            .found
            .as_ref()
            .map(|(_, rows)| rows.clone())
            .unwrap_or_default();
        if rows.is_empty() {
            ui.label(format!("No customer id contains '{}'.", self.find.trim()));
        }
        egui::Grid::new("predict_customers")
            .striped(true)
            .show(ui, |ui| {
                header_row(ui, &["rank", "customer", "probability", "top reasons"]);
                for &k in &rows {
                    let s = &r.scored[k];
                    ui.label((k + 1).to_string());
                    let open = self.selected == Some(k);
                    if ui
                        .selectable_label(open, id(&s.customer))
                        .on_hover_text("show every feature of this customer")
                        .clicked()
                    {
                        self.selected = (!open).then_some(k);
                        self.reveal = !open;
                    }
                    ui.label(format!("{:.1}%", s.probability * 100.0));
                    ui.label(reasons(s));
                    ui.end_row();
                }
            });
        let decile = r.scored.len().div_ceil(10);
        csv_button(ui, "top decile", || {
            (
                ["rank", "customer", "probability", "reasons"]
                    .map(String::from)
                    .to_vec(),
                r.scored
                    .iter()
                    .take(decile)
                    .enumerate()
                    .map(|(k, s)| {
                        vec![
                            (k + 1).to_string(),
                            id(&s.customer),
                            s.probability.to_string(),
                            reasons(s),
                        ]
                    })
                    .collect(),
            )
        });
        ui.small(format!(
            "the top decile: {decile} of {} customers",
            r.scored.len()
        ));
        if let Some(k) = self.selected {
            let heading = detail_ui(r, k, &id(&r.scored[k].customer), goal, ui);
            if std::mem::take(&mut self.reveal) {
                if let Some(h) = heading {
                    h.scroll_to_me(Some(egui::Align::TOP));
                }
            }
        }
    }
}

/// One customer's every feature, strongest push first.
/// Returns the heading, so a fresh selection can scroll it into view.
fn detail_ui(
    r: &PredictResult,
    rank: usize,
    shown_id: &str,
    goal: &str,
    ui: &mut egui::Ui,
) -> Option<egui::Response> {
    let s = r.scored.get(rank)?;
    ui.separator();
    let heading = ui.label(
        egui::RichText::new(format!(
            "{shown_id}: {:.1}% {goal} within {} days (rank {} of {})",
            s.probability * 100.0,
            r.window_days,
            rank + 1,
            r.scored.len()
        ))
        .strong(),
    );
    let Some(rows) = r.detail(rank) else {
        ui.label(
            "This run was saved without the customers' feature values; train it again to see them.",
        );
        return Some(heading);
    };
    ui.small("push: how far the feature moves the score, in log-odds; + towards the goal, − away from it");
    let widest = rows
        .iter()
        .map(|r| r.2.abs())
        .fold(0.0, f64::max)
        .max(1e-12);
    let up = ui.visuals().selection.bg_fill;
    let down = ui.visuals().warn_fg_color;
    egui::Grid::new("predict_customer_detail")
        .striped(true)
        .show(ui, |ui| {
            header_row(ui, &["feature", "this customer", "push", ""]);
            for (f, v, push) in rows {
                ui.label(f.describe());
                ui.label(f.reason(v));
                ui.label(format!("{push:+.3}"));
                let (rect, _) =
                    ui.allocate_exact_size(egui::vec2(120.0, 12.0), egui::Sense::hover());
                let mid = rect.center().x;
                let len = (push.abs() / widest) as f32 * rect.width() / 2.0;
                let bar = if push >= 0.0 {
                    egui::Rect::from_min_max(
                        egui::pos2(mid, rect.top()),
                        egui::pos2(mid + len, rect.bottom()),
                    )
                } else {
                    egui::Rect::from_min_max(
                        egui::pos2(mid - len, rect.top()),
                        egui::pos2(mid, rect.bottom()),
                    )
                };
                ui.painter()
                    .rect_filled(bar, 0.0, if push >= 0.0 { up } else { down });
                ui.end_row();
            }
        });
    Some(heading)
}

//! The Data tab: summary cards, column mapping with a preview, event weights, and
//! the profile (events, funnel, activity, distributions, top items, ratings).

use eframe::egui;

use super::tabs::Tab;
use super::widgets::{header_row, main_area, side_panel};
use super::{plots, TabContext};
use crate::data::feedback::{FeedbackProfile, RateRow};
use crate::data::profile::Profile;
use crate::data::{EventKind, EventWeights, Role};
use crate::display::thousands;
use crate::workbench::{Command, Event, JobKind, LoadedData, Workbench};

/// The mapping panel's draft and the event weights as edited.
/// The tab's id.
pub(crate) const ID: &str = "data";

pub(crate) struct DataTab {
    /// Role → column chosen in the mapping panel (applied with "Apply mapping").
    pub draft_roles: Vec<(Role, Option<String>)>,
    pub draft_keep_uncleaned: bool,
    pub weights: EventWeights,
}

impl DataTab {
    pub fn new(weights: EventWeights) -> Self {
        Self {
            draft_roles: Vec::new(),
            draft_keep_uncleaned: false,
            weights,
        }
    }
}

fn card(ui: &mut egui::Ui, title: &str, value: String) {
    card_with_note(ui, title, value, None);
}

/// A summary card; the note (small, under the value) says what the value counts.
fn card_with_note(ui: &mut egui::Ui, title: &str, value: String, note: Option<String>) {
    egui::Frame::group(ui.style())
        .inner_margin(8.0)
        .show(ui, |ui| {
            ui.set_min_width(110.0);
            ui.vertical(|ui| {
                ui.label(egui::RichText::new(title).small().weak());
                ui.label(egui::RichText::new(value).heading());
                if let Some(note) = note {
                    ui.label(egui::RichText::new(note).small().weak());
                }
            });
        });
}

/// The malformed lines the load left out (when asked to), said before
/// anything else: every number below is without them.
fn skipped_lines_ui(ui: &mut egui::Ui, p: &Profile) {
    let Some(summary) = p.skipped_lines.summary() else {
        return;
    };
    ui.colored_label(ui.visuals().warn_fg_color, summary);
    egui::CollapsingHeader::new("Lines left out")
        .id_salt("skipped_lines")
        .show(ui, |ui| {
            egui::Grid::new("skipped_lines_grid")
                .striped(true)
                .show(ui, |ui| {
                    ui.strong("line");
                    ui.strong("why");
                    ui.end_row();
                    for s in &p.skipped_lines.first {
                        ui.label(thousands(s.line));
                        ui.label(&s.reason);
                        ui.end_row();
                    }
                });
            let listed = p.skipped_lines.first.len() as u64;
            if p.skipped_lines.count > listed {
                ui.weak(format!(
                    "and {} more",
                    thousands(p.skipped_lines.count - listed)
                ));
            }
        });
}

fn summary_cards_ui(ui: &mut egui::Ui, p: &Profile) {
    ui.horizontal_wrapped(|ui| {
        ui.heading(crate::display::display_name(std::path::Path::new(&p.file)));
        ui.label(format!("format: {} — {}", p.format, p.format_description));
        if let Some(sep) = &p.separator {
            ui.label(format!("· separator {sep}"));
        }
    });
    skipped_lines_ui(ui, p);
    ui.horizontal_wrapped(|ui| {
        // Order data is cleaned before anything is trained: the cards count what
        // the models see and say what the file had.
        let before = |n: u64| Some(format!("of {} in the file", thousands(n)));
        match &p.cleaning {
            Some(c) => {
                card_with_note(
                    ui,
                    "Rows kept",
                    format!("{} rows", thousands(c.rows_after)),
                    before(p.rows),
                );
                card_with_note(
                    ui,
                    "Users kept",
                    format!("{} users", thousands(c.users_after)),
                    p.users.and_then(before),
                );
                card_with_note(
                    ui,
                    "Items kept",
                    format!("{} items", thousands(c.items_after)),
                    p.items.and_then(before),
                );
            }
            None => {
                card(ui, "Rows", format!("{} rows", thousands(p.rows)));
                card(
                    ui,
                    "Users",
                    p.users
                        .map_or("—".into(), |u| format!("{} users", thousands(u))),
                );
                card(
                    ui,
                    "Items",
                    p.items
                        .map_or("—".into(), |u| format!("{} items", thousands(u))),
                );
            }
        }
        if let Some(d) = p.density {
            card(ui, "Density", format!("{:.3}%", d * 100.0))
        }
        if let (Some(a), Some(b)) = (&p.time_min, &p.time_max) {
            card(ui, "Time range", format!("{} … {}", &a[..10], &b[..10]));
        }
        if let Some(r) = p.revenue {
            card(ui, "Revenue", crate::display::amount(r));
        }
        if let Some(n) = p.reviews {
            card(ui, "Reviews", thousands(n));
        }
    });
}

/// The mapping panel; returns true when "Apply mapping" was pressed.
fn mapping_ui(ui: &mut egui::Ui, draft: &mut DataTab, view: &LoadedData, busy: bool) -> bool {
    ui.heading("Column mapping");
    ui.label(
        egui::RichText::new("What each column means. Detected automatically; change and apply.")
            .weak(),
    );
    egui::Grid::new("roles_grid")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            for (role, column) in draft.draft_roles.iter_mut() {
                let label = ui.label(role.name()).on_hover_text(role.describe());
                let shown = column.clone().unwrap_or_else(|| "(none)".into());
                // labelled_by gives the combo box an accessible name (screen readers, tests).
                egui::ComboBox::from_id_salt(("role", role.name()))
                    .selected_text(shown)
                    .width(160.0)
                    .show_ui(ui, |ui| {
                        ui.selectable_value(column, None, "(none)");
                        for name in &view.column_names {
                            ui.selectable_value(column, Some(name.clone()), name);
                        }
                    })
                    .response
                    .labelled_by(label.id);
                ui.end_row();
            }
        });
    let ds = &view.loaded.dataset;
    if crate::data::profile::is_order_data(ds) {
        ui.checkbox(&mut draft.draft_keep_uncleaned, "Keep rows that order cleaning drops")
            .on_hover_text("By default rows with no customer, quantity ≤ 0, price ≤ 0 or a cancelled invoice (starting with C) are dropped.");
    }
    let changed = draft
        .draft_roles
        .iter()
        .any(|(r, c)| ds.roles.get(*r) != c.as_deref())
        || draft.draft_keep_uncleaned != ds.options.keep_uncleaned;
    let mut apply = false;
    ui.horizontal(|ui| {
        if ui
            .add_enabled(changed && !busy, egui::Button::new("Apply mapping"))
            .on_hover_text("Re-profile the data with these roles (runs in the background)")
            .clicked()
        {
            apply = true;
        }
        if ui
            .add_enabled(changed, egui::Button::new("Reset"))
            .clicked()
        {
            for (role, column) in draft.draft_roles.iter_mut() {
                *column = ds.roles.get(*role).map(str::to_owned);
            }
            draft.draft_keep_uncleaned = ds.options.keep_uncleaned;
        }
    });
    ui.add_space(6.0);
    ui.label(egui::RichText::new("Preview").strong());
    egui::ScrollArea::horizontal()
        .id_salt("preview_scroll")
        .show(ui, |ui| {
            egui::Grid::new("preview_grid")
                .striped(true)
                .show(ui, |ui| {
                    for name in &view.column_names {
                        let roles = ds.roles.roles_of(name);
                        let header = if roles.is_empty() {
                            name.clone()
                        } else {
                            format!(
                                "{name} [{}]",
                                roles.iter().map(|r| r.name()).collect::<Vec<_>>().join("+")
                            )
                        };
                        ui.label(egui::RichText::new(header).strong());
                    }
                    ui.end_row();
                    for row in &view.preview {
                        for cell in row {
                            let short: String = cell.chars().take(28).collect();
                            let label = ui.label(if short.len() < cell.len() {
                                format!("{short}…")
                            } else {
                                short
                            });
                            if cell.chars().count() > 28 {
                                label.on_hover_text(cell);
                            }
                        }
                        ui.end_row();
                    }
                });
        });
    apply
}

/// The weight sliders; whether one changed.
fn weights_ui(ui: &mut egui::Ui, weights: &mut EventWeights) -> bool {
    let mut changed = false;
    ui.heading("Event weights");
    ui.label(
        egui::RichText::new("How strongly each event counts as interest when models are trained.")
            .weak(),
    );
    for kind in [
        EventKind::View,
        EventKind::Favourite,
        EventKind::Cart,
        EventKind::Purchase,
    ] {
        changed |= ui
            .add(
                egui::Slider::new(weights.weight_mut(kind), 0.0..=10.0)
                    .text(kind.name())
                    .step_by(0.5),
            )
            .changed();
    }
    if ui.button("Reset weights").clicked() {
        *weights = Default::default();
        changed = true;
    }
    changed
}

fn profile_sections_ui(ui: &mut egui::Ui, view: &LoadedData) {
    let p = &view.loaded.profile;
    egui::CollapsingHeader::new("Events and funnel")
        .default_open(true)
        .show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                for (kind, n) in &p.events {
                    ui.label(format!("{kind}: {}", thousands(*n)));
                    ui.separator();
                }
            });
            if p.raw_events.len() > 1 || p.raw_events.keys().any(|k| !p.events.contains_key(k)) {
                ui.label(
                    egui::RichText::new(format!(
                        "raw names: {}",
                        p.raw_events
                            .iter()
                            .map(|(k, v)| format!("{k} {}", thousands(*v)))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                    .weak(),
                );
            }
            if let Some(f) = &p.funnel {
                ui.label(
                    egui::RichText::new(
                        "Funnel (users who viewed, then also carted, then also bought)",
                    )
                    .strong(),
                );
                egui::Grid::new("funnel").striped(true).show(ui, |ui| {
                    ui.label("step");
                    ui.label("users");
                    ui.label("events");
                    ui.label("conversion from previous step");
                    ui.end_row();
                    for step in &f.steps {
                        ui.label(&step.event);
                        ui.label(thousands(step.users));
                        ui.label(thousands(step.events));
                        ui.label(
                            step.conversion
                                .map_or("—".into(), |c| format!("{:.1}%", c * 100.0)),
                        );
                        ui.end_row();
                    }
                });
            }
            if let Some(c) = &p.cleaning {
                ui.label(egui::RichText::new("Order cleaning").strong());
                ui.label(c.describe());
            }
        });
    if let Some(f) = &p.feedback {
        egui::CollapsingHeader::new("Clicks by slot and user segment")
            .default_open(true)
            .show(ui, |ui| feedback_ui(ui, f));
    }
    if !p.daily.is_empty() {
        egui::CollapsingHeader::new("Daily activity")
            .default_open(true)
            .show(ui, |ui| {
                plots::daily_ui(ui, &p.daily);
            });
    }
    if p.per_user.is_some() || p.per_item.is_some() {
        egui::CollapsingHeader::new("Interactions per user and per item")
            .default_open(true)
            .show(ui, |ui| {
                ui.columns(2, |cols| {
                    if let Some(s) = &p.per_user {
                        plots::log_histogram_ui(&mut cols[0], "per_user", "per user", s);
                    }
                    if let Some(s) = &p.per_item {
                        plots::log_histogram_ui(&mut cols[1], "per_item", "per item", s);
                    }
                });
            });
    }
    if !p.top_items.is_empty() {
        egui::CollapsingHeader::new("Top items")
            .default_open(true)
            .show(ui, |ui| {
                crate::ui::exporter::csv_button(ui, "top items", || {
                    (
                        vec![
                            "rank".to_owned(),
                            "item".to_owned(),
                            "rows".to_owned(),
                            "name".to_owned(),
                        ],
                        p.top_items
                            .iter()
                            .enumerate()
                            .map(|(i, t)| {
                                vec![
                                    (i + 1).to_string(),
                                    t.item.clone(),
                                    t.count.to_string(),
                                    t.name.clone().unwrap_or_default(),
                                ]
                            })
                            .collect(),
                    )
                });
                // A name column only when the data or items.csv names items.
                let named = p.top_items.iter().any(|t| t.name.is_some());
                egui::Grid::new("top_items").striped(true).show(ui, |ui| {
                    ui.label("#");
                    ui.label("item");
                    ui.label("rows");
                    if named {
                        ui.label("name");
                    }
                    ui.end_row();
                    for (i, t) in p.top_items.iter().enumerate() {
                        ui.label(format!("{}", i + 1));
                        ui.label(&t.item);
                        ui.label(thousands(t.count));
                        if named {
                            ui.label(t.name.as_deref().unwrap_or(""));
                        }
                        ui.end_row();
                    }
                });
            });
    }
    if let Some(r) = &p.ratings {
        egui::CollapsingHeader::new("Ratings")
            .default_open(true)
            .show(ui, |ui| {
                ui.label(format!("mean {:.2}", r.mean));
                let values: Vec<(String, f64)> = r
                    .histogram
                    .iter()
                    .map(|(v, c)| (format!("{v}"), *c as f64))
                    .collect();
                plots::labelled_bars_ui(ui, "ratings", "ratings", &values);
            });
    }
    if let Some(labels) = &p.labels {
        egui::CollapsingHeader::new("Labels")
            .default_open(true)
            .show(ui, |ui| {
                let values: Vec<(String, f64)> =
                    labels.iter().map(|(k, v)| (k.clone(), *v as f64)).collect();
                plots::labelled_bars_ui(ui, "labels", "labels", &values);
            });
    }
    egui::CollapsingHeader::new("Columns")
        .default_open(true)
        .show(ui, |ui| {
            crate::ui::exporter::csv_button(ui, "columns", || {
                (
                    vec![
                        "column".to_owned(),
                        "role".to_owned(),
                        "type".to_owned(),
                        "nulls".to_owned(),
                    ],
                    p.columns
                        .iter()
                        .map(|c| {
                            vec![
                                c.name.clone(),
                                c.role.clone().unwrap_or_default(),
                                c.dtype.clone(),
                                c.nulls.to_string(),
                            ]
                        })
                        .collect(),
                )
            });
            egui::Grid::new("columns").striped(true).show(ui, |ui| {
                header_row(ui, &["column", "role", "type", "nulls"]);
                for c in &p.columns {
                    ui.label(&c.name);
                    ui.label(c.role.as_deref().unwrap_or("—"));
                    ui.label(&c.dtype);
                    ui.label(thousands(c.nulls));
                    ui.end_row();
                }
            });
            ui.label(format!(
                "Duplicate rows: {}",
                p.duplicate_rows.map_or("not comparable".into(), thousands)
            ));
        });
}

impl Tab for DataTab {
    fn id(&self) -> &'static str {
        ID
    }

    fn label(&self) -> &'static str {
        "Data"
    }

    fn on_event(&mut self, event: &Event, bench: &Workbench) {
        if !matches!(event, Event::DataLoaded) {
            return;
        }
        if let Some(ds) = bench.dataset() {
            self.draft_roles = Role::ALL
                .iter()
                .map(|r| (*r, ds.roles.get(*r).map(str::to_owned)))
                .collect();
            self.draft_keep_uncleaned = ds.options.keep_uncleaned;
        }
        // A workspace's data source brings its own weights.
        self.weights = bench.settings().event_weights.clone();
    }

    fn ui(&mut self, ctx: &mut TabContext, ui: &mut egui::Ui) {
        let busy = ctx.bench.jobs().is_active(JobKind::Load);
        let Some(data) = ctx.bench.data() else {
            ui.vertical_centered(|ui| {
                ui.add_space(60.0);
                if busy {
                    ui.heading("Loading…");
                    ui.spinner();
                } else {
                    ui.heading("Open a file to see its profile");
                    ui.label(
                        "File > Open… (Ctrl+O), drag a file onto the window, or type a path above.",
                    );
                }
            });
            return;
        };
        side_panel(ui, "mapping", 300.0, |ui| {
            if mapping_ui(ui, self, data, busy) {
                ctx.send(Command::Remap {
                    roles: self.draft_roles.clone(),
                    keep_uncleaned: self.draft_keep_uncleaned,
                });
            }
            ui.separator();
            if weights_ui(ui, &mut self.weights) {
                ctx.send(Command::SetEventWeights(self.weights.clone()));
            }
        });
        main_area(ui, "profile_scroll", |ui| {
            summary_cards_ui(ui, &data.loaded.profile);
            ui.add_space(8.0);
            profile_sections_ui(ui, data);
        });
    }
}

/// A log's click rates per slot and per value of each user column, side
/// by side: where they differ, one item for everyone is not the best.
fn feedback_ui(ui: &mut egui::Ui, f: &FeedbackProfile) {
    // Tables side by side, as many to a row as fit (each about 280 points).
    let mut tables = vec![(
        "feedback_slots".to_owned(),
        "by slot".to_owned(),
        &f.by_slot,
    )];
    for (column, rows) in &f.by_user_column {
        tables.push((format!("feedback_{column}"), format!("by {column}"), rows));
    }
    let per_row = ((ui.available_width() / 280.0) as usize).max(1);
    for chunk in tables.chunks(per_row) {
        ui.horizontal_top(|ui| {
            for (id, title, rows) in chunk {
                rate_table(ui, id, title, rows);
                ui.add_space(16.0);
            }
        });
        ui.add_space(6.0);
    }
}

/// One column's values with their rows and click rate.
fn rate_table(ui: &mut egui::Ui, id: &str, title: &str, rows: &[RateRow]) {
    ui.vertical(|ui| {
        ui.label(egui::RichText::new(title).strong());
        egui::Grid::new(id).striped(true).show(ui, |ui| {
            ui.label("value");
            ui.label("rows");
            ui.label("click rate (clicks)");
            ui.end_row();
            for r in rows {
                super::widgets::value_label(ui, &r.value);
                ui.label(thousands(r.rows));
                ui.label(format!("{:.3}% ({})", r.rate * 100.0, r.reward));
                ui.end_row();
            }
        });
    });
}

//! The Topics tab's results: the topics with their names, words and
//! shares; the coherence of each k a scan tried; the selected topic's
//! categories, products, months and examples with its words highlighted;
//! and every review behind it, sortable and exportable.

use std::collections::BTreeMap;
use std::sync::Arc;

use eframe::egui;
use egui_plot::{Line, PlotPoints, Points};

use super::exporter::csv_button;
use super::plots::{chart, chart_footer, training_curves_ui};
use super::topics_tab::TopicsTab;
use super::widgets::{header_row, wide_table};
use super::TabContext;
use crate::data::Dataset;
use crate::runs::{known_fingerprint, RunStatus};
use crate::task::EpochEvent;
use crate::text::topics::listing::{topic_name, ReviewSort};
use crate::text::topics::summary::Share;
use crate::text::topics::task::TopicsResult;
use crate::text::topics::{Topic, KIND};
use crate::workbench::{Command, JobKind};

/// Rows of the product table of a topic.
const PRODUCT_ROWS: usize = 12;
/// Rows of the category table of a topic.
const CATEGORY_ROWS: usize = 12;
const ROW_HEIGHT: f32 = 22.0;

pub(super) fn results_ui(
    state: &mut TopicsTab,
    ctx: &mut TabContext,
    dataset: &Dataset,
    epochs: &[EpochEvent],
    ui: &mut egui::Ui,
) {
    if let Some(m) = &state.message {
        ui.colored_label(ui.visuals().warn_fg_color, m);
    }
    let running = ctx.bench.jobs().is_active(JobKind::Train(KIND));
    let Some(result) = state.result.clone() else {
        ui.heading("Topics in reviews");
        ui.label("Choose the reviews (by default the negative ones), the method and the number of topics, then press Find topics. Scan k tries several numbers and compares their coherence.");
        if running {
            training_curves_ui(epochs, ui);
        }
        scan_ui(state, ctx, dataset, ui);
        return;
    };
    summary_ui(&result, ui);
    if running {
        training_curves_ui(epochs, ui);
    }
    let names = state.names(ctx.bench);
    topics_ui(state, ctx, &result, &names, ui);
    scan_ui(state, ctx, dataset, ui);
    ui.separator();
    if let Some(topic) = result.run.topics.get(state.selected) {
        details_ui(state, ctx, &result, &names, topic, ui);
    }
}

fn summary_ui(result: &TopicsResult, ui: &mut egui::Ui) {
    let run = &result.run;
    ui.heading(format!(
        "{} topics in {} {}",
        run.topics.len(),
        crate::display::thousands(run.assigned.len() as u64),
        run.options.polarity.label()
    ));
    let quality = match (run.relative_error, run.perplexity) {
        (Some(e), _) => format!("relative reconstruction error {e:.4}"),
        (_, Some(p)) => format!("perplexity {p:.1}"),
        _ => String::new(),
    };
    ui.label(format!(
        "{} · {} · {} · {} words · coherence {:.3} (mean NPMI of the top 10 words) · {} · fit {:.2} s",
        result.source,
        run.chosen_by,
        run.params.method.label(),
        crate::display::thousands(run.vocabulary as u64),
        run.coherence,
        quality,
        run.fit_secs
    ));
    if run.no_topic_share > 0.0 {
        ui.small(format!(
            "{:.1}% of these reviews have no word of the vocabulary and no topic; shares are of all {} chosen reviews.",
            run.no_topic_share * 100.0,
            crate::display::thousands(run.assigned.len() as u64)
        ));
    }
}

/// A share as a bar with its percentage.
fn share_bar(ui: &mut egui::Ui, share: f64, width: f32) {
    ui.add(
        egui::ProgressBar::new(share as f32)
            .desired_width(width)
            .text(format!("{:.1}%", share * 100.0)),
    );
}

fn topics_ui(
    state: &mut TopicsTab,
    ctx: &mut TabContext,
    result: &TopicsResult,
    names: &BTreeMap<String, String>,
    ui: &mut egui::Ui,
) {
    ui.horizontal(|ui| {
        ui.label(egui::RichText::new("Topics").strong());
        ui.small("click a topic for its details; Rename gives it a name");
        csv_button(ui, "topics", || result.topics_table(names));
    });
    wide_table(ui, "topics_table", |ui| {
        egui::Grid::new("topics_grid")
            .striped(true)
            .num_columns(7)
            .show(ui, |ui| {
                header_row(
                    ui,
                    &[
                        "#",
                        "name",
                        "top words",
                        "share",
                        "reviews",
                        "coherence",
                        "",
                    ],
                );
                for (i, t) in result.run.topics.iter().enumerate() {
                    ui.label(format!("{}", i + 1));
                    name_cell(state, ctx, names, result, i, ui);
                    let words: Vec<&str> = t.words.iter().map(|(w, _)| w.as_str()).collect();
                    // Six words fit beside the share; all ten on hover.
                    if ui
                        .selectable_label(
                            state.selected == i,
                            words[..words.len().min(6)].join(" "),
                        )
                        .on_hover_text(words.join(" "))
                        .clicked()
                    {
                        state.selected = i;
                        state.listing = false;
                    }
                    share_bar(ui, t.share, 110.0);
                    ui.label(crate::display::thousands(t.reviews as u64));
                    ui.label(format!("{:.3}", t.coherence));
                    rename_cell(state, ctx, names, i, ui);
                    ui.end_row();
                }
            });
    });
}

/// Save the name being typed for `topic` (an empty one removes it).
fn commit_rename(state: &mut TopicsTab, ctx: &mut TabContext, topic: usize) {
    if let (Some(run), Some((_, text))) = (state.run_id, state.renaming.take()) {
        ctx.send(Command::LabelRun {
            run,
            key: (topic + 1).to_string(),
            name: text.trim().to_owned(),
        });
    }
}

/// A topic's name (the merchant's in bold), or the field that renames it.
fn name_cell(
    state: &mut TopicsTab,
    ctx: &mut TabContext,
    names: &BTreeMap<String, String>,
    result: &TopicsResult,
    topic: usize,
    ui: &mut egui::Ui,
) {
    if let Some((t, text)) = &mut state.renaming {
        if *t == topic {
            let edit = ui.add(
                egui::TextEdit::singleline(text)
                    .desired_width(180.0)
                    .hint_text("a name, e.g. slow delivery"),
            );
            edit.request_focus();
            if edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                commit_rename(state, ctx, topic);
            } else if ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                state.renaming = None;
            }
            return;
        }
    }
    let name = topic_name(result, names, topic);
    let text = if names.contains_key(&(topic + 1).to_string()) {
        egui::RichText::new(name).strong()
    } else {
        egui::RichText::new(name)
    };
    if ui.selectable_label(state.selected == topic, text).clicked() {
        state.selected = topic;
        state.listing = false;
    }
}

/// Rename, or Save name while the name is typed.
fn rename_cell(
    state: &mut TopicsTab,
    ctx: &mut TabContext,
    names: &BTreeMap<String, String>,
    topic: usize,
    ui: &mut egui::Ui,
) {
    if state.run_id.is_none() {
        ui.label("");
        return;
    }
    if state.renaming.as_ref().is_some_and(|(t, _)| *t == topic) {
        if ui.small_button("Save name").clicked() {
            commit_rename(state, ctx, topic);
        }
        return;
    }
    if ui
        .small_button("Rename")
        .on_hover_text("Name this topic (kept with the run and in the workspace; an empty name brings its words back)")
        .clicked()
    {
        let current = names.get(&(topic + 1).to_string()).cloned().unwrap_or_default();
        state.renaming = Some((topic, current));
    }
}

/// The runs of the newest scan over k on the loaded reviews, by k.
fn scan_ui(state: &mut TopicsTab, ctx: &mut TabContext, dataset: &Dataset, ui: &mut egui::Ui) {
    let runs = ctx.bench.runs();
    let here = known_fingerprint(dataset);
    let Some(sweep) = runs
        .entries
        .iter()
        .filter(|e| e.record.kind == KIND && e.record.data.same_data(&here))
        .filter_map(|e| e.record.sweep)
        .max()
    else {
        return;
    };
    let mut rows: Vec<_> = runs
        .entries
        .iter()
        .filter(|e| e.record.sweep == Some(sweep))
        .collect();
    rows.sort_by_key(|e| {
        e.record
            .params
            .get("k")
            .and_then(|v| v.as_u64())
            .unwrap_or(0)
    });
    ui.add_space(6.0);
    ui.label(egui::RichText::new(format!("Scan over k (sweep #{sweep})")).strong())
        .on_hover_text("Coherence: mean NPMI of each topic's top 10 words over the reviews (higher: the words occur together more); pick the k where it is high and the topics read well");
    let best = rows
        .iter()
        .filter_map(|e| e.record.metrics.get("coherence").copied())
        .fold(f64::NEG_INFINITY, f64::max);
    let mut open = None;
    egui::Grid::new("topics_scan").striped(true).show(ui, |ui| {
        header_row(ui, &["k", "coherence", "error / perplexity", "status", ""]);
        for e in &rows {
            let r = &e.record;
            let k = r.params.get("k").map(|v| v.to_string()).unwrap_or_default();
            ui.label(k);
            match r.metrics.get("coherence") {
                Some(&c) if c == best => ui.label(egui::RichText::new(format!("{c:.3}")).strong()),
                Some(c) => ui.label(format!("{c:.3}")),
                None => ui.label("–"),
            };
            let quality = r
                .metrics
                .get("relative_error")
                .or_else(|| r.metrics.get("perplexity"))
                .map(|v| crate::display::sig(*v, 4))
                .unwrap_or_default();
            ui.label(quality);
            super::widgets::status_label(ui, r);
            if e.model.is_some() && r.status == RunStatus::Done && ui.small_button("Show").clicked()
            {
                open = Some(r.id);
            }
            ui.end_row();
        }
    });
    if let Some(id) = open {
        if let Some(entry) = runs.get(id) {
            if let Some(result) = entry.model_of::<TopicsResult>() {
                state.show(id, result);
            }
        }
    }
}

fn details_ui(
    state: &mut TopicsTab,
    ctx: &mut TabContext,
    result: &TopicsResult,
    names: &BTreeMap<String, String>,
    topic: &Topic,
    ui: &mut egui::Ui,
) {
    let i = state.selected;
    ui.heading(format!("Topic {}: {}", i + 1, topic_name(result, names, i)));
    let words: Vec<String> = topic.words.iter().map(|(w, _)| w.clone()).collect();
    ui.label(format!(
        "{} reviews ({:.1}%) · top words: {}",
        crate::display::thousands(topic.reviews as u64),
        topic.share * 100.0,
        words.join(", ")
    ));
    examples_ui(state, result, topic, i, ui);
    ui.horizontal(|ui| {
        let label = if state.listing {
            "Hide the list".to_owned()
        } else {
            format!(
                "List all {} reviews",
                crate::display::thousands(topic.reviews as u64)
            )
        };
        if ui.button(label).clicked() {
            state.listing = !state.listing;
        }
    });
    if state.listing {
        reviews_list_ui(state, result, i, ui);
    }
    ui.columns(2, |cols| {
        categories_ui(&topic.categories, &mut cols[0]);
        products_ui(&topic.products, &mut cols[1]);
    });
    months_ui(&topic.months, ui);
    let _ = ctx;
}

/// `text` with the byte spans in `marks` highlighted.
fn highlighted(ui: &egui::Ui, text: &str, marks: &[(usize, usize)]) -> egui::text::LayoutJob {
    let mut job = egui::text::LayoutJob::default();
    let font = egui::TextStyle::Body.resolve(ui.style());
    let plain = egui::TextFormat::simple(font, ui.visuals().text_color());
    let mut marked = plain.clone();
    marked.background = egui::Color32::from_rgba_unmultiplied(230, 170, 40, 110);
    let mut at = 0;
    for &(start, end) in marks {
        if start < at || end > text.len() {
            continue;
        }
        job.append(&text[at..start], 0.0, plain.clone());
        job.append(&text[start..end], 0.0, marked.clone());
        at = end;
    }
    job.append(&text[at..], 0.0, plain);
    job
}

/// The first 400 characters of a review, as the examples show it.
fn shown_text(text: &str) -> String {
    text.chars().take(400).collect()
}

fn examples_ui(
    state: &mut TopicsTab,
    result: &TopicsResult,
    topic: &Topic,
    index: usize,
    ui: &mut egui::Ui,
) {
    ui.label(egui::RichText::new("Examples").strong())
        .on_hover_text("The reviews that weigh most in this topic, its words highlighted");
    let marks = match &state.views.marks {
        Some((t, marks)) if *t == index => Arc::clone(marks),
        _ => {
            let marks: super::topics_tab::ExampleMarks = Arc::new(
                topic
                    .examples
                    .iter()
                    .map(|&r| {
                        let text = result.reviews.texts.get(r).map_or("", String::as_str);
                        result.run.highlights(&shown_text(text), index)
                    })
                    .collect(),
            );
            state.views.marks = Some((index, Arc::clone(&marks)));
            marks
        }
    };
    for (&review, marks) in topic.examples.iter().zip(marks.iter()) {
        let Some(text) = result.reviews.texts.get(review) else {
            continue;
        };
        let shown = shown_text(text);
        let line = result.reviews.lines.get(review).copied().unwrap_or(0);
        ui.horizontal_wrapped(|ui| {
            ui.weak(format!("line {line}"));
            ui.label(highlighted(ui, &shown, marks));
        });
    }
}

fn reviews_list_ui(state: &mut TopicsTab, result: &TopicsResult, topic: usize, ui: &mut egui::Ui) {
    let key = (topic, state.sort, state.descending);
    let rows = match &state.views.rows {
        Some((k, rows)) if *k == key => Arc::clone(rows),
        _ => {
            let rows = Arc::new(result.review_rows(topic, state.sort, state.descending));
            state.views.rows = Some((key, Arc::clone(&rows)));
            rows
        }
    };
    ui.horizontal(|ui| {
        ui.label("sort by");
        for s in ReviewSort::ALL {
            let arrow = super::widgets::sort_arrow(state.sort == s, state.descending);
            if ui
                .selectable_label(state.sort == s, format!("{}{arrow}", s.label()))
                .clicked()
            {
                if state.sort == s {
                    state.descending = !state.descending;
                } else {
                    state.sort = s;
                    state.descending = s == ReviewSort::Weight;
                }
            }
        }
        csv_button(ui, &format!("topic {} reviews", topic + 1), || {
            result.reviews_table(&rows)
        });
    });
    let has_products = result.reviews.products.is_some();
    let has_categories = result.reviews.categories.is_some();
    let has_dates = result.reviews.times.is_some();
    egui::ScrollArea::vertical()
        .id_salt("topic_reviews")
        .max_height(320.0)
        .show_rows(ui, ROW_HEIGHT, rows.len(), |ui, range| {
            for row in &rows[range] {
                ui.horizontal(|ui| {
                    ui.add_sized(
                        [60.0, ROW_HEIGHT],
                        egui::Label::new(format!("{}", row.line)),
                    );
                    ui.add_sized(
                        [50.0, ROW_HEIGHT],
                        egui::Label::new(format!("{:.3}", row.weight)),
                    );
                    if has_products {
                        ui.add_sized(
                            [90.0, ROW_HEIGHT],
                            egui::Label::new(&row.product).truncate(),
                        );
                    }
                    if has_categories {
                        ui.add_sized(
                            [80.0, ROW_HEIGHT],
                            egui::Label::new(&row.category).truncate(),
                        );
                    }
                    if has_dates {
                        ui.add_sized([90.0, ROW_HEIGHT], egui::Label::new(row.date()).truncate());
                    }
                    let text = result
                        .reviews
                        .texts
                        .get(row.review)
                        .map(String::as_str)
                        .unwrap_or_default();
                    ui.add(egui::Label::new(text).truncate())
                        .on_hover_text(text.chars().take(2000).collect::<String>());
                });
            }
        });
}

fn categories_ui(categories: &[Share], ui: &mut egui::Ui) {
    ui.label(egui::RichText::new("Share per category").strong())
        .on_hover_text("Of each category's chosen reviews, the share whose main topic this is");
    if categories.is_empty() {
        ui.weak("No category column (choose one on the left).");
        return;
    }
    shares_grid(
        ui,
        "topic_categories",
        "category",
        categories,
        CATEGORY_ROWS,
    );
}

/// Groups with their share of the topic, as bars in a table.
fn shares_grid(ui: &mut egui::Ui, id: &str, what: &str, shares: &[Share], rows: usize) {
    egui::Grid::new(id).striped(true).show(ui, |ui| {
        header_row(ui, &[what, "share", "reviews"]);
        for p in shares.iter().take(rows) {
            ui.add_sized([170.0, 18.0], egui::Label::new(&p.name).truncate())
                .on_hover_text(&p.name);
            share_bar(ui, p.share, 80.0);
            ui.label(format!("{} of {}", p.in_topic, p.reviews));
            ui.end_row();
        }
    });
}

fn products_ui(products: &[Share], ui: &mut egui::Ui) {
    ui.label(egui::RichText::new("Products with the highest share").strong())
        .on_hover_text(format!(
            "Products with at least {} chosen reviews, by the share whose main topic this is",
            crate::text::topics::summary::MIN_PRODUCT_REVIEWS
        ));
    if products.is_empty() {
        ui.weak("No product column, or no product with enough reviews.");
        return;
    }
    shares_grid(ui, "topic_products", "product", products, PRODUCT_ROWS);
}

fn months_ui(months: &[Share], ui: &mut egui::Ui) {
    if months.len() < 2 {
        return;
    }
    ui.label(egui::RichText::new("Trend per month").strong())
        .on_hover_text("Of each month's chosen reviews, the share whose main topic this is");
    let points: Vec<[f64; 2]> = months
        .iter()
        .enumerate()
        .map(|(i, m)| [i as f64, m.share * 100.0])
        .collect();
    let labels: Vec<String> = months.iter().map(|m| m.name.clone()).collect();
    let plot = chart(ui, "topic_months", 160.0)
        .allow_drag(false)
        .allow_zoom(false)
        .y_axis_label("% of the month's reviews")
        .x_axis_formatter(move |mark, _| {
            let k = mark.value.round();
            if (mark.value - k).abs() > 1e-6 || k < 0.0 {
                return String::new();
            }
            labels.get(k as usize).cloned().unwrap_or_default()
        })
        .show(ui, |plot_ui| {
            plot_ui.line(Line::new("share", PlotPoints::from(points.clone())));
            plot_ui.points(Points::new("months", PlotPoints::from(points)).radius(3.0));
        });
    chart_footer(
        ui,
        "topic_months",
        plot.response.rect,
        "topic trend per month",
    );
}

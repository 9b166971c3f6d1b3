//! The Sentiment tab's results: curves, metrics, the try-it box, the
//! confusion matrix with its reviews, the n-grams and the product table.

use eframe::egui;
use egui_plot::{Legend, Line, PlotPoints};

use super::plots::{chart, chart_footer};
use super::sentiment_tab::{ProductSort, SentimentResult, SentimentTab, TryScored};
use crate::task::EpochEvent;
use crate::text::evaluate::is_positive;
use crate::text::Evaluation;

/// Reviews listed under a confusion-matrix cell (the rest are counted).
const CELL_LIST_LIMIT: usize = 200;
const PRODUCT_ROWS: usize = 100;

pub(super) fn results_ui(state: &mut SentimentTab, epochs: &[EpochEvent], ui: &mut egui::Ui) {
    if let Some(m) = &state.message {
        ui.colored_label(ui.visuals().warn_fg_color, m);
    }
    let result = state.result.clone();
    if !epochs.is_empty() || result.is_some() {
        curves_ui(epochs, result.as_deref(), ui);
    }
    let Some(result) = result else {
        ui.label("Press Train to fit a classifier; its metrics, confusion matrix and explanations appear here.");
        return;
    };
    metrics_ui(&result, ui);
    ui.add_space(6.0);
    try_it_ui(state, &result, ui);
    ui.add_space(6.0);
    confusion_ui(state, &result, ui);
    ui.add_space(6.0);
    ngrams_ui(&result, ui);
    categories_ui(&result, ui);
    products_ui(state, &result, ui);
}

fn curves_ui(epochs: &[EpochEvent], result: Option<&SentimentResult>, ui: &mut egui::Ui) {
    ui.label(egui::RichText::new(format!("Training curve ({} iterations)", epochs.len())).strong());
    let loss: Vec<[f64; 2]> = epochs.iter().map(|e| [e.epoch as f64, e.loss]).collect();
    let accuracy: Vec<[f64; 2]> = epochs
        .iter()
        .filter_map(|e| e.metric.as_ref().map(|(_, v)| [e.epoch as f64, *v]))
        .collect();
    ui.columns(2, |cols| {
        let png_plot = chart(&cols[0], "sent_loss", 170.0)
            // The loss falls to the right, the accuracy sits on top: the
            // bottom left is free.
            .legend(Legend::default().position(egui_plot::Corner::LeftBottom))
            .x_axis_label("iteration")
            .show(&mut cols[0], |p| {
                p.line(Line::new("training loss", PlotPoints::from(loss)));
                p.line(Line::new("hold-out accuracy", PlotPoints::from(accuracy)));
            });
        chart_footer(
            &mut cols[0],
            "sent_loss",
            png_plot.response.rect,
            "sentiment loss curve",
        );
        let roc = result.map(|r| r.run.roc.clone()).unwrap_or_default();
        let png_plot = chart(&cols[1], "sent_roc", 170.0)
            .legend(Legend::default().position(egui_plot::Corner::RightBottom))
            .include_x(0.0)
            .include_x(1.0)
            .include_y(0.0)
            .include_y(1.0)
            .allow_drag(false)
            .x_axis_label("false-positive rate")
            .y_axis_label("true-positive rate")
            .show(&mut cols[1], |p| {
                // Vertical runs must stay lines, not be merged into a filled band.
                p.line(Line::new("ROC", PlotPoints::from(roc)).allow_band(false));
                p.line(Line::new(
                    "chance",
                    PlotPoints::from(vec![[0.0, 0.0], [1.0, 1.0]]),
                ));
            });
        chart_footer(
            &mut cols[1],
            "sent_roc",
            png_plot.response.rect,
            "ROC curve",
        );
    });
}

fn metrics_ui(result: &SentimentResult, ui: &mut egui::Ui) {
    let run = &result.run;
    let m = &run.metrics;
    let how = match run.options.evaluation {
        Evaluation::HoldOut => format!(
            "hold-out: trained on {}, tested on {}",
            run.n_train, run.n_test
        ),
        Evaluation::KFold { k } => format!(
            "{k}-fold cross-validation on {} labelled reviews (mean of folds)",
            run.n_test
        ),
    };
    ui.label(
        egui::RichText::new(format!(
            "{} on {} · {} · {} features · vectorise + fit {:.2} s",
            run.params.model.label(),
            result.source,
            run.ngrams,
            crate::display::thousands(run.vectorizer.n_features() as u64),
            run.fit_secs
        ))
        .strong(),
    );
    ui.label(how);
    egui::Grid::new("sent_metrics")
        .striped(true)
        .show(ui, |ui| {
            for (name, value, tip) in [
                ("accuracy", Some(m.accuracy), "correct / evaluated reviews"),
                (
                    "precision",
                    Some(m.precision),
                    "of the reviews predicted positive, the share that is positive",
                ),
                (
                    "recall",
                    Some(m.recall),
                    "of the positive reviews, the share predicted positive",
                ),
                (
                    "F1 (macro)",
                    Some(m.f1_macro),
                    "mean of the positive and negative classes' F1",
                ),
                (
                    "AUC",
                    m.auc,
                    "area under the ROC curve: P(a positive review scores above a negative one)",
                ),
            ] {
                ui.label(name).on_hover_text(tip);
                ui.label(value.map_or("n/a".into(), |v| format!("{v:.4}")));
                ui.end_row();
            }
        });
    if !run.folds.is_empty() {
        ui.label("Per fold:");
        egui::Grid::new("sent_folds").striped(true).show(ui, |ui| {
            for h in ["fold", "accuracy", "F1 (macro)", "AUC"] {
                ui.label(egui::RichText::new(h).strong());
            }
            ui.end_row();
            for (i, f) in run.folds.iter().enumerate() {
                ui.label(format!("{}", i + 1));
                ui.label(format!("{:.4}", f.accuracy));
                ui.label(format!("{:.4}", f.f1_macro));
                ui.label(f.auc.map_or("n/a".into(), |v| format!("{v:.4}")));
                ui.end_row();
            }
        });
    }
    for note in &run.notes {
        ui.small(note);
    }
}

fn try_it_ui(state: &mut SentimentTab, result: &SentimentResult, ui: &mut egui::Ui) {
    let heading = ui.label(egui::RichText::new("Try it").strong());
    ui.add(
        egui::TextEdit::multiline(&mut state.try_text)
            .hint_text("Type a review…")
            .desired_rows(2)
            .desired_width(f32::INFINITY),
    )
    .labelled_by(heading.id);
    if state.try_text.trim().is_empty() {
        return;
    }
    // Score only when the text (or the model) changed, not every frame: a
    // pasted essay must not slow the UI down.
    let stale = state
        .try_scored
        .as_ref()
        .is_none_or(|s| s.text != state.try_text);
    if stale {
        state.try_scored = Some(TryScored {
            text: state.try_text.clone(),
            probability: result.run.predict(&state.try_text),
            parts: result.run.explain(&state.try_text),
        });
    }
    let Some(scored) = state.try_scored.as_ref() else {
        return;
    };
    let p = scored.probability;
    let (verdict, colour) = if is_positive(p) {
        ("Positive", egui::Color32::from_rgb(40, 160, 70))
    } else {
        ("Negative", egui::Color32::from_rgb(210, 60, 50))
    };
    ui.colored_label(
        colour,
        egui::RichText::new(format!("{verdict} · P(positive) = {:.1}%", p * 100.0)).strong(),
    );
    let parts = &scored.parts;
    let strongest = parts
        .iter()
        .map(|c| c.weight.abs())
        .fold(0.0f64, f64::max)
        .max(1e-9);
    // The text with each word (or character) tinted by how hard it pushed.
    let mut job = egui::text::LayoutJob::default();
    let font = egui::TextStyle::Body.resolve(ui.style());
    let plain = egui::TextFormat::simple(font.clone(), ui.visuals().text_color());
    let mut at = 0;
    for c in parts {
        if c.start > at {
            job.append(&state.try_text[at..c.start], 0.0, plain.clone());
        }
        let strength = (c.weight.abs() / strongest).sqrt();
        let alpha = (40.0 + 160.0 * strength) as u8;
        let background = if c.weight > 0.0 {
            egui::Color32::from_rgba_unmultiplied(40, 170, 70, alpha)
        } else {
            egui::Color32::from_rgba_unmultiplied(220, 60, 50, alpha)
        };
        let mut format = plain.clone();
        format.background = background;
        job.append(&state.try_text[c.start..c.end], 0.0, format);
        at = c.end;
    }
    if at < state.try_text.len() {
        job.append(&state.try_text[at..], 0.0, plain);
    }
    ui.label(job);
    let mut pushes: Vec<(String, f64)> = parts
        .iter()
        .map(|c| (state.try_text[c.start..c.end].to_owned(), c.weight))
        .collect();
    pushes.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    let list = |positive: bool| {
        pushes
            .iter()
            .filter(|(_, w)| (*w > 0.0) == positive)
            .take(6)
            .map(|(t, w)| format!("{t} ({w:+.2})"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    ui.small(format!("pushed positive: {}", list(true)));
    ui.small(format!("pushed negative: {}", list(false)));
}

fn confusion_ui(state: &mut SentimentTab, result: &SentimentResult, ui: &mut egui::Ui) {
    let m = &result.run.metrics;
    let confusion = if result.run.folds.is_empty() {
        m.confusion
    } else {
        // Out-of-fold predictions of every labelled review.
        let mut c = [[0usize; 2]; 2];
        for e in &result.run.evaluated {
            c[usize::from(e.actual)][usize::from(is_positive(e.probability))] += 1;
        }
        c
    };
    ui.label(egui::RichText::new("Confusion matrix (click a cell to read its reviews)").strong());
    let grid = egui::Grid::new("sent_confusion").show(ui, |ui| {
        ui.label("");
        ui.label("predicted negative");
        ui.label("predicted positive");
        ui.end_row();
        for actual in [false, true] {
            ui.label(if actual {
                "actually positive"
            } else {
                "actually negative"
            });
            for predicted in [false, true] {
                let count = confusion[usize::from(actual)][usize::from(predicted)];
                let selected = state.selected_cell == Some((actual, predicted));
                let text = format!(
                    "{} {}",
                    crate::display::thousands(count as u64),
                    if actual == predicted {
                        "correct"
                    } else {
                        "wrong"
                    }
                );
                if ui.selectable_label(selected, text).clicked() {
                    state.selected_cell = if selected {
                        None
                    } else {
                        Some((actual, predicted))
                    };
                }
            }
            ui.end_row();
        }
    });
    crate::ui::exporter::png_button(ui, grid.response.rect, "confusion matrix");
    let Some((actual, predicted)) = state.selected_cell else {
        return;
    };
    let mut rows: Vec<&crate::text::Evaluated> = result
        .run
        .evaluated
        .iter()
        .filter(|e| e.actual == actual && is_positive(e.probability) == predicted)
        .collect();
    // Most confident first: the clearest mistakes (or successes) on top.
    rows.sort_by(|a, b| {
        (b.probability - 0.5)
            .abs()
            .total_cmp(&(a.probability - 0.5).abs())
    });
    let name = |p: bool| if p { "positive" } else { "negative" };
    ui.label(format!(
        "{} reviews actually {}, predicted {}{}",
        crate::display::thousands(rows.len() as u64),
        name(actual),
        name(predicted),
        if rows.len() > CELL_LIST_LIMIT {
            format!(" (the {CELL_LIST_LIMIT} most confident shown)")
        } else {
            String::new()
        }
    ));
    egui::ScrollArea::vertical()
        .id_salt("cell_reviews")
        .max_height(240.0)
        .min_scrolled_height(240.0)
        .show(ui, |ui| {
            for e in rows.iter().take(CELL_LIST_LIMIT) {
                let text = &result.reviews.texts[e.review];
                ui.horizontal(|ui| {
                    ui.add_sized(
                        [70.0, 18.0],
                        egui::Label::new(format!("line {}", result.reviews.lines[e.review])),
                    );
                    ui.add_sized(
                        [70.0, 18.0],
                        egui::Label::new(format!("P+ {:.3}", e.probability)),
                    )
                    .on_hover_text("The model's probability that this review is positive");
                    let shown: String = text.chars().take(300).collect();
                    ui.add(egui::Label::new(shown).wrap())
                        .on_hover_text(text.chars().take(2000).collect::<String>());
                });
                ui.separator();
            }
        });
}

fn ngrams_ui(result: &SentimentResult, ui: &mut egui::Ui) {
    ui.label(egui::RichText::new("N-grams that push reviews each way (model weights)").strong());
    ui.columns(2, |cols| {
        for (col, (title, list)) in cols.iter_mut().zip([
            ("towards positive", &result.run.top_positive),
            ("towards negative", &result.run.top_negative),
        ]) {
            col.label(title);
            egui::Grid::new(format!("ngrams_{title}"))
                .striped(true)
                .show(col, |ui| {
                    for (gram, weight) in list.iter().take(15) {
                        ui.label(format!("“{gram}”"));
                        ui.label(format!("{weight:+.2}"));
                        ui.end_row();
                    }
                });
        }
    });
}

fn categories_ui(result: &SentimentResult, ui: &mut egui::Ui) {
    if result.run.categories.is_empty() {
        return;
    }
    ui.add_space(6.0);
    ui.label(egui::RichText::new("Accuracy per category").strong());
    crate::ui::exporter::csv_button(ui, "accuracy per category", || {
        (
            vec![
                "category".to_owned(),
                "evaluated".to_owned(),
                "accuracy".to_owned(),
            ],
            result
                .run
                .categories
                .iter()
                .map(|c| vec![c.category.clone(), c.n.to_string(), c.accuracy.to_string()])
                .collect(),
        )
    });
    egui::Grid::new("sent_categories")
        .striped(true)
        .show(ui, |ui| {
            for h in ["category", "evaluated", "accuracy"] {
                ui.label(egui::RichText::new(h).strong());
            }
            ui.end_row();
            for c in &result.run.categories {
                ui.label(&c.category);
                ui.label(crate::display::thousands(c.n as u64));
                ui.label(format!("{:.4}", c.accuracy));
                ui.end_row();
            }
        });
}

fn products_ui(state: &mut SentimentTab, result: &SentimentResult, ui: &mut egui::Ui) {
    let products = &result.run.products;
    if products.is_empty() {
        return;
    }
    ui.add_space(6.0);
    ui.label(
        egui::RichText::new(format!(
            "Products ({} with reviews; every review scored by the model)",
            crate::display::thousands(products.len() as u64)
        ))
        .strong(),
    );
    let mut order: Vec<&crate::text::ProductScore> = products.iter().collect();
    let key = state.product_sort;
    order.sort_by(|a, b| {
        let o = match key {
            ProductSort::Negative => a.predicted_negative.cmp(&b.predicted_negative),
            ProductSort::Reviews => a.reviews.cmp(&b.reviews),
            ProductSort::PositiveShare => a
                .predicted_positive_share
                .total_cmp(&b.predicted_positive_share),
            ProductSort::Stars => a
                .average_stars
                .unwrap_or(f64::NEG_INFINITY)
                .total_cmp(&b.average_stars.unwrap_or(f64::NEG_INFINITY)),
            ProductSort::Name => a.product.cmp(&b.product),
        };
        let o = if state.product_descending {
            o.reverse()
        } else {
            o
        };
        o.then_with(|| a.product.cmp(&b.product))
    });
    crate::ui::exporter::csv_button(ui, "products", || {
        let names = result.catalogue.as_ref();
        (
            vec![
                "product".to_owned(),
                "name".to_owned(),
                "reviews".to_owned(),
                "predicted_negative".to_owned(),
                "predicted_positive_share".to_owned(),
                "average_stars".to_owned(),
            ],
            order
                .iter()
                .map(|p| {
                    vec![
                        p.product.clone(),
                        names
                            .and_then(|c| c.get(&p.product))
                            .and_then(|i| i.name.clone())
                            .unwrap_or_default(),
                        p.reviews.to_string(),
                        p.predicted_negative.to_string(),
                        p.predicted_positive_share.to_string(),
                        p.average_stars.map_or(String::new(), |s| s.to_string()),
                    ]
                })
                .collect(),
        )
    });
    egui::ScrollArea::vertical()
        .id_salt("product_table")
        .max_height(300.0)
        .min_scrolled_height(300.0)
        .show(ui, |ui| {
            egui::Grid::new("sent_products")
                .striped(true)
                .show(ui, |ui| {
                    let names = result.catalogue.as_ref();
                    if names.is_some() {
                        ui.label(egui::RichText::new("name").strong());
                    }
                    for (title, sort) in [
                        ("product", ProductSort::Name),
                        ("reviews", ProductSort::Reviews),
                        ("predicted negative", ProductSort::Negative),
                        ("predicted positive share", ProductSort::PositiveShare),
                        ("average stars", ProductSort::Stars),
                    ] {
                        let arrow = super::widgets::sort_arrow(
                            state.product_sort == sort,
                            state.product_descending,
                        );
                        if ui
                            .button(egui::RichText::new(format!("{title}{arrow}")).strong())
                            .on_hover_text("Sort by this column (click again to reverse)")
                            .clicked()
                        {
                            if state.product_sort == sort {
                                state.product_descending = !state.product_descending;
                            } else {
                                state.product_sort = sort;
                                state.product_descending = sort != ProductSort::Name;
                            }
                        }
                    }
                    ui.end_row();
                    for p in order.iter().take(PRODUCT_ROWS) {
                        if let Some(c) = names {
                            ui.label(
                                c.get(&p.product)
                                    .and_then(|i| i.name.clone())
                                    .unwrap_or_default(),
                            );
                        }
                        ui.label(&p.product);
                        ui.label(crate::display::thousands(p.reviews as u64));
                        ui.label(crate::display::thousands(p.predicted_negative as u64));
                        ui.label(format!("{:.0}%", p.predicted_positive_share * 100.0));
                        ui.label(p.average_stars.map_or("n/a".into(), |s| format!("{s:.2}")));
                        ui.end_row();
                    }
                });
        });
    if products.len() > PRODUCT_ROWS {
        ui.small(format!(
            "first {PRODUCT_ROWS} of {} products shown",
            products.len()
        ));
    }
}

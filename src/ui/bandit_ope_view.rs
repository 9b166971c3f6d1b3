//! The Explore / exploit tab's second panel: open a logged file (or use the
//! loaded data when it has reward and propensity columns), pick a policy,
//! and read IPW, SNIPW, DM, DR and replay estimates with their intervals
//! beside the logged policy's own click rate.

use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::sync::Arc;

use eframe::egui;
use egui_plot::{HLine, Line, PlotPoints, Points};

use super::exporter::csv_button;
use super::params_ui::params_ui;
use super::plots::{chart, chart_footer};
use super::sentiment_tab::column_combo;
use super::widgets::{
    header_row, job_buttons, main_area, own_run, seed_ui, shown_banner, side_panel, OwnRun, Shown,
};
use super::TabContext;
use crate::bandit::context::{context_columns, toggle_context_column};
use crate::bandit::item_features::{item_file, BESIDE_THE_LOG};
use crate::bandit::ope::OpeResult;
use crate::bandit::params::{EvalPolicy, EvaluationParams, RewardModelKind};
use crate::bandit::settings::{EvaluationSettings, LoggedFile};
use crate::bandit::BanditResult;
use crate::data::Dataset;
use crate::workbench::{Command, Event, JobKind, RunRequest, SideJob, Workbench};

/// An evaluation runs on a job of its own, beside a race.
pub(crate) const OPE_JOB: JobKind = JobKind::Train(crate::runs::RunKind::new("off-policy"));
/// Loading a logged file beside the data.
const LOG: JobKind = JobKind::Side("bandit log");

/// The log to evaluate: the loaded data when it is one, else the file
/// opened in this panel.
pub fn log_of(bench: &Workbench) -> Option<Arc<Dataset>> {
    crate::bandit::settings::log_of(&bench.data_context())
}

/// Load `path` as the logged file beside the data.
fn load_log(path: PathBuf) -> Command {
    Command::Side(SideJob::load_file(LOG, path, |ds| Arc::new(LoggedFile(ds))))
}

#[derive(Default)]
pub struct OpeView {
    pub shown: Option<Shown<OpeResult>>,
    pub message: Option<String>,
    pub path: String,
    dialog: Option<Receiver<Option<PathBuf>>>,
    item_file: ItemFileChoice,
}

/// The item-features choice's own state.
#[derive(Default)]
struct ItemFileChoice {
    /// The item features are a typed path (shown even while it is empty).
    typed: bool,
    /// The last file checked and whether it was there: checked when the
    /// choice or the log changes, not every frame.
    checked: Option<(PathBuf, bool)>,
}

impl OpeView {
    pub fn on_event(&mut self, event: &Event, bench: &Workbench) {
        if let Some(log) = event.ready::<LoggedFile>(LOG) {
            self.message = Some(format!(
                "Loaded {} ({} rows)",
                crate::display::display_name(&log.0.path),
                crate::display::thousands(log.0.df.height() as u64)
            ));
        }
        if let Event::Message { job: LOG, text } = event {
            self.message = Some(text.clone());
        }
        match own_run(event, OPE_JOB, bench) {
            Some(OwnRun::Trained(entry)) => {
                if let Some(BanditResult::Evaluation(r)) =
                    entry.model_of::<BanditResult>().as_deref()
                {
                    self.shown = Some(Shown {
                        value: Arc::new((**r).clone()),
                        data: entry.record.data.clone(),
                    });
                    self.message = None;
                }
            }
            Some(OwnRun::Cancelled { id, .. }) => {
                self.message = Some(format!(
                    "Evaluation cancelled; run #{id} is in the Runs tab"
                ))
            }
            Some(OwnRun::Failed(m)) => self.message = Some(m.to_owned()),
            _ => {}
        }
    }

    pub(crate) fn ui(
        &mut self,
        ctx: &mut TabContext,
        settings: &mut EvaluationSettings,
        ui: &mut egui::Ui,
    ) {
        if let Some(rx) = &self.dialog {
            if let Ok(picked) = rx.try_recv() {
                self.dialog = None;
                if let Some(p) = picked {
                    self.path = p.display().to_string();
                    ctx.send(load_log(p));
                }
            }
        }
        side_panel(ui, "ope_controls", 300.0, |ui| {
            self.controls_ui(ctx, settings, ui)
        });
        main_area(ui, "ope_main", |ui| {
            // The log is the loaded data when it is one, else the file opened beside it.
            let log = log_of(ctx.bench);
            shown_banner(ui, ctx, &mut self.shown, log.as_deref());
            if let Some(m) = &self.message {
                ui.colored_label(ui.visuals().warn_fg_color, m);
            }
            match &self.shown {
                Some(r) => result_ui(&r.value, ui),
                None => {
                    ui.label("Open a log of a recommendation widget — which item was shown, in which slot, whether it was clicked, and the probability the serving policy gave it — then ask what another policy would have earned on it.");
                }
            }
        });
    }

    fn controls_ui(
        &mut self,
        ctx: &mut TabContext,
        settings: &mut EvaluationSettings,
        ui: &mut egui::Ui,
    ) {
        ui.heading("Logged feedback");
        match log_of(ctx.bench) {
            Some(ds) => {
                ui.label(format!(
                    "{} · {} rows",
                    crate::display::display_name(&ds.path),
                    crate::display::thousands(ds.df.height() as u64)
                ));
            }
            None => {
                ui.label("No log yet: the loaded data has no reward and propensity columns.");
            }
        }
        ui.horizontal(|ui| {
            ui.add(
                egui::TextEdit::singleline(&mut self.path)
                    .hint_text("path to a log (CSV…)")
                    .desired_width(170.0),
            );
            if ui.button("Browse…").clicked() && self.dialog.is_none() {
                match super::dialogs::ask(ui.ctx(), false, rfd::FileDialog::new()) {
                    Ok(rx) => self.dialog = Some(rx),
                    Err(e) => self.message = Some(e),
                }
            }
        });
        let loading = ctx.bench.jobs().is_active(LOG);
        if ui
            .add_enabled(
                !self.path.trim().is_empty() && !loading,
                egui::Button::new("Load log"),
            )
            .clicked()
        {
            ctx.send(load_log(PathBuf::from(self.path.trim())));
        }
        if loading {
            ui.spinner();
        }
        ui.separator();
        ui.heading("Policy to evaluate");
        params_ui(ui, &mut settings.params, ctx.simple);
        if let Some(ds) = log_of(ctx.bench) {
            user_columns_ui(ui, &ds, &mut settings.params, &mut self.item_file);
        }
        seed_ui(ui, &mut settings.seed, None);
        if settings.params.train_fraction == 0.0 && settings.params.policy.learns() {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                "In-sample: the policy learns from the rows it is judged on. Set a training share to estimate on later rows.",
            );
        }
        if job_buttons(ui, ctx, "Train", "Cancel", OPE_JOB) {
            match settings.request(&ctx.bench.data_context(), settings.params.clone()) {
                Ok(r) => {
                    self.message = None;
                    ctx.send(Command::Run(RunRequest::on(
                        OPE_JOB,
                        "Evaluating a policy off-policy",
                        r,
                    )));
                }
                Err(e) => self.message = Some(e),
            }
        }
        if let Some((_, message)) = ctx.bench.jobs().progress(OPE_JOB) {
            ui.label(message);
        }
    }
}

/// The user columns the policy splits on and the reward model learns
/// from, picked among the log's columns.
fn user_columns_ui(
    ui: &mut egui::Ui,
    log: &Dataset,
    params: &mut EvaluationParams,
    item_file: &mut ItemFileChoice,
) {
    let names = crate::bandit::context::user_column_candidates(log);
    if params.policy.splits_by_segment() {
        let mut segment = Some(params.segment_col.clone()).filter(|c| !c.trim().is_empty());
        column_combo(
            ui,
            "ope_segment",
            "segment column",
            &names,
            &mut segment,
            true,
            "A user column: the policy picks each slot's item per value of it (the slot's most clicked overall where a value has no click)",
        );
        params.segment_col = segment.unwrap_or_default();
    }
    if params.reward_model == RewardModelKind::Logistic || params.policy == EvalPolicy::IpwLearner {
        context_picker(ui, log, &names, params);
        match context_columns(log, &params.context_cols) {
            Ok(cols) if cols.is_empty() => {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    "No user columns: the model learns from the item and slot alone.",
                );
            }
            Ok(cols) => {
                ui.weak(format!("learns from {}", cols.join(", ")));
            }
            Err(e) => {
                ui.colored_label(ui.visuals().warn_fg_color, e.to_string());
            }
        }
    }
    if params.reward_model == RewardModelKind::Logistic {
        item_features_picker(ui, log, params, item_file);
    }
}

/// What the logistic reward model knows of the items: one weight each, the
/// item file beside the log, or a file the user names.
fn item_features_picker(
    ui: &mut egui::Ui,
    log: &Dataset,
    params: &mut EvaluationParams,
    choice: &mut ItemFileChoice,
) {
    let typed = &mut choice.typed;
    let spec = params.item_features.trim().to_owned();
    let auto = spec.eq_ignore_ascii_case("auto");
    let none = !*typed && (spec.is_empty() || spec.eq_ignore_ascii_case("none"));
    // A path typed before (a workspace, the CLI) shows as one.
    *typed = !none && !auto;
    ui.horizontal_wrapped(|ui| {
        ui.label("item features").on_hover_text(
            "What the logistic reward model knows of the items: one weight per item, or each item's features from an item file (one row per item: its id and its features, as the Open Bandit Dataset's item_context.csv)",
        );
        // Choices as selectable labels, as the other choices of the panel.
        if ui
            .selectable_label(none, "one per item")
            .on_hover_text("One weight per item (obp's default action context)")
            .clicked()
        {
            params.item_features = "none".into();
            *typed = false;
        }
        if ui
            .selectable_label(auto, BESIDE_THE_LOG)
            .on_hover_text("The item file beside the log")
            .clicked()
        {
            params.item_features = "auto".into();
            *typed = false;
        }
        if ui.selectable_label(*typed, "a file…").clicked() && !*typed {
            params.item_features = String::new();
            *typed = true;
        }
    });
    if *typed {
        ui.add(
            egui::TextEdit::singleline(&mut params.item_features)
                .hint_text("item file (relative to the log's folder)")
                .desired_width(240.0),
        );
    }
    if let Some(path) = item_file(&log.path, &params.item_features) {
        // Only whether it is there: the evaluation reads it.
        let there = match &choice.checked {
            Some((checked, there)) if *checked == path => *there,
            _ => {
                let there = path.is_file();
                choice.checked = Some((path.clone(), there));
                there
            }
        };
        if there {
            ui.weak(format!("items' features from {}", path.display()));
        } else {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                format!("{}: no such file", path.display()),
            );
        }
    }
}

/// The context columns as a menu: auto, or a checkbox per user column.
fn context_picker(
    ui: &mut egui::Ui,
    log: &Dataset,
    names: &[String],
    params: &mut EvaluationParams,
) {
    let spec = params.context_cols.trim();
    let auto = spec.is_empty() || spec.eq_ignore_ascii_case("auto");
    let chosen = context_columns(log, spec).unwrap_or_default();
    ui.horizontal(|ui| {
        ui.label("context columns").on_hover_text(
            "The user columns the logistic reward model and the IPW learner see: auto (the user_feature… columns) or those you tick",
        );
        let summary = if auto {
            "auto".to_owned()
        } else if chosen.is_empty() {
            "none".to_owned()
        } else {
            format!("{} chosen", chosen.len())
        };
        ui.menu_button(summary, |ui| {
            if ui
                .radio(auto, "auto (the user_feature… columns)")
                .clicked()
            {
                params.context_cols = "auto".into();
            }
            ui.separator();
            // A log can carry dozens of columns (OBD: 84 user columns).
            egui::ScrollArea::vertical().max_height(320.0).show(ui, |ui| {
            for name in names {
                // Under auto its columns show ticked; a tick from there
                // starts from them.
                let mut on = chosen.contains(name);
                if ui.checkbox(&mut on, name).changed() {
                    params.context_cols =
                        toggle_context_column(log, &params.context_cols, names, name, on);
                }
            }
            });
        });
    });
}

fn result_ui(r: &OpeResult, ui: &mut egui::Ui) {
    let name = if r.policy == EvalPolicy::IpwLearner.name() {
        "Learnt policy (IPW learner)"
    } else {
        &r.policy
    };
    ui.heading(format!(
        "{name}: DR estimate {:.5} vs the logged policy's {:.5}",
        r.estimates.dr.value, r.on_policy_value
    ));
    ui.label(format!(
        "{} rounds evaluated ({} items, {} slots, {} clicks){} · {} bootstrap resamples",
        crate::display::thousands(r.rounds as u64),
        r.actions,
        r.positions,
        r.clicks,
        if r.held_out {
            format!(
                " after learning from the first {} rows",
                crate::display::thousands(r.train_rows as u64)
            )
        } else {
            String::new()
        },
        r.bootstrap
    ));
    if r.in_sample {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            "In-sample estimate: the policy learned from these same rows, so it looks better than it would on new traffic.",
        );
    }
    ui.label(egui::RichText::new(r.comparison()).strong());
    for w in r.estimates.warnings() {
        ui.colored_label(ui.visuals().warn_fg_color, w);
    }
    if !r.uniform_log {
        ui.small("The log was not served uniformly: replay is biased here; IPW, SNIPW and DR correct for the propensities.");
    }
    let e = &r.estimates;
    let rows: Vec<(&str, &crate::bandit::ope::Estimate)> = vec![
        ("IPW", &e.ipw),
        ("SNIPW", &e.snipw),
        ("DM", &e.dm),
        ("DR", &e.dr),
        ("replay", &e.replay),
    ];
    let plot = chart(ui, "ope_estimates", 200.0)
        .y_axis_label("click rate")
        // The logged policy's line is drawn even above every estimate.
        .include_y(0.0)
        .include_y(r.on_policy_value * 1.15)
        .x_axis_formatter(|mark, _| {
            let k = mark.value.round();
            if (mark.value - k).abs() > 1e-6 || !(0.0..5.0).contains(&k) {
                return String::new();
            }
            ["IPW", "SNIPW", "DM", "DR", "replay"][k as usize].to_owned()
        })
        .show(ui, |p| {
            p.hline(HLine::new("logged policy", r.on_policy_value).color(egui::Color32::GRAY));
            let colour = egui::Color32::from_rgb(70, 150, 230);
            for (i, (name, x)) in rows.iter().enumerate() {
                let at = i as f64;
                p.line(
                    Line::new(
                        format!("{name} 95%"),
                        PlotPoints::from(vec![[at, x.ci[0]], [at, x.ci[1]]]),
                    )
                    .color(colour.gamma_multiply(0.6))
                    .width(3.0),
                );
                p.points(
                    Points::new(*name, PlotPoints::from(vec![[at, x.value]]))
                        .color(colour)
                        .radius(5.0),
                );
            }
        });
    chart_footer(
        ui,
        "ope_estimates",
        plot.response.rect,
        "off-policy estimates",
    );
    egui::Grid::new("ope_table").striped(true).show(ui, |ui| {
        header_row(ui, &["estimator", "click rate", "95% interval", "× logged"]);
        ui.label("logged (on-policy)");
        ui.label(format!("{:.5}", r.on_policy_value));
        ui.label(format!(
            "[{:.5}, {:.5}]",
            r.on_policy_ci[0], r.on_policy_ci[1]
        ));
        ui.label("1.00");
        ui.end_row();
        for (name, x) in &rows {
            ui.label(*name);
            if *name == "replay" && !r.estimates.replay_usable() {
                ui.label(format!("too few matches ({})", r.estimates.matched_rounds));
                ui.label("–");
                ui.label("–");
                ui.end_row();
                continue;
            }
            ui.label(format!("{:.5}", x.value));
            ui.label(format!("[{:.5}, {:.5}]", x.ci[0], x.ci[1]));
            ui.label(format!("{:.2}", x.relative));
            ui.end_row();
        }
        if let Some(u) = &r.uniform {
            ui.label("uniform random (DR)");
            ui.label(format!("{:.5}", u.dr.value));
            ui.label(format!("[{:.5}, {:.5}]", u.dr.ci[0], u.dr.ci[1]));
            ui.label(format!("{:.2}", u.dr.relative));
            ui.end_row();
        }
    });
    ui.small(format!("replay matched {} rounds", e.matched_rounds));
    csv_button(ui, "off-policy estimates", || {
        (
            ["estimator", "value", "ci_low", "ci_high", "relative"]
                .map(String::from)
                .to_vec(),
            std::iter::once(("on_policy", r.on_policy_value, r.on_policy_ci, 1.0))
                .chain(rows.iter().map(|(n, x)| (*n, x.value, x.ci, x.relative)))
                .map(|(n, v, ci, rel)| {
                    vec![
                        n.to_owned(),
                        v.to_string(),
                        ci[0].to_string(),
                        ci[1].to_string(),
                        rel.to_string(),
                    ]
                })
                .collect(),
        )
    });
    if let Some(sentence) = r.reward_model_sentence() {
        ui.weak(sentence);
    }
    if !r.segment_items.is_empty() {
        ui.separator();
        segment_items_ui(r, ui);
    }
    ui.separator();
    let learnt = r.policy == EvalPolicy::IpwLearner.name();
    if learnt {
        ui.label(
            egui::RichText::new("The learnt policy's items per slot (share of the evaluated rows)")
                .strong(),
        );
        ui.weak(format!(
            "Learnt on the first {} rows as obp's IPW learner: per slot, a logistic regression over the items on {} context features, each clicked row weighted by 1 ÷ its propensity; each row gets the most probable item.",
            crate::display::thousands(r.train_rows as u64),
            r.context_features
        ));
    } else {
        ui.label(egui::RichText::new("The policy's likeliest items per slot").strong());
    }
    egui::Grid::new("ope_policy").striped(true).show(ui, |ui| {
        for (s, items) in r.top_items.iter().enumerate() {
            ui.label(format!("slot {}", s + 1));
            ui.label(
                items
                    .iter()
                    .filter(|(_, p)| *p > 0.0)
                    .map(|(item, p)| format!("{item} ({:.0}%)", p * 100.0))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            ui.end_row();
        }
    });
    csv_button(ui, "policy items per slot", || {
        (
            ["slot", "rank", "item", "probability"]
                .map(String::from)
                .to_vec(),
            r.top_items
                .iter()
                .enumerate()
                .flat_map(|(s, items)| {
                    items.iter().enumerate().map(move |(rank, (item, p))| {
                        vec![
                            (s + 1).to_string(),
                            (rank + 1).to_string(),
                            item.clone(),
                            p.to_string(),
                        ]
                    })
                })
                .collect(),
        )
    });
}

/// A per-segment policy's item per slot for each segment value.
fn segment_items_ui(r: &OpeResult, ui: &mut egui::Ui) {
    let column = &r.segment_items[0].column;
    ui.label(egui::RichText::new(format!("Items per {column} value")).strong());
    egui::Grid::new("ope_segments")
        .striped(true)
        .show(ui, |ui| {
            ui.label(column);
            for s in 0..r.positions {
                ui.label(format!("slot {}", s + 1));
            }
            ui.end_row();
            for s in &r.segment_items {
                super::widgets::value_label(ui, &s.value);
                for item in &s.items {
                    ui.label(item);
                }
                ui.end_row();
            }
        });
    ui.weak(
        "Values with no click in the learning rows show their slots' most clicked items overall.",
    );
}

//! The Explore / exploit tab: race bandit policies on arms from the store
//! (or typed rates) with live curves, and estimate a policy's click rate
//! from a logged file (its own view, `bandit_ope_view.rs`). The tab builds
//! requests and draws results; the work is `crate::bandit`'s.

use std::sync::Arc;

use eframe::egui;
use egui_plot::{Bar, BarChart, Line, PlotPoints};

use super::bandit_ope_view::OpeView;
use super::demo::{done_on_current_data, train_until};
use super::exporter::csv_button;
use super::params_ui::params_ui;
use super::plots::{chart, chart_footer};
use super::tabs::{Tab, TourStep};
use super::widgets::{
    header_row, job_buttons, main_area, own_run, seed_ui, shown_banner, side_panel_with_action,
    OwnRun, PanelPart, Shown,
};
use super::TabContext;
use crate::bandit::arms::{arms_from_store, ArmRate, ArmUnit};
use crate::bandit::params::PolicyKind;
use crate::bandit::settings::{
    is_log, segment_source, BanditSettings, LogSegments, SimulationSettings, StoreArms,
};
use crate::bandit::simulate::{Arm, PolicySummary, Segment, SimulationResult};
use crate::bandit::BanditResult;
use crate::data::Dataset;
use crate::demo::state::Outcome;
use crate::demo::tour::Action;
use crate::runs::{DataFingerprint, RunEntry};
use crate::workbench::{Command, Event, JobKind, RunRequest, SideJob, Then, Workbench};

/// The tab's id.
pub(crate) const ID: &str = "bandit";
pub(crate) const SIM_JOB: JobKind = JobKind::Train(crate::bandit::KIND);
/// Reading arms from the loaded store.
const ARMS: JobKind = JobKind::Side("bandit arms");
const LOG_SEGMENTS: JobKind = JobKind::Side("bandit log segments");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Panel {
    Simulate,
    Evaluate,
}

#[derive(Default)]
pub struct BanditTab {
    pub panel: Option<Panel>,
    /// The race's and the evaluation's settings.
    pub settings: BanditSettings,
    /// The finished (or cancelled) simulation shown.
    pub shown: Option<Shown<SimulationResult>>,
    pub message: Option<String>,
    /// The data the arms were read from, so they are read once per file.
    arms_for: Option<Arc<Dataset>>,
    pub ope: OpeView,
}

impl BanditTab {
    /// What **Train** does: race the ticked strategies on the arms shown.
    pub(crate) fn start_race(&mut self, ctx: &mut TabContext) {
        match self
            .settings
            .race
            .request(&ctx.bench.data_context(), self.settings.race.params.clone())
        {
            Ok(request) => {
                self.message = None;
                ctx.send(Command::Run(RunRequest::new(request)));
            }
            Err(e) => self.message = Some(e),
        }
    }

    /// Show a saved run's result (from the Runs tab).
    pub fn show(&mut self, result: &BanditResult, data: DataFingerprint) {
        match result {
            BanditResult::Simulation(r) => {
                self.shown = Some(Shown {
                    value: Arc::new(r.clone()),
                    data,
                });
                self.panel = Some(Panel::Simulate);
            }
            BanditResult::Evaluation(r) => {
                self.ope.shown = Some(Shown {
                    value: Arc::new((**r).clone()),
                    data,
                });
                self.panel = Some(Panel::Evaluate);
            }
        }
    }

    fn simulate_ui(&mut self, ctx: &mut TabContext, ui: &mut egui::Ui) {
        // Arms (or a log's segments) from newly loaded data, once.
        let race = &self.settings.race;
        let from_log = race.per_segment && !race.segment_col.is_empty();
        if race.from_store || from_log {
            let source = if from_log {
                segment_source(&ctx.bench.data_context())
            } else {
                ctx.bench.dataset().cloned()
            };
            if let Some(ds) = &source {
                if self.arms_for.as_ref().is_none_or(|a| !Arc::ptr_eq(a, ds)) {
                    self.arms_for = Some(Arc::clone(ds));
                    if from_log {
                        self.request_log_segments(ctx);
                    } else {
                        self.request_arms(ctx);
                    }
                }
            }
        }
        side_panel_with_action(ui, "bandit_controls", 300.0, |ui, part| match part {
            PanelPart::Controls => self.controls_ui(ctx, ui),
            PanelPart::Action => {
                if job_buttons(ui, ctx, "Train", "Cancel", SIM_JOB) {
                    self.start_race(ctx);
                }
            }
        });
        // The race so far while it runs, as its job last reported it.
        let running = ctx.bench.jobs().partial::<SimulationResult>(SIM_JOB);
        main_area(ui, "bandit_main", |ui| {
            if running.is_none() {
                // A race on a log's segments is checked against that log.
                let race = &self.settings.race;
                let current = if race.per_segment && !race.segment_col.is_empty() {
                    segment_source(&ctx.bench.data_context())
                } else {
                    ctx.bench.dataset().cloned()
                };
                shown_banner(ui, ctx, &mut self.shown, current.as_deref());
            }
            if let Some(m) = &self.message {
                ui.colored_label(ui.visuals().warn_fg_color, m);
            }
            match running.or_else(|| self.shown.as_ref().map(|s| Arc::clone(&s.value))) {
                Some(r) => race_ui(&r, ui),
                None => {
                    ui.label("Pick the arms and the strategies on the left, then press Train: each strategy plays the same arms round after round, and the charts grow as replications finish.");
                }
            }
        });
    }

    /// Read the per-segment rates of the loaded log (or store) on a worker.
    pub(crate) fn request_log_segments(&mut self, ctx: &mut TabContext) {
        let race = self.settings.race.clone();
        let source = segment_source(&ctx.bench.data_context());
        ctx.send(Command::Side(SideJob::new(
            LOG_SEGMENTS,
            "Reading the segments' rates",
            Then::Announce,
            move |input, _| {
                let Some(source) = &source else {
                    return Err(crate::task::TaskError::Input(
                        "no log or store with event types is loaded: open one first".into(),
                    ));
                };
                Ok(Arc::new(LogSegments::read(
                    source,
                    input.catalogue.as_deref(),
                    &race,
                )?))
            },
        )));
    }

    pub(crate) fn request_arms(&mut self, ctx: &mut TabContext) {
        let (unit, rate, top) = (
            self.settings.race.unit,
            self.settings.race.rate,
            self.settings.race.top,
        );
        ctx.send(Command::Side(SideJob::new(
            ARMS,
            "Reading arms from the store",
            Then::Announce,
            move |input, _| {
                let Some(dataset) = &input.dataset else {
                    return Err(crate::task::TaskError::Input("no data is loaded".into()));
                };
                let arms = arms_from_store(dataset, input.catalogue.as_deref(), unit, rate, top)?;
                Ok(Arc::new(StoreArms(arms)))
            },
        )));
    }

    fn controls_ui(&mut self, ctx: &mut TabContext, ui: &mut egui::Ui) {
        ui.heading("Arms");
        let s = &mut self.settings.race;
        // Where the rates come from: 0 the store, 1 typed, 2 typed per
        // user segment.
        let mut source = match (s.per_segment, s.from_store) {
            (true, _) => 2,
            (false, true) => 0,
            (false, false) => 1,
        };
        ui.horizontal(|ui| {
            ui.radio_value(&mut source, 0, "from the store");
            ui.radio_value(&mut source, 1, "typed rates");
            ui.radio_value(&mut source, 2, "per user segment")
                .on_hover_text("Each group of users prefers its own arms: LinUCB and linear Thompson sampling see the round's group, the others do not");
        });
        if (s.per_segment, s.from_store) != (source == 2, source == 0) {
            // A message about the old source (store arms unreadable) no
            // longer applies.
            self.message = None;
        }
        (s.per_segment, s.from_store) = (source == 2, source == 0);
        let mut reread = false;
        let mut read_log = false;
        // The loaded data when it is a log, else the log opened beside it,
        // else the loaded store.
        let source = segment_source(&ctx.bench.data_context());
        let candidates = source
            .as_ref()
            .map(|d| crate::bandit::context::user_column_candidates(d))
            .unwrap_or_default();
        let segments_from_store = source.is_some_and(|d| !is_log(&d));
        if s.per_segment {
            let mut from_log = !s.segment_col.is_empty();
            ui.horizontal(|ui| {
                ui.radio_value(&mut from_log, false, "typed");
                ui.add_enabled_ui(!candidates.is_empty(), |ui| {
                    ui.radio_value(&mut from_log, true, "from the loaded data")
                        .on_hover_text("Within each value of a user column: a log's click rates of its most shown items, or a store's purchases (or carts) ÷ views of its most viewed items")
                        .on_disabled_hover_text("No log or store with user columns is loaded: open a store, or a log (such as the Open Bandit Dataset's all.csv) in Evaluate a logged policy");
                });
            });
            if from_log && s.segment_col.is_empty() {
                s.segment_col = candidates.first().cloned().unwrap_or_default();
                read_log = true;
            } else if !from_log && !s.segment_col.is_empty() {
                s.segment_col.clear();
                s.log_segments.clear();
            }
        }
        if s.per_segment && !s.segment_col.is_empty() {
            let mut column = Some(s.segment_col.clone());
            super::sentiment_tab::column_combo(
                ui,
                "race_segment_col",
                "split on",
                &candidates,
                &mut column,
                false,
                "The user column whose values become the race's segments",
            );
            if let Some(c) = column.filter(|c| *c != s.segment_col) {
                s.segment_col = c;
                read_log = true;
            }
            if segments_from_store {
                read_log |= store_arms_ui(ui, s);
            } else {
                ui.horizontal(|ui| {
                    ui.label("most shown items");
                    read_log |= ui
                        .add(egui::DragValue::new(&mut s.top).range(2..=50))
                        .changed();
                });
            }
            if ctx.bench.jobs().is_active(LOG_SEGMENTS) {
                ui.spinner();
            }
            segments_table(ui, &s.arms, &s.log_segments);
            if ui.button("Read the rates again").clicked() {
                read_log = true;
            }
        } else if s.per_segment {
            ui.label("rates per segment: a rate per arm, segments separated by ';'");
            ui.add(
                egui::TextEdit::multiline(&mut s.segment_rates)
                    .desired_rows(2)
                    .desired_width(270.0),
            );
            ui.horizontal(|ui| {
                let l = ui.label("shares of users");
                ui.add(
                    egui::TextEdit::singleline(&mut s.segment_shares)
                        .hint_text("equal")
                        .desired_width(150.0),
                )
                .labelled_by(l.id);
            });
        } else if s.from_store {
            reread |= store_arms_ui(ui, s);
            if ctx.bench.jobs().is_active(ARMS) {
                ui.spinner();
            }
            egui::Grid::new("bandit_arms").striped(true).show(ui, |ui| {
                header_row(ui, &["arm", "rate"]);
                for arm in &mut s.arms {
                    ui.label(&arm.label);
                    ui.add(
                        egui::DragValue::new(&mut arm.rate)
                            .range(0.0..=1.0)
                            .speed(0.0005)
                            .fixed_decimals(4),
                    )
                    .on_hover_text("Edit to ask \"what if this item converted better?\"");
                    ui.end_row();
                }
            });
            let arms = s.arms.clone();
            csv_button(ui, "bandit arms", move || {
                (
                    ["arm", "rate"].map(String::from).to_vec(),
                    arms.iter()
                        .map(|a| vec![a.label.clone(), a.rate.to_string()])
                        .collect(),
                )
            });
            if ui.button("Read the rates again").clicked() {
                reread = true;
            }
        } else {
            ui.label("success rates, comma-separated");
            ui.text_edit_singleline(&mut s.typed);
        }
        if reread && s.from_store {
            self.request_arms(ctx);
        }
        if read_log {
            self.request_log_segments(ctx);
        }
        let s = &mut self.settings.race;
        ui.separator();
        ui.heading("Strategies");
        for kind in PolicyKind::ALL {
            let mut on = s.races(kind);
            if ui.checkbox(&mut on, kind.label()).changed() {
                s.set_race(kind, on);
            }
        }
        ui.separator();
        params_ui(ui, &mut s.params, ctx.simple);
        seed_ui(ui, &mut s.seed, None);
    }
}

fn band_lines(
    p: &mut egui_plot::PlotUi,
    grid: &[usize],
    policy: &PolicySummary,
    band: &crate::bandit::simulate::Band,
    colour: egui::Color32,
) {
    let pts =
        |v: &[f64]| -> Vec<[f64; 2]> { grid.iter().zip(v).map(|(&t, &y)| [t as f64, y]).collect() };
    p.line(
        Line::new(policy.label.clone(), PlotPoints::from(pts(&band.mean)))
            .color(colour)
            .width(2.0),
    );
    // Unnamed, so the legend keeps one entry (and colour) per policy.
    for q in [&band.p10, &band.p90] {
        p.line(
            Line::new("", PlotPoints::from(pts(q)))
                .color(colour.gamma_multiply(0.45))
                .width(1.0)
                .style(egui_plot::LineStyle::dashed_loose()),
        );
    }
}

/// The race: the verdict, the curves, pulls per arm and the table.
fn race_ui(r: &SimulationResult, ui: &mut egui::Ui) {
    let dark = ui.visuals().dark_mode;
    ui.heading(r.verdict().unwrap_or_else(|| "Racing…".to_owned()));
    ui.label(format!(
        "{} of {} replications · {} · solid: mean, dashed: 10% and 90% of replications",
        r.finished,
        r.replications,
        crate::bandit::simulate::describe_arms(&r.arms, &r.segments)
    ));
    // One legend for the four charts, outside their data.
    ui.horizontal_wrapped(|ui| {
        for s in &r.policies {
            let colour = colour_of(s, dark);
            let (swatch, _) = ui.allocate_exact_size(egui::vec2(18.0, 10.0), egui::Sense::hover());
            ui.painter().hline(
                swatch.x_range(),
                swatch.center().y,
                egui::Stroke::new(3.0, colour),
            );
            ui.colored_label(colour, &s.label);
        }
    });
    ui.columns(2, |cols| {
        let regret = chart(&cols[0], "bandit_regret", 220.0)
            .x_axis_label("round")
            .y_axis_label("pseudo-regret")
            .show(&mut cols[0], |p| {
                for s in &r.policies {
                    band_lines(p, &r.grid, s, &s.regret, colour_of(s, dark));
                }
            });
        chart_footer(
            &mut cols[0],
            "bandit_regret",
            regret.response.rect,
            "bandit regret",
        );
        let reward = chart(&cols[1], "bandit_reward", 220.0)
            .x_axis_label("round")
            .y_axis_label("cumulative reward")
            .show(&mut cols[1], |p| {
                for s in &r.policies {
                    band_lines(p, &r.grid, s, &s.reward, colour_of(s, dark));
                }
            });
        chart_footer(
            &mut cols[1],
            "bandit_reward",
            reward.response.rect,
            "bandit reward",
        );
    });
    ui.columns(2, |cols| {
        let share = chart(&cols[0], "bandit_best_share", 180.0)
            .x_axis_label("round")
            .y_axis_label("best-arm share")
            .include_y(0.0)
            .include_y(1.0)
            .show(&mut cols[0], |p| {
                for s in &r.policies {
                    let pts: Vec<[f64; 2]> = r
                        .grid
                        .iter()
                        .zip(&s.best_share)
                        .map(|(&t, &y)| [t as f64, y])
                        .collect();
                    p.line(
                        Line::new(s.label.clone(), PlotPoints::from(pts)).color(colour_of(s, dark)),
                    );
                }
            });
        chart_footer(
            &mut cols[0],
            "bandit_best_share",
            share.response.rect,
            "bandit best-arm share",
        );
        let n = r.policies.len().max(1) as f64;
        let pulls = chart(&cols[1], "bandit_pulls", 180.0)
            .x_axis_label("arm (1 = listed first)")
            .y_axis_label("mean pulls")
            .show(&mut cols[1], |p| {
                for (j, s) in r.policies.iter().enumerate() {
                    let bars: Vec<Bar> = s
                        .pulls
                        .iter()
                        .enumerate()
                        .map(|(a, &v)| {
                            Bar::new(a as f64 + 1.0 + (j as f64 - (n - 1.0) / 2.0) * 0.8 / n, v)
                                .width(0.8 / n)
                                .name(format!("{} · {}", s.label, r.arms[a].label))
                        })
                        .collect();
                    p.bar_chart(BarChart::new(s.label.clone(), bars).color(colour_of(s, dark)));
                }
            });
        chart_footer(
            &mut cols[1],
            "bandit_pulls",
            pulls.response.rect,
            "bandit pulls per arm",
        );
    });
    egui::Grid::new("bandit_table")
        .striped(true)
        .show(ui, |ui| {
            header_row(
                ui,
                &[
                    "strategy",
                    "reward / round",
                    "regret at T",
                    "± s.e.",
                    "best-arm share",
                ],
            );
            for s in &r.policies {
                ui.colored_label(colour_of(s, dark), &s.label);
                ui.label(format!("{:.5}", s.mean_reward));
                ui.label(format!("{:.1}", s.mean_regret));
                ui.label(format!("{:.1}", s.se_regret));
                ui.label(format!("{:.1}%", s.best_arm_share * 100.0));
                ui.end_row();
            }
        });
    if !r.segments.is_empty() {
        segment_regret_ui(r, dark, ui);
    }
    csv_button(ui, "bandit race", || {
        (
            [
                "policy",
                "mean_reward",
                "mean_regret",
                "se_regret",
                "best_arm_share",
                "replications",
            ]
            .map(String::from)
            .to_vec(),
            r.policies
                .iter()
                .map(|s| {
                    vec![
                        s.policy.clone(),
                        s.mean_reward.to_string(),
                        s.mean_regret.to_string(),
                        s.se_regret.to_string(),
                        s.best_arm_share.to_string(),
                        r.finished.to_string(),
                    ]
                })
                .collect(),
        )
    });
}

/// Each policy's regret within each user segment's rounds: a policy that
/// cannot tell the segments apart loses in every one.
fn segment_regret_ui(r: &SimulationResult, dark: bool, ui: &mut egui::Ui) {
    ui.label(egui::RichText::new("Regret at T by user segment").strong());
    egui::Grid::new("bandit_segments")
        .striped(true)
        .show(ui, |ui| {
            let mut header = vec!["strategy".to_owned()];
            header.extend(r.segments.iter().map(|s| {
                let best = s.rates.iter().copied().fold(0.0, f64::max);
                format!("{} (best {best:.3})", s.label)
            }));
            let header: Vec<&str> = header.iter().map(String::as_str).collect();
            header_row(ui, &header);
            for s in &r.policies {
                ui.colored_label(colour_of(s, dark), &s.label);
                for g in &s.segment_regret {
                    ui.label(format!("{g:.1}"));
                }
                ui.end_row();
            }
        });
}

/// A policy's colour, the same in every chart.
fn colour_of(s: &PolicySummary, dark: bool) -> egui::Color32 {
    let kind = s.policy.split(':').next().unwrap_or("");
    let i = PolicyKind::ALL
        .iter()
        .position(|k| k.name() == kind)
        .unwrap_or(0);
    super::plots::series_colour(dark, i)
}

impl Tab for BanditTab {
    fn id(&self) -> &'static str {
        ID
    }

    fn label(&self) -> &'static str {
        "Explore / exploit"
    }

    fn on_event(&mut self, event: &Event, bench: &Workbench) {
        // A bandit log has nothing to race on: open it where it can be evaluated.
        if let (Event::DataLoaded, Some(ds)) = (event, bench.dataset()) {
            if crate::bandit::settings::is_log(ds) {
                self.panel = Some(Panel::Evaluate);
            }
        }
        if let Some(arms) = event.ready::<StoreArms>(ARMS) {
            self.settings.race.arms = arms.0.clone();
            self.message = None;
        }
        if let Event::Message { job: ARMS, text } = event {
            self.message = Some(text.clone());
        }
        if let Some(read) = event.ready::<LogSegments>(LOG_SEGMENTS) {
            read.apply(&mut self.settings.race);
            self.message = None;
        }
        if let Event::Message {
            job: LOG_SEGMENTS,
            text,
        } = event
        {
            self.message = Some(text.clone());
        }
        self.ope.on_event(event, bench);
        let simulation = |id: u64| {
            let entry = bench.runs().get(id)?;
            let model = entry.model_of::<BanditResult>()?;
            match &*model {
                BanditResult::Simulation(r) => Some(Shown {
                    value: Arc::new(r.clone()),
                    data: entry.record.data.clone(),
                }),
                BanditResult::Evaluation(_) => None,
            }
        };
        match own_run(event, SIM_JOB, bench) {
            Some(OwnRun::Trained(_)) => {
                if let Event::RunRecorded { id, .. } = event {
                    if let Some(r) = simulation(*id) {
                        self.shown = Some(r);
                        self.message = None;
                    }
                }
            }
            Some(OwnRun::Cancelled { id, .. }) => {
                // The finished replications are the run's result.
                if let Some(r) = simulation(id) {
                    self.message = Some(format!(
                        "Cancelled after {} of {} replications; run #{id} keeps them",
                        r.value.finished, r.value.replications
                    ));
                    self.shown = Some(r);
                }
            }
            Some(OwnRun::Failed(m)) => self.message = Some(m.to_owned()),
            None => {}
        }
    }

    fn ui(&mut self, ctx: &mut TabContext, ui: &mut egui::Ui) {
        let panel = *self.panel.get_or_insert(Panel::Simulate);
        ui.horizontal(|ui| {
            let p = self.panel.get_or_insert(Panel::Simulate);
            ui.selectable_value(p, Panel::Simulate, "Race strategies");
            ui.selectable_value(p, Panel::Evaluate, "Evaluate a logged policy");
        });
        match panel {
            Panel::Simulate => self.simulate_ui(ctx, ui),
            Panel::Evaluate => self.ope.ui(ctx, &mut self.settings.evaluation, ui),
        }
    }

    fn explore(&mut self, run: &RunEntry, _bench: &Workbench) -> bool {
        let shown = run
            .model_of::<BanditResult>()
            .map(|result| self.show(&result, run.record.data.clone()));
        shown.is_some()
    }

    fn settings(&self) -> Vec<&dyn std::any::Any> {
        vec![&self.settings]
    }

    fn perform(&mut self, step: &TourStep, ctx: &mut TabContext) -> Option<Outcome> {
        if step.action != Action::RaceBandits {
            return None;
        }
        if self.settings.race.arms.is_empty() {
            if !ctx.bench.jobs().is_active(ARMS) {
                self.request_arms(ctx);
            }
            return Some(Outcome::NotYet("reading the arms from the store".into()));
        }
        let ready = self.shown.is_some() && done_on_current_data(ctx.bench, crate::bandit::KIND);
        Some(train_until(
            ctx,
            step,
            ready,
            SIM_JOB,
            "racing the strategies",
            |ctx| self.start_race(ctx),
        ))
    }
}

/// The segments read from a log: each one's share and its rate per arm.
/// How many of the store's most viewed items or categories, and which
/// rate; true when the user changed any of it.
fn store_arms_ui(ui: &mut egui::Ui, s: &mut SimulationSettings) -> bool {
    let mut changed = false;
    ui.horizontal(|ui| {
        ui.label("most viewed");
        changed |= ui
            .add(egui::DragValue::new(&mut s.top).range(2..=50))
            .changed();
        changed |= ui
            .radio_value(&mut s.unit, ArmUnit::Items, "items")
            .changed();
        changed |= ui
            .radio_value(&mut s.unit, ArmUnit::Categories, "categories")
            .changed();
    });
    ui.horizontal(|ui| {
        ui.label("rate");
        changed |= ui
            .radio_value(&mut s.rate, ArmRate::Purchase, "purchases ÷ views")
            .changed();
        changed |= ui
            .radio_value(&mut s.rate, ArmRate::Cart, "carts ÷ views")
            .changed();
    });
    changed
}

fn segments_table(ui: &mut egui::Ui, arms: &[Arm], segments: &[Segment]) {
    if segments.is_empty() {
        return;
    }
    egui::ScrollArea::horizontal()
        .id_salt("race_log_segments")
        .show(ui, |ui| {
            egui::Grid::new("race_log_segments_grid")
                .striped(true)
                .show(ui, |ui| {
                    ui.label(egui::RichText::new("value").strong());
                    ui.label(egui::RichText::new("share").strong());
                    for a in arms {
                        ui.label(egui::RichText::new(&a.label).strong());
                    }
                    ui.end_row();
                    for s in segments {
                        // "column = value": long hashed values shortened.
                        match s.label.split_once(" = ") {
                            Some((_, value)) => super::widgets::value_label(ui, value),
                            None => ui.label(&s.label),
                        };
                        ui.label(format!("{:.0}%", s.share * 100.0));
                        for r in &s.rates {
                            ui.label(format!("{r:.4}"));
                        }
                        ui.end_row();
                    }
                });
        });
}

//! The Runs tab's sweep form: a model, the parameters to sweep (a list or
//! a range each), grid or random, the run cap, early-stop patience and the
//! random-search seed. The core registry plans the sweep from it and the
//! other tabs' settings, exactly as `shoplens sweep` does.

use eframe::egui;

use super::TabContext;
use crate::registry::{self, SweepModel};
use crate::runs::sweep::{parse_list, parse_range, SweepSpec, MAX_AXES};
use crate::runs::SweepPlan;
use crate::workbench::{Command, JobKind, SideJob};

/// One swept parameter as typed: a name and `V1,V2,…` or `LO..HI[:log]`.
#[derive(Clone, Debug, PartialEq)]
pub struct AxisDraft {
    pub name: String,
    pub values: String,
}

/// What the sweep form holds.
pub(crate) struct SweepForm {
    pub model: Option<SweepModel>,
    pub axes: Vec<AxisDraft>,
    pub random: bool,
    pub random_runs: usize,
    pub cap: usize,
    pub patience: usize,
    pub seed: u64,
    /// The last sweep's message (why it stopped, what it skipped).
    pub message: Option<String>,
}

impl Default for SweepForm {
    fn default() -> Self {
        let model = registry::sweep_model("als")
            .ok()
            .or_else(|| registry::sweep_models().next());
        let spec = SweepSpec::default();
        Self {
            axes: model.iter().map(default_axis).collect(),
            model,
            random: false,
            random_runs: 8,
            cap: spec.cap,
            patience: spec.patience,
            seed: spec.seed,
            message: None,
        }
    }
}

/// A first sweep for each model: the first parameter with default sweep
/// values on its spec.
fn default_axis(model: &SweepModel) -> AxisDraft {
    let (name, values) = model.entry.first_axis().unwrap_or_default();
    AxisDraft {
        name: name.into(),
        values: values.into(),
    }
}

impl SweepForm {
    /// The sweep the form describes.
    pub fn spec(&self) -> Result<SweepSpec, String> {
        let mut spec = SweepSpec {
            random: self.random.then_some(self.random_runs),
            cap: self.cap,
            seed: self.seed,
            patience: self.patience,
            ..Default::default()
        };
        for axis in &self.axes {
            let arg = format!("{}={}", axis.name.trim(), axis.values.trim());
            if axis.values.contains("..") {
                spec.ranges.push(parse_range(&arg)?);
            } else {
                spec.lists.push(parse_list(&arg)?);
            }
        }
        Ok(spec)
    }

    /// The sweep as it would run: the chosen model's request with the
    /// other tabs' settings, planned by the core registry.
    fn plan(&self, ctx: &TabContext) -> Result<SweepPlan, String> {
        let model = self.model.as_ref().ok_or("Choose a model to sweep.")?;
        registry::plan_sweep(
            model,
            ctx.settings,
            &ctx.bench.data_context(),
            &self.spec()?,
        )
    }
}

impl SweepForm {
    pub fn ui(&mut self, ctx: &mut TabContext, ui: &mut egui::Ui) {
        let state = self;
        ui.heading("Sweep");
        ui.label("Train a model once per setting, one after another, with the other settings of its tab (the data, split, columns, features, target or window set there).");
        let before = state.model.as_ref().map(|m| m.name());
        egui::ComboBox::from_label("model")
            .selected_text(state.model.as_ref().map_or("choose", |m| m.label()))
            // Most models in view at once; the rest scroll.
            .height(560.0)
            .show_ui(ui, |ui| {
                for model in registry::sweep_models() {
                    let label = model.label().to_owned();
                    ui.selectable_value(&mut state.model, Some(model), label);
                }
            });
        if state.model.as_ref().map(|m| m.name()) != before {
            state.axes = state.model.iter().map(default_axis).collect();
        }
        let Some(model) = state.model.clone() else {
            return;
        };
        // What the model's runs need worked out first (the customers k-means
        // clusters), once per loaded file.
        if let Some(prepare) = model.capability.does.prepare(&model.entry) {
            ctx.send(Command::Side(SideJob::prepare(model.kind(), prepare)));
        }
        let names: Vec<&str> = model.entry.sweepable().iter().map(|s| s.name).collect();
        let planned = state.plan(ctx);
        ui.add_space(4.0);
        ui.label(egui::RichText::new("Parameters").strong())
        .on_hover_text("Values: a list 16,32,64 (grid or random), or a range 0.001..0.1 (random search; add :log for a log scale)");
        let mut remove = None;
        for (i, axis) in state.axes.iter_mut().enumerate() {
            ui.horizontal(|ui| {
                egui::ComboBox::from_id_salt(("sweep_axis", i))
                    .width(110.0)
                    .selected_text(&axis.name)
                    .show_ui(ui, |ui| {
                        for n in &names {
                            ui.selectable_value(&mut axis.name, (*n).to_owned(), *n);
                        }
                    });
                ui.add(
                    egui::TextEdit::singleline(&mut axis.values)
                        .desired_width(110.0)
                        .hint_text("16,32,64"),
                )
                .on_hover_text("A list 16,32,64, or a range LO..HI or LO..HI:log");
                if ui
                    .small_button("remove")
                    .on_hover_text("Remove this parameter")
                    .clicked()
                {
                    remove = Some(i);
                }
            });
        }
        if let Some(i) = remove {
            state.axes.remove(i);
        }
        if state.axes.len() < MAX_AXES && ui.small_button("+ parameter").clicked() {
            let next = names
                .iter()
                .find(|n| !state.axes.iter().any(|a| a.name == **n))
                .map(|n| (*n).to_owned())
                .unwrap_or_default();
            state.axes.push(AxisDraft {
                name: next,
                values: String::new(),
            });
        }
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            ui.radio_value(&mut state.random, false, "Grid")
                .on_hover_text("Every combination of the listed values");
            ui.radio_value(&mut state.random, true, "Random")
                .on_hover_text("Draw settings at random from the ranges and lists (seeded)");
            if state.random {
                ui.add(
                    egui::DragValue::new(&mut state.random_runs)
                        .range(1..=1000)
                        .suffix(" runs"),
                );
            }
        });
        ui.add(egui::Slider::new(&mut state.cap, 1..=500).text("run cap"))
            .on_hover_text("Refuse sweeps of more runs than this");
        ui.add(egui::Slider::new(&mut state.patience, 0..=20).text("early-stop patience"))
        .on_hover_text("Stop a run after this many validations without a better validation NDCG (0: off). Validation runs every 'validate every' epochs of the Recommend tab (5 when that is off).");
        ui.add(egui::DragValue::new(&mut state.seed).prefix("random-search seed "));
        match &planned {
            Ok(request) => ui.label(format!("{} runs planned", request.len())),
            Err(e) => ui.colored_label(ui.visuals().warn_fg_color, e),
        };
        ui.add_space(4.0);
        let jobs = ctx.bench.jobs();
        if jobs.is_active(JobKind::Sweep) {
            let at = jobs.progress(JobKind::Sweep).map(|(_, m)| m.to_owned());
            let cancelling = jobs.is_cancelling(JobKind::Sweep);
            ui.horizontal(|ui| {
                ui.spinner();
                if let Some(at) = at {
                    ui.label(at);
                }
                if cancelling {
                    ui.label("cancelling…");
                } else if ui.button("Cancel sweep").clicked() {
                    ctx.send(Command::Cancel(JobKind::Sweep));
                }
            });
        } else {
            let button = ui
                .add_enabled(planned.is_ok(), egui::Button::new("Run sweep"))
                .on_disabled_hover_text(
                    "Load the data the model needs and fix the parameters first",
                );
            if button.clicked() {
                if let Ok(request) = planned {
                    state.message = None;
                    ctx.send(Command::Sweep(request));
                }
            }
        }
    }
}

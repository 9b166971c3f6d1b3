//! The Runs tab's sweep form: a model, the parameters to sweep (a list or
//! a range each), grid or random, the run cap, early-stop patience and the
//! random-search seed; or a search (TPE or random) over a space chosen per
//! parameter, with a budget in trials or minutes. The core registry plans
//! it from the form and the other tabs' settings, exactly as
//! `shoplens sweep` does.

use eframe::egui;

use super::TabContext;
use crate::registry::{self, SweepModel};
use crate::runs::search::{trials_of, Dimension, SamplerKind, SearchSpec, Study};
use crate::runs::sweep::{parse_list, parse_range, SweepSpec, MAX_AXES};
use crate::runs::SweepPlan;
use crate::workbench::{Command, JobKind, SideJob};

/// One swept parameter as typed: a name and `V1,V2,…` or `LO..HI[:log]`.
#[derive(Clone, Debug, PartialEq)]
pub struct AxisDraft {
    pub name: String,
    pub values: String,
}

/// One parameter of a search's space as typed: searched or not, and its
/// domain after `NAME=` (`8..128:log:int`, `cosine,bm25`).
#[derive(Clone, Debug, PartialEq)]
pub struct SpaceDraft {
    pub name: String,
    pub on: bool,
    pub domain: String,
}

/// Whether the form plans a list of settings or a search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Grid,
    Random,
    Search,
}

/// What the sweep form holds.
pub(crate) struct SweepForm {
    pub model: Option<SweepModel>,
    pub axes: Vec<AxisDraft>,
    pub mode: Mode,
    pub sampler: SamplerKind,
    pub space: Vec<SpaceDraft>,
    pub trials: usize,
    /// Start no trial after this many minutes (0: no limit).
    pub minutes: f64,
    pub prune: bool,
    /// The study the next search continues.
    pub resume: Option<u64>,
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
        let search = SearchSpec::default();
        Self {
            axes: model.iter().map(default_axis).collect(),
            space: model.iter().flat_map(default_space).collect(),
            model,
            mode: Mode::Grid,
            sampler: search.sampler,
            trials: search.trials,
            minutes: 0.0,
            prune: search.prune,
            resume: None,
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

/// A search's first space: every parameter a sweep may vary, with the
/// range of its spec; the simple ones (not advanced, not conditional) on.
fn default_space(model: &SweepModel) -> Vec<SpaceDraft> {
    model
        .entry
        .sweepable()
        .into_iter()
        .filter_map(|spec| {
            let dim = Dimension::default_for(spec)?;
            Some(SpaceDraft {
                name: dim.name.clone(),
                on: !spec.advanced && spec.when.is_none(),
                domain: dim.text(),
            })
        })
        .collect()
}

impl SweepForm {
    /// Set the form to continue `study`: its model, space and seed.
    pub fn resume(&mut self, study: &Study) {
        let Ok(model) = registry::sweep_model(&study.model) else {
            self.message = Some(format!("{} can no longer be searched", study.model));
            return;
        };
        self.space = default_space(&model);
        for draft in &mut self.space {
            let searched = study.space.iter().find(|d| d.name == draft.name);
            draft.on = searched.is_some();
            if let Some(d) = searched {
                draft.domain = d.text();
            }
        }
        self.axes = vec![default_axis(&model)];
        self.model = Some(model);
        self.mode = Mode::Search;
        self.sampler = study.sampler;
        self.seed = study.seed;
        self.prune = study.prune;
        self.resume = Some(study.id);
    }

    /// The search the form describes (`None` unless in search mode).
    fn search(&self, ctx: &TabContext) -> Result<Option<SearchSpec>, String> {
        if self.mode != Mode::Search {
            return Ok(None);
        }
        let space = self
            .space
            .iter()
            .filter(|d| d.on)
            .map(|d| Dimension::parse(&format!("{}={}", d.name, d.domain.trim())))
            .collect::<Result<Vec<_>, _>>()?;
        let resume = match (self.resume, &self.model) {
            (Some(id), Some(model)) => {
                let history = ctx.bench.runs();
                let study = history.study(id).ok_or("the study to resume is gone")?;
                let loaded = ctx
                    .bench
                    .dataset()
                    .map(|d| crate::runs::known_fingerprint(d));
                if !loaded.is_some_and(|l| l.same_data(&study.data)) {
                    return Err(format!(
                        "study #{id} ran on {}: open that file to resume it",
                        study.data.short()
                    ));
                }
                Some((
                    id,
                    trials_of(&history.sweep_records(id), &model.capability.metric),
                ))
            }
            _ => None,
        };
        Ok(Some(SearchSpec {
            sampler: self.sampler,
            space,
            trials: self.trials,
            minutes: (self.minutes > 0.0).then_some(self.minutes),
            prune: self.prune,
            objective: None,
            resume,
        }))
    }

    /// The sweep the form describes.
    pub fn spec(&self, ctx: &TabContext) -> Result<SweepSpec, String> {
        let search = self.search(ctx)?;
        if search.is_some() {
            return Ok(SweepSpec {
                cap: self.cap,
                seed: self.seed,
                patience: self.patience,
                search,
                ..Default::default()
            });
        }
        let mut spec = SweepSpec {
            random: (self.mode == Mode::Random).then_some(self.random_runs),
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
            &self.spec(ctx)?,
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
        if state.model.as_ref().map(|m| m.name()) != before {
            state.space = default_space(&model);
            state.resume = None;
        }
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            ui.radio_value(&mut state.mode, Mode::Grid, "Grid")
                .on_hover_text("Every combination of the listed values");
            ui.radio_value(&mut state.mode, Mode::Random, "Random")
                .on_hover_text("Draw settings at random from the ranges and lists (seeded)");
            ui.radio_value(&mut state.mode, Mode::Search, "Search")
                .on_hover_text("Trials one at a time, each chosen from the results so far (TPE, as Optuna), over a space you set per parameter; hopeless trials are stopped early");
        });
        let planned = state.plan(ctx);
        if state.mode == Mode::Search {
            state.search_ui(ui);
        } else {
            state.axes_ui(&model, ui);
        }
        if state.mode != Mode::Search {
            ui.add(egui::Slider::new(&mut state.cap, 1..=500).text("run cap"))
                .on_hover_text("Refuse sweeps of more runs than this");
        }
        ui.add(egui::Slider::new(&mut state.patience, 0..=20).text("early-stop patience"))
        .on_hover_text("Stop a run after this many validations without a better validation NDCG (0: off). Validation runs every 'validate every' epochs of the Recommend tab (5 when that is off).");
        ui.add(egui::DragValue::new(&mut state.seed).prefix("seed "))
            .on_hover_text("Seeds the models and the draws: the same seed gives the same settings");
        match (&planned, state.resume) {
            (Ok(plan), Some(id)) if plan.is_search() => ui.label(format!(
                "continues study #{id}: up to {} more trials",
                plan.len()
            )),
            (Ok(plan), None) if plan.is_search() => {
                ui.label(format!("up to {} trials", plan.len()))
            }
            (Ok(plan), _) => ui.label(format!("{} runs planned", plan.len())),
            (Err(e), _) => ui.colored_label(ui.visuals().warn_fg_color, e),
        };
        let searching = state.mode == Mode::Search;
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
                } else if ui
                    .button(if searching {
                        "Stop search"
                    } else {
                        "Cancel sweep"
                    })
                    .on_hover_text("The trials that finished are kept; a search can be resumed")
                    .clicked()
                {
                    ctx.send(Command::Cancel(JobKind::Sweep));
                }
            });
        } else {
            let button = ui
                .add_enabled(
                    planned.is_ok(),
                    egui::Button::new(match (searching, state.resume) {
                        (false, _) => "Run sweep",
                        (true, None) => "Start search",
                        (true, Some(_)) => "Resume search",
                    }),
                )
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

impl SweepForm {
    /// The listed or ranged parameters of a grid or random sweep.
    fn axes_ui(&mut self, model: &SweepModel, ui: &mut egui::Ui) {
        let names: Vec<&str> = model.entry.sweepable().iter().map(|s| s.name).collect();
        ui.label(egui::RichText::new("Parameters").strong())
        .on_hover_text("Values: a list 16,32,64 (grid or random), or a range 0.001..0.1 (random search; add :log for a log scale)");
        let mut remove = None;
        for (i, axis) in self.axes.iter_mut().enumerate() {
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
            self.axes.remove(i);
        }
        if self.axes.len() < MAX_AXES && ui.small_button("+ parameter").clicked() {
            let next = names
                .iter()
                .find(|n| !self.axes.iter().any(|a| a.name == **n))
                .map(|n| (*n).to_owned())
                .unwrap_or_default();
            self.axes.push(AxisDraft {
                name: next,
                values: String::new(),
            });
        }
        if self.mode == Mode::Random {
            ui.add(
                egui::DragValue::new(&mut self.random_runs)
                    .range(1..=1000)
                    .suffix(" runs"),
            );
        }
    }

    /// A search's space (per parameter: searched or not, its domain), its
    /// sampler, budget and pruning.
    fn search_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.label("sampler");
            ui.radio_value(&mut self.sampler, SamplerKind::Tpe, "TPE")
                .on_hover_text("Tree-structured Parzen Estimator (Bergstra et al. 2011) with Optuna's defaults: 10 random trials, then each parameter drawn where the best tenth of the trials were dense and the rest sparse");
            ui.radio_value(&mut self.sampler, SamplerKind::Random, "random")
                .on_hover_text("Uniform draws over the same space, to compare with");
        });
        ui.label(egui::RichText::new("Space").strong())
            .on_hover_text("Tick the parameters to search. A range LOW..HIGH, with :log for a log scale and :int for whole numbers, or a list a,b,c");
        egui::Grid::new("search_space")
            .num_columns(2)
            .show(ui, |ui| {
                for draft in &mut self.space {
                    ui.checkbox(&mut draft.on, &draft.name);
                    ui.add_enabled(
                        draft.on,
                        egui::TextEdit::singleline(&mut draft.domain).desired_width(130.0),
                    );
                    ui.end_row();
                }
            });
        ui.horizontal(|ui| {
            ui.add(
                egui::DragValue::new(&mut self.trials)
                    .range(1..=1000)
                    .suffix(" trials"),
            );
            ui.add(
                egui::DragValue::new(&mut self.minutes)
                    .range(0.0..=1440.0)
                    .speed(1.0)
                    .suffix(" min"),
            )
            .on_hover_text(
                "Start no trial after this many minutes (0: no limit); the running one finishes",
            );
        });
        self.cap = self.cap.max(self.trials);
        ui.checkbox(&mut self.prune, "prune hopeless trials")
            .on_hover_text("Stop a trial whose best validation value so far is below the median of the finished trials at the same epoch (Optuna's MedianPruner, after 5 finished trials). Models that report no per-epoch validation are never pruned.");
        if let Some(id) = self.resume {
            ui.horizontal(|ui| {
                ui.label(format!("continuing study #{id}"));
                if ui.small_button("new study").clicked() {
                    self.resume = None;
                }
            });
        }
    }
}

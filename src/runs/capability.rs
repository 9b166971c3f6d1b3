//! What the core registry (`crate::registry`) lists: one [`Capability`] per
//! capability folder, which says how its runs are ranked, which models a
//! sweep can tune, how a sweep is planned from the user's settings, and how
//! its trained models are saved and restored. The workbench, the Runs tab,
//! `shoplens sweep` and workspaces go through it, so none of them names a
//! capability.
//!
//! Also here: the type-erased jobs a worker runs ([`RunJob`], [`SweepPlan`])
//! and what requests are built from ([`SettingsBoard`], [`DataContext`]).

use std::any::{Any, TypeId};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::search::{SearchPlan, SearchSpec, Study};
use super::sweep::{expand, SweepSpec};
use super::{Pipeline, RunKind, RunModel, RunOutcome, RunRecord};
use crate::data::{Dataset, EventWeights};
use crate::params::{Hyperparams, ParamKind, ParamSpec};
use crate::task::{Partial, Reporter, TaskError};

/// The metrics a capability ranks its runs by, in order of preference:
/// exact names, or prefixes ending in `*` (`ndcg@*`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MetricRule {
    pub names: &'static [&'static str],
}

impl MetricRule {
    pub const fn new(names: &'static [&'static str]) -> Self {
        Self { names }
    }
}

/// One model a capability trains, as the CLI (`sweep --model`), the Runs
/// tab and run records name it, with its hyperparameters' specs and
/// default values.
#[derive(Clone, Debug)]
pub struct ModelEntry {
    pub name: &'static str,
    pub label: String,
    pub specs: &'static [ParamSpec],
    /// Its default values (which say which conditional parameters apply).
    pub values: Value,
    /// The parameter whose value is this model, when models share one list
    /// (`model`: `logreg` or `nb`): the other models' parameters are not
    /// this model's.
    pub chosen_by: Option<&'static str>,
}

impl ModelEntry {
    pub fn new<P: Hyperparams>(name: &'static str, label: impl Into<String>, params: &P) -> Self {
        Self {
            name,
            label: label.into(),
            specs: params.specs(),
            values: params.json(),
            chosen_by: None,
        }
    }

    /// Models that share a parameter list, this one picked by `param`.
    pub fn chosen_by(mut self, param: &'static str) -> Self {
        self.chosen_by = Some(param);
        self
    }

    /// The parameters a sweep may vary: this model's own (not another
    /// model's of a shared list, nor the choice of model), text-valued
    /// ones left out. Parameters that depend on another setting (ε of the
    /// ε-mix policy) are listed: sweeping one sets what it depends on.
    pub fn sweepable(&self) -> Vec<&'static ParamSpec> {
        let chosen = |s: &ParamSpec| Some(s.name) == self.chosen_by;
        self.specs
            .iter()
            .filter(|s| !matches!(s.kind, ParamKind::Text) && !chosen(s))
            .filter(|s| match s.when {
                Some((other, _)) if Some(other) == self.chosen_by => s.applies(&self.values),
                _ => true,
            })
            .collect()
    }

    /// The first sweep a user is offered: the first of its parameters with
    /// default sweep values on its spec, and those values.
    pub fn first_axis(&self) -> Option<(&'static str, &'static str)> {
        self.sweepable()
            .into_iter()
            .find_map(|s| s.sweep.map(|values| (s.name, values)))
    }
}

/// The settings the user chose for the capabilities (the tabs' forms, or a
/// command's flags), each found by its type. A capability reads its own and
/// falls back to its defaults.
#[derive(Default)]
pub struct SettingsBoard<'a> {
    entries: Vec<&'a dyn Any>,
}

impl<'a> SettingsBoard<'a> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with(mut self, settings: &'a dyn Any) -> Self {
        self.entries.push(settings);
        self
    }

    pub fn push(&mut self, settings: &'a dyn Any) {
        self.entries.push(settings);
    }

    pub fn get<T: Any>(&self) -> Option<&'a T> {
        self.entries.iter().find_map(|s| s.downcast_ref::<T>())
    }

    /// The settings of type `T`, or its defaults.
    pub fn or_default<T: Any + Default + Clone>(&self) -> T {
        self.get::<T>().cloned().unwrap_or_default()
    }
}

/// Settings many capabilities share, as a command line gives them; each
/// capability takes those it has and keeps its defaults for the rest.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub seed: Option<u64>,
    pub threads: Option<usize>,
    /// List length of ranking metrics.
    pub k: Option<usize>,
    /// How runs are evaluated: `leave-last-out`, `random`,
    /// `temporal:YYYY-MM-DD`, `last-days:N`.
    pub split: Option<String>,
    /// k-fold cross-validation.
    pub folds: Option<usize>,
    /// Features to cluster on, by name.
    pub features: Vec<String>,
    /// Validation every N epochs.
    pub validate_every: Option<usize>,
    /// Recommenders: customers evaluated, a random sample (0: all).
    pub eval_users: Option<usize>,
    /// Early stopping after this many validations without a better metric.
    pub patience: Option<usize>,
    /// Drop customers, items or sessions with fewer interactions than these
    /// (customers, items, item views, session views).
    pub min_user_interactions: Option<usize>,
    pub min_item_interactions: Option<usize>,
    pub min_item_support: Option<usize>,
    pub min_session_length: Option<usize>,
}

/// Work a sweep of a model needs done on the loaded data first (k-means
/// clusters the scored customers); its result is kept beside the data.
pub type Prepare = fn(&Arc<Dataset>, &Reporter) -> Result<Partial, TaskError>;

/// What was read or derived beside the loaded data, one value per type
/// (a review file, a bandit log, the scored customers). Derived values
/// belong to the loaded file and go when another one loads.
#[derive(Clone, Default)]
pub struct SideData {
    entries: Vec<SideEntry>,
}

#[derive(Clone)]
struct SideEntry {
    type_id: TypeId,
    value: Arc<dyn Any + Send + Sync>,
    derived: bool,
}

impl SideData {
    pub fn get<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.entries
            .iter()
            .find(|e| e.type_id == TypeId::of::<T>())
            .and_then(|e| Arc::clone(&e.value).downcast::<T>().ok())
    }

    /// Keep `value`, replacing the one of its type.
    pub fn put(&mut self, value: Arc<dyn Any + Send + Sync>, derived: bool) {
        let type_id = (*value).type_id();
        self.entries.retain(|e| e.type_id != type_id);
        self.entries.push(SideEntry {
            type_id,
            value,
            derived,
        });
    }

    pub fn with<T: Any + Send + Sync>(mut self, value: Arc<T>, derived: bool) -> Self {
        self.put(value, derived);
        self
    }

    /// Forget what was derived from the data that was loaded before.
    pub fn clear_derived(&mut self) {
        self.entries.retain(|e| !e.derived);
    }
}

/// What requests are built on: the loaded data, the event weights the user
/// set, and what was read or derived beside the data.
#[derive(Clone, Copy)]
pub struct DataContext<'a> {
    pub dataset: Option<&'a Arc<Dataset>>,
    pub event_weights: &'a EventWeights,
    pub side: &'a SideData,
}

impl<'a> DataContext<'a> {
    /// A context with the default event weights (a command line's).
    pub fn with_default_weights(dataset: Option<&'a Arc<Dataset>>, side: &'a SideData) -> Self {
        static DEFAULT: std::sync::LazyLock<EventWeights> =
            std::sync::LazyLock::new(EventWeights::default);
        Self {
            dataset,
            event_weights: &DEFAULT,
            side,
        }
    }

    /// The loaded data, or `missing` as the error.
    pub fn dataset(&self, missing: &str) -> Result<Arc<Dataset>, String> {
        self.dataset.cloned().ok_or_else(|| missing.to_owned())
    }

    pub fn side<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.side.get::<T>()
    }
}

type RunWork = dyn Fn(&Reporter) -> RunOutcome + Send + Sync;
type SweepWork = dyn Fn(u64, &Reporter, &(dyn Fn(usize, RunOutcome) + Sync)) -> Result<usize, TaskError>
    + Send
    + Sync;

/// One run of any capability, ready for a worker.
#[derive(Clone)]
pub struct RunJob {
    kind: RunKind,
    work: Arc<RunWork>,
}

impl RunJob {
    pub fn new<P: Pipeline + 'static>(request: P) -> Self {
        Self {
            kind: P::KIND,
            work: Arc::new(move |reporter| super::run(&request, reporter)),
        }
    }

    pub fn kind(&self) -> RunKind {
        self.kind
    }

    pub fn run(&self, reporter: &Reporter) -> RunOutcome {
        (self.work)(reporter)
    }
}

/// A sweep of any capability, its settings expanded and checked, ready for
/// a worker: [`super::run_sweep`] on inputs read once, or a search asking
/// its sampler for one setting at a time.
#[derive(Clone)]
pub struct SweepPlan {
    kind: RunKind,
    runs: usize,
    work: Arc<SweepWork>,
    /// For a search: the study it records, given its sweep id (worked out
    /// on the worker: it fingerprints the data).
    study: Option<Arc<StudyOf>>,
    /// The study a search continues.
    resumes: Option<u64>,
}

type StudyOf = dyn Fn(u64) -> Study + Send + Sync;

impl SweepPlan {
    /// `base` run once per setting of `spec` (names, types, the cap and each
    /// setting's validity checked now), or a search over `spec.search`'s
    /// space.
    pub fn expand<P: Pipeline + 'static>(base: P, spec: &SweepSpec) -> Result<Self, String> {
        let mut params = base.params().clone();
        spec.fix(&mut params)?;
        if let Some(search) = &spec.search {
            return Self::search(base.with_params(params), spec, search);
        }
        let settings = expand(&params, spec)?;
        Ok(Self::new(base.with_params(params), settings))
    }

    pub fn new<P: Pipeline + 'static>(base: P, settings: Vec<P::Params>) -> Self {
        Self {
            kind: P::KIND,
            runs: settings.len(),
            work: Arc::new(move |sweep_id, reporter, on_run| {
                super::run_sweep(&base, &settings, sweep_id, reporter, on_run)
            }),
            study: None,
            resumes: None,
        }
    }

    fn search<P: Pipeline + 'static>(
        base: P,
        spec: &SweepSpec,
        search: &SearchSpec,
    ) -> Result<Self, String> {
        let mut params = base.params().clone();
        let space = super::search::space::resolve(&search.space, &params)?;
        if search.trials == 0 {
            return Err("a search needs at least 1 trial".into());
        }
        if search.trials > spec.cap {
            return Err(format!(
                "{} trials is above the cap of {}; ask for fewer or raise the cap",
                search.trials, spec.cap
            ));
        }
        // A searched parameter that only applies under another's value is
        // searched under it when that one is not searched too.
        for dim in &space {
            if let Some((other, value)) = params.spec(&dim.name).and_then(|s| s.when) {
                if !space.iter().any(|d| d.name == other) && params.spec(other).is_some() {
                    params.set(other, &Value::from(value))?;
                }
            }
        }
        let plan = Arc::new(SearchPlan {
            base: base.with_params(params),
            space,
            spec: search.clone(),
            seed: spec.seed,
        });
        let for_study = Arc::clone(&plan);
        Ok(Self {
            kind: P::KIND,
            runs: search.trials,
            work: Arc::new(move |sweep_id, reporter, on_run| plan.run(sweep_id, reporter, on_run)),
            study: Some(Arc::new(move |id| for_study.study(id))),
            resumes: search.resume.as_ref().map(|(id, _)| *id),
        })
    }

    /// The study a search records under sweep `id` (`None` for a grid or
    /// a list of random settings).
    pub fn study(&self, id: u64) -> Option<Study> {
        self.study.as_ref().map(|s| s(id))
    }

    pub fn is_search(&self) -> bool {
        self.study.is_some()
    }

    /// The sweep id of the study this search continues.
    pub fn resumes(&self) -> Option<u64> {
        self.resumes
    }

    /// The same sweep with its fits on a pool of `threads` (models that
    /// take their threads from the pool they run in).
    pub fn on_threads(self, threads: usize) -> Self {
        let inner = self.work;
        Self {
            work: Arc::new(move |sweep_id, reporter, on_run| {
                let pool = crate::task::thread_pool(threads)?;
                pool.install(|| inner(sweep_id, reporter, on_run))
            }),
            ..self
        }
    }

    pub fn kind(&self) -> RunKind {
        self.kind
    }

    pub fn len(&self) -> usize {
        self.runs
    }

    pub fn is_empty(&self) -> bool {
        self.runs == 0
    }

    /// Run every setting; `on_run` sees each run as it ends.
    pub fn run(
        &self,
        sweep_id: u64,
        reporter: &Reporter,
        on_run: &(dyn Fn(usize, RunOutcome) + Sync),
    ) -> Result<usize, TaskError> {
        (self.work)(sweep_id, reporter, on_run)
    }
}

/// A saved section's models again, by run id, and what could not be restored.
#[derive(Default)]
pub struct Restored {
    pub models: Vec<(u64, RunModel)>,
    pub warnings: Vec<String>,
}

/// A capability as the core registry lists it: its kind, what the status
/// bar says while one of its runs trains, the metric its runs are ranked
/// by, the top-level fields that held its models in version-1 workspaces,
/// and what it does.
pub struct Registered {
    pub kind: RunKind,
    pub training: &'static str,
    pub metric: MetricRule,
    pub legacy_fields: &'static [&'static str],
    pub does: &'static dyn Capability,
}

/// One row of the registry's table (see [`Registered`]).
pub const fn register(
    kind: RunKind,
    training: &'static str,
    metric: &'static [&'static str],
    legacy_fields: &'static [&'static str],
    does: &'static dyn Capability,
) -> Registered {
    Registered {
        kind,
        training,
        metric: MetricRule::new(metric),
        legacy_fields,
        does,
    }
}

/// Where a per-customer export goes: the file, the pseudonyms for the
/// customer ids when asked for, and the side data (the scored customers).
pub struct ExportTo<'a> {
    pub path: &'a std::path::Path,
    pub pseudonym: Option<&'a crate::export::Pseudonymizer>,
    pub side: &'a SideData,
}

/// What a sweep is asked to plan: a model, the data, the spec.
#[derive(Clone, Copy)]
pub struct SweepAsk<'a> {
    pub model: &'a ModelEntry,
    pub data: &'a DataContext<'a>,
    pub spec: &'a SweepSpec,
}

/// A capability's settings, as its tab, its command and its sweeps share
/// them.
pub trait Settings: Any + Clone + Default + Send + Sync {
    /// The defaults with a command line's `overrides`, for `model`.
    fn overridden(model: &ModelEntry, overrides: &Overrides) -> Result<Self, String>;

    /// The sweep `ask` asks for, from these settings.
    fn plan(&self, ask: &SweepAsk) -> Result<SweepPlan, String>;
}

/// What a capability does for the code that works across capabilities.
pub trait Capability: Sync {
    /// The models it trains that a sweep can tune.
    fn models(&self) -> Vec<ModelEntry>;

    /// Its settings for `model` with `overrides` applied (a command line's
    /// flags), as [`SettingsBoard`] entries are.
    fn settings_from(
        &self,
        model: &ModelEntry,
        overrides: &Overrides,
    ) -> Result<Box<dyn Any + Send + Sync>, String>;

    /// The sweep `ask` asks for, with the user's `settings`.
    fn plan_sweep(&self, settings: &SettingsBoard, ask: &SweepAsk) -> Result<SweepPlan, String>;

    /// Work a sweep of `model` needs done on the loaded data first.
    fn prepare(&self, _model: &ModelEntry) -> Option<Prepare> {
        None
    }

    /// Write what a run's model gives per customer (every customer's
    /// list, their cluster); what was written, in words.
    fn export(&self, _model: &RunModel, _to: &ExportTo) -> Result<String, String> {
        Err("this model has nothing per customer to export".into())
    }

    /// Its runs' models as one workspace section (parts they share, such as
    /// a train matrix, stored once).
    fn save(&self, models: &[(u64, &RunModel)]) -> Result<Value, String>;

    /// The models of a saved section; `runs` are the workspace's records.
    fn restore(&self, section: Value, runs: &[RunRecord]) -> Restored;
}

/// `settings_from` and `plan_sweep` of a capability whose settings are
/// `$settings` (a [`Settings`]): write it inside the `impl Capability`.
#[macro_export]
macro_rules! capability_settings {
    ($settings:ty) => {
        fn settings_from(
            &self,
            model: &$crate::runs::ModelEntry,
            overrides: &$crate::runs::capability::Overrides,
        ) -> Result<Box<dyn std::any::Any + Send + Sync>, String> {
            let settings: $settings =
                $crate::runs::capability::Settings::overridden(model, overrides)?;
            Ok(Box::new(settings))
        }

        fn plan_sweep(
            &self,
            settings: &$crate::runs::SettingsBoard,
            ask: &$crate::runs::capability::SweepAsk,
        ) -> Result<$crate::runs::SweepPlan, String> {
            $crate::runs::capability::Settings::plan(&settings.or_default::<$settings>(), ask)
        }
    };
}

/// The models of type `T` among `models`, by run id.
pub fn models_of<T: Any + Send + Sync>(models: &[(u64, &RunModel)]) -> Vec<(u64, Arc<T>)> {
    models
        .iter()
        .filter_map(|(id, m)| Some((*id, m.get::<T>()?)))
        .collect()
}

/// A workspace section as JSON.
pub fn to_section<S: Serialize>(section: &S) -> Result<Value, String> {
    serde_json::to_value(section).map_err(|e| e.to_string())
}

/// A workspace section read back and restored, or a warning that it
/// could not be read.
pub fn from_section<S: DeserializeOwned>(
    section: Value,
    restore: impl FnOnce(S) -> Restored,
) -> Restored {
    match serde_json::from_value::<S>(section) {
        Ok(section) => restore(section),
        Err(e) => Restored {
            warnings: vec![format!("saved models could not be read ({e})")],
            ..Default::default()
        },
    }
}

/// One saved model of a section that is a list of `{run_id, <name>: model}`
/// (a capability whose model is its own saved form).
#[derive(serde::Deserialize)]
struct Listed {
    run_id: u64,
    #[serde(flatten)]
    model: serde_json::Map<String, Value>,
}

/// What several saved models share (a train matrix, a session split),
/// stored once in a workspace section: each model keeps its copy's index.
pub struct StoredOnce<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> Default for StoredOnce<K, V> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
        }
    }
}

impl<K, V> StoredOnce<K, V> {
    /// The index of the stored entry that `matches`, or of `store()`'s,
    /// kept now.
    pub fn index(
        &mut self,
        matches: impl Fn(&K, &V) -> bool,
        store: impl FnOnce() -> (K, V),
    ) -> usize {
        match self.entries.iter().position(|(k, v)| matches(k, v)) {
            Some(i) => i,
            None => {
                self.entries.push(store());
                self.entries.len() - 1
            }
        }
    }

    pub fn into_values(self) -> Vec<V> {
        self.entries.into_iter().map(|(_, v)| v).collect()
    }
}

/// A section `{field: [{run_id, name: model}, …]}` of every `T` in `models`.
pub fn save_list<T: Any + Send + Sync + Serialize>(
    field: &str,
    name: &str,
    models: &[(u64, &RunModel)],
) -> Result<Value, String> {
    let list = models_of::<T>(models)
        .into_iter()
        .map(|(id, m)| {
            let value = serde_json::to_value(&*m).map_err(|e| e.to_string())?;
            Ok(serde_json::json!({ "run_id": id, name: value }))
        })
        .collect::<Result<Vec<Value>, String>>()?;
    Ok(serde_json::json!({ field: list }))
}

/// The models of a [`save_list`] section.
pub fn restore_list<T: DeserializeOwned + Send + Sync + 'static>(
    field: &str,
    name: &str,
    mut section: Value,
) -> Restored {
    let mut out = Restored::default();
    let Some(list) = section.get_mut(field).map(Value::take) else {
        return out;
    };
    let entries: Vec<Listed> = match serde_json::from_value(list) {
        Ok(e) => e,
        Err(e) => {
            out.warnings.push(format!("{field}: {e}"));
            return out;
        }
    };
    for mut entry in entries {
        let Some(value) = entry.model.remove(name) else {
            continue;
        };
        match serde_json::from_value::<T>(value) {
            Ok(model) => out
                .models
                .push((entry.run_id, RunModel::new(Arc::new(model)))),
            Err(e) => out.warnings.push(format!("run {}: {e}", entry.run_id)),
        }
    }
    out
}

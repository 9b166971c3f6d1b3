//! What UI tests (egui_kittest) and benchmarks read and set, so they drive
//! the real app without reaching into its fields. Everything else goes
//! through clicks, typed text, or the workbench's commands.

use std::sync::Arc;

use super::bandit_tab::BanditTab;
use super::data_tab::DataTab;
use super::predict_tab::PredictTab;
use super::recommend_tab::RecommendTab;
use super::runs_tab::RunsTab;
use super::segments_tab::SegmentsTab;
use super::sentiment_tab::SentimentTab;
use super::tabs::Tab;
use super::topics_tab::TopicsTab;
use super::{AppCommand, FrameStats, ShoplensApp, Unsaved};
use crate::data::Role;
use crate::params::Hyperparams;
use crate::recsys::params::{RecommenderKind, TrainOptions};
use crate::recsys::Trained;
use crate::segment::SegmentFit;
use crate::task::EpochEvent;
use crate::text::{ReviewColumns, SentimentParams, SentimentResult};
use crate::workbench::{Command, JobKind, Workbench};

impl ShoplensApp {
    /// The tab of type `T` ([`super::tabs::all`] always has one of each).
    fn tab_ref<T: Tab>(&self) -> &T {
        self.tabs
            .iter()
            .find_map(|t| t.as_any().downcast_ref::<T>())
            .expect("every tab is in the tab list")
    }

    fn tab_mut<T: Tab>(&mut self) -> &mut T {
        self.tabs
            .iter_mut()
            .find_map(|t| t.as_any_mut().downcast_mut::<T>())
            .expect("every tab is in the tab list")
    }

    /// The headless workbench behind the window.
    pub fn bench(&self) -> &Workbench {
        &self.bench
    }

    /// Apply a workbench command as a tab would (open a file, save, …).
    pub fn send(&mut self, command: Command) {
        self.apply(AppCommand::Bench(Box::new(command)));
    }

    /// File › New/Open workspace or Quit: asks first when runs are unsaved.
    pub fn guard_unsaved(&mut self, action: Unsaved) {
        self.apply(AppCommand::Guarded(action));
    }

    /// The id of the tab shown.
    pub fn tab(&self) -> &'static str {
        self.tab
    }

    /// Whether the Recommend tab shows anonymous sessions.
    pub fn recommend_sessions_mode(&self) -> bool {
        self.tab_ref::<RecommendTab>().mode == super::recommend_tab::RecommendMode::Sessions
    }

    /// The session model the Recommend tab explores.
    pub fn explored_session_model(&self) -> Option<Arc<crate::session::SessionTrained>> {
        self.tab_ref::<RecommendTab>().sessions.explored.clone()
    }

    /// The views the session explorer scores.
    pub fn session_views(&self) -> Vec<u32> {
        self.tab_ref::<RecommendTab>().sessions.prefix()
    }

    /// Set a hyperparameter of the session model chosen in the Recommend tab.
    pub fn set_session_param(
        &mut self,
        name: &str,
        value: serde_json::Value,
    ) -> Result<(), String> {
        let s = &mut self.tab_mut::<RecommendTab>().sessions.settings;
        let kind = s.model;
        match s.params.get_mut(kind) {
            Some(p) => p.set(name, &value),
            None => Err(format!("no settings for {}", kind.name())),
        }
    }

    /// Any job running or cancelling.
    pub fn is_busy(&self) -> bool {
        self.bench.is_busy()
    }

    pub fn is_job_active(&self, job: JobKind) -> bool {
        self.bench.jobs().is_active(job)
    }

    /// The error banner's text.
    pub fn error(&self) -> Option<&str> {
        self.shell.error.as_deref()
    }

    pub fn frame_stats(&self) -> FrameStats {
        self.frame_stats
    }

    /// Set the Data tab's mapping draft of `role` (as its combo box does).
    pub fn set_draft_role(&mut self, role: Role, column: Option<&str>) {
        for (r, c) in self.tab_mut::<DataTab>().draft_roles.iter_mut() {
            if *r == role {
                *c = column.map(str::to_owned);
            }
        }
    }

    // The Recommend tab.

    pub fn recommend_model(&self) -> RecommenderKind {
        self.tab_ref::<RecommendTab>().settings.model
    }

    /// Set a parameter of the chosen recommender by name (as its slider does).
    pub fn set_recommend_param(
        &mut self,
        name: &str,
        value: serde_json::Value,
    ) -> Result<(), String> {
        let model = self.tab_ref::<RecommendTab>().settings.model;
        match self
            .tab_mut::<RecommendTab>()
            .settings
            .params
            .get_mut(model)
        {
            Some(p) => p.set(name, &value),
            None => Err(format!("no settings for {}", model.label())),
        }
    }

    pub fn recommend_options_mut(&mut self) -> &mut TrainOptions {
        &mut self.tab_mut::<RecommendTab>().settings.options
    }

    /// The curve a tab draws: its job's live one while it runs, else `shown`.
    fn curve(&self, kind: crate::runs::RunKind, shown: &[EpochEvent]) -> Vec<EpochEvent> {
        let job = JobKind::Train(kind);
        if self.bench.jobs().is_active(job) {
            self.bench.jobs().epochs(job).to_vec()
        } else {
            shown.to_vec()
        }
    }

    /// The curve the Recommend tab draws: the live one while training.
    pub fn recommend_curve(&self) -> Vec<EpochEvent> {
        self.curve(crate::recsys::KIND, &self.tab_ref::<RecommendTab>().curve)
    }

    /// The Recommend tab's note (a failure, an early stop, a cancel).
    pub fn recommend_message(&self) -> Option<&str> {
        self.tab_ref::<RecommendTab>().message.as_deref()
    }

    pub fn explored_recommender(&self) -> Option<Arc<Trained>> {
        self.tab_ref::<RecommendTab>().explored.clone()
    }

    pub fn set_customer_query(&mut self, query: &str) {
        self.tab_mut::<RecommendTab>().user_query = query.to_owned();
    }

    /// Choose the recommender (as the model combo box does).
    pub fn set_recommend_model(&mut self, kind: RecommenderKind) {
        self.tab_mut::<RecommendTab>().settings.model = kind;
    }

    /// A temporal split at `date` (as the split buttons and date field do).
    pub fn set_temporal_split(&mut self, date: &str) {
        self.tab_mut::<RecommendTab>().settings.split =
            crate::recsys::settings::SplitChoice::Temporal;
        self.tab_mut::<RecommendTab>().settings.temporal_date = date.to_owned();
    }

    /// The "blend in content" slider of a customer's list.
    pub fn set_content_blend(&mut self, alpha: f32) {
        self.tab_mut::<RecommendTab>().content_blend = alpha;
    }

    // The Sentiment tab.

    /// The review file the Sentiment tab loaded by itself.
    pub fn sentiment_has_own_reviews(&self) -> bool {
        self.bench
            .side::<crate::text::settings::ReviewsBeside>()
            .is_some()
    }

    pub fn sentiment_columns(&self) -> Option<ReviewColumns> {
        self.tab_ref::<SentimentTab>().settings.columns.clone()
    }

    pub fn set_sentiment_columns(&mut self, columns: ReviewColumns) {
        self.tab_mut::<SentimentTab>().settings.columns = Some(columns);
    }

    pub fn sentiment_params_mut(&mut self) -> &mut SentimentParams {
        &mut self.tab_mut::<SentimentTab>().settings.params
    }

    /// k-fold evaluation with `k` folds (as the radio button and its k do).
    pub fn set_sentiment_folds(&mut self, k: usize) {
        self.tab_mut::<SentimentTab>().settings.use_kfold = true;
        self.tab_mut::<SentimentTab>().settings.k_folds = k;
    }

    pub fn sentiment_curve(&self) -> Vec<EpochEvent> {
        self.curve(crate::text::KIND, &self.tab_ref::<SentimentTab>().curve)
    }

    pub fn sentiment_result(&self) -> Option<Arc<SentimentResult>> {
        self.tab_ref::<SentimentTab>().result.clone()
    }

    pub fn sentiment_message(&self) -> Option<&str> {
        self.tab_ref::<SentimentTab>().message.as_deref()
    }

    pub fn set_try_text(&mut self, text: &str) {
        self.tab_mut::<SentimentTab>().try_text = text.to_owned();
    }

    // The Segments tab.

    pub fn customers_ready(&self) -> bool {
        self.bench
            .side::<crate::segment::task::Customers>()
            .is_some()
    }

    /// k values the last scan fitted.
    pub fn scanned_ks(&self) -> Vec<usize> {
        self.tab_ref::<SegmentsTab>()
            .scan
            .iter()
            .map(|p| p.k)
            .collect()
    }

    pub fn kmeans_k(&self) -> usize {
        self.tab_ref::<SegmentsTab>().settings.params.k
    }

    pub fn segment_fit(&self) -> Option<Arc<SegmentFit>> {
        self.tab_ref::<SegmentsTab>().fit.clone()
    }

    // The Runs tab.

    /// Runs whose curves are overlaid.
    pub fn overlaid_runs(&self) -> Vec<u64> {
        self.tab_ref::<RunsTab>().selected.iter().copied().collect()
    }

    /// The parameter names in the sweep form, in order.
    pub fn sweep_axes(&self) -> Vec<String> {
        self.tab_ref::<RunsTab>()
            .sweep
            .axes
            .iter()
            .map(|a| a.name.clone())
            .collect()
    }

    /// Set the sweep form's first parameter and its values.
    pub fn set_sweep_axis(&mut self, name: &str, values: &str) {
        if let Some(axis) = self.tab_mut::<RunsTab>().sweep.axes.first_mut() {
            axis.name = name.to_owned();
            axis.values = values.to_owned();
        }
    }

    // The Explore / exploit tab.

    /// The arms the simulator would race (as read from the store, edited).
    pub fn bandit_arms(&self) -> Vec<crate::bandit::simulate::Arm> {
        self.tab_ref::<BanditTab>().settings.race.arms.clone()
    }

    pub fn bandit_settings(&self) -> &crate::bandit::settings::SimulationSettings {
        &self.tab_ref::<BanditTab>().settings.race
    }

    pub fn bandit_settings_mut(&mut self) -> &mut crate::bandit::settings::SimulationSettings {
        &mut self.tab_mut::<BanditTab>().settings.race
    }

    /// The race shown (finished or cancelled).
    pub fn bandit_race(&self) -> Option<Arc<crate::bandit::simulate::SimulationResult>> {
        self.tab_ref::<BanditTab>()
            .shown
            .as_ref()
            .map(|s| Arc::clone(&s.value))
    }

    /// The off-policy estimate shown.
    pub fn bandit_estimate(&self) -> Option<Arc<crate::bandit::ope::OpeResult>> {
        self.tab_ref::<BanditTab>()
            .ope
            .shown
            .as_ref()
            .map(|s| Arc::clone(&s.value))
    }

    pub fn bandit_message(&self) -> Option<String> {
        let tab = self.tab_ref::<BanditTab>();
        tab.message.clone().or_else(|| tab.ope.message.clone())
    }

    /// The off-policy evaluation's settings, as the panel edits them.
    pub fn bandit_evaluation_mut(&mut self) -> &mut crate::bandit::settings::EvaluationSettings {
        &mut self.tab_mut::<BanditTab>().settings.evaluation
    }

    /// Type a log path into the evaluation panel.
    pub fn set_bandit_log_path(&mut self, path: &str) {
        self.tab_mut::<BanditTab>().ope.path = path.to_owned();
    }

    // The Predict tab.

    /// The evaluation shown.
    pub fn predict_result(&self) -> Option<Arc<crate::predict::task::PredictResult>> {
        self.tab_ref::<PredictTab>()
            .shown
            .as_ref()
            .map(|s| Arc::clone(&s.value))
    }

    pub fn predict_settings_mut(&mut self) -> &mut crate::predict::settings::PredictSettings {
        &mut self.tab_mut::<PredictTab>().settings
    }

    /// The window a prediction would use on the loaded data.
    pub fn predict_window(&self) -> Option<u32> {
        self.tab_ref::<PredictTab>().window(&self.bench)
    }

    pub fn predict_message(&self) -> Option<String> {
        self.tab_ref::<PredictTab>().message.clone()
    }

    // Demo mode.

    /// The tour's step (0-based) and its status, while the tour runs.
    pub fn demo_step(&self) -> Option<(usize, crate::demo::state::StepStatus)> {
        self.demo
            .as_ref()
            .map(|d| (d.tour.at, d.tour.status.clone()))
    }

    pub fn demo_paused(&self) -> bool {
        self.demo.as_ref().is_some_and(|d| d.tour.paused)
    }

    pub fn simple_mode(&self) -> bool {
        self.view.simple
    }

    pub fn light_theme(&self) -> bool {
        self.view.light
    }

    /// The customer open in the Recommend tab's explorer.
    pub fn explored_customer(&self) -> Option<u32> {
        self.tab_ref::<RecommendTab>().selected_user
    }

    /// The review typed into Try it, when it has been scored.
    pub fn tried_review(&self) -> Option<String> {
        let tab = self.tab_ref::<SentimentTab>();
        tab.try_scored.as_ref().map(|_| tab.try_text.clone())
    }
}

/// The Topics tab.
impl ShoplensApp {
    pub fn topics_result(&self) -> Option<Arc<crate::text::topics::task::TopicsResult>> {
        self.tab_ref::<TopicsTab>().result.clone()
    }

    /// The names given to the shown run's topics.
    pub fn topic_names(&self) -> std::collections::BTreeMap<String, String> {
        self.tab_ref::<TopicsTab>().names(&self.bench)
    }

    pub fn topics_message(&self) -> Option<&str> {
        self.tab_ref::<TopicsTab>().message.as_deref()
    }

    pub fn topics_params_mut(&mut self) -> &mut crate::text::topics::TopicParams {
        &mut self.tab_mut::<TopicsTab>().settings.params
    }

    /// The topic whose details are shown, and whether its reviews are listed.
    pub fn topic_selected(&self) -> (usize, bool) {
        let t = self.tab_ref::<TopicsTab>();
        (t.selected, t.listing)
    }
}

//! What UI tests (egui_kittest) and benchmarks read and set, so they drive
//! the real app without reaching into its fields. Everything else goes
//! through clicks, typed text, or the workbench's commands.

use std::sync::Arc;

use super::{AppCommand, FrameStats, ShoplensApp, Tab, Unsaved};
use crate::data::Role;
use crate::params::Hyperparams;
use crate::recsys::params::{RecommenderKind, TrainOptions};
use crate::recsys::Trained;
use crate::segment::SegmentFit;
use crate::task::EpochEvent;
use crate::text::{ReviewColumns, SentimentParams, SentimentResult};
use crate::workbench::{Command, JobKind, Workbench};

impl ShoplensApp {
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

    pub fn tab(&self) -> Tab {
        self.tab
    }

    /// Whether the Recommend tab shows anonymous sessions.
    pub fn recommend_sessions_mode(&self) -> bool {
        self.recommend.mode == super::recommend_tab::RecommendMode::Sessions
    }

    /// The session model the Recommend tab explores.
    pub fn explored_session_model(&self) -> Option<Arc<crate::session::SessionTrained>> {
        self.recommend.sessions.explored.clone()
    }

    /// The views the session explorer scores.
    pub fn session_views(&self) -> Vec<u32> {
        self.recommend.sessions.prefix()
    }

    /// Set a hyperparameter of the session model chosen in the Recommend tab.
    pub fn set_session_param(
        &mut self,
        name: &str,
        value: serde_json::Value,
    ) -> Result<(), String> {
        let s = &mut self.recommend.sessions.settings;
        let kind = s.model;
        let mut p = s.params_for(kind);
        p.set(name, &value)?;
        if let Some(slot) = s.params.iter_mut().find(|q| q.kind() == kind) {
            *slot = p;
        }
        Ok(())
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
        for (r, c) in self.data_tab.draft_roles.iter_mut() {
            if *r == role {
                *c = column.map(str::to_owned);
            }
        }
    }

    // The Recommend tab.

    pub fn recommend_model(&self) -> RecommenderKind {
        self.recommend.settings.model
    }

    /// Set a parameter of the chosen recommender by name (as its slider does).
    pub fn set_recommend_param(
        &mut self,
        name: &str,
        value: serde_json::Value,
    ) -> Result<(), String> {
        let model = self.recommend.settings.model;
        match self.recommend.settings.params_mut(model) {
            Some(p) => p.set(name, &value),
            None => Err(format!("no settings for {}", model.label())),
        }
    }

    pub fn recommend_options_mut(&mut self) -> &mut TrainOptions {
        &mut self.recommend.settings.options
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
        self.curve(crate::runs::RunKind::Recommender, &self.recommend.curve)
    }

    /// The Recommend tab's note (a failure, an early stop, a cancel).
    pub fn recommend_message(&self) -> Option<&str> {
        self.recommend.message.as_deref()
    }

    pub fn explored_recommender(&self) -> Option<Arc<Trained>> {
        self.recommend.explored.clone()
    }

    pub fn set_customer_query(&mut self, query: &str) {
        self.recommend.user_query = query.to_owned();
    }

    /// Choose the recommender (as the model combo box does).
    pub fn set_recommend_model(&mut self, kind: RecommenderKind) {
        self.recommend.settings.model = kind;
    }

    /// A temporal split at `date` (as the split buttons and date field do).
    pub fn set_temporal_split(&mut self, date: &str) {
        self.recommend.settings.split = super::recommend_tab::SplitChoice::Temporal;
        self.recommend.settings.temporal_date = date.to_owned();
    }

    /// The "blend in content" slider of a customer's list.
    pub fn set_content_blend(&mut self, alpha: f32) {
        self.recommend.content_blend = alpha;
    }

    // The Sentiment tab.

    /// The review file the Sentiment tab loaded by itself.
    pub fn sentiment_has_own_reviews(&self) -> bool {
        self.bench.reviews().is_some()
    }

    pub fn sentiment_columns(&self) -> Option<ReviewColumns> {
        self.sentiment.settings.columns.clone()
    }

    pub fn set_sentiment_columns(&mut self, columns: ReviewColumns) {
        self.sentiment.settings.columns = Some(columns);
    }

    pub fn sentiment_params_mut(&mut self) -> &mut SentimentParams {
        &mut self.sentiment.settings.params
    }

    /// k-fold evaluation with `k` folds (as the radio button and its k do).
    pub fn set_sentiment_folds(&mut self, k: usize) {
        self.sentiment.settings.use_kfold = true;
        self.sentiment.settings.k_folds = k;
    }

    pub fn sentiment_curve(&self) -> Vec<EpochEvent> {
        self.curve(crate::runs::RunKind::Sentiment, &self.sentiment.curve)
    }

    pub fn sentiment_result(&self) -> Option<Arc<SentimentResult>> {
        self.sentiment.result.clone()
    }

    pub fn sentiment_message(&self) -> Option<&str> {
        self.sentiment.message.as_deref()
    }

    pub fn set_try_text(&mut self, text: &str) {
        self.sentiment.try_text = text.to_owned();
    }

    // The Segments tab.

    pub fn customers_ready(&self) -> bool {
        self.bench.customers().is_some()
    }

    /// k values the last scan fitted.
    pub fn scanned_ks(&self) -> Vec<usize> {
        self.segments.scan.iter().map(|p| p.k).collect()
    }

    pub fn kmeans_k(&self) -> usize {
        self.segments.settings.params.k
    }

    pub fn segment_fit(&self) -> Option<Arc<SegmentFit>> {
        self.segments.fit.clone()
    }

    // The Runs tab.

    /// Runs whose curves are overlaid.
    pub fn overlaid_runs(&self) -> Vec<u64> {
        self.runs_tab.selected.iter().copied().collect()
    }

    /// The parameter names in the sweep form, in order.
    pub fn sweep_axes(&self) -> Vec<String> {
        self.runs_tab.axes.iter().map(|a| a.name.clone()).collect()
    }

    /// Set the sweep form's first parameter and its values.
    pub fn set_sweep_axis(&mut self, name: &str, values: &str) {
        if let Some(axis) = self.runs_tab.axes.first_mut() {
            axis.name = name.to_owned();
            axis.values = values.to_owned();
        }
    }

    // The Explore / exploit tab.

    /// The arms the simulator would race (as read from the store, edited).
    pub fn bandit_arms(&self) -> Vec<crate::bandit::simulate::Arm> {
        self.bandit.settings.arms.clone()
    }

    pub fn bandit_settings_mut(&mut self) -> &mut super::bandit_tab::BanditSettings {
        &mut self.bandit.settings
    }

    /// The race shown (finished or cancelled).
    pub fn bandit_race(&self) -> Option<Arc<crate::bandit::simulate::SimulationResult>> {
        self.bandit.shown.clone()
    }

    /// The off-policy estimate shown.
    pub fn bandit_estimate(&self) -> Option<Arc<crate::bandit::ope::OpeResult>> {
        self.bandit.ope.shown.clone()
    }

    pub fn bandit_message(&self) -> Option<String> {
        self.bandit
            .message
            .clone()
            .or_else(|| self.bandit.ope.message.clone())
    }

    /// Type a log path into the evaluation panel.
    pub fn set_bandit_log_path(&mut self, path: &str) {
        self.bandit.ope.path = path.to_owned();
    }

    // The Predict tab.

    /// The evaluation shown.
    pub fn predict_result(&self) -> Option<Arc<crate::predict::task::PredictResult>> {
        self.predict.shown.clone()
    }

    pub fn predict_settings_mut(&mut self) -> &mut super::predict_tab::PredictSettings {
        &mut self.predict.settings
    }

    pub fn predict_message(&self) -> Option<String> {
        self.predict.message.clone()
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
        self.recommend.selected_user
    }

    /// The review typed into Try it, when it has been scored.
    pub fn tried_review(&self) -> Option<String> {
        self.sentiment
            .try_scored
            .as_ref()
            .map(|_| self.sentiment.try_text.clone())
    }
}

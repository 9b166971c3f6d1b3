//! The window's tabs: the [`Tab`] every tab implements, and [`all`], the one
//! list of them (egui demo app's `apps_iter_mut`). The tab bar, the event
//! router, the dispatcher, Explore (open a run's model), the Runs tab's
//! sweeps (each tab's settings) and the demo tour all iterate this list,
//! so a new tab is one line here.

use std::any::Any;

use eframe::egui;

use super::TabContext;
use crate::demo::state::Outcome;
use crate::demo::tour::Action;
use crate::runs::RunEntry;
use crate::workbench::{Event, Workbench};

/// Downcasting for tests, the demo and the app's tab accessors.
pub(crate) trait AsAny: Any {
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<T: Any> AsAny for T {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// A tour action, and where it stands.
pub(crate) struct TourStep {
    pub action: Action,
    /// The action was already started (by this step).
    pub issued: bool,
    /// The last run id before the step began: a newer run is the step's.
    pub runs_before: u64,
}

/// One tab of the window.
pub(crate) trait Tab: AsAny {
    /// Stable id: remembered between sessions, named by the demo tour.
    fn id(&self) -> &'static str;

    /// What the tab bar says.
    fn label(&self) -> &'static str;

    /// React to what the workbench reported this frame.
    fn on_event(&mut self, _event: &Event, _bench: &Workbench) {}

    fn ui(&mut self, ctx: &mut TabContext, ui: &mut egui::Ui);

    /// Show `run`'s model when it is one this tab shows; whether it was.
    fn explore(&mut self, _run: &RunEntry, _bench: &Workbench) -> bool {
        false
    }

    /// The settings its runs are made with (sweeps start from them).
    fn settings(&self) -> Vec<&dyn Any> {
        Vec::new()
    }

    /// Carry out a tour action when it is this tab's: issue it unless
    /// `step.issued`, and say whether its goal holds. `None`: not its action.
    fn perform(&mut self, _step: &TourStep, _ctx: &mut TabContext) -> Option<Outcome> {
        None
    }
}

/// The tab shown first.
pub(crate) const FIRST: &str = super::data_tab::ID;

/// Every tab, in the tab bar's order.
pub(crate) fn all(bench: &Workbench) -> Vec<Box<dyn Tab>> {
    vec![
        Box::new(super::data_tab::DataTab::new(
            bench.settings().event_weights.clone(),
        )),
        Box::new(super::recommend_tab::RecommendTab::default()),
        Box::new(super::sentiment_tab::SentimentTab::default()),
        Box::new(super::topics_tab::TopicsTab::default()),
        Box::new(super::segments_tab::SegmentsTab::default()),
        Box::new(super::predict_tab::PredictTab::default()),
        Box::new(super::bandit_tab::BanditTab::default()),
        Box::new(super::runs_tab::RunsTab::default()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_the_tour_visits_every_tab() {
        let bench = Workbench::new(Default::default(), std::sync::Arc::new(|| {}));
        let ids: Vec<&str> = all(&bench).iter().map(|t| t.id()).collect();
        let mut unique = ids.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), ids.len());
        assert_eq!(ids.first(), Some(&FIRST));
        for id in &ids {
            assert!(
                crate::demo::tour::TOUR.iter().any(|s| s.place == *id),
                "the tour skips {id}"
            );
        }
        for step in crate::demo::tour::TOUR {
            assert!(ids.contains(&step.place), "no tab {}", step.place);
        }
    }
}

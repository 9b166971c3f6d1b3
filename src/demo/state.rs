//! Where the tour is and what it waits for, apart from any window: the UI
//! calls [`TourState::drive`] each frame with a function that performs one
//! action (or says it is still waiting), and asks [`TourState::due`]
//! whether auto-advance should move on. Time comes in as seconds, so tests
//! drive it without a clock.

use super::tour::{Action, Step};

/// What performing an action found this frame.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Its goal holds (the run is recorded, the list is open).
    Done,
    /// Issued, not finished: what the audience is waiting for.
    Waiting(String),
    /// What it needs is still being prepared; not issued yet.
    NotYet(String),
    /// It cannot be done: the message says why; the tour goes on.
    Failed(String),
}

/// Where the current step stands.
#[derive(Clone, Debug, PartialEq)]
pub enum StepStatus {
    Working(String),
    /// Every action done, at this time.
    Ready {
        since: f64,
    },
    /// An action failed, at this time; the rest of the step was skipped.
    Failed {
        message: String,
        since: f64,
    },
}

#[derive(Clone, Debug)]
pub struct TourState {
    pub steps: &'static [Step],
    pub at: usize,
    /// The next action of the step to perform.
    action: usize,
    /// Whether that action's command went out already.
    issued: bool,
    pub status: StepStatus,
    entered: f64,
    /// Seconds a ready step stays before the tour moves on; `None`: the
    /// presenter moves it.
    pub seconds_per_step: Option<f64>,
    pub paused: bool,
    /// Past the last step.
    pub finished: bool,
    /// Seconds each visited step took to be ready (or to fail).
    pub ready_after: Vec<Option<f64>>,
}

impl TourState {
    pub fn new(steps: &'static [Step], seconds_per_step: Option<f64>, now: f64) -> Self {
        Self {
            steps,
            at: 0,
            action: 0,
            issued: false,
            status: StepStatus::Working(String::new()),
            entered: now,
            seconds_per_step,
            paused: false,
            finished: steps.is_empty(),
            ready_after: vec![None; steps.len()],
        }
    }

    pub fn step(&self) -> &'static Step {
        &self.steps[self.at.min(self.steps.len().saturating_sub(1))]
    }

    /// "2 / 8".
    pub fn position(&self) -> String {
        format!("{} / {}", self.at + 1, self.steps.len())
    }

    pub fn go_to(&mut self, index: usize, now: f64) {
        if index >= self.steps.len() {
            self.finished = true;
            return;
        }
        self.at = index;
        self.action = 0;
        self.issued = false;
        self.status = StepStatus::Working(String::new());
        self.entered = now;
    }

    pub fn next(&mut self, now: f64) {
        self.go_to(self.at + 1, now);
    }

    pub fn back(&mut self, now: f64) {
        self.go_to(self.at.saturating_sub(1), now);
    }

    pub fn toggle_pause(&mut self) {
        self.paused = !self.paused;
    }

    pub fn is_settled(&self) -> bool {
        !matches!(self.status, StepStatus::Working(_))
    }

    /// Perform the step's actions in order, as far as they go this frame.
    /// `perform(action, issued)` issues the action's command when `issued`
    /// is false, and reports whether its goal holds.
    pub fn drive(&mut self, now: f64, mut perform: impl FnMut(Action, bool) -> Outcome) {
        if self.finished || self.is_settled() {
            return;
        }
        let actions = self.step().actions;
        while let Some(&action) = actions.get(self.action) {
            match perform(action, self.issued) {
                Outcome::Done => {
                    self.action += 1;
                    self.issued = false;
                }
                Outcome::Waiting(what) => {
                    self.issued = true;
                    self.status = StepStatus::Working(what);
                    return;
                }
                Outcome::NotYet(what) => {
                    self.status = StepStatus::Working(what);
                    return;
                }
                Outcome::Failed(message) => {
                    self.ready_after[self.at] = Some(now - self.entered);
                    self.status = StepStatus::Failed {
                        message,
                        since: now,
                    };
                    return;
                }
            }
        }
        self.ready_after[self.at] = Some(now - self.entered);
        self.status = StepStatus::Ready { since: now };
    }

    /// Whether auto-advance should move on now.
    pub fn due(&self, now: f64) -> bool {
        let Some(wait) = self.seconds_per_step else {
            return false;
        };
        if self.paused || self.finished {
            return false;
        }
        match self.status {
            StepStatus::Ready { since } | StepStatus::Failed { since, .. } => now - since >= wait,
            StepStatus::Working(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::tour::TOUR;

    const TWO: &[Step] = &[
        Step {
            place: "data",
            caption: "one",
            why: "",
            actions: &[Action::LoadSample, Action::TrainAls],
        },
        Step {
            place: "runs",
            caption: "two",
            why: "",
            actions: &[Action::CompareRuns],
        },
    ];

    #[test]
    fn actions_run_in_order_and_wait_for_their_goal() {
        let mut tour = TourState::new(TWO, Some(2.0), 0.0);
        let mut log = Vec::new();
        // Frame 1: the data is there, training is issued.
        tour.drive(0.1, |a, issued| {
            log.push((a, issued));
            match a {
                Action::LoadSample => Outcome::Done,
                _ => Outcome::Waiting("training".into()),
            }
        });
        assert_eq!(tour.status, StepStatus::Working("training".into()));
        // Frame 2: still training, and not issued twice.
        tour.drive(0.5, |a, issued| {
            log.push((a, issued));
            match a {
                Action::LoadSample => Outcome::Done,
                _ => Outcome::Waiting("training".into()),
            }
        });
        // Frame 3: trained.
        tour.drive(1.5, |_, _| Outcome::Done);
        assert_eq!(tour.status, StepStatus::Ready { since: 1.5 });
        assert_eq!(tour.ready_after[0], Some(1.5));
        assert_eq!(
            log,
            vec![
                (Action::LoadSample, false),
                (Action::TrainAls, false),
                // A done action is not performed again.
                (Action::TrainAls, true),
            ]
        );
        assert!(!tour.due(3.0));
        assert!(tour.due(3.5));
    }

    #[test]
    fn a_failed_step_says_so_and_the_tour_goes_on() {
        let mut tour = TourState::new(TWO, Some(1.0), 0.0);
        tour.drive(0.2, |_, _| Outcome::Failed("no reviews".into()));
        assert!(
            matches!(&tour.status, StepStatus::Failed { message, .. } if message == "no reviews")
        );
        assert!(tour.due(1.2));
        tour.next(1.2);
        assert_eq!(tour.at, 1);
        assert_eq!(tour.status, StepStatus::Working(String::new()));
        tour.next(2.0);
        assert!(tour.finished);
    }

    #[test]
    fn pause_and_manual_mode_hold_the_step() {
        let mut tour = TourState::new(TOUR, None, 0.0);
        tour.drive(0.0, |_, _| Outcome::Done);
        assert!(!tour.due(100.0), "manual: the presenter moves on");
        tour.seconds_per_step = Some(1.0);
        tour.toggle_pause();
        assert!(!tour.due(100.0));
        tour.toggle_pause();
        assert!(tour.due(100.0));
        assert_eq!(tour.position(), format!("1 / {}", TOUR.len()));
        tour.back(101.0);
        assert_eq!(tour.at, 0);
    }
}

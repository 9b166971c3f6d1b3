//! The error of a headless model task (recommenders, sentiment, segments): bad input with
//! a message the user can act on, invalid parameters (one entry per field),
//! or cancelled.

use crate::data::LoadError;
use crate::jobs::Cancelled;
use crate::recsys::params::ParamError;

#[derive(Debug, Clone, PartialEq)]
pub enum TaskError {
    Input(String),
    Params(Vec<ParamError>),
    Cancelled,
}

impl std::fmt::Display for TaskError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TaskError::Input(m) => f.write_str(m),
            TaskError::Params(errors) => write!(
                f,
                "invalid parameters: {}",
                errors
                    .iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            TaskError::Cancelled => f.write_str("cancelled"),
        }
    }
}

impl std::error::Error for TaskError {}

impl From<LoadError> for TaskError {
    fn from(e: LoadError) -> Self {
        TaskError::Input(e.to_string())
    }
}

impl From<Cancelled> for TaskError {
    fn from(_: Cancelled) -> Self {
        TaskError::Cancelled
    }
}

impl From<TaskError> for crate::jobs::JobFailure {
    fn from(e: TaskError) -> Self {
        match e {
            TaskError::Cancelled => crate::jobs::JobFailure::Cancelled,
            other => crate::jobs::JobFailure::Message(other.to_string()),
        }
    }
}

//! Loading (polars), format detection, column roles, validation and profiling.

pub mod catalogue;
pub mod columns;
pub mod dataset;
pub mod error;
pub mod events;
pub mod formats;
pub mod generate;
pub mod profile;
pub mod reader;
pub mod roles;
pub mod sniff;
pub mod timestamp;

pub use dataset::{load_dataset, Dataset, LoadOptions};
pub use error::LoadError;
pub use events::{EventKind, EventWeights};
pub use profile::{profile, Profile};
pub use roles::{ColumnRoles, Role};

use std::path::Path;
use std::sync::Arc;

use crate::task::CancelToken;

/// A loaded and profiled file: what the load job hands to the UI.
pub struct Loaded {
    pub dataset: Arc<Dataset>,
    pub profile: Profile,
    /// Item names and pictures from an `items.csv` beside the file, if any.
    pub catalogue: Option<Arc<catalogue::Catalogue>>,
}

/// Load and profile in one go (the load job, the CLI and tests all use this).
pub fn load_and_profile(
    path: &Path,
    options: &LoadOptions,
    cancel: &CancelToken,
    progress: &dyn Fn(f32, &str),
) -> Result<Loaded, LoadError> {
    let dataset = load_dataset(path, options, cancel, progress)?;
    let profile = profile(&dataset, cancel, progress)?;
    let catalogue = catalogue::Catalogue::beside(path).map(Arc::new);
    progress(1.0, "done");
    Ok(Loaded {
        dataset: Arc::new(dataset),
        profile,
        catalogue,
    })
}

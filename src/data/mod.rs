//! Loading (polars), format detection, column roles, validation and profiling.

pub mod catalogue;
pub mod columns;
pub mod dataset;
pub mod error;
pub mod events;
pub mod feedback;
pub mod file_check;
pub mod formats;
pub mod generate;
pub mod memory;
pub mod profile;
pub mod reader;
pub mod roles;
pub mod sequences;
pub mod skip;
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
#[derive(Clone)]
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
    progress(1.0, "done");
    Ok(Loaded::new(dataset, profile))
}

impl Loaded {
    /// A profiled dataset with its item names: `items.csv` beside it, else
    /// its own name or description column (also in the profile's top items).
    pub fn new(dataset: Dataset, mut profile: Profile) -> Self {
        let catalogue = catalogue::Catalogue::for_data(&dataset).map(Arc::new);
        if let Some(c) = &catalogue {
            for top in &mut profile.top_items {
                if top.name.is_none() {
                    top.name = c.get(&top.item).and_then(|i| i.name.clone());
                }
            }
        }
        Self {
            dataset: Arc::new(dataset),
            profile,
            catalogue,
        }
    }
}

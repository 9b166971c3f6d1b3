//! What a log's items are like, from an item file beside it (the Open
//! Bandit Dataset's `item_context.csv`: one row per item, its id and its
//! features). The logistic reward model can learn from these instead of one
//! weight per item, so an item shown a few times borrows strength from items
//! like it — obp's `action_context`.
//!
//! Encoding: the same as the user context's ([`super::context`]): a text
//! column becomes one 0/1 feature per distinct value in sorted order, the
//! first dropped; a numeric column is its value. The id column and a
//! pandas index column (an empty header) are not features.

use std::path::{Path, PathBuf};

use super::context::LogContext;
use crate::data::columns::texts;
use crate::data::{load_dataset, Dataset, Role};
use crate::task::{CancelToken, TaskError};

/// The file `auto` looks for beside the log.
pub const BESIDE_THE_LOG: &str = "item_context.csv";

/// Each of the log's items' features.
#[derive(Clone, Debug, PartialEq)]
pub struct ItemFeatures {
    pub path: PathBuf,
    /// The feature columns, in the file's order.
    pub columns: Vec<String>,
    /// Features per item.
    pub width: usize,
    /// `per_item[a]`: item `a`'s non-zero features as (index, value).
    pub per_item: Vec<Vec<(u32, f32)>>,
}

/// Where `spec` points for the log at `log_path`: `None` for `none` (or
/// empty: one weight per item), the file beside the log for `auto`, else
/// the path given (relative to the log's folder).
pub fn item_file(log_path: &Path, spec: &str) -> Option<PathBuf> {
    let spec = spec.trim();
    if spec.is_empty() || spec.eq_ignore_ascii_case("none") {
        return None;
    }
    let folder = log_path.parent().unwrap_or(Path::new("."));
    Some(if spec.eq_ignore_ascii_case("auto") {
        folder.join(BESIDE_THE_LOG)
    } else {
        folder.join(spec)
    })
}

impl ItemFeatures {
    /// Read the item file `spec` names for the log at `log_path`, whose
    /// items are `items` (dense order). Every item of the log needs a row.
    pub fn read(
        log_path: &Path,
        spec: &str,
        items: &[String],
        cancel: &CancelToken,
    ) -> Result<Option<ItemFeatures>, TaskError> {
        let Some(path) = item_file(log_path, spec) else {
            return Ok(None);
        };
        if !path.is_file() {
            return Err(TaskError::Input(format!(
                "{}: there is no item file here (item features: '{}'); put the items' features \
                 there, one row per item with an item_id column, or choose none",
                path.display(),
                spec.trim()
            )));
        }
        let ds = load_dataset(&path, &Default::default(), cancel, &|_, _| {})?;
        Self::from_dataset(&ds, items).map(Some)
    }

    fn from_dataset(ds: &Dataset, items: &[String]) -> Result<ItemFeatures, TaskError> {
        let names = ds.column_names();
        let id = ds
            .roles
            .get(Role::Item)
            .map(str::to_owned)
            .or_else(|| names.iter().find(|c| c.as_str() == "item_id").cloned())
            .ok_or_else(|| {
                TaskError::Input(format!(
                    "{}: no item id column (expected item_id; columns: {})",
                    ds.path.display(),
                    names.join(", ")
                ))
            })?;
        let columns: Vec<String> = names
            .iter()
            .enumerate()
            .filter(|(position, c)| **c != id && !is_index_column(c, *position))
            .map(|(_, c)| c.clone())
            .collect();
        if columns.is_empty() {
            return Err(TaskError::Input(format!(
                "{}: no feature columns beside the item id '{id}'",
                ds.path.display()
            )));
        }
        let ids = texts(ds, &id)?;
        let mut row_of = std::collections::HashMap::with_capacity(ids.len());
        for (row, value) in ids.iter().enumerate() {
            let Some(value) = value else { continue };
            if row_of.insert(value.as_str(), row).is_some() {
                return Err(TaskError::Input(format!(
                    "{}: line {}: item {value} has a second row (one row per item)",
                    ds.path.display(),
                    ds.line_of_row(row)
                )));
            }
        }
        let order = items
            .iter()
            .map(|item| {
                row_of.get(item.as_str()).copied().ok_or_else(|| {
                    TaskError::Input(format!(
                        "{}: item {item} of the log has no row here (column '{id}')",
                        ds.path.display()
                    ))
                })
            })
            .collect::<Result<Vec<usize>, TaskError>>()?;
        let encoded = LogContext::read(ds, &columns, &order)?;
        let mut per_item = Vec::with_capacity(items.len());
        for a in 0..items.len() {
            let mut features = Vec::new();
            encoded.features(a, &mut features);
            per_item.push(features);
        }
        Ok(ItemFeatures {
            path: ds.path.clone(),
            columns,
            width: encoded.width(),
            per_item,
        })
    }
}

/// A column pandas wrote for its index: no header (which the reader names
/// `column_N` after its position), or `Unnamed: 0`.
fn is_index_column(name: &str, position: usize) -> bool {
    let name = name.trim();
    name.is_empty() || name.starts_with("Unnamed:") || name == format!("column_{}", position + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn item_features_are_encoded_per_log_item_and_missing_items_are_named() {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("all.csv");
        std::fs::write(
            dir.path().join(BESIDE_THE_LOG),
            ",item_id,item_feature_0,item_feature_1\n0,0,-0.5,b\n1,1,0.25,a\n2,2,0,c\n",
        )
        .expect("write the items");
        let cancel = CancelToken::new();
        assert_eq!(
            ItemFeatures::read(&log, "none", &items(&["0"]), &cancel).expect("none"),
            None
        );
        // The log's dense order need not be the file's.
        let f = ItemFeatures::read(&log, "auto", &items(&["2", "0", "1"]), &cancel)
            .expect("read")
            .expect("some");
        assert_eq!(f.columns, ["item_feature_0", "item_feature_1"]);
        // One numeric feature, then b and c (a dropped).
        assert_eq!(f.width, 3);
        assert_eq!(f.per_item[0], vec![(2, 1.0)]);
        assert_eq!(f.per_item[1], vec![(0, -0.5), (1, 1.0)]);
        assert_eq!(f.per_item[2], vec![(0, 0.25)]);
        let missing = ItemFeatures::read(&log, "auto", &items(&["0", "7"]), &cancel)
            .expect_err("item 7 has no row");
        assert!(missing.to_string().contains("item 7 of the log has no row"));
        let absent = ItemFeatures::read(&log, "items.csv", &items(&["0"]), &cancel)
            .expect_err("no such file");
        assert!(absent.to_string().contains("items.csv"), "{absent}");
    }
}

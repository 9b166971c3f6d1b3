//! What a log knows about each round's user: the context columns a
//! reward model learns from, and the segment column a per-segment policy
//! splits on.
//!
//! Encoding (obp's default, `pandas.get_dummies(…, drop_first=True)`): a
//! text column becomes one 0/1 feature per distinct value in sorted order,
//! the first value dropped (an empty cell is all zeros); a numeric column is
//! one feature, its value. Features follow the columns' order.

use polars::prelude::DataType;

use crate::data::columns::{numbers, texts};
use crate::data::feedback::is_user_feature;
use crate::data::{Dataset, LoadError};
use crate::task::TaskError;

/// A text column as dense codes over its sorted distinct values.
#[derive(Clone, Debug, PartialEq)]
pub struct Categories {
    pub column: String,
    /// `labels[codes[row]]` is the row's value; `None` where empty.
    pub codes: Vec<Option<u32>>,
    /// Distinct values, sorted (byte order, as Python sorts strings).
    pub labels: Vec<String>,
}

impl Categories {
    /// Read `column` of `ds`, rows in `order`.
    pub fn read(ds: &Dataset, column: &str, order: &[usize]) -> Result<Categories, TaskError> {
        let values = texts(ds, column)?;
        let mut labels: Vec<String> = values.iter().flatten().cloned().collect();
        labels.sort();
        labels.dedup();
        let codes = order
            .iter()
            .map(|&i| {
                values[i]
                    .as_ref()
                    .and_then(|v| labels.binary_search(v).ok())
                    .map(|c| c as u32)
            })
            .collect();
        Ok(Categories {
            column: column.to_owned(),
            codes,
            labels,
        })
    }
}

/// One context column, read in the log's row order.
#[derive(Clone, Debug, PartialEq)]
pub enum ContextColumn {
    Categorical(Categories),
    Numeric { column: String, values: Vec<f64> },
}

impl ContextColumn {
    /// Features this column adds.
    fn width(&self) -> usize {
        match self {
            ContextColumn::Categorical(c) => c.labels.len().saturating_sub(1),
            ContextColumn::Numeric { .. } => 1,
        }
    }
}

/// The log's context: its columns, encoded on demand row by row.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LogContext {
    pub columns: Vec<ContextColumn>,
}

impl LogContext {
    /// Read `names` from `ds`, rows in `order`. A numeric column with an
    /// empty cell is refused with its line.
    pub fn read(ds: &Dataset, names: &[String], order: &[usize]) -> Result<LogContext, TaskError> {
        let mut columns = Vec::with_capacity(names.len());
        for name in names {
            let column = ds.df.column(name).map_err(|_| {
                TaskError::Input(format!(
                    "{}: there is no context column '{name}' (columns: {})",
                    ds.path.display(),
                    ds.column_names().join(", ")
                ))
            })?;
            if column.dtype().is_primitive_numeric() || column.dtype() == &DataType::Boolean {
                let all = numbers(ds, name, "a context value")?;
                if let Some(row) = all.iter().position(|v| v.is_nan()) {
                    return Err(LoadError::BadValue {
                        path: ds.path.clone(),
                        line: ds.line_of_row(row),
                        column: name.clone(),
                        value: String::new(),
                        expected: "a number (numeric context columns need a value on every row)"
                            .into(),
                    }
                    .into());
                }
                columns.push(ContextColumn::Numeric {
                    column: name.clone(),
                    values: order.iter().map(|&i| all[i]).collect(),
                });
            } else {
                columns.push(ContextColumn::Categorical(Categories::read(
                    ds, name, order,
                )?));
            }
        }
        Ok(LogContext { columns })
    }

    /// Features per row.
    pub fn width(&self) -> usize {
        self.columns.iter().map(ContextColumn::width).sum()
    }

    /// Row `row`'s non-zero features as (index, value), ascending.
    pub fn features(&self, row: usize, out: &mut Vec<(u32, f32)>) {
        out.clear();
        let mut offset = 0u32;
        for column in &self.columns {
            match column {
                ContextColumn::Categorical(c) => {
                    // Code 0 is the dropped first value.
                    if let Some(code) = c.codes[row].filter(|&code| code > 0) {
                        out.push((offset + code - 1, 1.0));
                    }
                }
                ContextColumn::Numeric { values, .. } => {
                    if values[row] != 0.0 {
                        out.push((offset, values[row] as f32));
                    }
                }
            }
            offset += column.width() as u32;
        }
    }

    /// The columns' names, for the record.
    pub fn names(&self) -> Vec<String> {
        self.columns
            .iter()
            .map(|c| match c {
                ContextColumn::Categorical(c) => c.column.clone(),
                ContextColumn::Numeric { column, .. } => column.clone(),
            })
            .collect()
    }
}

/// The context spec after turning `column` on or off in the columns `spec`
/// names now: the chosen columns in `candidates`' order, `none` when none
/// is left (an empty spec would mean `auto`).
pub fn toggle_context_column(
    ds: &Dataset,
    spec: &str,
    candidates: &[String],
    column: &str,
    on: bool,
) -> String {
    let chosen = context_columns(ds, spec).unwrap_or_default();
    let kept: Vec<&str> = candidates
        .iter()
        .map(String::as_str)
        .filter(|c| {
            if *c == column {
                on
            } else {
                chosen.iter().any(|x| x == c)
            }
        })
        .collect();
    if kept.is_empty() {
        "none".into()
    } else {
        kept.join(",")
    }
}

/// The columns of `ds` that may describe users: every column no role
/// claims (not the item, reward, slot, …), the user features first.
pub fn user_column_candidates(ds: &Dataset) -> Vec<String> {
    let roles: Vec<&str> = crate::data::Role::ALL
        .iter()
        .filter_map(|r| ds.roles.get(*r))
        .collect();
    let mut names: Vec<String> = ds
        .column_names()
        .into_iter()
        .filter(|c| !roles.contains(&c.as_str()))
        .collect();
    names.sort_by_key(|c| !crate::data::feedback::is_user_feature(c));
    names
}

/// The context columns `spec` names: a comma-separated list, `none` for no
/// user column, or `auto` (or empty) for the columns named like user
/// features (`user_feature_0`, …, `context_…`), as obp's Open Bandit
/// Dataset reader takes them.
pub fn context_columns(ds: &Dataset, spec: &str) -> Result<Vec<String>, TaskError> {
    let spec = spec.trim();
    let all = ds.column_names();
    if spec.is_empty() || spec.eq_ignore_ascii_case("auto") {
        return Ok(all.into_iter().filter(|c| is_user_feature(c)).collect());
    }
    if spec.eq_ignore_ascii_case("none") {
        return Ok(Vec::new());
    }
    let names: Vec<String> = spec
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    if let Some(missing) = names.iter().find(|n| !all.contains(n)) {
        return Err(TaskError::Input(format!(
            "{}: there is no context column '{missing}' (columns: {})",
            ds.path.display(),
            all.join(", ")
        )));
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_columns_are_auto_none_or_those_ticked() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("log.csv");
        std::fs::write(
            &path,
            "timestamp,item_id,position,click,propensity_score,user_feature_0,user_feature_1,device\n\
             1,0,1,1,0.5,a,x,phone\n2,1,2,0,0.5,b,y,desk\n",
        )
        .expect("write the log");
        let cancel = crate::task::CancelToken::new();
        let ds = crate::data::load_dataset(&path, &Default::default(), &cancel, &|_, _| {})
            .expect("a bandit log");
        let names = user_column_candidates(&ds);
        assert_eq!(names, ["user_feature_0", "user_feature_1", "device"]);
        let auto = ["user_feature_0", "user_feature_1"];
        assert_eq!(context_columns(&ds, "auto").unwrap(), auto);
        assert_eq!(context_columns(&ds, "").unwrap(), auto);
        assert!(context_columns(&ds, "none").unwrap().is_empty());
        assert!(context_columns(&ds, "nope").is_err());
        // Ticking from auto starts from its columns, in the candidates' order.
        let spec = toggle_context_column(&ds, "auto", &names, "device", true);
        assert_eq!(spec, "user_feature_0,user_feature_1,device");
        let spec = toggle_context_column(&ds, &spec, &names, "user_feature_0", false);
        assert_eq!(spec, "user_feature_1,device");
        let spec = toggle_context_column(&ds, &spec, &names, "user_feature_1", false);
        let spec = toggle_context_column(&ds, &spec, &names, "device", false);
        // None left is "none", not the empty spec that would mean auto.
        assert_eq!(spec, "none");
        assert!(context_columns(&ds, &spec).unwrap().is_empty());
    }

    #[test]
    fn one_hot_drops_each_columns_first_sorted_value() {
        let c = LogContext {
            columns: vec![
                ContextColumn::Categorical(Categories {
                    column: "a".into(),
                    codes: vec![Some(0), Some(2), None],
                    labels: vec!["x".into(), "y".into(), "z".into()],
                }),
                ContextColumn::Numeric {
                    column: "n".into(),
                    values: vec![1.5, 0.0, 2.0],
                },
            ],
        };
        assert_eq!(c.width(), 3);
        let mut f = Vec::new();
        c.features(0, &mut f);
        assert_eq!(f, [(2, 1.5)]);
        c.features(1, &mut f);
        assert_eq!(f, [(1, 1.0)]);
        c.features(2, &mut f);
        assert_eq!(f, [(2, 2.0)]);
    }
}

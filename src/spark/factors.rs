//! Reading the factors a Spark job wrote: a folder of Parquet part files
//! (Spark's `model.userFactors` / `itemFactors`: `id` int, `features`
//! array<float>), into a dense row-major matrix indexed by shoplens' dense
//! ids. Rows the job did not write (nobody MLlib saw) stay zero.

use std::fs::File;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::task::TaskError;

/// What was read.
#[derive(Clone, Debug, PartialEq)]
pub struct FactorMatrix {
    pub rows: usize,
    pub dim: usize,
    /// Row-major, `rows × dim`.
    pub values: Vec<f32>,
    /// Rows the files had.
    pub rows_read: usize,
}

/// The Parquet part files of a Spark output folder, in name order.
pub fn part_files(dir: &Path) -> Result<Vec<PathBuf>, TaskError> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        TaskError::Input(format!(
            "{}: the Spark job wrote no factors there ({e})",
            dir.display()
        ))
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(TaskError::Input(format!(
            "{}: no Parquet files of factors in it",
            dir.display()
        )));
    }
    Ok(files)
}

/// Read `dir`'s factors for ids `0..rows` of `dim` components each.
pub fn read(dir: &Path, rows: usize, dim: usize) -> Result<FactorMatrix, TaskError> {
    let mut values = vec![0f32; rows * dim];
    let mut rows_read = 0;
    for path in part_files(dir)? {
        let bad = |what: String| TaskError::Input(format!("{}: {what}", path.display()));
        let file = File::open(&path).map_err(|e| bad(format!("cannot open ({e})")))?;
        let df = ParquetReader::new(file)
            .finish()
            .map_err(|e| bad(format!("cannot read it as Parquet ({e})")))?;
        let ids = df
            .column("id")
            .and_then(|c| c.cast(&DataType::Int64))
            .map_err(|e| bad(format!("no integer column id ({e})")))?;
        let ids = ids
            .i64()
            .map_err(|e| bad(format!("column id is not an integer ({e})")))?;
        let features = df
            .column("features")
            .and_then(|c| c.cast(&DataType::List(Box::new(DataType::Float32))))
            .map_err(|e| bad(format!("no column features of numbers ({e})")))?;
        let features = features
            .list()
            .map_err(|e| bad(format!("column features is not a list of numbers ({e})")))?;
        for (row, (id, list)) in ids.iter().zip(features.amortized_iter()).enumerate() {
            let (Some(id), Some(list)) = (id, list) else {
                return Err(bad(format!("row {} has no id or no features", row + 1)));
            };
            if id < 0 || id as usize >= rows {
                return Err(bad(format!(
                    "row {}: id {id} is outside the {rows} ids shoplens handed off",
                    row + 1
                )));
            }
            let floats = list
                .as_ref()
                .f32()
                .map_err(|e| bad(format!("row {}: features are not numbers ({e})", row + 1)))?;
            if floats.len() != dim {
                return Err(bad(format!(
                    "row {}: {} features, the model has {dim}",
                    row + 1,
                    floats.len()
                )));
            }
            let out = &mut values[id as usize * dim..(id as usize + 1) * dim];
            for (o, v) in out.iter_mut().zip(floats.iter()) {
                *o = v.filter(|v| v.is_finite()).ok_or_else(|| {
                    bad(format!(
                        "row {}: a feature is missing or not finite",
                        row + 1
                    ))
                })?;
            }
            rows_read += 1;
        }
    }
    Ok(FactorMatrix {
        rows,
        dim,
        values,
        rows_read,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A part file as Spark writes it: id int, features list<float>.
    fn write_part(path: &Path, ids: &[i32], features: &[Vec<f32>]) {
        let lists: Vec<Series> = features
            .iter()
            .map(|f| Series::new("".into(), f.as_slice()))
            .collect();
        let mut df = DataFrame::new(
            ids.len(),
            vec![
                Column::new("id".into(), ids),
                Column::new("features".into(), lists),
            ],
        )
        .unwrap();
        ParquetWriter::new(File::create(path).unwrap())
            .finish(&mut df)
            .unwrap();
    }

    #[test]
    fn part_files_fill_rows_by_id_and_missing_rows_stay_zero() {
        let dir = tempfile::tempdir().unwrap();
        write_part(
            &dir.path().join("part-00001.parquet"),
            &[3, 0],
            &[vec![3.0, 3.5], vec![0.0, 0.5]],
        );
        write_part(
            &dir.path().join("part-00000.parquet"),
            &[1],
            &[vec![1.0, 1.5]],
        );
        std::fs::write(dir.path().join("_SUCCESS"), "").unwrap();
        let m = read(dir.path(), 4, 2).unwrap();
        assert_eq!(m.rows_read, 3);
        assert_eq!(m.values, vec![0.0, 0.5, 1.0, 1.5, 0.0, 0.0, 3.0, 3.5]);
    }

    #[test]
    fn a_wrong_shape_names_the_file_and_row() {
        let dir = tempfile::tempdir().unwrap();
        let part = dir.path().join("part-00000.parquet");
        write_part(&part, &[0, 9], &[vec![1.0, 2.0], vec![1.0, 2.0]]);
        let e = read(dir.path(), 4, 2).unwrap_err().to_string();
        assert!(
            e.contains("part-00000.parquet") && e.contains("row 2"),
            "{e}"
        );
        let e = read(dir.path(), 10, 3).unwrap_err().to_string();
        assert!(e.contains("2 features, the model has 3"), "{e}");
        let empty = tempfile::tempdir().unwrap();
        let e = read(empty.path(), 1, 1).unwrap_err().to_string();
        assert!(e.contains("no Parquet files"), "{e}");
    }
}

//! The reviews of a loaded table: text, a binary label (from a label column or
//! from star ratings), and optional category, product and stars.

use serde::{Deserialize, Serialize};

use super::SentimentError;
use crate::data::columns::{bad_value, numbers, texts};
use crate::data::{Dataset, Role};

/// Where the positive/negative label comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum LabelSource {
    /// 0/1, pos/neg, positive/negative (any case); empty cells are unlabelled.
    Label { column: String },
    /// Stars ≥ `positive_min` are positive, ≤ `negative_max` negative, the
    /// ones between (3 by default) are left out of training and evaluation.
    Rating {
        column: String,
        positive_min: f64,
        negative_max: f64,
    },
}

/// Stars at or above this are positive by default.
pub const POSITIVE_MIN: f64 = 4.0;
/// Stars at or below this are negative by default.
pub const NEGATIVE_MAX: f64 = 2.0;

impl LabelSource {
    pub fn column(&self) -> &str {
        match self {
            LabelSource::Label { column } | LabelSource::Rating { column, .. } => column,
        }
    }

    pub fn stars(column: &str) -> Self {
        LabelSource::Rating {
            column: column.to_owned(),
            positive_min: POSITIVE_MIN,
            negative_max: NEGATIVE_MAX,
        }
    }
}

/// Which columns hold what.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReviewColumns {
    pub text: String,
    pub label: LabelSource,
    pub category: Option<String>,
    pub product: Option<String>,
    pub stars: Option<String>,
}

impl ReviewColumns {
    /// The columns the loader's roles point at: the text column, the label
    /// column if there is one, else the rating column.
    pub fn from_roles(ds: &Dataset) -> Result<ReviewColumns, SentimentError> {
        let text = ds.roles.get(Role::Text).ok_or_else(|| {
            SentimentError::Input(format!(
                "{}: no text column was found (columns: {}). Choose the column that holds the review text.",
                ds.path.display(),
                ds.column_names().join(", ")
            ))
        })?;
        let stars = ds.roles.get(Role::Rating).map(str::to_owned);
        let label = match (ds.roles.get(Role::Label), &stars) {
            (Some(label), _) => LabelSource::Label {
                column: label.to_owned(),
            },
            (None, Some(stars)) => LabelSource::stars(stars),
            (None, None) => {
                return Err(SentimentError::Input(format!(
                    "{}: no label or star-rating column was found (columns: {}). Choose a column with 0/1 or pos/neg labels, or a star rating.",
                    ds.path.display(),
                    ds.column_names().join(", ")
                )))
            }
        };
        Ok(ReviewColumns {
            text: text.to_owned(),
            label,
            category: ds.roles.get(Role::Category).map(str::to_owned),
            product: ds.roles.get(Role::Item).map(str::to_owned),
            stars,
        })
    }
}

/// Reviews with a non-empty text, in file order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Reviews {
    pub texts: Vec<String>,
    /// `None`: unlabelled (empty label, or a middle star rating).
    pub labels: Vec<Option<bool>>,
    pub categories: Option<Vec<String>>,
    pub products: Option<Vec<String>>,
    pub stars: Option<Vec<f64>>,
    /// Unix seconds of each review ([`crate::data::columns::NO_TIME`] where
    /// empty), when the file has a time column.
    #[serde(default)]
    pub times: Option<Vec<i64>>,
    /// 1-based line in its file of each review (for "which review" lists).
    pub lines: Vec<u64>,
    /// Rows dropped because their text was empty.
    pub empty_texts: usize,
}

/// A label cell that is not one of the accepted spellings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotBinary;

/// Parse a label cell; `Ok(None)` for an empty one.
pub fn parse_label(value: &str) -> Result<Option<bool>, NotBinary> {
    match value.trim().to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "1" | "1.0" | "pos" | "positive" | "true" => Ok(Some(true)),
        "0" | "0.0" | "neg" | "negative" | "false" => Ok(Some(false)),
        _ => Err(NotBinary),
    }
}

/// Which columns a review table is read from (the label may be missing:
/// topics work on unlabelled reviews too).
pub struct ReadColumns<'a> {
    pub text: &'a str,
    pub label: Option<&'a LabelSource>,
    pub category: Option<&'a str>,
    pub product: Option<&'a str>,
    pub stars: Option<&'a str>,
    pub time: Option<&'a str>,
}

impl Reviews {
    pub fn from_dataset(ds: &Dataset, columns: &ReviewColumns) -> Result<Reviews, SentimentError> {
        Reviews::read(
            ds,
            &ReadColumns {
                text: &columns.text,
                label: Some(&columns.label),
                category: columns.category.as_deref(),
                product: columns.product.as_deref(),
                stars: columns.stars.as_deref(),
                time: None,
            },
        )
    }

    pub fn read(ds: &Dataset, columns: &ReadColumns) -> Result<Reviews, SentimentError> {
        let text = texts(ds, columns.text)?;
        let labels: Vec<Option<bool>> = match columns.label {
            None => vec![None; text.len()],
            Some(LabelSource::Label { column }) => {
                let cells = texts(ds, column)?;
                let mut out = Vec::with_capacity(cells.len());
                for (row, cell) in cells.iter().enumerate() {
                    match parse_label(cell.as_deref().unwrap_or("")) {
                        Ok(label) => out.push(label),
                        Err(NotBinary) => {
                            let value = cell.as_deref().unwrap_or("");
                            return Err(bad_value(
                                ds,
                                column,
                                row,
                                value,
                                "a binary label (expected 0/1, pos/neg or positive/negative; for star ratings choose the column as the rating instead)",
                            )
                            .into());
                        }
                    }
                }
                out
            }
            Some(LabelSource::Rating {
                column,
                positive_min,
                negative_max,
            }) => numbers(ds, column, "a star rating")?
                .into_iter()
                .map(|v| {
                    if v.is_nan() {
                        None
                    } else if v >= *positive_min {
                        Some(true)
                    } else if v <= *negative_max {
                        Some(false)
                    } else {
                        None
                    }
                })
                .collect(),
        };
        let optional_texts =
            |name: Option<&str>| -> Result<Option<Vec<Option<String>>>, SentimentError> {
                Ok(match name {
                    Some(n) => Some(texts(ds, n)?),
                    None => None,
                })
            };
        let categories = optional_texts(columns.category)?;
        let products = optional_texts(columns.product)?;
        let stars = match columns.stars {
            Some(n) => Some(numbers(ds, n, "a star rating")?),
            None => None,
        };
        let times = match columns.time {
            Some(n) => Some(crate::data::columns::timestamps(ds, n)?),
            None => None,
        };
        let mut out = Reviews {
            categories: categories.as_ref().map(|_| Vec::new()),
            products: products.as_ref().map(|_| Vec::new()),
            stars: stars.as_ref().map(|_| Vec::new()),
            times: times.as_ref().map(|_| Vec::new()),
            ..Default::default()
        };
        for (row, t) in text.into_iter().enumerate() {
            // A stray byte-order mark inside a field is not part of the text.
            let Some(t) = t
                .map(|t| t.replace('\u{feff}', ""))
                .filter(|t| !t.trim().is_empty())
            else {
                out.empty_texts += 1;
                continue;
            };
            out.texts.push(t);
            out.labels.push(labels[row]);
            out.lines.push(ds.line_of_row(row));
            if let (Some(all), Some(kept)) = (&categories, &mut out.categories) {
                kept.push(all[row].clone().unwrap_or_default());
            }
            if let (Some(all), Some(kept)) = (&products, &mut out.products) {
                kept.push(all[row].clone().unwrap_or_default());
            }
            if let (Some(all), Some(kept)) = (&stars, &mut out.stars) {
                kept.push(all[row]);
            }
            if let (Some(all), Some(kept)) = (&times, &mut out.times) {
                kept.push(all[row]);
            }
        }
        Ok(out)
    }

    /// Several files' reviews one after the other (e.g. the three UCI files).
    /// Optional columns survive only when every part has them.
    pub fn concat(parts: Vec<Reviews>) -> Reviews {
        let all_have = |f: &dyn Fn(&Reviews) -> bool| parts.iter().all(f);
        let keep_categories = all_have(&|r| r.categories.is_some());
        let keep_products = all_have(&|r| r.products.is_some());
        let keep_stars = all_have(&|r| r.stars.is_some());
        let keep_times = all_have(&|r| r.times.is_some());
        let mut out = Reviews {
            categories: keep_categories.then(Vec::new),
            products: keep_products.then(Vec::new),
            stars: keep_stars.then(Vec::new),
            times: keep_times.then(Vec::new),
            ..Default::default()
        };
        for part in parts {
            out.texts.extend(part.texts);
            out.labels.extend(part.labels);
            out.lines.extend(part.lines);
            out.empty_texts += part.empty_texts;
            if let (Some(o), Some(p)) = (&mut out.categories, part.categories) {
                o.extend(p);
            }
            if let (Some(o), Some(p)) = (&mut out.products, part.products) {
                o.extend(p);
            }
            if let (Some(o), Some(p)) = (&mut out.stars, part.stars) {
                o.extend(p);
            }
            if let (Some(o), Some(p)) = (&mut out.times, part.times) {
                o.extend(p);
            }
        }
        out
    }

    pub fn len(&self) -> usize {
        self.texts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// Indices of the labelled reviews, in order (the evaluation set).
    pub fn labelled(&self) -> Vec<usize> {
        (0..self.len())
            .filter(|&i| self.labels[i].is_some())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_accept_the_usual_spellings() {
        assert_eq!(parse_label("1"), Ok(Some(true)));
        assert_eq!(parse_label(" Positive "), Ok(Some(true)));
        assert_eq!(parse_label("NEG"), Ok(Some(false)));
        assert_eq!(parse_label("0.0"), Ok(Some(false)));
        assert_eq!(parse_label(""), Ok(None));
        assert_eq!(parse_label("3"), Err(NotBinary));
        assert_eq!(parse_label("neutral"), Err(NotBinary));
    }
}

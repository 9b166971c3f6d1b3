//! The tables a topics run exports and lists: one row per topic (with the
//! names the merchant gave them), and every review behind a topic, sorted
//! as the user asks. The Topics tab draws and saves them; they are built
//! here so the window and a script see the same columns.

use std::collections::BTreeMap;

use super::task::TopicsResult;
use crate::data::columns::NO_TIME;
use crate::data::timestamp::format_day;

/// How the reviews of a topic are ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReviewSort {
    /// The review's weight in the topic.
    Weight,
    /// Its line in the file.
    Line,
    Product,
    Category,
    Date,
}

impl ReviewSort {
    pub const ALL: [ReviewSort; 5] = [
        ReviewSort::Weight,
        ReviewSort::Line,
        ReviewSort::Product,
        ReviewSort::Category,
        ReviewSort::Date,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ReviewSort::Weight => "weight",
            ReviewSort::Line => "line",
            ReviewSort::Product => "product",
            ReviewSort::Category => "category",
            ReviewSort::Date => "date",
        }
    }
}

/// One review of a topic, as listed.
#[derive(Clone, Debug, PartialEq)]
pub struct ReviewRow {
    /// Index into the result's reviews.
    pub review: usize,
    /// 1-based line in its file.
    pub line: u64,
    pub weight: f32,
    pub product: String,
    pub category: String,
    /// Unix seconds, [`NO_TIME`] when the review has no date.
    pub time: i64,
}

impl ReviewRow {
    pub fn date(&self) -> String {
        if self.time == NO_TIME {
            String::new()
        } else {
            format_day(self.time.div_euclid(86_400))
        }
    }
}

/// The name a topic is shown with: the merchant's, else its top words.
/// `labels` are the run record's (key: the topic's 1-based number).
pub fn topic_name(
    result: &TopicsResult,
    labels: &BTreeMap<String, String>,
    topic: usize,
) -> String {
    labels
        .get(&(topic + 1).to_string())
        .cloned()
        .or_else(|| result.run.topics.get(topic).map(|t| t.label()))
        .unwrap_or_default()
}

impl TopicsResult {
    /// Every review whose dominant topic is `topic`, sorted by `sort`
    /// (ties: heavier first, then file order), descending when asked.
    pub fn review_rows(&self, topic: usize, sort: ReviewSort, descending: bool) -> Vec<ReviewRow> {
        let r = &self.reviews;
        let text_of = |v: &Option<Vec<String>>, i: usize| {
            v.as_ref()
                .and_then(|v| v.get(i))
                .cloned()
                .unwrap_or_default()
        };
        let mut rows: Vec<ReviewRow> = self
            .run
            .reviews_of(topic)
            .into_iter()
            .map(|a| ReviewRow {
                review: a.review,
                line: r.lines.get(a.review).copied().unwrap_or(0),
                weight: a.weight,
                product: text_of(&r.products, a.review),
                category: text_of(&r.categories, a.review),
                time: r
                    .times
                    .as_ref()
                    .and_then(|t| t.get(a.review))
                    .copied()
                    .unwrap_or(NO_TIME),
            })
            .collect();
        rows.sort_by(|a, b| {
            let key = match sort {
                ReviewSort::Weight => a.weight.total_cmp(&b.weight),
                ReviewSort::Line => a.line.cmp(&b.line),
                ReviewSort::Product => a.product.cmp(&b.product),
                ReviewSort::Category => a.category.cmp(&b.category),
                ReviewSort::Date => a.time.cmp(&b.time),
            };
            let key = if descending { key.reverse() } else { key };
            key.then(b.weight.total_cmp(&a.weight))
                .then(a.line.cmp(&b.line))
        });
        rows
    }

    /// Header and rows of every review in `rows`, with its text.
    pub fn reviews_table(&self, rows: &[ReviewRow]) -> (Vec<String>, Vec<Vec<String>>) {
        let headers = ["line", "weight", "product", "category", "date", "review"]
            .map(str::to_owned)
            .to_vec();
        let body = rows
            .iter()
            .map(|row| {
                vec![
                    row.line.to_string(),
                    format!("{:.4}", row.weight),
                    row.product.clone(),
                    row.category.clone(),
                    row.date(),
                    self.reviews
                        .texts
                        .get(row.review)
                        .cloned()
                        .unwrap_or_default(),
                ]
            })
            .collect();
        (headers, body)
    }

    /// One row per topic: number, name, top words, share, reviews,
    /// coherence, top categories, example lines.
    pub fn topics_table(
        &self,
        labels: &BTreeMap<String, String>,
    ) -> (Vec<String>, Vec<Vec<String>>) {
        let headers = [
            "topic",
            "name",
            "top_words",
            "share",
            "reviews",
            "coherence",
            "top_categories",
            "example_lines",
        ]
        .map(str::to_owned)
        .to_vec();
        let body = self
            .run
            .topics
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let words: Vec<&str> = t.words.iter().map(|(w, _)| w.as_str()).collect();
                let categories: Vec<String> = t
                    .categories
                    .iter()
                    .take(3)
                    .map(|c| format!("{} {:.1}%", c.name, c.share * 100.0))
                    .collect();
                let lines: Vec<String> = t
                    .examples
                    .iter()
                    .map(|&e| self.reviews.lines.get(e).copied().unwrap_or(0).to_string())
                    .collect();
                vec![
                    (i + 1).to_string(),
                    topic_name(self, labels, i),
                    words.join(" "),
                    format!("{:.6}", t.share),
                    t.reviews.to_string(),
                    format!("{:.4}", t.coherence),
                    categories.join("; "),
                    lines.join(" "),
                ]
            })
            .collect();
        (headers, body)
    }
}

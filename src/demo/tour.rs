//! The tour: every step in one list, so a presenter's story is edited
//! here, not spread over the tabs. A step names the tab it shows, what the
//! audience sees and why it matters, and the actions that bring it there —
//! the same actions a user's clicks perform, run on the same workers.

use serde::Serialize;

/// What a step does. Each one waits until it is done (a run recorded, a
/// scan finished) before the next one starts.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub enum Action {
    /// Open the built-in sample store unless it is the data shown.
    LoadSample,
    /// Train ALS with the Recommend tab's settings; waits for the run.
    TrainAls,
    /// Open the customer with the longest history in the explored model.
    OpenBusiestCustomer,
    /// Train the Sentiment tab's classifier on the store's reviews.
    TrainSentiment,
    FindTopics,
    /// Type this review into Try it.
    TryReview(&'static str),
    /// Scan k for k-means on the customers; waits for the scan.
    ScanSegments,
    /// Race the Explore / exploit tab's strategies; waits for the race.
    RaceBandits,
    /// Train the Predict tab's model; waits for the run.
    TrainPredict,
    /// Overlay the tour's recommender and prediction runs in the Runs tab.
    CompareRuns,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Step {
    /// The tab the step shows, by its id.
    pub place: &'static str,
    /// What the audience sees, in one line.
    pub caption: &'static str,
    /// Why it matters to the shop, in one more.
    pub why: &'static str,
    pub actions: &'static [Action],
}

/// The sales tour over the sample store.
pub const TOUR: &[Step] = &[
    Step {
        place: "data",
        caption: "The store's behaviour data, profiled in seconds",
        why: "Every view, cart and purchase of the store's shoppers: columns recognised, ranges and gaps checked, no setup",
        actions: &[Action::LoadSample],
    },
    Step {
        place: "recommend",
        caption: "A recommender trains while the window stays live",
        why: "Implicit ALS learns from every view and purchase; the curve grows epoch by epoch, on a worker",
        actions: &[Action::LoadSample, Action::TrainAls],
    },
    Step {
        place: "recommend",
        caption: "Recommendations for one shopper, with the reason behind each item",
        why: "Each item says which of the shopper's own purchases it comes from, with its picture",
        actions: &[Action::LoadSample, Action::TrainAls, Action::OpenBusiestCustomer],
    },
    Step {
        place: "sentiment",
        caption: "What reviews say, in English and Chinese",
        why: "A classifier learns from the store's rated reviews; type any review and see the words that pushed it",
        actions: &[
            Action::LoadSample,
            Action::TrainSentiment,
            Action::TryReview("质量很好，物流很快，非常满意 — great quality, will buy again"),
        ],
    },
    Step {
        place: "topics",
        caption: "What unhappy customers complain about",
        why: "Topic models group the negative reviews by what they are about, with each topic's share per category and example reviews",
        actions: &[Action::LoadSample, Action::FindTopics],
    },
    Step {
        place: "segments",
        caption: "Customer segments, and how many there really are",
        why: "k-means on recency, frequency and spend, scanned over k; the silhouette says where groups separate",
        actions: &[Action::LoadSample, Action::ScanSegments],
    },
    Step {
        place: "bandit",
        caption: "Explore or exploit: which item should the banner show?",
        why: "Strategies race on the store's own conversion rates; the one that loses least learns fastest",
        actions: &[Action::LoadSample, Action::RaceBandits],
    },
    Step {
        place: "predict",
        caption: "Who buys next month, and why",
        why: "Gradient-boosted trees learn on the past, are judged on a later period beside the recency rule, and give each customer's reasons",
        actions: &[Action::LoadSample, Action::TrainPredict],
    },
    Step {
        place: "runs",
        caption: "Every run recorded, compared and kept",
        why: "Parameters, metrics and curves side by side; sweeps, workspaces and exports from here",
        actions: &[Action::LoadSample, Action::CompareRuns],
    },
];

/// `tour.md` for a recorded deck: one line per step with its slide.
pub fn markdown(steps: &[Step], slides: &[(String, String)]) -> String {
    let mut out = String::from("# shoplens — the tour\n\n");
    for (k, step) in steps.iter().enumerate() {
        let (file, outcome) = slides
            .get(k)
            .map_or(("", ""), |(f, o)| (f.as_str(), o.as_str()));
        out.push_str(&format!(
            "{}. **{}** — {}  \n   {}",
            k + 1,
            step.caption,
            step.why,
            outcome
        ));
        if !file.is_empty() {
            out.push_str(&format!("\n\n   ![{}]({file})", step.caption));
        }
        out.push_str("\n\n");
    }
    out
}

/// The slide's file name: `03-recommendations-for-one-shopper.png`.
pub fn slide_name(index: usize, step: &Step) -> String {
    let words: Vec<String> = step
        .caption
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(4)
        .map(|w| w.to_ascii_lowercase())
        .collect();
    format!("{:02}-{}.png", index + 1, words.join("-"))
}

/// `1920x1080` → (1920, 1080).
pub fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let bad = || format!("the size '{text}' is not WIDTHxHEIGHT, e.g. 1920x1080");
    let (w, h) = text.trim().split_once(['x', 'X']).ok_or_else(bad)?;
    let w: u32 = w.trim().parse().map_err(|_| bad())?;
    let h: u32 = h.trim().parse().map_err(|_| bad())?;
    if !(320..=7680).contains(&w) || !(240..=4320).contains(&h) {
        return Err(format!("the size {w}x{h} is outside 320x240 … 7680x4320"));
    }
    Ok((w, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_loads_the_data_it_shows() {
        // A step may be reached with ← or after the user opened another
        // file, so each brings back what it needs.
        assert!(TOUR
            .iter()
            .all(|s| s.actions.first() == Some(&Action::LoadSample)));
    }

    #[test]
    fn slides_are_named_by_number_and_caption() {
        assert_eq!(
            slide_name(2, &TOUR[2]),
            "03-recommendations-for-one-shopper.png"
        );
        let names: std::collections::HashSet<_> = TOUR
            .iter()
            .enumerate()
            .map(|(k, s)| slide_name(k, s))
            .collect();
        assert_eq!(names.len(), TOUR.len());
    }

    #[test]
    fn sizes_parse_or_say_why_not() {
        assert_eq!(parse_size("1920x1080"), Ok((1920, 1080)));
        assert_eq!(parse_size(" 960X600 "), Ok((960, 600)));
        assert!(parse_size("1920").unwrap_err().contains("WIDTHxHEIGHT"));
        assert!(parse_size("10x10").unwrap_err().contains("outside"));
    }

    #[test]
    fn the_deck_lists_every_caption_and_slide() {
        let slides = vec![("01-x.png".to_owned(), "ready in 0.4 s".to_owned())];
        let md = markdown(TOUR, &slides);
        assert!(TOUR.iter().all(|s| md.contains(s.caption)));
        assert!(md.contains("![The store's behaviour data, profiled in seconds](01-x.png)"));
        assert!(md.contains("ready in 0.4 s"));
    }
}

//! `shoplens recommend --model sknn|vsknn|stan|ar|spop`: fit a session model
//! through [`crate::runs::run`] on session-rec's single split and
//! print its next-item metrics.

use std::sync::Arc;

use serde_json::{json, Value};

use super::args::{epochs_json, print_epochs, DataArgs};
use crate::params::Hyperparams;
use crate::runs::RunOutcome;
use crate::session::settings::SessionSettings;
use crate::session::{Reason, SessionTrained};
use crate::task::{CancelToken, Reporter, TaskError};

/// Fit and evaluate the settings' model on `data`, and print it.
pub fn run(settings: &SessionSettings, data: &DataArgs, json: bool) -> Result<(), String> {
    let params = settings.params.get(settings.model);
    params
        .check()
        .map_err(|e| TaskError::Params(e).to_string())?;
    let dataset = Arc::new(data.load()?);
    let request = settings.request(dataset, params);
    let cancel = CancelToken::new();
    let pool = crate::task::thread_pool(settings.threads).map_err(|e| e.to_string())?;
    // The deep models' epochs go to stderr, as the recommenders' do.
    let epochs = print_epochs(json, false, "epoch");
    let reporter = Reporter::silent(&cancel).with_epochs(&epochs);
    let outcome = pool.install(|| crate::runs::run(&request, &reporter));
    let t = outcome.expect_model::<SessionTrained>()?;
    if json {
        println!("{}", json_of(&t, &outcome));
        return Ok(());
    }
    let r = &t.data.report;
    println!(
        "{} on {}: {} train views in {} sessions, {} test sessions, {} predictions ({} items; {}); fit {:.2}s, evaluation {:.2}s",
        t.params.title(),
        data.data.display(),
        r.train_views,
        r.train_sessions,
        r.test_sessions,
        r.predictions,
        t.data.n_items(),
        t.data.protocol.describe(),
        t.fit_secs,
        t.eval_secs
    );
    for (name, value) in t.metrics.to_map() {
        println!("  {name:<18} {value:.4}");
    }
    if let Some(s) = t.data.test.first() {
        let prefix = &s.items[..s.items.len().min(3)];
        println!(
            "example: after {} views of session {}:",
            prefix.len(),
            s.label
        );
        for n in t.next_items(prefix, s.times.get(prefix.len()).copied(), 5) {
            println!(
                "  {:<12} {:.4}  {}",
                t.item_label(n.item),
                n.score,
                reason_text(&t, &n.reasons)
            );
        }
    }
    Ok(())
}

/// A reason list as one line for the terminal.
fn reason_text(t: &SessionTrained, reasons: &[Reason]) -> String {
    reasons
        .iter()
        .map(|r| match r {
            Reason::Neighbour {
                session,
                similarity,
                ..
            } => format!(
                "session {} (similarity {similarity:.3})",
                t.session_label(*session)
            ),
            Reason::CoViewed { with, count } => {
                format!("viewed with {} in {count} sessions", t.item_label(*with))
            }
            Reason::Popular { views } => format!("{views} views"),
            Reason::InSession { count } => format!("viewed {count}× in this session"),
            Reason::Influence { item, lift } => {
                format!("read {} (+{lift:.2})", t.item_label(*item))
            }
            Reason::Filler => "popular (no model score)".into(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// What `recommend --model <session model> --json` prints.
pub fn json_of(t: &SessionTrained, outcome: &RunOutcome) -> Value {
    let r = &t.data.report;
    json!({
        "model": t.params.name(),
        "params": t.params.json(),
        "split": t.data.protocol.split_name(),
        "protocol": t.data.protocol,
        "k": t.options.k,
        "metrics": t.metrics.to_map().into_iter().map(|(k, v)| (k, json!(v))).collect::<serde_json::Map<String, Value>>(),
        "predictions": t.metrics.predictions,
        "train_sessions": r.train_sessions,
        "train_views": r.train_views,
        "test_sessions": r.test_sessions,
        "test_views": r.test_views,
        "items": t.data.n_items(),
        "filters": r,
        "fit_secs": t.fit_secs,
        "eval_secs": t.eval_secs,
        "predictions_per_sec": t.metrics.predictions_per_sec,
        "seed": outcome.record.seed,
        "epochs": epochs_json(&outcome.record.curve),
        "seconds_per_epoch": (!outcome.record.curve.is_empty()).then(|| t.fit_secs / outcome.record.curve.len() as f64),
        "best_epoch": t.model.network().map(|n| n.saved().best_epoch).filter(|&e| e > 0),
        "note": outcome.record.note,
        "peak_memory_mb": crate::task::peak_memory_mb(),
        "data": outcome.record.data,
    })
}

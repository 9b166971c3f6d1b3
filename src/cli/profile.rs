//! `shoplens profile`: load a file and print its profile.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::args::RoleArgs;
use crate::data::load_and_profile;
use crate::data::profile::Profile;
use crate::display::thousands;
use crate::task::CancelToken;

#[derive(Args, Debug)]
pub struct ProfileArgs {
    /// The data file: CSV/TSV (also .gz), JSON lines or Parquet.
    pub path: PathBuf,
    #[command(flatten)]
    pub roles: RoleArgs,
    /// Print one JSON object instead of a table.
    /// Print one JSON object (for scripts) instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &ProfileArgs) -> Result<(), String> {
    let cancel = CancelToken::new();
    let loaded = load_and_profile(&args.path, &args.roles.load_options(), &cancel, &|_, _| {})
        .map_err(|e| e.to_string())?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let json = serde_json::to_string(&loaded.profile).map_err(|e| e.to_string())?;
        writeln!(out, "{json}").map_err(|e| e.to_string())?;
    } else {
        write!(out, "{}", profile_table(&loaded.profile)).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The readable (non-JSON) profile.
pub fn profile_table(p: &Profile) -> String {
    let opt = |v: Option<u64>| v.map_or("-".to_owned(), thousands);
    let mut s = String::new();
    let mut line = |k: &str, v: String| s.push_str(&format!("{k:<16} {v}\n"));
    line("file", p.file.clone());
    line("format", format!("{} ({})", p.format, p.format_description));
    line("rows", thousands(p.rows));
    if let Some(summary) = p.skipped_lines.summary() {
        line("skipped", summary);
    }
    line("users", opt(p.users));
    line("items", opt(p.items));
    if let Some(d) = p.density {
        line("density", format!("{:.4}%", d * 100.0));
    }
    line(
        "time range",
        match (&p.time_min, &p.time_max) {
            (Some(a), Some(b)) => format!("{a} … {b}"),
            _ => "-".into(),
        },
    );
    line(
        "events",
        p.events
            .iter()
            .map(|(k, v)| format!("{k} {}", thousands(*v)))
            .collect::<Vec<_>>()
            .join(", "),
    );
    if let Some(f) = &p.funnel {
        line(
            "funnel (users)",
            f.steps
                .iter()
                .map(|st| match st.conversion {
                    Some(c) => format!("{} {} ({:.1}%)", st.event, thousands(st.users), c * 100.0),
                    None => format!("{} {}", st.event, thousands(st.users)),
                })
                .collect::<Vec<_>>()
                .join(" → "),
        );
    }
    if let Some(c) = &p.cleaning {
        line("cleaning", c.describe());
    }
    if let Some(r) = p.revenue {
        line("revenue", format!("{r:.2}"));
    }
    if let Some(r) = &p.ratings {
        line(
            "ratings",
            format!(
                "mean {:.2}: {}",
                r.mean,
                r.histogram
                    .iter()
                    .map(|(v, c)| format!("{v}★ {}", thousands(*c)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    if let Some(n) = p.reviews {
        line("reviews", thousands(n));
    }
    if let Some(l) = &p.labels {
        line(
            "labels",
            l.iter()
                .map(|(k, v)| format!("{k}: {}", thousands(*v)))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    line("duplicate rows", opt(p.duplicate_rows));
    line(
        "load / profile",
        format!("{:.2}s / {:.2}s", p.load_secs, p.profile_secs),
    );
    s.push_str("\ncolumns:\n");
    for c in &p.columns {
        s.push_str(&format!(
            "  {:<24} {:<12} {:<10} nulls {}\n",
            c.name,
            c.role.as_deref().unwrap_or("-"),
            c.dtype,
            thousands(c.nulls)
        ));
    }
    if !p.top_items.is_empty() {
        s.push_str("\ntop items:\n");
        for t in p.top_items.iter().take(10) {
            s.push_str(&format!(
                "  {:<16} {:>10}  {}\n",
                t.item,
                thousands(t.count),
                t.name.as_deref().unwrap_or("")
            ));
        }
    }
    s
}

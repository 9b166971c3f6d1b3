//! `shoplens segment`: fill the segment settings from the flags (the
//! core's defaults where a flag is not given): customer features, RFM
//! segments, k-means clusters and a k scan.

use clap::Args;

use super::args::{DataArgs, ExportArgs, HyperFlags, SpecSource};
use crate::params::Hyperparams;
use crate::runs::capability::Overrides;
use crate::runs::RunKind;
use crate::segment::clusters::KMeansParams;
use crate::segment::settings::SegmentSettings;
use crate::segment::task::Customers;
use crate::segment::SegmentFit;
use crate::task::{CancelToken, Reporter, TaskError};

/// k-means' parameters, as flags.
#[derive(Clone, Debug)]
pub struct KMeansSpecs;

impl SpecSource for KMeansSpecs {
    const KINDS: &'static [RunKind] = &[crate::segment::KIND];
}

#[derive(Args, Debug)]
pub struct SegmentArgs {
    /// Orders or events (any format `profile` reads).
    #[command(flatten)]
    pub data: DataArgs,
    /// Comma-separated features (default: recency,frequency,monetary — those available).
    #[arg(long, value_delimiter = ',')]
    pub features: Vec<String>,
    /// Also fit every k in this range, e.g. 2..10, with inertia and silhouette.
    #[arg(long)]
    pub scan: Option<String>,
    /// Also print the RFM named-segment table.
    #[arg(long)]
    pub rfm: bool,
    #[arg(long, default_value_t = KMeansParams::default().seed)]
    pub seed: u64,
    /// Cluster the raw values instead of log1p + z-score.
    #[arg(long)]
    pub no_scaling: bool,
    #[command(flatten)]
    pub export: ExportArgs,
    #[arg(long, default_value_t = crate::task::DEFAULT_THREADS)]
    pub threads: usize,
    /// Print one JSON object (for scripts) instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub hyper: HyperFlags<KMeansSpecs>,
}

impl SegmentArgs {
    /// The segment settings the flags describe.
    pub fn settings(&self) -> Result<SegmentSettings, String> {
        let mut s = SegmentSettings::with_overrides(&Overrides {
            seed: Some(self.seed),
            features: self.features.clone(),
            ..Overrides::default()
        })?;
        if self.no_scaling {
            (s.params.log1p, s.params.zscore) = (false, false);
        }
        self.hyper.apply(&mut s.params)?;
        Ok(s)
    }
}

fn parse_range(text: &str) -> Result<std::ops::RangeInclusive<usize>, String> {
    let bad = || format!("'{text}' is not a range like 2..10");
    let (a, b) = text.split_once("..").ok_or_else(bad)?;
    let a: usize = a.trim().parse().map_err(|_| bad())?;
    let b: usize = b
        .trim()
        .trim_start_matches('=')
        .parse()
        .map_err(|_| bad())?;
    if a < 2 || b < a {
        return Err(format!(
            "scan range {text}: k must start at 2 or more and the end must not be below the start"
        ));
    }
    Ok(a..=b)
}

pub fn run(args: &SegmentArgs) -> Result<(), String> {
    let settings = args.settings()?;
    let params = settings.params.clone();
    params
        .check()
        .map_err(|e| TaskError::Params(e).to_string())?;
    let scan = args.scan.as_deref().map(parse_range).transpose()?;
    let cancel = CancelToken::new();
    let reporter = Reporter::silent(&cancel);
    let dataset = std::sync::Arc::new(args.data.load()?);
    let pool = crate::task::thread_pool(args.threads).map_err(|e| e.to_string())?;
    pool.install(|| -> Result<(), String> {
        let customers = std::sync::Arc::new(
            Customers::build(dataset, &reporter).map_err(|e| e.to_string())?,
        );
        let request = settings.request_on(std::sync::Arc::clone(&customers), params.clone());
        let features = request.features.clone();
        let outcome = crate::runs::run(&request, &reporter);
        let fit = outcome.expect_model::<SegmentFit>()?;
        let table = &customers.table;
        let print_point = |e: crate::task::EpochEvent| {
            if !args.json {
                let silhouette = e.metric.map_or(f64::NAN, |m| m.1);
                eprintln!("k {:>2}  inertia {:.2}  silhouette {silhouette:.4}", e.epoch, e.loss);
            }
        };
        let scan_points = match scan {
            Some(ks) => Some(
                crate::segment::task::scan(
                    &customers,
                    &features,
                    &params,
                    ks,
                    &reporter.with_epochs(&print_point),
                )
                .map_err(|e| e.to_string())?,
            ),
            None => None,
        };
        let segments = if args.rfm || args.export.export.is_some() {
            Some(customers.rfm.as_ref().map_err(|e| e.clone())?)
        } else {
            None
        };
        if let Some(path) = &args.export.export {
            crate::segment::export::write_customers(
                path,
                table,
                segments,
                Some(&fit.clustering.labels),
                args.export.pseudonymizer().as_ref(),
            )?;
        }
        let clustering = &fit.clustering;
        if args.json {
            let mut json = serde_json::json!({
                "customers": table.len(),
                "features": features.iter().map(|f| f.name()).collect::<Vec<_>>(),
                "k": clustering.k,
                "n_init": params.n_init,
                "seed": params.seed,
                "inertia": clustering.inertia,
                "silhouette": fit.silhouette,
                "sizes": clustering.sizes,
                "profiles": fit.profiles.iter().map(|p| {
                    let mut o = serde_json::Map::new();
                    o.insert("cluster".into(), p.cluster.into());
                    o.insert("size".into(), p.size.into());
                    o.insert("description".into(), p.description.clone().into());
                    for (f, m) in &p.means {
                        o.insert(f.name().into(), (*m).into());
                    }
                    serde_json::Value::Object(o)
                }).collect::<Vec<_>>(),
                "fit_secs": fit.fit_secs,
                "notes": table.notes,
            });
            if let Some(points) = &scan_points {
                json["scan"] = serde_json::to_value(points).map_err(|e| e.to_string())?;
            }
            if let Some(s) = &segments {
                json["rfm"] = serde_json::to_value(&s.table).map_err(|e| e.to_string())?;
            }
            println!("{json}");
        } else {
            println!(
                "k-means on {} customers ({}), k = {}, {} inits: inertia {:.2}, silhouette {:.4}, fit {:.3}s",
                table.len(),
                features.iter().map(|f| f.name()).collect::<Vec<_>>().join(", "),
                clustering.k,
                params.n_init,
                clustering.inertia,
                fit.silhouette,
                fit.fit_secs
            );
            for p in &fit.profiles {
                let means: Vec<String> = p.means.iter().map(|(f, m)| format!("{} {m:.1}", f.name())).collect();
                println!("  cluster {}: {} customers ({:.1}%) — {}; {}", p.cluster, p.size, p.share * 100.0, p.description, means.join(", "));
            }
            if let Some(s) = &segments {
                println!("RFM segments:");
                for row in &s.table {
                    println!("  {:<20} {:>6} ({:.1}%), revenue {:.1}%", row.segment, row.size, row.share * 100.0, row.revenue_share * 100.0);
                }
            }
            for note in &table.notes {
                println!("  note: {note}");
            }
        }
        Ok(())
    })
}

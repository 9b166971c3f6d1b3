//! Hyperparameters of ALS on Spark, in the shared interface: MLlib's own
//! (rank, regParam, alpha, maxIter, blocks) under shoplens' names, and where
//! the job runs (master, work folder, spark-submit, driver memory) as text
//! parameters, so records, sweeps, workspaces and the CLI carry them too.

use serde::{Deserialize, Serialize};

use crate::params::{log_slider, slider, Hyperparams, ParamError, ParamKind, ParamSpec};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SparkAlsParams {
    /// MLlib's `rank`.
    pub factors: usize,
    /// MLlib's `regParam`: the penalty of a user's factors is this times the
    /// number of items the user has (and likewise for items).
    pub regularization: f32,
    /// MLlib's `alpha`: an observed pair's confidence is `1 + alpha × r`.
    pub alpha: f32,
    /// MLlib's `maxIter`.
    pub iterations: usize,
    /// MLlib's `numUserBlocks` and `numItemBlocks`.
    pub blocks: usize,
    /// Where the job runs: `local[N]`, `spark://host:port`, `yarn`, `k8s://…`.
    pub master: String,
    /// A folder the cluster can read and write; empty: a temporary folder
    /// on this machine, removed after the run (enough for `local[N]`).
    pub work_dir: String,
    /// The `spark-submit` to use; empty: `$SPARK_HOME/bin`, the `PATH`, or
    /// a Python that has `pyspark` installed.
    pub spark_submit: String,
    /// The driver JVM's heap (`--driver-memory`); empty: Spark's default.
    pub driver_memory: String,
}

impl Default for SparkAlsParams {
    fn default() -> Self {
        Self {
            factors: 64,
            regularization: 0.1,
            alpha: 1.0,
            iterations: 10,
            blocks: 10,
            master: "local[2]".into(),
            work_dir: String::new(),
            spark_submit: String::new(),
            driver_memory: "4g".into(),
        }
    }
}

const SPECS: &[ParamSpec] = &[
    ParamSpec::new(
        "factors",
        "factors",
        "Latent dimensions (MLlib's rank)",
        ParamKind::Int {
            min: 1,
            max: Some(1024),
        },
        log_slider(1.0, 256.0),
    )
.sweep("16,32,64")
    .aliases(&["rank"]),
    ParamSpec::new(
        "regularization",
        "regularisation",
        "MLlib's regParam: a customer's factors are penalised by this × the number of items they have (and an item's by this × its customers)",
        ParamKind::Float {
            min: 0.0,
            above: false,
            max: None,
        },
        log_slider(0.001, 10.0),
    )
    .aliases(&["reg", "reg_param"]),
    ParamSpec::new(
        "alpha",
        "alpha",
        "MLlib's alpha: an observed pair's confidence is 1 + alpha × its summed weight (unobserved pairs count 1)",
        ParamKind::Float {
            min: 0.0,
            above: true,
            max: None,
        },
        log_slider(0.01, 100.0),
    ),
    ParamSpec::new(
        "iterations",
        "iterations",
        "MLlib's maxIter: alternating passes over customers and items",
        ParamKind::Int {
            min: 1,
            max: Some(1000),
        },
        slider(1.0, 50.0),
    )
    .aliases(&["max_iter"]),
    ParamSpec::new(
        "blocks",
        "blocks",
        "MLlib's numUserBlocks and numItemBlocks: how finely the factors are spread over the cluster's cores",
        ParamKind::Int {
            min: 1,
            max: Some(10_000),
        },
        log_slider(1.0, 200.0),
    )
    .advanced(),
    ParamSpec::new(
        "master",
        "master URL",
        "Where Spark runs the job: local[2] on this machine, spark://host:7077 for a standalone cluster, yarn, k8s://…",
        ParamKind::Text,
        None,
    ),
    ParamSpec::new(
        "work_dir",
        "work folder",
        "A folder the cluster can read (the hand-off and the factors go there); empty: a temporary folder on this machine",
        ParamKind::Text,
        None,
    ),
    ParamSpec::new(
        "spark_submit",
        "spark-submit",
        "The spark-submit program; empty: $SPARK_HOME/bin, the PATH, or a Python with pyspark installed",
        ParamKind::Text,
        None,
    )
    .advanced(),
    ParamSpec::new(
        "driver_memory",
        "driver memory",
        "Heap of Spark's driver JVM (--driver-memory, e.g. 4g); empty: Spark's default",
        ParamKind::Text,
        None,
    )
    .advanced(),
];

impl Hyperparams for SparkAlsParams {
    fn specs(&self) -> &'static [ParamSpec] {
        SPECS
    }

    fn title(&self) -> &'static str {
        "ALS on Spark"
    }

    fn check_more(&self, errors: &mut Vec<ParamError>) {
        if let Err(message) = check_master(&self.master) {
            errors.push(ParamError {
                field: "master",
                message,
            });
        }
        let memory = self.driver_memory.trim();
        if !memory.is_empty() && !is_memory_size(memory) {
            errors.push(ParamError {
                field: "driver_memory",
                message: format!("'{memory}' is not a size like 512m or 4g"),
            });
        }
    }

    fn text(&self, name: &str) -> Option<String> {
        match name {
            "master" => Some(self.master.clone()),
            "work_dir" => Some(self.work_dir.clone()),
            "spark_submit" => Some(self.spark_submit.clone()),
            "driver_memory" => Some(self.driver_memory.clone()),
            _ => None,
        }
    }
}

/// A master URL spark-submit takes: `local`, `local[N]`, `local[*]`,
/// `local[N,F]`, `spark://host:port[,host:port]`, `yarn`, `k8s://…`,
/// `mesos://…`.
pub fn check_master(master: &str) -> Result<(), String> {
    let m = master.trim();
    let hint = "write local[2], spark://host:7077, yarn or k8s://https://host:port";
    if m.is_empty() {
        return Err(format!("is empty: {hint}"));
    }
    if m == "local" || m == "yarn" {
        return Ok(());
    }
    if let Some(inner) = m.strip_prefix("local[").and_then(|r| r.strip_suffix(']')) {
        let ok = inner.split(',').enumerate().all(|(i, part)| {
            (i == 0 && part == "*") || part.parse::<u32>().is_ok_and(|n| n > 0 || i > 0)
        });
        return if ok && inner.split(',').count() <= 2 {
            Ok(())
        } else {
            Err(format!("'{m}': local[N] needs a thread count (N ≥ 1 or *)"))
        };
    }
    if let Some(hosts) = m.strip_prefix("spark://") {
        let ok = !hosts.is_empty()
            && hosts.split(',').all(|h| {
                h.rsplit_once(':')
                    .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok())
            });
        return if ok {
            Ok(())
        } else {
            Err(format!("'{m}': a standalone master is spark://host:port"))
        };
    }
    if m.starts_with("k8s://") || m.starts_with("mesos://") {
        return Ok(());
    }
    Err(format!("'{m}' is not a Spark master: {hint}"))
}

fn is_memory_size(text: &str) -> bool {
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &text[digits.len()..].to_ascii_lowercase();
    !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit())
        && ["", "k", "m", "g", "t", "kb", "mb", "gb", "tb"].contains(&unit.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masters_spark_submit_takes_pass_and_others_say_what_to_write() {
        for ok in [
            "local",
            "local[2]",
            "local[*]",
            "local[4,2]",
            "spark://head:7077",
            "spark://a:7077,b:7077",
            "yarn",
            "k8s://https://10.0.0.1:6443",
        ] {
            assert_eq!(check_master(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "local[0]",
            "local[x]",
            "spark://head",
            "hdfs://x",
            "lokal",
        ] {
            let e = check_master(bad).unwrap_err();
            assert!(e.contains("local[") || e.contains("spark://"), "{bad}: {e}");
        }
    }

    #[test]
    fn bad_master_and_memory_are_one_error_each() {
        let p = SparkAlsParams {
            master: "cluster".into(),
            driver_memory: "lots".into(),
            factors: 0,
            ..Default::default()
        };
        let fields: Vec<&str> = p.check().unwrap_err().iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["factors", "master", "driver_memory"]);
        assert!(SparkAlsParams::default().check().is_ok());
    }

    #[test]
    fn mllib_names_reach_the_same_parameters() {
        let mut p = SparkAlsParams::default();
        p.set("rank", &serde_json::json!(16)).unwrap();
        p.set("max_iter", &serde_json::json!(3)).unwrap();
        p.set("master", &serde_json::json!("local[4]")).unwrap();
        assert_eq!(
            (p.factors, p.iterations, p.master.as_str()),
            (16, 3, "local[4]")
        );
    }
}

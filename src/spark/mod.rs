//! ALS on Apache Spark: when the log outgrows one machine, shoplens hands
//! the heavy step — MLlib's implicit ALS — to the engine large shops
//! already run, and brings the factors back so that evaluation, the
//! explorer with its reasons, exports, runs and workspaces work as for a
//! local model.
//!
//! The route, all on the recommender's worker:
//! 1. [`handoff`] writes the train split as Parquet partitioned by day
//!    (`user_idx`, `item_idx` as i32, `weight`), the id maps and `job.json`;
//! 2. [`environment`] finds Java and `spark-submit` (Spark's own, or a pip
//!    `pyspark`) and checks that the master answers;
//! 3. [`submit`] runs the shipped job (`assets/spark/shoplens_als.py`) with
//!    `spark-submit`, follows its status lines and log, and kills the
//!    application on cancel;
//! 4. [`factors`] reads `user_factors/` and `item_factors/` back (polars)
//!    into an ALS model with the same id maps ([`als`]).
//!
//! The entry point is [`task::run`]; the Recommend tab, `shoplens spark als`,
//! `shoplens recommend --model spark-als` and sweeps all reach it through the
//! recommender pipeline, as the model `spark-als`.

pub mod als;
pub mod environment;
pub mod factors;
pub mod handoff;
pub mod params;
pub mod submit;
pub mod task;

/// The job script shoplens ships and submits.
pub const JOB_SCRIPT: &str = include_str!("../../assets/spark/shoplens_als.py");
/// Its file name in the work folder.
pub const JOB_SCRIPT_NAME: &str = "shoplens_als.py";

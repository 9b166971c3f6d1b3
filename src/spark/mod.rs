//! The Apache Spark engine, a leaf that knows no recommender: it writes a
//! hand-off folder of events ([`handoff`]), finds Java and `spark-submit`
//! and checks the master ([`environment`]), runs the shipped MLlib job and
//! follows it ([`submit`]), and reads the factors back ([`factors`]). The
//! recommender model that uses it, ALS on Spark (`spark-als`), is
//! `recsys::models::spark_als`: it goes through the recommender pipeline
//! like any model, only its fit runs in Spark, so the run is evaluated by
//! shoplens' evaluator on shoplens' split.

pub mod environment;
pub mod factors;
pub mod handoff;
pub mod submit;

/// The job script shoplens ships and submits.
pub const JOB_SCRIPT: &str = include_str!("../../assets/spark/shoplens_als.py");
/// Its file name in the work folder.
pub const JOB_SCRIPT_NAME: &str = "shoplens_als.py";

//! The entry point of ALS on Spark. A [`SparkAlsRequest`] is a recommender
//! request whose model is `spark-als`: it goes through the same pipeline
//! (fingerprint → interaction matrix → split → fit → evaluate → record),
//! and only the fit runs elsewhere ([`super::als::fit`]), so the run is
//! evaluated by shoplens' evaluator on shoplens' split and recorded with the
//! engine that trained it.

use std::sync::Arc;

use super::params::SparkAlsParams;
use crate::data::Dataset;
use crate::recsys::matrix::MatrixOptions;
use crate::recsys::params::{ModelParams, TrainOptions};
use crate::recsys::split::Split;
use crate::recsys::task::RecommendRequest;
use crate::runs::RunOutcome;
use crate::task::Reporter;

/// Everything one ALS-on-Spark run needs.
#[derive(Clone)]
pub struct SparkAlsRequest {
    pub dataset: Arc<Dataset>,
    pub matrix: MatrixOptions,
    pub split: Split,
    pub params: SparkAlsParams,
    pub options: TrainOptions,
}

impl SparkAlsRequest {
    /// The recommender request it is.
    pub fn recommend(&self) -> RecommendRequest {
        RecommendRequest {
            dataset: Arc::clone(&self.dataset),
            matrix: self.matrix.clone(),
            split: self.split.clone(),
            params: ModelParams::SparkAls(self.params.clone()),
            options: self.options.clone(),
        }
    }
}

/// Hand the training to Spark, bring the factors back, evaluate and record.
pub fn run(request: &SparkAlsRequest, reporter: &Reporter) -> RunOutcome {
    crate::recsys::task::run(&request.recommend(), reporter)
}

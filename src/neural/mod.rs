//! The small neural engine under the deep sequential recommenders: candle's
//! tensors, autograd and AdamW on the CPU, with the layers whose fused candle
//! kernels have no backward pass rebuilt from primitive operations.
//!
//! Why candle: a pure-Rust CPU engine with reverse-mode autograd, embeddings
//! and AdamW, whose matrix products run on `gemm` (already in our tree through
//! faer). Its fused layer-norm, RMS-norm and last-dimension softmax kernels
//! compute no gradient (candle issues 2168, 3011, 3752): a model built on them trains
//! only the layers after them, with no error. Nothing here calls them, and the
//! tests check that every parameter learns and that gradients match finite
//! differences.

pub mod layers;

pub use candle_core::{DType, Device, Tensor, Var, D};

/// Errors of the engine, in words for a run's message.
pub fn describe(e: candle_core::Error) -> String {
    format!("neural engine: {e}")
}

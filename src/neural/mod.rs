//! The small neural engine under the deep sequential recommenders: candle's
//! tensors, autograd and AdamW on the CPU, with the layers whose fused candle
//! kernels have no backward pass rebuilt from primitive operations, and the
//! training loop over item sequences that both the customer recommenders
//! and the session models use.
//!
//! Why candle: a pure-Rust CPU engine with reverse-mode autograd, embeddings
//! and AdamW, whose matrix products run on `gemm` (already in our tree through
//! faer). Its fused layer-norm, RMS-norm and last-dimension softmax kernels
//! compute no gradient (candle issues 2168, 3011, 3752): a model built on them trains
//! only the layers after them, with no error. Nothing here calls them, and the
//! tests check that every parameter learns and that gradients match finite
//! differences.

pub mod gru4rec;
pub mod layers;
pub mod logits;
pub mod losses;
pub mod params;
pub mod read;
pub mod recipe;
pub mod sasrec;
pub mod train;
pub mod validation;
pub mod weights;

pub use candle_core::{DType, Device, Tensor, Var, D};

/// Keep the engine's large, short-lived buffers in the heap. Candle
/// allocates a fresh buffer for every operation's result; above glibc's
/// default threshold each one is a new memory mapping whose pages fault in
/// and are unmapped again, which took 40% of a SASRec epoch's time (measured
/// on MovieLens-100K: 14.1 s → 8.7 s for three epochs, system time 9.7 s →
/// 0.7 s). Called once before training; it affects only where glibc puts
/// allocations of up to 256 MB, and keeps up to 512 MB of freed heap.
pub fn prepare_allocator() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: mallopt only changes glibc's allocation thresholds.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 256 << 20);
            libc::mallopt(libc::M_TRIM_THRESHOLD, 512 << 20);
        }
    });
}

/// Errors of the engine, in words for a run's message.
pub fn describe(e: candle_core::Error) -> String {
    format!("neural engine: {e}")
}

/// A network that reads left-padded item sequences (ids from 1, 0 is
/// padding) and gives a hidden state per position, scored against a shared
/// item embedding table: what the sequential recommenders train.
pub trait SequenceNet: Send + Sync {
    fn weights(&self) -> &weights::Weights;
    /// Which network it is, and its shape.
    fn network(&self) -> Network;
    /// The item embeddings, the padding's row first: (items + 1, dim).
    fn item_embeddings(&self) -> &Var;
    /// (batch × l, dim) for `batch` sequences of `l` = ids / batch ≤ L ids.
    fn hidden(
        &self,
        ids: &[u32],
        batch: usize,
        train: Option<layers::Dropout>,
    ) -> candle_core::Result<Tensor>;

    fn dim(&self) -> usize {
        self.network().dim()
    }

    /// L: the newest items a sequence is cut to.
    fn max_len(&self) -> usize {
        self.network().max_len()
    }

    /// The item embeddings without the padding row: (items, dim).
    fn item_table(&self) -> candle_core::Result<Tensor> {
        self.item_embeddings()
            .as_tensor()
            .narrow(0, 1, self.network().items())
    }

    /// [`Self::item_table`] row-major, as plain numbers.
    fn item_table_values(&self) -> candle_core::Result<Vec<f32>> {
        self.item_table()?.flatten_all()?.to_vec1()
    }

    /// The embedding rows of `ids` (1-based).
    fn item_rows(&self, ids: &Tensor) -> candle_core::Result<Tensor> {
        self.item_embeddings().as_tensor().index_select(ids, 0)
    }
}

/// Which network, and its shape: enough to build it again and load saved
/// weights into it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Network {
    SasRec(sasrec::SasRecShape),
    Gru4Rec(gru4rec::GruShape),
}

impl Network {
    pub fn build(
        &self,
        rng: &mut rand_xoshiro::Xoshiro256PlusPlus,
    ) -> candle_core::Result<Box<dyn SequenceNet>> {
        Ok(match self {
            Network::SasRec(s) => Box::new(sasrec::SasRecNet::new(*s, rng)?),
            Network::Gru4Rec(s) => Box::new(gru4rec::Gru4RecNet::new(*s, rng)?),
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Network::SasRec(_) => "SASRec",
            Network::Gru4Rec(_) => "GRU4Rec",
        }
    }

    pub fn items(&self) -> usize {
        match self {
            Network::SasRec(s) => s.items,
            Network::Gru4Rec(s) => s.items,
        }
    }

    pub fn dim(&self) -> usize {
        match self {
            Network::SasRec(s) => s.dim,
            Network::Gru4Rec(s) => s.dim,
        }
    }

    pub fn max_len(&self) -> usize {
        match self {
            Network::SasRec(s) => s.max_len,
            Network::Gru4Rec(s) => s.max_len,
        }
    }
}

/// Run `net` on `batch` sequences `ids` with dropout, take the
/// cross-entropy against `targets` over every item, and check that each
/// parameter gets a finite, non-zero gradient from it (a layer cut off
/// from the loss would get none).
#[cfg(test)]
pub fn assert_every_parameter_learns(
    net: &dyn SequenceNet,
    ids: &[u32],
    batch: usize,
    targets: &[u32],
) {
    let mut rng = layers::seeded(3);
    let dropout = layers::Dropout {
        rate: 0.1,
        embedding: 0.1,
        rng: &mut rng,
    };
    let hidden = net.hidden(ids, batch, Some(dropout)).unwrap();
    let logits = hidden
        .matmul(&net.item_table().unwrap().t().unwrap())
        .unwrap();
    let targets = Tensor::new(targets, &Device::Cpu).unwrap();
    let loss = candle_nn::loss::cross_entropy(&logits, &targets).unwrap();
    let grads = loss.backward().unwrap();
    for var in net.weights().vars() {
        let g = grads
            .get(var.as_tensor())
            .expect("a gradient for every parameter");
        let norm = g
            .sqr()
            .unwrap()
            .sum_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(norm > 0.0 && norm.is_finite());
    }
}

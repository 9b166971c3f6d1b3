//! Reading sequences through a trained network: the state after each one
//! (what scores the next item), and how much each item read matters.

use super::sasrec::{batch_len, pad_left};
use super::train::{engine, TrainHooks};
use super::SequenceNet;
use crate::task::TaskError;

/// Sequences run through the network at once when scoring.
pub const ENCODE_BATCH: usize = 512;

/// The network's state after reading each sequence (zero for an empty one):
/// `sequences.len() × dim` values.
pub fn encode(
    net: &dyn SequenceNet,
    sequences: &[&[u32]],
    ctx: &TrainHooks,
) -> Result<Vec<f32>, TaskError> {
    let d = net.dim();
    let mut out = vec![0f32; sequences.len() * d];
    // Shortest first, so each batch pads to little more than its own length.
    let mut order: Vec<usize> = (0..sequences.len())
        .filter(|&u| !sequences[u].is_empty())
        .collect();
    order.sort_by_key(|&u| sequences[u].len());
    for chunk in order.chunks(ENCODE_BATCH) {
        ctx.check()?;
        let reads: Vec<&[u32]> = chunk.iter().map(|&u| sequences[u]).collect();
        let last = last_states(net, &reads).map_err(engine)?;
        for (r, &u) in chunk.iter().enumerate() {
            out[u * d..(u + 1) * d].copy_from_slice(&last[r * d..(r + 1) * d]);
        }
    }
    Ok(out)
}

/// The hidden state at the last position of each (non-empty) sequence,
/// row-major.
pub fn last_states(net: &dyn SequenceNet, sequences: &[&[u32]]) -> candle_core::Result<Vec<f32>> {
    let d = net.dim();
    let l = batch_len(sequences, net.max_len());
    let ids = pad_left(sequences, l);
    net.hidden(&ids, sequences.len(), None)?
        .reshape((sequences.len(), l, d))?
        .narrow(1, l - 1, 1)?
        .flatten_all()?
        .to_vec1()
}

/// How much each item of `seq` raises the score of the item whose embedding
/// is `target`: the score after reading the whole sequence (its newest L
/// items) minus the score with that one item left out (summed over its
/// occurrences), largest first, positive ones only.
pub fn influence(
    net: &dyn SequenceNet,
    target: &[f32],
    seq: &[u32],
    n: usize,
) -> Result<Vec<(u32, f32)>, String> {
    let seq = &seq[seq.len().saturating_sub(net.max_len())..];
    if seq.is_empty() {
        return Ok(Vec::new());
    }
    let without: Vec<Vec<u32>> = (0..seq.len())
        .map(|j| {
            seq.iter()
                .enumerate()
                .filter(|&(i, _)| i != j)
                .map(|(_, &x)| x)
                .collect()
        })
        .collect();
    let mut reads: Vec<&[u32]> = vec![seq];
    reads.extend(without.iter().map(Vec::as_slice).filter(|s| !s.is_empty()));
    let states = last_states(net, &reads).map_err(|e| e.to_string())?;
    let d = net.dim();
    let score = |r: usize| -> f32 {
        states[r * d..(r + 1) * d]
            .iter()
            .zip(target)
            .map(|(a, b)| a * b)
            .sum()
    };
    let full = score(0);
    let mut pairs: Vec<(u32, f32)> = Vec::new();
    for (j, &x) in seq.iter().enumerate() {
        // A one-item sequence left out leaves nothing to read: its
        // influence is its whole score.
        let rest = if reads.len() > j + 1 {
            score(j + 1)
        } else {
            0.0
        };
        match pairs.iter_mut().find(|(i, _)| *i == x) {
            Some(p) => p.1 += full - rest,
            None => pairs.push((x, full - rest)),
        }
    }
    pairs.retain(|p| p.1 > 0.0);
    // Largest first; equal influence in reading order.
    pairs.sort_by(|a, b| b.1.total_cmp(&a.1));
    pairs.truncate(n);
    Ok(pairs)
}

//! `shoplens generate`: write a synthetic store.

use std::path::PathBuf;

use clap::Args;

use crate::data::generate::{generate, GenerateParams};

#[derive(Args, Debug)]
pub struct GenerateArgs {
    #[arg(long, default_value_t = 2_000)]
    pub users: usize,
    #[arg(long, default_value_t = 300)]
    pub items: usize,
    #[arg(long, default_value_t = 60_000)]
    pub events: usize,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// The folder to write the store into (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Where to write item pictures (default OUT/images).
    #[arg(long)]
    pub image_dir: Option<PathBuf>,
    /// Print one JSON object (for scripts) instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &GenerateArgs) -> Result<(), String> {
    let params = GenerateParams {
        users: args.users,
        items: args.items,
        events: args.events,
        seed: args.seed,
        out: args.out.clone(),
        image_dir: args.image_dir.clone(),
    };
    let start = std::time::Instant::now();
    let summary = generate(&params, &|_, _| {})?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&summary).map_err(|e| e.to_string())?
        );
    } else {
        println!(
            "wrote {} events ({} purchases), {} items, {} reviews, {} pictures to {} in {:.1}s",
            summary.events,
            summary.purchases,
            summary.items,
            summary.reviews,
            summary.images,
            args.out.display(),
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

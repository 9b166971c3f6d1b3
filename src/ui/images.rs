//! Item pictures: decoded on a small pool of worker threads (at most
//! [`DECODERS`] pictures at a time, however many the list asks for), uploaded
//! as textures on the UI thread.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use eframe::egui;

use crate::data::catalogue::Catalogue;

/// Decoding threads.
const DECODERS: usize = 2;
/// Pictures waiting to be uploaded at most; decoders wait when it is full.
const QUEUE: usize = 64;
/// Side of a thumbnail in points.
const THUMB: f32 = 32.0;

type Decoded = (PathBuf, Option<egui::ColorImage>);

#[derive(Default)]
pub(crate) struct ImageCache {
    textures: HashMap<PathBuf, egui::TextureHandle>,
    requested: HashSet<PathBuf>,
    pool: Option<(rayon::ThreadPool, SyncSender<Decoded>, Receiver<Decoded>)>,
    decoded: Vec<(PathBuf, egui::ColorImage)>,
}

impl ImageCache {
    fn pool(&mut self) -> Option<&(rayon::ThreadPool, SyncSender<Decoded>, Receiver<Decoded>)> {
        if self.pool.is_none() {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(DECODERS)
                .thread_name(|i| format!("shoplens-image-{i}"))
                .build();
            match pool {
                Ok(pool) => {
                    let (tx, rx) = sync_channel(QUEUE);
                    self.pool = Some((pool, tx, rx));
                }
                Err(e) => log::warn!("no picture decoders: {e}"),
            }
        }
        self.pool.as_ref()
    }

    /// Take the pictures decoded since the last frame.
    fn collect(&mut self) {
        if let Some((_, _, rx)) = &self.pool {
            while let Ok((path, image)) = rx.try_recv() {
                if let Some(image) = image {
                    self.decoded.push((path, image));
                }
            }
        }
    }

    /// A thumbnail of `item`'s picture, or the space for it while it decodes.
    pub fn thumbnail_ui(&mut self, ui: &mut egui::Ui, catalogue: Option<&Catalogue>, item: &str) {
        let Some(path) = catalogue
            .and_then(|c| c.get(item))
            .and_then(|e| e.image.clone())
        else {
            return;
        };
        self.collect();
        if let Some(pos) = self.decoded.iter().position(|(p, _)| *p == path) {
            let (p, image) = self.decoded.swap_remove(pos);
            let texture =
                ui.ctx()
                    .load_texture(p.display().to_string(), image, egui::TextureOptions::LINEAR);
            self.textures.insert(p, texture);
        }
        if let Some(texture) = self.textures.get(&path) {
            ui.add(egui::Image::new(texture).fit_to_exact_size(egui::vec2(THUMB, THUMB)));
            return;
        }
        if !self.requested.contains(&path) {
            let ctx = ui.ctx().clone();
            if let Some((pool, tx, _)) = self.pool() {
                let tx = tx.clone();
                let wanted = path.clone();
                pool.spawn(move || {
                    let image = image::open(&wanted).ok().map(|img| {
                        let rgba = img.thumbnail(64, 64).to_rgba8();
                        egui::ColorImage::from_rgba_unmultiplied(
                            [rgba.width() as usize, rgba.height() as usize],
                            rgba.as_raw(),
                        )
                    });
                    let _ = tx.send((wanted, image));
                    ctx.request_repaint();
                });
                self.requested.insert(path);
            }
        }
        ui.add_space(THUMB + 4.0);
    }
}

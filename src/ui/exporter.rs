//! "Save PNG…" under every chart and "Save CSV…" beside every table.
//!
//! Buttons only leave a request in the egui context; the app's [`Exporter`]
//! picks it up, asks for a file name in a native dialog on its own thread,
//! then (PNG) asks the renderer for a screenshot, or (CSV) takes the table,
//! and hands the writing to the workbench's job registry as a
//! [`Command::WriteFile`]: cropping, encoding and writing run off the UI
//! thread, and files are written atomically.

use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver, Sender, TryRecvError};
use std::sync::Arc;

use eframe::egui;

use super::AppCommand;
use crate::workbench::{Command, ExportJob, JobKind};

/// Writing a chart or table the UI prepared.
pub(crate) const JOB: JobKind = JobKind::Export("file");

/// The command that writes a prepared file on a worker.
fn write_file(work: impl FnOnce() -> Result<String, String> + Send + 'static) -> AppCommand {
    let job = ExportJob::new(JOB, false, move |_, _| {
        work().map_err(crate::task::TaskError::Input)
    });
    AppCommand::Bench(Box::new(Command::Export(job)))
}

const PNG_REQUEST: &str = "shoplens_png_request";
const CSV_REQUEST: &str = "shoplens_csv_request";

#[derive(Clone)]
struct PngRequest {
    name: String,
    /// The chart's rectangle in points, and the scale when it was clicked.
    rect: egui::Rect,
    pixels_per_point: f32,
}

impl Default for PngRequest {
    fn default() -> Self {
        Self {
            name: String::new(),
            rect: egui::Rect::NOTHING,
            pixels_per_point: 1.0,
        }
    }
}

#[derive(Clone, Default)]
struct CsvRequest {
    name: String,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

enum Pending {
    Png(PngRequest),
    Csv(CsvRequest),
}

/// A "Save PNG…" button for the chart drawn in `rect` (the plot response's
/// rect), placed right after the plot. The image also takes in the axis
/// labels drawn left of and below the plot area.
pub fn png_button(ui: &mut egui::Ui, rect: egui::Rect, name: &str) {
    let rect = egui::Rect::from_min_max(
        egui::pos2(ui.min_rect().left().min(rect.left()), rect.top()),
        egui::pos2(rect.right(), ui.cursor().top().max(rect.bottom())),
    );
    let clicked = ui
        .horizontal(|ui| {
            ui.small_button("Save PNG…")
                .on_hover_text("Save this chart as a PNG image, as shown")
                .clicked()
        })
        .inner;
    if clicked {
        let request = PngRequest {
            name: name.to_owned(),
            rect,
            pixels_per_point: ui.ctx().pixels_per_point(),
        };
        ui.ctx()
            .data_mut(|d| d.insert_temp(egui::Id::unique(PNG_REQUEST), request));
    }
}

/// A "Save CSV…" button; `table` builds the header and rows only when clicked.
pub fn csv_button(
    ui: &mut egui::Ui,
    name: &str,
    table: impl FnOnce() -> (Vec<String>, Vec<Vec<String>>),
) {
    let clicked = ui
        .horizontal(|ui| {
            ui.small_button("Save CSV…")
                .on_hover_text("Save this table as a CSV file")
                .clicked()
        })
        .inner;
    if clicked {
        let (headers, rows) = table();
        let request = CsvRequest {
            name: name.to_owned(),
            headers,
            rows,
        };
        ui.ctx()
            .data_mut(|d| d.insert_temp(egui::Id::unique(CSV_REQUEST), request));
    }
}

/// A screenshot taken for a chart export, and where it goes.
type Shot = (Arc<egui::ColorImage>, PngRequest, PathBuf);

/// Turns export requests into file writes; one per app.
#[derive(Default)]
pub struct Exporter {
    dialog: Option<(Pending, Receiver<Option<PathBuf>>)>,
    shots: Option<(Sender<Shot>, Receiver<Shot>)>,
    /// When set, files go to this folder without a dialog (tests, scripts).
    pub folder: Option<PathBuf>,
}

impl Exporter {
    /// Call once per frame: the write to start, when one is ready.
    pub fn poll(&mut self, ctx: &egui::Context) -> Option<AppCommand> {
        let png = ctx.data_mut(|d| d.remove_temp::<PngRequest>(egui::Id::unique(PNG_REQUEST)));
        let csv = ctx.data_mut(|d| d.remove_temp::<CsvRequest>(egui::Id::unique(CSV_REQUEST)));
        let mut ready = None;
        if let Some(r) = png {
            ready = self.ask_path(ctx, Pending::Png(r));
        } else if let Some(r) = csv {
            ready = self.ask_path(ctx, Pending::Csv(r));
        }
        if let Some((_, rx)) = &self.dialog {
            match rx.try_recv() {
                Ok(Some(path)) => {
                    if let Some((pending, _)) = self.dialog.take() {
                        ready = ready.or(self.write(ctx, pending, path));
                    }
                }
                Ok(None) | Err(TryRecvError::Disconnected) => self.dialog = None,
                Err(TryRecvError::Empty) => {}
            }
        }
        if let Some((_, rx)) = &self.shots {
            if let Ok((image, request, path)) = rx.try_recv() {
                let work = move || {
                    let (png, w, h) = crop_png(&image, request.rect, request.pixels_per_point)?;
                    crate::export::write_atomic(&path, &png)?;
                    Ok(format!("Saved a {w}×{h} chart to {}", path.display()))
                };
                return Some(write_file(work));
            }
        }
        ready
    }

    /// A save dialog is open.
    pub fn is_busy(&self) -> bool {
        self.dialog.is_some()
    }

    fn ask_path(&mut self, ctx: &egui::Context, pending: Pending) -> Option<AppCommand> {
        let (name, ext) = match &pending {
            Pending::Png(r) => (r.name.clone(), "png"),
            Pending::Csv(r) => (r.name.clone(), "csv"),
        };
        let file_name = format!("{}.{ext}", sanitize(&name));
        if let Some(folder) = &self.folder {
            let path = folder.join(file_name);
            return self.write(ctx, pending, path);
        }
        if self.dialog.is_some() {
            return None; // one dialog at a time
        }
        let dialog = rfd::FileDialog::new()
            .set_title("Save as")
            .set_file_name(&file_name)
            .add_filter(ext.to_uppercase(), &[ext]);
        match super::dialogs::ask(ctx, true, dialog) {
            Ok(rx) => self.dialog = Some((pending, rx)),
            Err(e) => log::warn!("{e}"),
        }
        None
    }

    fn write(
        &mut self,
        ctx: &egui::Context,
        pending: Pending,
        path: PathBuf,
    ) -> Option<AppCommand> {
        match pending {
            Pending::Csv(r) => {
                let work = move || {
                    crate::export::write_csv(&path, &r.headers, &r.rows)
                        .map(|n| format!("Saved {n} rows to {}", path.display()))
                };
                Some(write_file(work))
            }
            Pending::Png(r) => {
                let tx = self.shots.get_or_insert_with(channel).0.clone();
                let repaint = ctx.clone();
                // The callback runs in the renderer; the app picks the image up.
                ctx.request_screenshot(move |image| {
                    let _ = tx.send((image, r, path));
                    repaint.request_repaint();
                });
                None
            }
        }
    }
}

/// The part of a screenshot under `rect` (points), encoded as PNG; returns
/// the bytes and the size in pixels.
pub fn crop_png(
    image: &egui::ColorImage,
    rect: egui::Rect,
    pixels_per_point: f32,
) -> Result<(Vec<u8>, u32, u32), String> {
    let [w, h] = image.size;
    let px = |v: f32, max: usize| ((v * pixels_per_point).round().max(0.0) as usize).min(max);
    let (x0, x1) = (px(rect.min.x, w), px(rect.max.x, w));
    let (y0, y1) = (px(rect.min.y, h), px(rect.max.y, h));
    if x1 <= x0 || y1 <= y0 {
        return Err("the chart is not on screen; scroll it into view and try again".into());
    }
    let mut rgba = Vec::with_capacity((x1 - x0) * (y1 - y0) * 4);
    for y in y0..y1 {
        for x in x0..x1 {
            rgba.extend_from_slice(&image.pixels[y * w + x].to_srgba_unmultiplied());
        }
    }
    let (cw, ch) = ((x1 - x0) as u32, (y1 - y0) as u32);
    let buffer = image::RgbaImage::from_raw(cw, ch, rgba)
        .ok_or_else(|| "internal error: image size mismatch".to_owned())?;
    let mut png = Vec::new();
    buffer
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| format!("could not encode the PNG: {e}"))?;
    Ok((png, cw, ch))
}

/// A file-name-safe version of a chart or table name.
fn sanitize(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() {
        "export".into()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crops_the_chart_rect_at_the_pixel_scale() {
        // 4×2 image: left half red, right half blue; crop the right half at 2 px/pt.
        let mut img = egui::ColorImage::filled([4, 2], egui::Color32::RED);
        for y in 0..2 {
            for x in 2..4 {
                img.pixels[y * 4 + x] = egui::Color32::BLUE;
            }
        }
        let rect = egui::Rect::from_min_max(egui::pos2(1.0, 0.0), egui::pos2(2.0, 1.0));
        let (png, w, h) = crop_png(&img, rect, 2.0).unwrap();
        assert_eq!((w, h), (2, 2));
        let decoded = image::load_from_memory(&png).unwrap().to_rgba8();
        assert!(decoded.pixels().all(|p| p.0 == [0, 0, 255, 255]));
        let off = egui::Rect::from_min_max(egui::pos2(10.0, 10.0), egui::pos2(20.0, 20.0));
        assert!(crop_png(&img, off, 1.0).is_err());
        assert_eq!(sanitize("loss curve #3"), "loss_curve__3");
    }
}

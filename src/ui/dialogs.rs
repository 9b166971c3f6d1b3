//! Native file dialogs on their own threads (a synchronous dialog would
//! block the UI). rfd uses the desktop portal or zenity; with neither, the
//! dialog answers "nothing picked" and the path box and drag-and-drop still
//! work.

use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, Receiver, TryRecvError};

use eframe::egui;

use super::AppCommand;
use crate::workbench::Command;
use crate::workspace::EXTENSION;

/// What the picked path is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Purpose {
    OpenData,
    OpenWorkspace,
    SaveWorkspace,
}

/// At most one open dialog.
#[derive(Default)]
pub(crate) struct Dialogs {
    open: Option<(Purpose, Receiver<Option<PathBuf>>)>,
}

/// Ask for a path with `dialog` on a thread; `None` when the user cancels.
pub fn ask(
    ctx: &egui::Context,
    save: bool,
    dialog: rfd::FileDialog,
) -> Result<Receiver<Option<PathBuf>>, String> {
    ask_with(ctx, move || {
        if save {
            dialog.save_file()
        } else {
            dialog.pick_file()
        }
    })
}

/// Ask for a folder with `dialog` on a thread; `None` when the user cancels.
pub fn ask_folder(
    ctx: &egui::Context,
    dialog: rfd::FileDialog,
) -> Result<Receiver<Option<PathBuf>>, String> {
    ask_with(ctx, move || dialog.pick_folder())
}

fn ask_with(
    ctx: &egui::Context,
    pick: impl FnOnce() -> Option<PathBuf> + Send + 'static,
) -> Result<Receiver<Option<PathBuf>>, String> {
    let (tx, rx) = sync_channel(1);
    let ctx = ctx.clone();
    std::thread::Builder::new()
        .name("shoplens-dialog".into())
        .spawn(move || {
            let _ = tx.send(pick());
            ctx.request_repaint();
        })
        .map_err(|e| format!("could not open the file dialog: {e}"))?;
    Ok(rx)
}

impl Dialogs {
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    fn show(&mut self, ctx: &egui::Context, purpose: Purpose) {
        if self.open.is_some() {
            return;
        }
        let (save, dialog) = match purpose {
            Purpose::OpenData => (
                false,
                rfd::FileDialog::new()
                    .set_title("Open store data")
                    .add_filter(
                        "Store data",
                        &[
                            "csv", "tsv", "txt", "gz", "json", "jsonl", "parquet", "data",
                        ],
                    )
                    .add_filter("All files", &["*"]),
            ),
            Purpose::OpenWorkspace => (
                false,
                rfd::FileDialog::new()
                    .set_title("Open workspace")
                    .add_filter("shoplens workspace", &[EXTENSION]),
            ),
            Purpose::SaveWorkspace => (
                true,
                rfd::FileDialog::new()
                    .set_title("Save workspace")
                    .set_file_name("workspace.shoplens")
                    .add_filter("shoplens workspace", &[EXTENSION]),
            ),
        };
        match ask(ctx, save, dialog) {
            Ok(rx) => self.open = Some((purpose, rx)),
            Err(e) => log::warn!("{e}"),
        }
    }

    pub fn open_data(&mut self, ctx: &egui::Context) {
        self.show(ctx, Purpose::OpenData);
    }

    pub fn open_workspace(&mut self, ctx: &egui::Context) {
        self.show(ctx, Purpose::OpenWorkspace);
    }

    pub fn save_workspace(&mut self, ctx: &egui::Context) {
        self.show(ctx, Purpose::SaveWorkspace);
    }

    /// The command for a path the user picked, once the dialog answered.
    pub fn poll(&mut self) -> Vec<AppCommand> {
        let Some((purpose, rx)) = &self.open else {
            return Vec::new();
        };
        let purpose = *purpose;
        let picked = match rx.try_recv() {
            Ok(picked) => picked,
            Err(TryRecvError::Empty) => return Vec::new(),
            Err(TryRecvError::Disconnected) => None,
        };
        self.open = None;
        let Some(path) = picked else {
            return Vec::new();
        };
        let command = match purpose {
            Purpose::OpenData => Command::OpenFile(path),
            Purpose::OpenWorkspace => Command::OpenWorkspace {
                path,
                load_data: true,
            },
            Purpose::SaveWorkspace => Command::SaveWorkspace(if path.extension().is_none() {
                path.with_extension(EXTENSION)
            } else {
                path
            }),
        };
        vec![AppCommand::Bench(Box::new(command))]
    }
}

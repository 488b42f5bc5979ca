//! The desktop's own folder picker, where it offers one (the XDG portal, or
//! zenity), on a thread of its own so the window keeps drawing while it is
//! open. Without either, the folder field in the top bar is the way.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, TryRecvError};

/// A folder picker that is open, or has just closed.
#[derive(Debug)]
pub struct FolderDialog {
    receiver: Receiver<Option<PathBuf>>,
}

/// What became of the picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Picked {
    StillOpen,
    Folder(PathBuf),
    /// Cancelled, or no picker could be shown: the desktop does not say which.
    Nothing,
}

impl FolderDialog {
    /// Opens the picker at `start`.
    pub fn open(start: &Path) -> FolderDialog {
        let (sender, receiver) = mpsc::channel();
        let start = start.to_path_buf();
        let spawned = std::thread::Builder::new().name("folder-dialog".into()).spawn(move || {
            let picked = rfd::FileDialog::new().set_title("Export to folder").set_directory(&start).pick_folder();
            let _ = sender.send(picked);
        });
        // Without a thread the sender is gone, and the next poll says Nothing.
        drop(spawned);
        FolderDialog { receiver }
    }

    pub fn poll(&self) -> Picked {
        match self.receiver.try_recv() {
            Ok(Some(folder)) => Picked::Folder(folder),
            Ok(None) | Err(TryRecvError::Disconnected) => Picked::Nothing,
            Err(TryRecvError::Empty) => Picked::StillOpen,
        }
    }
}

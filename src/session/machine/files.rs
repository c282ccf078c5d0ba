//! Turning the confirmed session into files and deliveries: render the forms into the
//! session's private work directory, hand them to the output service, delete them again.

use std::path::Path;
use std::time::Instant;

use super::super::services::{FillRequest, OutputAction};
use super::{PAD_H, PAD_W, Session, Step};

impl Session {
    pub(super) fn render(&mut self) {
        if self.attributes.is_none() {
            self.card_removed();
            return;
        }
        self.delete_work_dir();
        let dir = self.settings.work_root.join(format!("session-{}-{}", std::process::id(), self.sessions_started));
        if let Err(e) = make_private_dir(&dir) {
            self.message = Some(format!("作業用フォルダを作れませんでした。職員にお声がけください。({})", e.kind()));
            return;
        }
        self.work_dir = Some(dir.clone());
        let png = match self.signature.to_png(PAD_W, PAD_H, 6.0) {
            Ok(p) => p,
            Err(_) => {
                self.message = Some("署名を画像にできませんでした。もう一度書いてください。".into());
                return;
            }
        };
        let Some(attrs) = self.attributes.as_ref() else { return };
        let req = FillRequest {
            procedures: &self.selected,
            attributes: attrs,
            my_number: self.my_number.as_ref(),
            answers: &self.answers,
            signature_png: &png,
            work_dir: &dir,
        };
        match self.forms.render(&req) {
            Ok(forms) => {
                self.rendered = forms;
                self.message = None;
            }
            Err(e) => {
                self.rendered.clear();
                self.message = Some(e.message_ja());
            }
        }
        self.step = Step::Confirm;
    }

    pub(super) fn deliver(&mut self, action: OutputAction, now: Instant) {
        let allowed = match action {
            OutputAction::Print => self.output.can_print(),
            OutputAction::Send => self.output.can_send(),
        };
        if !allowed {
            return;
        }
        if self.rendered.is_empty() {
            self.message = Some("作成された書類がありません。職員にお声がけください。".into());
            self.step = Step::Output;
            return;
        }
        match self.output.deliver(&self.rendered, action) {
            Ok(r) => {
                self.receipt = Some(r);
                self.message = None;
                self.step = Step::Done;
                self.entered_done = now;
            }
            Err(e) => {
                self.message = Some(e.message_ja());
                self.step = Step::Output;
            }
        }
    }

    pub(super) fn delete_work_dir(&mut self) {
        if let Some(d) = self.work_dir.take()
            && let Err(e) = std::fs::remove_dir_all(&d)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            // Nothing personal in the path: it is session-<pid>-<n>.
            eprintln!("madoguchi: could not delete {} ({e}) / 作業ファイルを削除できませんでした", d.display());
        }
    }
}

fn make_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

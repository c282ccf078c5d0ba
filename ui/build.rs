// Compiles ui/app.slint. The fixed Japanese font (IPAexGothic from Debian's
// fonts-ipaexfont-gothic) is copied into OUT_DIR next to a copy of the .slint sources, so
// screenshots are deterministic and no font file is committed.
//
// Cargo reruns this script (and so recompiles the crate) when a file it watches is newer
// than the script's last run. Slint watches the staged copies, so a copy is written only
// when its content changed and always carries its source's mtime: otherwise every run
// of the script would make the next build stale again (a full LTO rebuild in release).
use std::path::{Path, PathBuf};

const FONT_CANDIDATES: &[&str] =
    &["/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf", "/usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf"];

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let ui = manifest.join("ui");
    let staged = out.join("ui");
    std::fs::create_dir_all(&staged).expect("create OUT_DIR/ui");
    for entry in std::fs::read_dir(&ui).expect("read ui/") {
        let p = entry.expect("ui/ entry").path();
        if p.extension().is_some_and(|e| e == "slint") {
            println!("cargo:rerun-if-changed={}", p.display());
            stage(&p, &staged.join(p.file_name().expect("file name")));
        }
    }
    let font = std::env::var("MADOGUCHI_UI_FONT")
        .ok()
        .or_else(|| FONT_CANDIDATES.iter().find(|p| Path::new(p).is_file()).map(|s| s.to_string()));
    println!("cargo:rerun-if-env-changed=MADOGUCHI_UI_FONT");
    let Some(font) = font else {
        panic!(
            "IPAexGothic not found. Install it: apt-get install fonts-ipaexfont-gothic \
             (or set MADOGUCHI_UI_FONT=/path/to/ipaexg.ttf) / IPAexゴシックをインストールしてください"
        );
    };
    stage(Path::new(&font), &staged.join("ipaexg.ttf"));
    let translations = ui.join("translations");
    println!("cargo:rerun-if-changed={}", translations.display());
    let config = slint_build::CompilerConfiguration::new()
        .with_debug_info(true)
        .with_bundled_translations(translations)
        .with_default_translation_context(slint_build::DefaultTranslationContext::None);
    slint_build::compile_with_config(staged.join("app.slint"), config).expect("compile ui/app.slint");
}

/// Copy `src` to `dst` unless `dst` already has that content; either way `dst` gets the
/// mtime of `src`, so a staged file is never newer than what it was staged from.
fn stage(src: &Path, dst: &Path) {
    let bytes = std::fs::read(src).unwrap_or_else(|e| panic!("read {}: {e}", src.display()));
    if std::fs::read(dst).ok().as_deref() != Some(bytes.as_slice()) {
        std::fs::write(dst, &bytes).unwrap_or_else(|e| panic!("write {}: {e}", dst.display()));
    }
    let mtime = std::fs::metadata(src).and_then(|m| m.modified()).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
    std::fs::File::options()
        .write(true)
        .open(dst)
        .and_then(|f| f.set_modified(mtime))
        .unwrap_or_else(|e| panic!("set the mtime of {}: {e}", dst.display()));
}

//! Fonts for printing: IPAex Gothic/Mincho from Debian by default, paths configurable.
//! Glyph coverage is known up front so a character the font cannot draw (外字) is an error
//! naming the field and code point instead of a blank box (tofu).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::layout::Measure;
use super::model::FontFamily;
use thiserror::Error;

pub const IPAEX_GOTHIC: &str = "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf";
pub const IPAEX_MINCHO: &str = "/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf";

#[derive(Debug, Error)]
pub enum FontError {
    #[error("cannot read font {path}: {kind} / フォントを読めません。設定のフォントパスを確認してください")]
    Io { path: PathBuf, kind: String },
    #[error("{path} is not a usable TrueType/OpenType font / フォントとして読み込めません")]
    Parse { path: PathBuf },
}

/// Where the two font families come from (TrueType/OpenType; `index` selects a face of a .ttc).
#[derive(Debug, Clone, PartialEq)]
pub struct FontsConfig {
    pub gothic: PathBuf,
    pub gothic_index: u32,
    pub mincho: PathBuf,
    pub mincho_index: u32,
}

impl Default for FontsConfig {
    fn default() -> Self {
        FontsConfig { gothic: IPAEX_GOTHIC.into(), gothic_index: 0, mincho: IPAEX_MINCHO.into(), mincho_index: 0 }
    }
}

pub(crate) struct FontData {
    pub(crate) parsed: printpdf::ParsedFont,
    /// Advance per code point, in em; also the coverage table.
    advances: HashMap<u32, f32>,
}

/// Parsed fonts, loaded once per kiosk start (parsing IPAex takes ~10 ms).
pub struct Fonts {
    pub(crate) gothic: FontData,
    pub(crate) mincho: FontData,
}

impl std::fmt::Debug for Fonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fonts")
    }
}

impl Fonts {
    pub fn load(cfg: &FontsConfig) -> Result<Fonts, FontError> {
        Ok(Fonts { gothic: load_one(&cfg.gothic, cfg.gothic_index)?, mincho: load_one(&cfg.mincho, cfg.mincho_index)? })
    }

    pub(crate) fn data(&self, fam: FontFamily) -> &FontData {
        match fam {
            FontFamily::Gothic => &self.gothic,
            FontFamily::Mincho => &self.mincho,
        }
    }

    /// Can the family draw `c`? Whitespace needs no glyph.
    pub fn covers(&self, fam: FontFamily, c: char) -> bool {
        c.is_whitespace() || self.data(fam).advances.contains_key(&(c as u32))
    }

    /// The first character of `s` the family cannot draw.
    pub fn first_missing(&self, fam: FontFamily, s: &str) -> Option<char> {
        s.chars().find(|c| !self.covers(fam, *c))
    }
}

impl Measure for Fonts {
    fn advance(&self, fam: FontFamily, c: char) -> f32 {
        self.data(fam).advances.get(&(c as u32)).copied().unwrap_or(1.0)
    }
}

fn load_one(path: &Path, index: u32) -> Result<FontData, FontError> {
    let bytes = std::fs::read(path).map_err(|e| FontError::Io { path: path.into(), kind: e.kind().to_string() })?;
    let face = ttf_parser::Face::parse(&bytes, index).map_err(|_| FontError::Parse { path: path.into() })?;
    let upem = f32::from(face.units_per_em().max(1));
    let mut advances = HashMap::new();
    if let Some(cmap) = face.tables().cmap {
        for sub in cmap.subtables {
            if !sub.is_unicode() {
                continue;
            }
            sub.codepoints(|cp| {
                if let Some(g) = sub.glyph_index(cp).filter(|g| g.0 != 0) {
                    let adv = face.glyph_hor_advance(g).map(f32::from).unwrap_or(upem);
                    advances.entry(cp).or_insert(adv / upem);
                }
            });
        }
    }
    let mut warnings = Vec::new();
    let parsed = printpdf::ParsedFont::from_bytes(&bytes, index as usize, &mut warnings)
        .ok_or_else(|| FontError::Parse { path: path.into() })?;
    Ok(FontData { parsed, advances })
}

//! CSV export for BI tools, following the Digital Agency's rules for machine-readable data
//! (機械判読可能なデータの表記方法): one header row, one visit per line, one value per cell,
//! units in the header rather than in the cells, dates as `YYYY-MM-DD` and times as
//! `hh:mm`, CRLF line ends, and a declared encoding: UTF-8, UTF-8 with BOM (Excel), or
//! Shift_JIS.

use std::io::{self, Write};

use super::store::StatsStore;
use super::{Filter, StatsError};
use crate::vocab::visit::{ErrorKind, Step, Visit};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    /// UTF-8 with a byte-order mark, so that Excel opens it as UTF-8.
    Utf8Bom,
    ShiftJis,
}

impl Encoding {
    pub fn parse(s: &str) -> Option<Encoding> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "utf-8" | "utf8" => Some(Encoding::Utf8),
            "utf-8-bom" | "utf8-bom" | "utf-8bom" => Some(Encoding::Utf8Bom),
            "shift-jis" | "sjis" | "cp932" => Some(Encoding::ShiftJis),
            _ => None,
        }
    }
    /// How the encoding is declared to whoever gets the file.
    pub fn label(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf8Bom => "UTF-8 (BOM)",
            Encoding::ShiftJis => "Shift_JIS",
        }
    }
}

/// The header row (Japanese, units in parentheses).
pub fn header() -> Vec<String> {
    let mut h: Vec<String> = [
        "端末ID",
        "開始日",
        "開始時刻",
        "言語",
        "操作",
        "手続き",
        "手続き数",
        "事前入力",
        "タップ数",
        "暗証番号",
        "カード読取時間(ミリ秒)",
        "最も進んだ画面",
        "終了した画面",
        "終了",
        "印刷・送信時間(ミリ秒)",
        "合計時間(ミリ秒)",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    h.extend(Step::ALL.iter().map(|s| format!("画面時間_{}(ミリ秒)", s.ja())));
    h.extend(ErrorKind::ALL.iter().map(|e| format!("件数_{}", e.ja())));
    h
}

/// One visit's cells (codes, numbers; empty where there is no value).
pub fn record(v: &Visit) -> Vec<String> {
    let procs: Vec<&str> = v.procedures.iter().map(|p| p.as_str()).collect();
    let opt = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
    let mut r = vec![
        v.kiosk.to_string(),
        v.started.format("%Y-%m-%d").to_string(),
        v.started.format("%H:%M").to_string(),
        v.language.to_string(),
        if v.assisted { "clerk" } else { "self" }.to_string(),
        procs.join(" "),
        v.procedures.len().to_string(),
        u8::from(v.preinput).to_string(),
        v.taps.to_string(),
        v.pin.code().to_string(),
        opt(v.card_read_ms),
        v.furthest.code().to_string(),
        v.last_step.code().to_string(),
        v.end.code().to_string(),
        opt(v.delivery_ms),
        v.total_ms().to_string(),
    ];
    r.extend(v.step_ms.iter().map(|m| m.to_string()));
    r.extend(v.errors.iter().map(|n| n.to_string()));
    r
}

fn push_line(line: &mut String, cells: &[String]) {
    line.clear();
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        if c.contains([',', '"', '\r', '\n']) {
            line.push('"');
            line.push_str(&c.replace('"', "\"\""));
            line.push('"');
        } else {
            line.push_str(c);
        }
    }
    line.push_str("\r\n");
}

/// Writes the CSV in the chosen encoding.
pub struct CsvWriter<W: Write> {
    out: W,
    enc: Encoding,
    line: String,
    pub rows: u64,
}

impl<W: Write> CsvWriter<W> {
    /// Starts the file: the BOM if asked for, and the header row.
    pub fn new(mut out: W, enc: Encoding) -> io::Result<CsvWriter<W>> {
        if enc == Encoding::Utf8Bom {
            out.write_all("\u{feff}".as_bytes())?;
        }
        let mut w = CsvWriter { out, enc, line: String::with_capacity(256), rows: 0 };
        w.write_cells(&header())?;
        Ok(w)
    }

    fn write_cells(&mut self, cells: &[String]) -> io::Result<()> {
        push_line(&mut self.line, cells);
        match self.enc {
            Encoding::Utf8 | Encoding::Utf8Bom => self.out.write_all(self.line.as_bytes()),
            Encoding::ShiftJis => {
                // Every value is ASCII and every header is JIS X 0208: nothing is unmappable.
                let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(&self.line);
                self.out.write_all(&bytes)
            }
        }
    }

    pub fn write(&mut self, v: &Visit) -> io::Result<()> {
        self.rows += 1;
        self.write_cells(&record(v))
    }

    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Stats(#[from] StatsError),
    #[error("cannot write the CSV: {0} / CSVを書き込めません")]
    Io(#[from] io::Error),
}

/// Every visit of `stores` in `filter`, store after store; returns the rows written.
pub fn export<W: Write>(stores: &[StatsStore], filter: &Filter, out: W, enc: Encoding) -> Result<u64, ExportError> {
    let mut w = CsvWriter::new(out, enc)?;
    let mut io_err = None;
    for s in stores {
        s.for_each(filter, |v| {
            if io_err.is_none()
                && let Err(e) = w.write(&v)
            {
                io_err = Some(e);
            }
        })?;
        if let Some(e) = io_err.take() {
            return Err(e.into());
        }
    }
    let rows = w.rows;
    w.finish()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_encodes_to_shift_jis_without_loss() {
        let mut line = String::new();
        push_line(&mut line, &header());
        assert!(!encoding_rs::SHIFT_JIS.encode(&line).2, "{line}");
        assert_eq!(header().len(), 16 + Step::COUNT + ErrorKind::COUNT);
    }

    #[test]
    fn cells_with_commas_are_quoted() {
        let mut line = String::new();
        push_line(&mut line, &["a,b".into(), "c\"d".into(), "e".into()]);
        assert_eq!(line, "\"a,b\",\"c\"\"d\",e\r\n");
    }
}

//! Benchmark: a full card read through pcscd + vsmartcard vpcd + the virtual card.
//!
//! Prints, for the 4 attributes and with the 個人番号: APDUs per read (total, and after the
//! successful VERIFY) and the median / p90 wall time of the whole read; the same APDUs sent
//! without the PC/SC transaction and the final reset, as the peer the procedure's overhead is
//! measured against (ratio of medians); and カードの状態 (`read_status`). Needs the test
//! stack: `bash tests/stack.sh up`, then `cargo bench --bench card_read`.

use std::time::{Duration, Instant};

use madoguchi::card::pcsc::PcscReader;
use madoguchi::card::sim::persona::builtin_by_id;
use madoguchi::card::sim::vpcd::Vicc;
use madoguchi::card::sim::{self};
use madoguchi::card::text_ap::{self, ReadRequest, TextAp};
use madoguchi::card::transport::Counting;
use madoguchi::card::{cert, read_status};
use madoguchi::vocab::pin::Pin;

const ROUNDS: usize = 300;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn median_ms(mut times: Vec<Duration>) -> (f64, f64) {
    times.sort();
    (percentile(&times, 0.5).as_secs_f64() * 1e3, percentile(&times, 0.9).as_secs_f64() * 1e3)
}

/// The read's APDUs one by one, outside any transaction and without the reset at the end.
fn bare(reader: &mut PcscReader, label: &str, pin: &Pin, req: ReadRequest) -> f64 {
    let mut times = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let mut ap = TextAp::select(&mut *reader).expect("select");
        ap.verify(pin, req.last_try).expect("verify");
        let a = ap.read_attributes().expect("attributes");
        let n = if req.my_number { Some(ap.read_my_number().expect("my number")) } else { None };
        times.push(start.elapsed());
        drop((a, n));
    }
    let (median, p90) = median_ms(times);
    println!("{label:<34} no transaction, no reset   median {median:>7.3} ms  p90 {p90:>7.3} ms");
    median
}

fn status(reader: &mut PcscReader) {
    let today = cert::today_jst();
    read_status(&mut *reader, today).expect("warm-up status");
    let mut times = Vec::with_capacity(ROUNDS);
    let mut apdus = 0;
    for _ in 0..ROUNDS {
        let mut t = Counting::new(&mut *reader);
        let start = Instant::now();
        read_status(&mut t, today).expect("status");
        times.push(start.elapsed());
        apdus = t.count;
    }
    let (median, p90) = median_ms(times);
    println!(
        "{:<34} APDUs {apdus:>2}                median {median:>7.3} ms  p90 {p90:>7.3} ms",
        "カードの状態 (read_status)"
    );
}

fn bench(reader: &mut PcscReader, label: &str, pin: &Pin, req: ReadRequest) -> f64 {
    // Warm-up: the first read after insertion also connects and powers the card.
    text_ap::read_card(&mut *reader, pin, req).expect("warm-up read");
    let mut times = Vec::with_capacity(ROUNDS);
    let mut apdus = 0;
    for _ in 0..ROUNDS {
        let mut t = Counting::new(&mut *reader);
        let start = Instant::now();
        let out = text_ap::read_card(&mut t, pin, req).expect("read");
        times.push(start.elapsed());
        apdus = t.count;
        drop(out);
    }
    // SELECT AP, SELECT PIN EF, empty VERIFY and VERIFY come before the data.
    let before_data = 4;
    let (median, p90) = median_ms(times);
    println!(
        "{label:<34} APDUs {apdus:>2} (after PIN {:>2})  median {median:>7.3} ms  p90 {p90:>7.3} ms  ({ROUNDS} reads)",
        apdus - before_data,
    );
    median
}

fn main() {
    let readers_ok = madoguchi::card::pcsc::establish().is_ok();
    if !readers_ok {
        eprintln!("pcscd is not running: start the stack with `bash tests/stack.sh up`");
        std::process::exit(1);
    }
    println!("card read through pcscd + vpcd + virtual card (slot 0)");
    for (id, pin) in [("typical", "1234"), ("long-address", "5678")] {
        let persona = builtin_by_id(id).expect("built-in persona");
        let mut reader = PcscReader::open("Virtual PCD 00 00").expect("reader");
        reader.wait_for_removal(Duration::from_secs(3)).expect("slot 0 empty (stop other virtual cards)");
        let mut vicc = Vicc::new(sim::shared(persona), 35963);
        vicc.insert().expect("vpcd reachable");
        reader.wait_for_card(Duration::from_secs(3)).expect("card seen");
        let pin = Pin::parse(pin).expect("pin");
        for (what, req) in [
            ("4 attributes", ReadRequest::default()),
            ("4 attributes + 個人番号", ReadRequest { my_number: true, ..Default::default() }),
        ] {
            let label = format!("{id}: {what}");
            let with = bench(&mut reader, &label, &pin, req);
            let without = bare(&mut reader, &label, &pin, req);
            println!("{label:<34} transaction + reset cost: ×{:.2} the bare APDUs (ratio of medians)", with / without);
        }
        if id == "typical" {
            status(&mut reader);
        }
        drop(reader);
        vicc.remove();
    }
}

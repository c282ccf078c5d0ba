//! Benchmark: a full card read through pcscd + vsmartcard vpcd + the virtual card.
//!
//! Prints, for the 4 attributes and with the 個人番号: APDUs per read (total, and after the
//! successful VERIFY) and the median / p90 wall time of the whole read. Needs the test
//! stack: `bash tests/stack.sh up`, then `cargo bench --bench card_read`.

use std::time::{Duration, Instant};

use madoguchi::card::Pin;
use madoguchi::card::pcsc::PcscReader;
use madoguchi::card::sim::persona::builtin_by_id;
use madoguchi::card::sim::vpcd::Vicc;
use madoguchi::card::sim::{self};
use madoguchi::card::text_ap::{self, ReadRequest};
use madoguchi::card::transport::Counting;

const ROUNDS: usize = 300;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn bench(reader: &mut PcscReader, label: &str, pin: &Pin, req: ReadRequest) {
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
    times.sort();
    // SELECT AP, SELECT PIN EF, empty VERIFY and VERIFY come before the data.
    let before_data = 4;
    println!(
        "{label:<34} APDUs {apdus:>2} (after PIN {:>2})  median {:>7.3} ms  p90 {:>7.3} ms  ({ROUNDS} reads)",
        apdus - before_data,
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.9).as_secs_f64() * 1e3,
    );
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
        bench(&mut reader, &format!("{id}: 4 attributes"), &pin, ReadRequest::default());
        bench(
            &mut reader,
            &format!("{id}: 4 attributes + 個人番号"),
            &pin,
            ReadRequest { my_number: true, ..Default::default() },
        );
        drop(reader);
        vicc.remove();
    }
}

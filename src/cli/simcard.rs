//! `madoguchi sim-card`: serve the virtual My Number Card to pcscd through vsmartcard vpcd.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use madoguchi::card::sim::{self, vpcd};

#[derive(Args)]
pub struct SimCardArgs {
    /// Persona: a TOML file (see assets/personas) or the id of a built-in persona
    #[arg(long, value_name = "FILE|ID")]
    persona: String,
    /// vpcd slot port on 127.0.0.1 (35963 = "Virtual PCD 00 00", 35964 = "… 00 01")
    #[arg(long, default_value_t = vpcd::DEFAULT_PORT)]
    port: u16,
    /// Exit when vpcd closes the connection instead of placing the card again
    #[arg(long)]
    once: bool,
    /// Give up if vpcd cannot be reached for this many seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    connect_timeout: u64,
}

pub fn run(a: SimCardArgs) -> ExitCode {
    let persona = match super::card::load_persona(&a.persona) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}\nペルソナを読み込めません。ファイル名または組み込みの ID を確認してください。");
            return ExitCode::from(2);
        }
    };
    eprintln!("virtual card: persona {} on 127.0.0.1:{}", persona.id, a.port);
    let card = sim::shared(persona);
    let stats = vpcd::ViccStats::default();
    loop {
        let deadline = Instant::now() + Duration::from_secs(a.connect_timeout);
        let stream = loop {
            match std::net::TcpStream::connect(("127.0.0.1", a.port)) {
                Ok(s) => break s,
                Err(e) if Instant::now() >= deadline => {
                    eprintln!(
                        "error: cannot reach vpcd on 127.0.0.1:{}: {e}. Is pcscd running with vsmartcard-vpcd?\n\
                         vpcd に接続できません。pcscd と vsmartcard-vpcd が動いているか確認してください (tests/stack.sh up)。",
                        a.port
                    );
                    return ExitCode::from(1);
                }
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        };
        eprintln!("card placed (connected to vpcd) / カードを置きました");
        if let Err(e) = vpcd::serve(stream, &card, &stats) {
            eprintln!("vpcd connection ended: {e}");
        }
        eprintln!("card removed (vpcd closed) / カードが外れました");
        if a.once {
            return ExitCode::SUCCESS;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

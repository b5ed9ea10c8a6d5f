//! `capi-standin`: runs the Conversions API stand-in (on 127.0.0.1 unless `--listen`) until killed.
//!
//! ```text
//! capi-standin [--listen IP] [--port N] [--api-key K] [--pixel-id P] [--path /v1/events] [--quiet]
//! capi-standin --sink [--port N]
//! capi-standin --google [--port N] [--quiet]
//! ```
//!
//! Defaults: listen 127.0.0.1, port 8081, api key `local-dev-key`, pixel id `local-pixel`, path `/v1/events`;
//! every request and its verdict is printed unless `--quiet`.

#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli;

use capi_standin::{GoogleConfig, GoogleStandin, Standin, Upstream};
use cli::{parse_args, GOOGLE, SINK, USAGE};
use std::process::ExitCode;

fn main() -> ExitCode {
    let config = match parse_args(std::env::args().skip(1)) {
        Ok(Some(config)) => config,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("capi-standin: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if config.path == SINK {
        return run_sink(config.port);
    }
    if config.path == GOOGLE {
        return run_google(config.port, config.verbose);
    }
    let verbose = config.verbose;
    let standin = match Standin::start(config) {
        Ok(standin) => standin,
        Err(e) => {
            eprintln!("capi-standin: cannot listen: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Nobody reads the records of the binary; don't let a long benchmark grow memory.
    standin.set_record_limit(Some(0));
    println!(
        "capi-standin: OpenAI Ads Conversions API stand-in listening on {}, post to {} \
         (expects Authorization: Bearer <--api-key>){}",
        standin.local_addr(),
        standin.url(),
        if verbose { "" } else { "; quiet" }
    );
    loop {
        std::thread::park();
    }
}

fn run_sink(port: u16) -> ExitCode {
    let sink = match Upstream::start_on(port) {
        Ok(sink) => sink,
        Err(e) => {
            eprintln!("capi-standin: cannot listen: {e}");
            return ExitCode::FAILURE;
        }
    };
    sink.set_record_limit(Some(0));
    println!("capi-standin: sink listening on 127.0.0.1:{}", sink.port());
    loop {
        std::thread::park();
    }
}

/// The test service account `make run` may use; a fixture, not a credential.
const TEST_SA_EMAIL: &str = "capi-logger@capi-test.iam.gserviceaccount.com";
const TEST_SA_PUBLIC_KEY: &str =
    include_str!("../../tests/fixtures/google/test-service-account.pub.pem");

fn run_google(port: u16, verbose: bool) -> ExitCode {
    let google = match GoogleStandin::start(GoogleConfig {
        service_account: Some((TEST_SA_EMAIL.to_owned(), TEST_SA_PUBLIC_KEY.to_owned())),
        verbose,
        port,
        ..GoogleConfig::default()
    }) {
        Ok(google) => google,
        Err(e) => {
            eprintln!("capi-standin: cannot listen: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "capi-standin: Google stand-in (BigQuery capi-test.capi_logs.events, metadata server, OAuth) on 127.0.0.1:{}",
        google.port()
    );
    loop {
        std::thread::park();
    }
}

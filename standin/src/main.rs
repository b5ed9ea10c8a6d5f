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

use capi_standin::{GoogleConfig, GoogleStandin, Standin, StandinConfig, Upstream};
use std::net::{IpAddr, Ipv4Addr};
use std::process::ExitCode;

const USAGE: &str =
    "usage: capi-standin [--listen IP] [--port N] [--api-key K] [--pixel-id P] [--path /v1/events]
                    [--quiet]
       capi-standin --sink [--port N]
       capi-standin --google [--port N] [--quiet]

Stand-in for the OpenAI Ads Conversions API (POST <path>?pid=<pixel id>). Validates each
request like the real API (v4 schema) and prints it with its verdict.

  --listen IP     address to listen on (default 127.0.0.1; 0.0.0.0 in a container, so that
                  other containers can reach it)
  --port N        port (default 8081; 0 = any free port)
  --api-key K     expected key in `Authorization: Bearer K` (default local-dev-key)
  --pixel-id P    expected `pid` query parameter (default local-pixel)
  --path P        endpoint path (default /v1/events)
  --quiet         do not print requests
  --sink          instead: a plain keep-alive upstream answering 200 to anything (for
                  benchmark baselines that proxy the collection request)
  --google        instead: the Google stand-in for BigQuery logging (insertAll into
                  capi-test.capi_logs.events, the metadata server's token endpoint, the OAuth
                  token endpoint for the test service-account key); prints every inserted row";

fn parse_args(args: impl Iterator<Item = String>) -> Result<Option<StandinConfig>, String> {
    let mut config = StandinConfig {
        api_key: "local-dev-key".to_owned(),
        pixel_id: "local-pixel".to_owned(),
        path: "/v1/events".to_owned(),
        verbose: true,
        listen: IpAddr::V4(Ipv4Addr::LOCALHOST),
        port: 8081,
    };
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "--listen" => {
                let v = value("--listen")?;
                config.listen = v
                    .parse()
                    .map_err(|_| format!("bad --listen {v:?}: an IP address, e.g. 0.0.0.0"))?;
            }
            "--port" => {
                let v = value("--port")?;
                config.port = v.parse().map_err(|_| format!("bad --port {v:?}"))?;
            }
            "--api-key" => config.api_key = value("--api-key")?,
            "--pixel-id" => config.pixel_id = value("--pixel-id")?,
            "--path" => {
                let v = value("--path")?;
                if !v.starts_with('/') {
                    return Err(format!("--path must start with '/' (got {v:?})"));
                }
                config.path = v;
            }
            "--quiet" | "-q" => config.verbose = false,
            "--sink" => config.path = SINK.to_owned(),
            "--google" => config.path = GOOGLE.to_owned(),
            "--help" | "-h" => return Ok(None),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Some(config))
}

/// Marks sink mode in the parsed config (a path can never be empty otherwise).
const SINK: &str = "";
/// Marks Google mode (a path always starts with '/' otherwise).
const GOOGLE: &str = "google";

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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<StandinConfig>, String> {
        parse_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn defaults_and_flags() {
        let d = parse(&[]).unwrap().unwrap();
        assert_eq!(
            (
                d.port,
                d.api_key.as_str(),
                d.pixel_id.as_str(),
                d.path.as_str(),
                d.verbose,
                d.listen
            ),
            (
                8081,
                "local-dev-key",
                "local-pixel",
                "/v1/events",
                true,
                IpAddr::V4(Ipv4Addr::LOCALHOST)
            )
        );
        let c = parse(&[
            "--port",
            "9000",
            "--api-key=k",
            "--pixel-id",
            "p",
            "--path",
            "/x",
            "--quiet",
            "--listen=0.0.0.0",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(c.listen, IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        assert_eq!(
            (
                c.port,
                c.api_key.as_str(),
                c.pixel_id.as_str(),
                c.path.as_str(),
                c.verbose
            ),
            (9000, "k", "p", "/x", false)
        );
        assert!(parse(&["--help"]).unwrap().is_none());
        assert!(parse(&["--port"]).is_err());
        assert!(parse(&["--port", "x"]).is_err());
        assert!(parse(&["--path", "x"]).is_err());
        assert!(parse(&["--bogus"]).is_err());
        assert_eq!(parse(&["--google"]).unwrap().unwrap().path, GOOGLE);
        assert!(parse(&["--listen", "capi-standin"]).is_err());
    }
}

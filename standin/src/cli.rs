//! The binary's command line (declared by `main.rs`, not part of the library).

use capi_standin::StandinConfig;
use std::net::{IpAddr, Ipv4Addr};

pub const USAGE: &str =
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

pub fn parse_args(args: impl Iterator<Item = String>) -> Result<Option<StandinConfig>, String> {
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
pub const SINK: &str = "";
/// Marks Google mode (a path always starts with '/' otherwise).
pub const GOOGLE: &str = "google";

#[cfg(test)]
mod tests;

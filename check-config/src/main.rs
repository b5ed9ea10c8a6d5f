//! `check-config FILE`: the filter's own verdict on every filter configuration in FILE, before
//! Envoy sees it. A refused configuration prints the line Envoy would log and the exit status
//! is 1; 2 when FILE cannot be read as a configuration at all.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path] = args.as_slice() else {
        eprintln!(
            "usage: check-config FILE\n  FILE: the filter configuration (JSON or native YAML), \
             an Envoy configuration with the wasm filter, or an Istio WasmPlugin"
        );
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(2);
        }
    };
    let verdicts = match capi_check_config::check(&text, &|name| std::env::var(name).ok()) {
        Ok(verdicts) => verdicts,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(2);
        }
    };
    let mut refused = 0;
    for verdict in &verdicts {
        let at = if verdict.location.is_empty() {
            path.clone()
        } else {
            format!("{path}: {}", verdict.location)
        };
        match &verdict.result {
            Ok(()) => println!("{at}: valid"),
            Err(line) => {
                refused += 1;
                // The second line is exactly what Envoy logs, so it can be searched for in
                // either place.
                eprintln!("{at}: refused; Envoy would log:\n{line}");
            }
        }
    }
    if refused == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

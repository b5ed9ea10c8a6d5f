//! The README's quick start for an existing Envoy, run as written: its three YAML snippets
//! become one Envoy config (only what the reader replaces is replaced: the `.wasm` is the local
//! build instead of a download, the clusters point at the API stand-in and an upstream
//! recorder), and its check commands run against it. Its config requires consent, so the curl
//! it ships must grant consent, and the event must reach the API.
//! (`scripts/test-dist.sh` runs the same snippets with the `.wasm` fetched by URL and sha256.)

use crate::harness::{root, wasm_path, Env};
use capi_standin::{Standin, StandinConfig};
use serde_json::{json, Value};
use std::time::Duration;

const KEY: &str = "quick-start-key";
const PIXEL: &str = "quick-start-pixel";

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).unwrap()
}

/// The body of the README's fenced block that starts with `# quick start: <name>`.
fn snippet(readme: &str, lang: &str, name: &str) -> String {
    let start = readme
        .find(&format!("```{lang}\n# quick start: {name}\n"))
        .unwrap_or_else(|| panic!("README: no ```{lang} block '# quick start: {name}'"));
    let body = &readme[start + lang.len() + 4..];
    body[..body.find("```").unwrap()].to_owned()
}

fn yaml(text: &str) -> Value {
    serde_norway::from_str(text).unwrap()
}

/// A cluster of the snippet, sent to 127.0.0.1:`port` in plain text.
fn local(cluster: &mut Value, port: u16) {
    let name = cluster["name"].clone();
    let object = cluster.as_object_mut().unwrap();
    object.insert("type".into(), json!("STATIC"));
    object.remove("dns_lookup_family");
    object.remove("transport_socket");
    object.insert(
        "load_assignment".into(),
        json!({"cluster_name": name, "endpoints": [{"lb_endpoints": [{"endpoint": {"address":
            {"socket_address": {"address": "127.0.0.1", "port_value": port}}}}]}]}),
    );
}

fn quick_start_envoy(port: u16, admin: u16, api_port: u16, upstream_port: u16) -> String {
    let readme = readme();
    let mut filters = yaml(&snippet(&readme, "yaml", "http filter"));
    let routes = yaml(&snippet(&readme, "yaml", "routes"));
    let mut clusters = yaml(&snippet(&readme, "yaml", "clusters"));
    let wasm = &mut filters[0]["typed_config"]["config"];
    // The one value the reader must fill in.
    let value = wasm["configuration"]["value"].as_str().unwrap();
    assert!(value.contains("REPLACE_WITH_PIXEL_ID"));
    wasm["configuration"]["value"] = json!(value.replace("REPLACE_WITH_PIXEL_ID", PIXEL));
    // The local build instead of the download (test-dist.sh covers the download).
    wasm["vm_config"]["code"] = json!({"local": {"filename": wasm_path().display().to_string()}});
    let clusters_list = clusters.as_array_mut().unwrap();
    clusters_list.retain(|c| c["name"] != "openai_capi_wasm");
    for cluster in clusters_list.iter_mut() {
        local(cluster, api_port);
    }
    for route in routes["routes"].as_array().unwrap() {
        let mut cluster = json!({"name": route["route"]["cluster"], "connect_timeout": "1s"});
        local(&mut cluster, upstream_port);
        clusters_list.push(cluster);
    }
    let mut http_filters = filters.as_array().unwrap().clone();
    http_filters.push(json!({"name": "envoy.filters.http.router", "typed_config":
        {"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}}));
    let envoy = json!({
        "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": admin}}},
        "static_resources": {
            "listeners": [{
                "name": "site",
                "address": {"socket_address": {"address": "127.0.0.1", "port_value": port}},
                "filter_chains": [{"filters": [{
                    "name": "envoy.filters.network.http_connection_manager",
                    "typed_config": {
                        "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                        "stat_prefix": "site",
                        "use_remote_address": true,
                        "route_config": {"virtual_hosts": [
                            {"name": "site", "domains": ["*"], "routes": routes["routes"]}]},
                        "http_filters": http_filters
                    }
                }]}]
            }],
            "clusters": clusters
        }
    });
    // JSON is YAML.
    envoy.to_string()
}

/// The request of a documented `curl … 'http://127.0.0.1:10000<path>' -H 'K: V'` command.
fn curl_request(command: &str) -> (String, Vec<(String, String)>) {
    let quoted: Vec<&str> = command.split('\'').skip(1).step_by(2).collect();
    let url = quoted
        .iter()
        .find(|q| q.starts_with("http://127.0.0.1:10000/"))
        .unwrap_or_else(|| panic!("no listener URL in: {command}"));
    let path = url.trim_start_matches("http://127.0.0.1:10000").to_owned();
    let headers = command
        .split(" -H '")
        .skip(1)
        .map(|h| {
            let h = &h[..h.find('\'').unwrap()];
            let (k, v) = h.split_once(": ").unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect();
    (path, headers)
}

/// The check block's commands, continuation lines joined.
fn check_commands(readme: &str) -> Vec<String> {
    snippet(readme, "sh", "check")
        .replace("\\\n", " ")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

fn start() -> Env {
    let api = Standin::start(StandinConfig {
        api_key: KEY.into(),
        pixel_id: PIXEL.into(),
        ..StandinConfig::default()
    })
    .expect("start API stand-in");
    Env::launch(
        api,
        "debug",
        &[("OPENAI_CAPI_KEY", KEY)],
        |port, admin, api_port, upstream, _dir| quick_start_envoy(port, admin, api_port, upstream),
    )
}

#[test]
fn the_readme_quick_start_delivers_its_own_curl_under_its_own_consent_setting() {
    let readme = readme();
    let commands = check_commands(&readme);
    assert_eq!(commands.len(), 2, "{commands:?}");
    assert!(
        snippet(&readme, "yaml", "http filter").contains(r#""consent": {"mode": "required"}"#),
        "this test is about the quick start's required consent"
    );
    let env = start();

    // 1. The hit as the README sends it: granted, so the event is sent.
    let (path, headers) = curl_request(&commands[0]);
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let response = env.get(&path, &headers);
    assert!(
        response.status < 300,
        "the collection route answers: {}",
        response.status
    );
    let calls = env.accepted_calls(1);
    let events = calls[0].events();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["type"], json!("page_viewed"));
    assert_eq!(
        calls[0].json.as_ref().unwrap()["validate_only"],
        json!(true),
        "the quick start starts in validate-only mode"
    );

    // 2. The README's stats command: its grep shows the hit received and sent, none skipped.
    // (The call was answered; the filter counts the answer a moment later.)
    assert_eq!(env.wait_stat("events_sent", 1, Duration::from_secs(10)), 1);
    let stats = env.admin("GET", "/stats");
    let pattern = commands[1]
        .split("grep -E '")
        .nth(1)
        .and_then(|p| p.split('\'').next())
        .expect("a grep -E pattern");
    let grep = regex::Regex::new(pattern).unwrap();
    let body = String::from_utf8_lossy(&stats.body).into_owned();
    let shown: Vec<&str> = body.lines().filter(|l| grep.is_match(l)).collect();
    let value = |name: &str| {
        shown
            .iter()
            .find(|l| l.split(": ").next().is_some_and(|n| n.ends_with(name)))
            .and_then(|l| l.split(": ").nth(1))
            .map(|v| v.trim().to_owned())
    };
    assert_eq!(
        value("openai_capi.events_received").as_deref(),
        Some("1"),
        "{shown:?}"
    );
    assert_eq!(
        value("openai_capi.events_sent").as_deref(),
        Some("1"),
        "{shown:?}"
    );
    assert_eq!(
        value("openai_capi.events_skipped.reason.consent_missing").as_deref(),
        Some("0"),
        "{shown:?}"
    );
    assert_eq!(env.stat("events_skipped"), 0, "{shown:?}");

    // 3. What the README says of a hit without a consent signal: skipped, as consent_missing,
    // and the debug log says why.
    let without = path.replace("&gcs=G111", "");
    assert_ne!(
        without, path,
        "the documented curl grants consent with gcs=G111"
    );
    env.get(&without, &headers);
    assert_eq!(
        env.wait_stat("events_skipped_consent_missing", 1, Duration::from_secs(10)),
        1
    );
    assert!(
        readme.contains("`events_skipped.reason.consent_missing`"),
        "the README names the skip's stat"
    );
    assert!(
        env.log().contains("skipped (consent_missing)"),
        "{}",
        env.log()
    );
    env.assert_no_crash();
}

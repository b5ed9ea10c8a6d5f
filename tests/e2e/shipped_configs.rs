//! The shipped Envoy configs themselves, run in real Envoy: collection routes still collect, and
//! every other route is kept out of the filter (Envoy never enters the wasm VM for it).
//!
//! The proof uses a canary: the filter config is given one more endpoint, `/landing`, which the
//! route table sends to the catch-all route. Were the filter entered there, it would count the
//! hit in `collect_requests` and set cookies; the control run (the same config with the
//! route-level switch turned to `config: {}`, which enables the filter) shows it does exactly that.

use crate::harness::{root, wasm_path, Env};
use capi_standin::{Standin, StandinConfig};
use std::time::Duration;

const KEY: &str = "local-dev-key";
const PIXEL: &str = "local-pixel";
const COLLECT: &str =
    "/g/collect?v=2&cid=1.2&_p=5&_s=1&en=page_view&dl=https%3A%2F%2Fshop.example.com%2F";
const CANARY: &str =
    "/landing?v=2&cid=1.2&_p=5&_s=2&en=page_view&dl=https%3A%2F%2Fshop.example.com%2F";

/// Replaces `from` by `to` in `text`, failing loudly when the shipped config no longer holds
/// `from` (the test must follow the config, not silently test something else).
fn swap(text: &str, from: &str, to: &str) -> String {
    assert!(
        text.contains(from),
        "shipped config changed: {from:?} not found; update this test"
    );
    text.replace(from, to)
}

/// A shipped config made runnable here: ports, the stand-in, the local build, the canary.
fn localise(
    file: &str,
    route_filter_disabled: bool,
) -> impl Fn(u16, u16, u16, u16, &std::path::Path) -> String {
    let text = std::fs::read_to_string(root().join(file)).expect("read shipped config");
    let file = file.to_owned();
    move |port, admin, api_port, _upstream, _dir| {
        let wasm = wasm_path().display().to_string();
        let mut y = swap(&text, "port_value: 10000", &format!("port_value: {port}"));
        y = swap(&y, "port_value: 9901", &format!("port_value: {admin}"));
        y = swap(
            &y,
            r#""collect": {"allow_on_headers_stop_iteration": true}"#,
            r#""collect": {"allow_on_headers_stop_iteration": true, "endpoints": [{"path": "/g/collect", "format": "ga4"}, {"path": "/landing", "format": "ga4"}]}"#,
        );
        if file == "envoy/envoy.yaml" {
            y = swap(&y, "127.0.0.1:8081", &format!("127.0.0.1:{api_port}"));
            y = swap(&y, "port_value: 8081", &format!("port_value: {api_port}"));
            y = swap(
                &y,
                "filename: target/wasm32-wasip1/release/openai_capi_filter.wasm",
                &format!("filename: {wasm}"),
            );
        } else {
            y = swap(&y, "0.0.0.0", "127.0.0.1");
            y = swap(&y, "capi-standin:8081", &format!("127.0.0.1:{api_port}"));
            y = swap(
                &y,
                "address: capi-standin, port_value: 8081",
                &format!("address: 127.0.0.1, port_value: {api_port}"),
            );
            y = swap(&y, "/etc/envoy/openai_capi_filter.wasm", &wasm);
        }
        if !route_filter_disabled {
            // `config: {}` is how a route re-enables a filter its virtual host disabled.
            y = swap(&y, "disabled: true", "config: {}");
        }
        y
    }
}

fn start(file: &str, route_filter_disabled: bool) -> Env {
    let api = Standin::start(StandinConfig {
        api_key: KEY.into(),
        pixel_id: PIXEL.into(),
        ..StandinConfig::default()
    })
    .expect("start API stand-in");
    Env::launch(
        api,
        "info",
        &[("OPENAI_CAPI_KEY", KEY)],
        localise(file, route_filter_disabled),
    )
}

fn non_collection_routes_skip_the_filter(file: &str) {
    let env = start(file, true);
    let hit = env.get(COLLECT, &[]);
    assert_eq!(hit.status, 204, "{file}: the collection route answers");
    assert!(hit.cookie("__obref").is_some(), "{file}: the filter ran");
    assert_eq!(env.wait_stat("events_sent", 1, Duration::from_secs(5)), 1);

    let page = env.get(CANARY, &[]);
    assert_eq!(page.status, 200, "{file}: the catch-all route answers");
    assert_eq!(page.body, b"site\n");
    assert!(
        page.set_cookies().is_empty(),
        "{file}: no cookie on a route that skips the filter"
    );
    std::thread::sleep(Duration::from_millis(200));
    let s = env.stats();
    assert_eq!(
        (s["collect_requests"], s["events_received"]),
        (1, 1),
        "{file}: the canary on the catch-all route never entered the filter: {s:?}"
    );
    assert_eq!(env.api.requests().len(), 1, "{file}: only the real hit");
    env.assert_no_crash();

    // Control: with the route-level switch flipped, the same canary is collected, so the
    // counter above would have seen it had the filter been entered.
    let control = start(file, false);
    let page = control.get(CANARY, &[]);
    assert_eq!(page.status, 200);
    assert!(
        page.cookie("__obref").is_some(),
        "{file}: control: the filter ran"
    );
    assert_eq!(control.stat("collect_requests"), 1, "{file}: control");
}

#[test]
fn shipped_envoy_yaml_keeps_non_collection_routes_out_of_the_filter() {
    non_collection_routes_skip_the_filter("envoy/envoy.yaml");
}

#[test]
fn shipped_docker_envoy_yaml_keeps_non_collection_routes_out_of_the_filter() {
    non_collection_routes_skip_the_filter("envoy/docker/envoy.yaml");
}

/// The README's variant for an HCM with many routes: the virtual host disables the filter and
/// the collection route re-enables it with `config: {}` (what the Istio EnvoyFilter does).
#[test]
fn a_virtual_host_that_disables_the_filter_still_collects_on_the_route_that_enables_it() {
    const ROUTE_OFF: &str = "                typed_per_filter_config:
                  openai_capi:
                    \"@type\": type.googleapis.com/envoy.config.route.v3.FilterConfig
                    disabled: true
";
    const VHOST_OFF: &str = "              domains: [\"*\"]
              typed_per_filter_config:
                openai_capi:
                  \"@type\": type.googleapis.com/envoy.config.route.v3.FilterConfig
                  disabled: true
";
    const COLLECT_ON: &str = "              - match: {path: \"/g/collect\"}
                direct_response: {status: 204}
                typed_per_filter_config:
                  openai_capi:
                    \"@type\": type.googleapis.com/envoy.config.route.v3.FilterConfig
                    config: {}
";
    let api = Standin::start(StandinConfig {
        api_key: KEY.into(),
        pixel_id: PIXEL.into(),
        ..StandinConfig::default()
    })
    .expect("start API stand-in");
    let shipped = localise("envoy/envoy.yaml", true);
    let env = Env::launch(
        api,
        "info",
        &[],
        move |port, admin, api_port, upstream, dir| {
            let y = shipped(port, admin, api_port, upstream, dir);
            let y = swap(&y, ROUTE_OFF, "");
            let y = swap(&y, "              domains: [\"*\"]\n", VHOST_OFF);
            swap(
                &y,
                "              - match: {path: \"/g/collect\"}\n                direct_response: {status: 204}\n",
                COLLECT_ON,
            )
        },
    );
    let hit = env.get(COLLECT, &[]);
    assert_eq!(hit.status, 204);
    assert!(
        hit.cookie("__obref").is_some(),
        "the re-enabled route runs the filter"
    );
    assert_eq!(env.wait_stat("events_sent", 1, Duration::from_secs(5)), 1);
    let page = env.get(CANARY, &[]);
    assert_eq!(page.status, 200);
    assert!(page.set_cookies().is_empty());
    // The /mp/collect route inherits the virtual host's switch: not entered either.
    let mp = env.post(
        "/mp/collect",
        &[],
        br#"{"client_id":"1.2","events":[{"name":"page_view"}]}"#,
    );
    assert_eq!(mp.status, 204);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        env.stat("collect_requests"),
        1,
        "only the re-enabled route was collected"
    );
}

#!/usr/bin/python3
"""Builds a runnable Envoy config from the README's "Quick start: I already run Envoy" snippets,
so `make dist-check` runs exactly what users paste.

The three YAML blocks are found by their first line (`# quick start: http filter`, `routes`,
`clusters`) and used as they are, except for what only the test can know: the .wasm URL and
sha256 point at a local HTTP server, the clusters point at 127.0.0.1 without TLS, the pixel id
placeholder gets a value, and the user's two upstream clusters are stood in for.

usage: quickstart-envoy-config.py README SERVE_PORT SHA256 LISTEN_PORT ADMIN_PORT
"""

import json
import re
import sys

import yaml


def snippets(readme):
    blocks = re.findall(r"```yaml\n(# quick start: ([a-z ]+)\n.*?)```", open(readme).read(), re.S)
    found = {name: yaml.safe_load(text) for text, name in blocks}
    for name in ("http filter", "routes", "clusters"):
        if name not in found:
            sys.exit(f"{readme}: no ```yaml block starting with '# quick start: {name}'")
    return found


def local_endpoint(cluster, port):
    cluster["type"] = "STATIC"
    cluster.pop("dns_lookup_family", None)
    cluster.pop("transport_socket", None)
    cluster["load_assignment"] = {"cluster_name": cluster["name"], "endpoints": [{"lb_endpoints": [
        {"endpoint": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": port}}}}]}]}
    return cluster


def main():
    readme, serve_port, sha, listen_port, admin_port = sys.argv[1:6]
    s = snippets(readme)
    filters = s["http filter"]
    wasm = filters[0]["typed_config"]["config"]
    remote = wasm["vm_config"]["code"]["remote"]
    remote["http_uri"]["uri"] = f"http://127.0.0.1:{serve_port}/openai_capi_filter.wasm"
    remote["sha256"] = sha
    remote["retry_policy"] = {"num_retries": 0}
    config = json.loads(wasm["configuration"]["value"])
    config["pixel_id"] = "quickstart-pixel"
    wasm["configuration"]["value"] = json.dumps(config)
    clusters = [local_endpoint(c, int(serve_port) if c["name"] == "openai_capi_wasm" else 9)
                for c in s["clusters"]]
    for upstream in {r["route"]["cluster"] for r in s["routes"]["routes"]}:
        clusters.append(local_endpoint({"name": upstream, "connect_timeout": "1s"}, int(serve_port)))
    envoy = {
        "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": int(admin_port)}}},
        "static_resources": {
            "listeners": [{
                "name": "site",
                "address": {"socket_address": {"address": "127.0.0.1", "port_value": int(listen_port)}},
                "filter_chains": [{"filters": [{
                    "name": "envoy.filters.network.http_connection_manager",
                    "typed_config": {
                        "@type": "type.googleapis.com/envoy.extensions.filters.network."
                                 "http_connection_manager.v3.HttpConnectionManager",
                        "stat_prefix": "site",
                        "use_remote_address": True,
                        "route_config": {"virtual_hosts": [
                            {"name": "site", "domains": ["*"], "routes": s["routes"]["routes"]}]},
                        "http_filters": filters + [{
                            "name": "envoy.filters.http.router",
                            "typed_config": {"@type": "type.googleapis.com/envoy.extensions."
                                                      "filters.http.router.v3.Router"}}]}}]}]}],
            "clusters": clusters,
        },
    }
    print(yaml.safe_dump(envoy, sort_keys=False))


if __name__ == "__main__":
    main()

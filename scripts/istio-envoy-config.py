#!/usr/bin/python3
"""Turns envoy/istio/wasmplugin.yaml's WasmPlugin into the Envoy config Istio would give the
gateway for it, so `envoy --mode validate` runs the filter's own config check on the example's
pluginConfig (Istio passes pluginConfig to the filter as a JSON string, and vmConfig.env entries
with valueFrom: HOST as host env keys).

It also checks that the example says the same as envoy/production.yaml where the two must agree
(consent, optimistic delivery and batching, integration source), so the Istio user does not get
a quietly different behaviour.

usage: istio-envoy-config.py WASMPLUGIN_YAML WASM_PATH [--break]
  --break  emit the config with an unknown key added, to prove the validation can fail
"""

import json
import sys

import yaml

PLACEHOLDER_PIXEL = "REPLACE_WITH_PIXEL_ID"
MUST_AGREE = [("optimistic",), ("consent",), ("api", "batch"), ("integration_source",)]


def wasm_plugin(path):
    with open(path) as f:
        for doc in yaml.safe_load_all(f):
            if doc and doc.get("kind") == "WasmPlugin":
                return doc
    sys.exit(f"{path}: no WasmPlugin")


def production_filter_config():
    with open("envoy/production.yaml") as f:
        text = yaml.safe_load(f)

    def find(node):
        if isinstance(node, dict):
            # The filter configuration, as a JSON string (StringValue) or as YAML (Struct).
            value = node.get("value")
            if node.get("@type", "").endswith("google.protobuf.StringValue") and "pixel_id" in str(value):
                return json.loads(value)
            if node.get("@type", "").endswith("google.protobuf.Struct") and isinstance(value, dict) \
                    and "pixel_id" in value:
                return value
            for v in node.values():
                found = find(v)
                if found is not None:
                    return found
        elif isinstance(node, list):
            for v in node:
                found = find(v)
                if found is not None:
                    return found
        return None

    config = find(text)
    if config is None:
        sys.exit("envoy/production.yaml: no filter configuration found")
    return config


def get(config, path):
    for key in path:
        if not isinstance(config, dict) or key not in config:
            return None
        config = config[key]
    return config


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    plugin = wasm_plugin(sys.argv[1])["spec"]
    config = plugin["pluginConfig"]
    production = production_filter_config()
    for path in MUST_AGREE:
        if get(config, path) != get(production, path):
            sys.exit(f"{sys.argv[1]}: pluginConfig.{'.'.join(path)} = {json.dumps(get(config, path))} "
                     f"but envoy/production.yaml has {json.dumps(get(production, path))}: keep the "
                     "two examples in step")
    # The example ships a placeholder the user must replace; validate the rest of it.
    if config.get("pixel_id") == PLACEHOLDER_PIXEL:
        config = dict(config, pixel_id="validate-pixel")
    if "--break" in sys.argv[3:]:
        config = dict(config, colour="blue")
    host_keys = [e["name"] for e in plugin.get("vmConfig", {}).get("env", [])
                 if e.get("valueFrom") == "HOST"]
    inline = {e["name"]: e.get("value", "") for e in plugin.get("vmConfig", {}).get("env", [])
              if e.get("valueFrom", "INLINE") == "INLINE"}
    policy = {"FAIL_OPEN": "FAIL_OPEN", "FAIL_RELOAD": "FAIL_RELOAD"}.get(
        plugin.get("failStrategy"), "FAIL_CLOSED")
    envoy = {
        "static_resources": {
            "listeners": [{
                "name": "gateway",
                "address": {"socket_address": {"address": "127.0.0.1", "port_value": 0}},
                "filter_chains": [{"filters": [{
                    "name": "envoy.filters.network.http_connection_manager",
                    "typed_config": {
                        "@type": "type.googleapis.com/envoy.extensions.filters.network."
                                 "http_connection_manager.v3.HttpConnectionManager",
                        "stat_prefix": "gateway",
                        "route_config": {"virtual_hosts": [{
                            "name": "all", "domains": ["*"],
                            "routes": [{"match": {"prefix": "/"},
                                        "direct_response": {"status": 204}}]}]},
                        "http_filters": [
                            {"name": "envoy.filters.http.wasm", "typed_config": {
                                "@type": "type.googleapis.com/envoy.extensions.filters.http."
                                         "wasm.v3.Wasm",
                                "config": {
                                    "name": plugin["pluginName"],
                                    "root_id": plugin["pluginName"],
                                    "failure_policy": policy,
                                    "configuration": {
                                        "@type": "type.googleapis.com/google.protobuf.StringValue",
                                        "value": json.dumps(config)},
                                    "vm_config": {
                                        "runtime": "envoy.wasm.runtime.v8",
                                        "code": {"local": {"filename": sys.argv[2]}},
                                        "environment_variables": {
                                            "host_env_keys": host_keys,
                                            "key_values": inline}}}}},
                            {"name": "envoy.filters.http.router", "typed_config": {
                                "@type": "type.googleapis.com/envoy.extensions.filters.http."
                                         "router.v3.Router"}}]}}]}]}],
        }
    }
    print(yaml.safe_dump(envoy, sort_keys=False))


if __name__ == "__main__":
    main()

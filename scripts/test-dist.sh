#!/usr/bin/env bash
# Tests what `make dist` produced, as the two kinds of users will consume it:
#   - Envoy: runs the README quick start's snippets as they are, fetching
#     dist/openai_capi_filter.wasm over HTTP by its sha256, and refuses it under a wrong sha256;
#   - Istio: dist/oci is a valid OCI image layout (skopeo and umoci read it) in the Istio/Wasm
#     "compat" shape, whose one layer holds exactly plugin.wasm, byte for byte the release
#     .wasm; the manifest digest survives a copy out and back (what a registry push does with
#     --preserve-digests), and a rebuild of the same commit gives the same digest.
set -euo pipefail
ENVOY=${1:?envoy binary}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
cleanup() {
  for pid in ${pids:-}; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "test-dist: FAILED: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

version=$(python3 -c 'import json; print(json.load(open("dist/oci/index.json"))["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"])')
image=dist/oci:$version

# The checksum file.
(cd dist && sha256sum -c --quiet openai_capi_filter.wasm.sha256) || fail "sha256 file does not match"
wasm_sha=$(cut -d' ' -f1 dist/openai_capi_filter.wasm.sha256)

# The image: manifest shape, layer content, digests.
skopeo inspect --raw "oci:$image" > "$tmp/manifest.json"
umoci stat --image "$image" > /dev/null || fail "umoci cannot read $image"
skopeo inspect "oci:$image" > "$tmp/inspect.json" || fail "skopeo cannot read $image"
manifest_digest=$(python3 -c 'import json; print(json.load(open("dist/oci/index.json"))["manifests"][0]["digest"])')
[ "sha256:$(sha256sum < "$tmp/manifest.json" | cut -d' ' -f1)" = "$manifest_digest" ] ||
  fail "index.json digest is not the manifest's sha256"
python3 - "$tmp/manifest.json" "$tmp/inspect.json" <<'EOF' || fail "manifest is not the Istio/Wasm compat shape"
import json, sys
m = json.load(open(sys.argv[1])); i = json.load(open(sys.argv[2]))
assert m["schemaVersion"] == 2, m
assert m["config"]["mediaType"] == "application/vnd.oci.image.config.v1+json", m
assert [l["mediaType"] for l in m["layers"]] == ["application/vnd.oci.image.layer.v1.tar+gzip"], m
assert m["annotations"]["module.wasm.image/variant"] == "compat", m
assert (i["Os"], i["Architecture"]) == ("wasip1", "wasm"), i
EOF
layer=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][0]["digest"].split(":")[1])' "$tmp/manifest.json")
[ "$(tar -tzf "dist/oci/blobs/sha256/$layer")" = plugin.wasm ] || fail "the layer must hold plugin.wasm only"
mkdir "$tmp/layer"
tar -xzf "dist/oci/blobs/sha256/$layer" -C "$tmp/layer"
cmp -s "$tmp/layer/plugin.wasm" dist/openai_capi_filter.wasm || fail "plugin.wasm differs from the release .wasm"
skopeo copy -q --preserve-digests "oci:$image" "dir:$tmp/copy"
skopeo copy -q --preserve-digests "dir:$tmp/copy" "oci:$tmp/back:$version"
back=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$tmp/back/index.json")
[ "$back" = "$manifest_digest" ] || fail "digest changed on copy: $manifest_digest → $back"
cp -r dist "$tmp/dist1"
./scripts/dist.sh "$tmp/dist1/openai_capi_filter.wasm" > /dev/null
cmp -s dist/oci/index.json "$tmp/dist1/oci/index.json" || fail "a rebuild of the same commit changed the image digest"
echo "ok: $image is a compat Wasm image, manifest $manifest_digest, layer = plugin.wasm (sha256 $wasm_sha); copy out and back and a rebuild keep the digest"

# Envoy loads the release .wasm from a URL, checked by its sha256.
serve_port=$(free_port)
(cd dist && exec python3 -m http.server --bind 127.0.0.1 "$serve_port") > "$tmp/http.log" 2>&1 &
pids="$!"
run_envoy() { # sha256, log file → 0 when Envoy became ready (then $port/$admin are its ports)
  local sha=$1 out=$2
  port=$(free_port) admin=$(free_port)
  /usr/bin/python3 scripts/quickstart-envoy-config.py README.md "$serve_port" "$sha" "$port" "$admin" > "$tmp/envoy.yaml"
  OPENAI_CAPI_KEY=dist-test-key "$ENVOY" -c "$tmp/envoy.yaml" --concurrency 1 --disable-hot-restart \
    -l warning --component-log-level wasm:info > "$out" 2>&1 &
  envoy=$!
  pids="$pids $envoy"
  for _ in $(seq 100); do
    kill -0 "$envoy" 2>/dev/null || return 1
    curl -sf "http://127.0.0.1:$admin/ready" > /dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}
stop_envoy() { kill "$envoy" 2>/dev/null || true; wait "$envoy" 2>/dev/null || true; }

# The README quick start's snippets, with the .wasm by URL and sha256.
run_envoy "$wasm_sha" "$tmp/good.log" || { cat "$tmp/good.log" >&2; fail "Envoy did not start with the README quick start"; }
grep -q "openai-capi-filter $version (build " "$tmp/good.log" ||
  { cat "$tmp/good.log" >&2; fail "the remote .wasm did not log its version"; }
curl -s -o /dev/null "http://127.0.0.1:$port/g/collect?v=2&cid=1.2&en=page_view&dl=https%3A%2F%2Fshop.example.com%2F"
curl -s -o /dev/null "http://127.0.0.1:$port/other"
seen=$(curl -s "http://127.0.0.1:$admin/stats?filter=openai_capi.collect_requests$" | awk '{print $2}')
[ "$seen" = 1 ] || fail "the quick start's filter saw $seen collection requests, expected 1"
stop_envoy
echo "ok: the README quick start runs: Envoy fetched the .wasm by URL, checked sha256 $wasm_sha, ran $(grep -o "openai-capi-filter $version (build [^)]*)" "$tmp/good.log" | head -1), and counted the /g/collect hit"

wrong=$(printf '%064d' 0)
run_envoy "$wrong" "$tmp/bad.log" || true
stop_envoy
grep -q "openai-capi-filter $version" "$tmp/bad.log" && fail "Envoy ran the module under a wrong sha256"
grep -q "Plugin openai_capi failed to load" "$tmp/bad.log" ||
  { cat "$tmp/bad.log" >&2; fail "no load failure logged under a wrong sha256"; }
echo "ok: under a wrong sha256 Envoy refuses the module: $(grep -o "Plugin openai_capi failed to load" "$tmp/bad.log" | head -1)"
echo "test-dist: all checks passed"

#!/usr/bin/env bash
# make dist: the release artifacts, from an already built .wasm (no Docker engine needed).
#
#   dist/openai_capi_filter.wasm          Envoy: vm_config.code.local, or .remote + its sha256
#   dist/openai_capi_filter.wasm.sha256   `sha256sum -c` format
#   dist/oci/                             OCI image layout, tag <crate version>, for Istio
#
# The image follows the Istio/Wasm image spec's "compat" variant: FROM scratch, exactly one
# layer (application/vnd.oci.image.layer.v1.tar+gzip) holding /plugin.wasm, and the manifest
# annotation module.wasm.image/variant=compat. Istio's fetcher accepts it, and unlike the custom
# wasm media types every registry stores it and standard tools (skopeo, umoci) read it.
# umoci writes the layout; GNU tar writes the layer. Timestamps come from the commit, so the
# same commit gives the same digests.
set -euo pipefail
WASM=${1:?built .wasm}
cd "$(dirname "$0")/.."
version=$(cargo metadata --no-deps --format-version 1 |
  python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "openai-capi-filter"))')
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)

rm -rf dist
mkdir -p dist
cp "$WASM" dist/openai_capi_filter.wasm
(cd dist && sha256sum openai_capi_filter.wasm > openai_capi_filter.wasm.sha256)
wasm_sha=$(cut -d' ' -f1 dist/openai_capi_filter.wasm.sha256)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp dist/openai_capi_filter.wasm "$tmp/plugin.wasm"
tar --format=ustar \
  --mtime="@$epoch" --owner=0 --group=0 --numeric-owner --mode=0644 \
  -C "$tmp" -cf "$tmp/layer.tar" plugin.wasm

image=dist/oci:$version
umoci init --layout dist/oci
umoci new --image "$image"
umoci config --image "$image" --no-history --created "$created" --os wasip1 --architecture wasm \
  --config.label "org.opencontainers.image.version=$version" \
  --manifest.annotation module.wasm.image/variant=compat \
  --manifest.annotation "org.opencontainers.image.version=$version"
umoci raw add-layer --image "$image" --history.created "$created" \
  --history.created_by "make dist: plugin.wasm" "$tmp/layer.tar"
umoci gc --layout dist/oci
chmod -R a+rX dist

manifest=$(python3 -c 'import json,sys; print(json.load(open("dist/oci/index.json"))["manifests"][0]["digest"])')
cat <<MSG

dist/openai_capi_filter.wasm   sha256 $wasm_sha
  Envoy vm_config.code.remote.sha256: $wasm_sha
dist/oci   OCI image layout, tag $version, manifest digest $manifest
  Istio WasmPlugin: url: oci://<registry>/openai-capi-filter:$version
                    sha256: ${manifest#sha256:}      (Istio checks the manifest digest)
  Push without a Docker engine, keeping that digest:
    skopeo copy --preserve-digests oci:dist/oci:$version docker://<registry>/openai-capi-filter:$version
MSG

#!/usr/bin/env bash
# Installs the Debian packages a make target needs, only those missing (idempotent):
#   install-tools.sh compose   docker-compose v1 (unless `docker compose` v2 works) + PyYAML
#   install-tools.sh yaml      PyYAML for /usr/bin/python3 (the config checks read YAML)
#   install-tools.sh oci       umoci (writes the OCI image layout) + skopeo (checks it)
#   install-tools.sh promtool  prometheus (promtool checks and unit-tests monitoring/alerts.yaml)
set -euo pipefail
want=()
for need in "$@"; do
  case $need in
    compose)
      docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1 ||
        want+=(docker-compose)
      /usr/bin/python3 -c 'import yaml' 2>/dev/null || want+=(python3-yaml) ;;
    yaml)
      /usr/bin/python3 -c 'import yaml' 2>/dev/null || want+=(python3-yaml) ;;
    oci)
      command -v umoci >/dev/null 2>&1 || want+=(umoci)
      command -v skopeo >/dev/null 2>&1 || want+=(skopeo) ;;
    promtool)
      command -v promtool >/dev/null 2>&1 || want+=(prometheus) ;;
    *) echo "install-tools.sh: unknown tool set $need" >&2; exit 2 ;;
  esac
done
[ ${#want[@]} -eq 0 ] && exit 0
mapfile -t want < <(printf '%s\n' "${want[@]}" | sort -u)
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "missing tools: ${want[*]} — install them (Debian: apt-get install ${want[*]})" >&2
  exit 1
fi
echo "installing Debian packages: ${want[*]}"
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${want[@]}" >/dev/null

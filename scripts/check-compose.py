#!/usr/bin/python3
"""Checks that envoy/docker-compose.yaml's services can reach each other as configured.

Parsing is not enough: a stand-in listening on loopback, a cluster pointing at a service name
that does not exist, a port that differs between the stand-in's command and Envoy's cluster, or
a mounted file that is not in the repository all pass `docker compose config` and fail at run
time, visible only in the logs. This script reads the compose file as the compose tool resolves
it (`docker compose config`, v2, or `docker-compose config`, v1: neither needs a Docker engine),
then the Envoy config it mounts and the Dockerfiles it builds, and checks every link:

- build contexts and Dockerfiles exist, and a .dockerignore keeps target/ and .tools/ out;
- bind-mounted host paths exist;
- Envoy's -c file is mounted, and the .wasm it loads is mounted or built into the image;
- every cluster address names a compose service (or is an IP), at the port that service's
  stand-in listens on, and the stand-in listens on all interfaces, not loopback;
- the filter's API cluster exists; the env vars it reads are set on the service;
- each published port is an Envoy listener or the admin port, bound to 0.0.0.0 in the container.

`--self-test` breaks a copy of the configuration in each of those ways and requires the check to
catch every one, so the check cannot silently turn into a no-op.
"""

import copy
import ipaddress
import json
import os
import shlex
import subprocess
import sys

import yaml

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))
COMPOSE_FILE = os.path.join(ROOT, "envoy", "docker-compose.yaml")
STANDIN_DEFAULTS = {"listen": "127.0.0.1", "port": 8081}


def compose_command():
    """`docker compose` (v2) if it works, else `docker-compose` (v1)."""
    for cmd in (["docker", "compose"], ["docker-compose"]):
        try:
            if subprocess.run(cmd + ["version"], capture_output=True).returncode == 0:
                return cmd
        except FileNotFoundError:
            continue
    sys.exit("check-compose: neither `docker compose` (v2) nor `docker-compose` (v1) is installed "
             "(Debian: apt-get install docker-compose)")


def resolved_compose(cmd):
    out = subprocess.run(cmd + ["-f", COMPOSE_FILE, "config"], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"check-compose: {' '.join(cmd)} config failed:\n{out.stderr}")
    return yaml.safe_load(out.stdout)


def command_args(service):
    command = service.get("command") or []
    return shlex.split(command) if isinstance(command, str) else [str(a) for a in command]


def flag(args, name, default=None):
    """Value of `--name V` or `--name=V` in an argument list."""
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return default


def volumes(service):
    """(host source, container target) of each bind mount, long or short syntax."""
    for v in service.get("volumes") or []:
        if isinstance(v, dict):
            if v.get("type", "bind") == "bind":
                yield v.get("source"), v.get("target")
        else:
            parts = v.split(":")
            if len(parts) >= 2:
                yield parts[0], parts[1]


def dockerfile_copies(path):
    """Container paths the final stage of a Dockerfile COPYs files to."""
    dests = []
    with open(path) as f:
        for line in f:
            words = line.split()
            if not words:
                continue
            if words[0].upper() == "FROM":
                dests = []  # a new stage: earlier stages' files are not in the final image
            elif words[0].upper() in ("COPY", "ADD"):
                dests.append([w for w in words[1:] if not w.startswith("--")][-1])
    return dests


def socket_addresses(node):
    """Every socket_address dict anywhere in an Envoy config subtree."""
    if isinstance(node, dict):
        if "socket_address" in node:
            yield node["socket_address"]
        for value in node.values():
            yield from socket_addresses(value)
    elif isinstance(node, list):
        for value in node:
            yield from socket_addresses(value)


def wasm_filters(node):
    if isinstance(node, dict):
        config = node.get("typed_config", {})
        if isinstance(config, dict) and config.get("@type", "").endswith(
                "envoy.extensions.filters.http.wasm.v3.Wasm"):
            yield config.get("config", {})
        for value in node.values():
            yield from wasm_filters(value)
    elif isinstance(node, list):
        for value in node:
            yield from wasm_filters(value)


def is_ip(text):
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def check(compose, read_envoy_config):
    """Returns (facts, problems): what was verified, and every broken link found."""
    facts, problems = [], []
    services = compose.get("services") or {}

    for name, svc in services.items():
        build = svc.get("build")
        if build:
            context = build if isinstance(build, str) else build.get("context", ".")
            dockerfile = os.path.join(context, (build.get("dockerfile") if isinstance(build, dict)
                                                else None) or "Dockerfile")
            if not os.path.isdir(context):
                problems.append(f"{name}: build context {context} does not exist")
            elif not os.path.isfile(dockerfile):
                problems.append(f"{name}: Dockerfile {dockerfile} does not exist")
            else:
                facts.append(f"{name}: builds {os.path.relpath(dockerfile, ROOT)}")
            ignore = os.path.join(context, ".dockerignore")
            ignored = open(ignore).read().split() if os.path.isfile(ignore) else []
            for heavy in ("target/", ".tools/"):
                if heavy not in ignored and heavy.rstrip("/") not in ignored:
                    problems.append(f"{name}: {ignore} must exclude {heavy} (GBs of build context)")
        for source, target in volumes(svc):
            if not os.path.exists(source):
                problems.append(f"{name}: mounted {source} (→ {target}) does not exist")
            else:
                facts.append(f"{name}: mounts {os.path.relpath(source, ROOT)} → {target}")

    # Where each stand-in listens, from its command line.
    listening = {}
    for name, svc in services.items():
        args = command_args(svc)
        if "--api-key" in " ".join(args) or "standin" in name:
            listen = flag(args, "--listen", STANDIN_DEFAULTS["listen"])
            port = int(flag(args, "--port", STANDIN_DEFAULTS["port"]))
            listening[name] = (listen, port)
            if is_ip(listen) and ipaddress.ip_address(listen).is_loopback:
                problems.append(f"{name}: listens on {listen} (loopback): other containers get "
                                "connection refused; pass --listen 0.0.0.0")
            else:
                facts.append(f"{name}: listens on {listen}:{port}")
            exposed = {str(p).split("/")[0] for p in svc.get("expose") or []}
            if exposed and str(port) not in exposed:
                problems.append(f"{name}: listens on port {port} but exposes {sorted(exposed)}")

    for name, svc in services.items():
        args = command_args(svc)
        config_path = flag(args, "-c") or flag(args, "--config-path")
        if not args or "envoy" not in args[0]:
            continue
        if config_path is None:
            problems.append(f"{name}: envoy command has no -c <config>")
            continue
        mounts = {target: source for source, target in volumes(svc)}
        if config_path not in mounts:
            problems.append(f"{name}: envoy config {config_path} is not mounted")
            continue
        if not os.path.isfile(mounts[config_path]):
            continue  # reported with the mounts above
        envoy = read_envoy_config(mounts[config_path])
        build = svc.get("build")
        image_files = []
        if isinstance(build, dict):
            dockerfile = os.path.join(build.get("context", "."), build.get("dockerfile", "Dockerfile"))
            if os.path.isfile(dockerfile):
                image_files = dockerfile_copies(dockerfile)

        static = envoy.get("static_resources", {})
        clusters = {c.get("name"): c for c in static.get("clusters", [])}
        for cname, cluster in clusters.items():
            for sa in socket_addresses(cluster):
                host, port = sa.get("address"), sa.get("port_value")
                if is_ip(host):
                    if ipaddress.ip_address(host).is_loopback:
                        problems.append(f"{name}: cluster {cname} → {host}: loopback of the Envoy "
                                        "container, not another service")
                    continue
                if host not in services:
                    problems.append(f"{name}: cluster {cname} → {host}:{port}, but no service "
                                    f"is named {host} (services: {sorted(services)})")
                    continue
                if host in listening and listening[host][1] != port:
                    problems.append(f"{name}: cluster {cname} → {host}:{port}, but {host} "
                                    f"listens on port {listening[host][1]}")
                    continue
                deps = svc.get("depends_on") or []
                if host not in deps:
                    problems.append(f"{name}: cluster {cname} → {host} but {name} does not "
                                    f"depend_on {host}")
                facts.append(f"{name}: cluster {cname} → {host}:{port} (a service that listens there)")

        for wasm in wasm_filters(envoy):
            vm = wasm.get("vm_config", {})
            filename = vm.get("code", {}).get("local", {}).get("filename")
            if filename:
                if filename in mounts:
                    facts.append(f"{name}: {filename} is mounted")
                elif filename in image_files:
                    facts.append(f"{name}: {filename} is built into the image")
                else:
                    problems.append(f"{name}: the filter loads {filename}, neither mounted nor "
                                    "copied into the image")
            env = svc.get("environment") or {}
            env_names = set(env) if isinstance(env, dict) else {e.split("=")[0] for e in env}
            for key in vm.get("environment_variables", {}).get("host_env_keys", []):
                if key not in env_names:
                    problems.append(f"{name}: the filter reads ${key}, not set on the service")
                else:
                    facts.append(f"{name}: ${key} is set for the filter")
            raw = wasm.get("configuration", {}).get("value")
            # A JSON string (StringValue) or YAML (Struct).
            filter_config = json.loads(raw) if isinstance(raw, str) else raw
            if isinstance(filter_config, dict):
                api_cluster = filter_config.get("api", {}).get("cluster", "openai_capi")
                if api_cluster not in clusters:
                    problems.append(f"{name}: the filter posts to cluster {api_cluster}, "
                                    "which the Envoy config does not define")
                else:
                    facts.append(f"{name}: the filter's API cluster {api_cluster} is defined")

        ports = {sa.get("port_value"): sa.get("address")
                 for sa in socket_addresses(static.get("listeners", []))}
        admin = list(socket_addresses(envoy.get("admin", {})))
        for sa in admin:
            ports[sa.get("port_value")] = sa.get("address")
        for published in svc.get("ports") or []:
            target = int(published["target"] if isinstance(published, dict)
                         else str(published).split(":")[-1].split("/")[0])
            if target not in ports:
                problems.append(f"{name}: publishes container port {target}, where Envoy has "
                                f"no listener (listeners/admin: {sorted(ports)})")
            elif is_ip(ports[target]) and ipaddress.ip_address(ports[target]).is_loopback:
                problems.append(f"{name}: publishes port {target}, but Envoy binds it to "
                                f"{ports[target]} inside the container: unreachable")
            else:
                facts.append(f"{name}: publishes {target} → Envoy {ports[target]}:{target}")
    return facts, problems


def load_yaml(path):
    with open(path) as f:
        return yaml.safe_load(f)


def long_syntax(compose):
    """The same services as `docker compose config` (v2) prints them: ports and volumes in the
    long syntax, the published port a string."""
    c = copy.deepcopy(compose)
    for svc in c["services"].values():
        ports = []
        for p in svc.get("ports") or []:
            host_ip, published, target = str(p).split("/")[0].split(":")
            ports.append({"mode": "ingress", "host_ip": host_ip, "target": int(target),
                          "published": published, "protocol": "tcp"})
        if ports:
            svc["ports"] = ports
        vols = []
        for v in svc.get("volumes") or []:
            source, target, *mode = v.split(":")
            vols.append({"type": "bind", "source": source, "target": target,
                         "read_only": mode == ["ro"], "bind": {"create_host_path": True}})
        if vols:
            svc["volumes"] = vols
    return c


def self_test(compose):
    """Each way of breaking the setup must be caught, in either compose version's output."""
    if isinstance((compose["services"]["envoy"].get("volumes") or [None])[0], str):
        facts, problems = check(compose, load_yaml)
        facts2, problems2 = check(long_syntax(compose), load_yaml)
        if problems2 or facts2 != facts:
            sys.exit(f"check-compose --self-test: v2 long syntax reads differently: {problems2}")
        print("  same verdict on the v2 (long syntax) form of the file")
    def standin(c):
        return c["services"]["capi-standin"]

    def cluster_host(cfg, host=None, port=None):
        for sa in socket_addresses(cfg["static_resources"]["clusters"]):
            if host:
                sa["address"] = host
            if port:
                sa["port_value"] = port
        return cfg

    def drop_listen(c):
        args = command_args(standin(c))
        i = args.index("--listen")
        standin(c)["command"] = args[:i] + args[i + 2:]

    breakages = {
        "stand-in on loopback (no --listen)": (drop_listen, None),
        "stand-in on 127.0.0.1": (lambda c: standin(c).update(
            command=["--listen", "127.0.0.1"] + command_args(standin(c))[2:]), None),
        "stand-in on another port": (lambda c: standin(c).update(
            command=[("9999" if a == "8081" else a) for a in command_args(standin(c))],
            expose=["9999"]), None),
        "cluster names no service": (None, lambda cfg: cluster_host(cfg, host="capi_standin")),
        "cluster on the wrong port": (None, lambda cfg: cluster_host(cfg, port=18081)),
        "cluster on loopback": (None, lambda cfg: cluster_host(cfg, host="127.0.0.1")),
        "mounted file missing": (lambda c: c["services"]["envoy"].update(volumes=[
            v.replace("docker/envoy.yaml", "docker/missing.yaml") for v in
            c["services"]["envoy"]["volumes"]]), None),
        "published port without listener": (lambda c: c["services"]["envoy"].update(
            ports=["127.0.0.1:8080:8080"]), None),
        "filter key env var not set": (lambda c: c["services"]["envoy"].update(environment={}),
                                       None),
        "wasm neither mounted nor built": (lambda c: c["services"]["envoy"].update(
            build={"context": ROOT, "dockerfile": "standin/Dockerfile"}), None),
        "envoy starts without the stand-in": (lambda c: c["services"]["envoy"].pop("depends_on"),
                                               None),
    }
    failed = []
    for what, (break_compose, break_envoy) in breakages.items():
        c = copy.deepcopy(compose)
        if break_compose:
            break_compose(c)

        def read(path, break_envoy=break_envoy):
            cfg = load_yaml(path)
            return break_envoy(cfg) if break_envoy else cfg

        _, problems = check(c, read)
        if problems:
            print(f"  caught: {what}: {problems[0]}")
        else:
            failed.append(what)
    if failed:
        sys.exit(f"check-compose --self-test: NOT caught: {failed}")
    print(f"check-compose --self-test: all {len(breakages)} breakages caught")


def main():
    cmd = compose_command()
    compose = resolved_compose(cmd)
    facts, problems = check(compose, load_yaml)
    print(f"check-compose: {os.path.relpath(COMPOSE_FILE, ROOT)} resolved by `{' '.join(cmd)} config`")
    for fact in facts:
        print(f"  ok: {fact}")
    if problems:
        for problem in problems:
            print(f"  BROKEN: {problem}")
        sys.exit(1)
    if "--self-test" in sys.argv[1:]:
        self_test(compose)


if __name__ == "__main__":
    main()

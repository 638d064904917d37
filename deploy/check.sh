#!/usr/bin/env bash
# Validates the deployment artefacts under deploy/ without a container engine or a cluster:
#
#   1. deploy/compose: `docker-compose config -q` (Debian's 1.29.2, or `docker compose` v2),
#      for compose.yaml alone and with compose.analytics.yaml and the analytics profile, run
#      on a temporary copy with dummy secret files; then the hardening every upsight service
#      must keep (uid 65532, read-only root, no capabilities, no-new-privileges) and that
#      every published port is bound to 127.0.0.1.
#   2. deploy/kubernetes: `kubernetes-validate --strict` against Kubernetes 1.31.0 for every
#      manifest (kustomization.yaml is not an object), then the security context, probes and
#      resources of every pod; `kubectl kustomize` when kubectl is installed.
#   3. The planes' configurations: a non-loopback listen must come with ingest and viewer
#      tokens (the plane refuses to start otherwise).
#   4. When available (skipped otherwise): `amtool check-config` on the compose Alertmanager
#      configuration, `promtool check config` on the compose Prometheus configuration, and
#      upsight itself on the four TOML configurations (`check-config` for the exporters; the
#      planes are started on 127.0.0.1 with an ephemeral port and stopped again).
#
# Installs what is missing: docker-compose with apt-get (as root), kubernetes-validate in a
# venv under ${XDG_CACHE_HOME:-$HOME/.cache}/upsight/kv-venv. Apart from those installs it
# uses no network (only 127.0.0.1) and writes nothing inside the repository: every copy and
# dummy secret lives in a temporary directory that is removed on exit.
#
# Usage: deploy/check.sh         (from anywhere)
# Environment: UPSIGHT_BIN=path/to/upsight to choose the binary for step 4.

set -euo pipefail

readonly KV_VERSION=1.31.0
readonly K8S_VERSION=1.31.0

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/upsight"
venv="$cache/kv-venv"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/upsight-deploy-check.XXXXXX")"
plane_pid=""
cleanup() {
    if [[ -n "$plane_pid" ]]; then
        kill "$plane_pid" 2>/dev/null || true
        wait "$plane_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

step() { printf '== %s\n' "$*"; }
note() { printf '   %s\n' "$*"; }
fail() { printf 'deploy/check.sh: %s\n' "$*" >&2; exit 1; }

# A random token: 64 hex characters, what secrets/README.md tells users to generate.
token() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }

# ---------------------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------------------

compose=()
find_compose() {
    if command -v docker-compose >/dev/null 2>&1; then
        compose=(docker-compose)
    elif [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        step "installing docker-compose (apt-get)"
        if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends docker-compose >/dev/null; then
            DEBIAN_FRONTEND=noninteractive apt-get update >/dev/null
            DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends docker-compose >/dev/null
        fi
        compose=(docker-compose)
    elif docker compose version >/dev/null 2>&1; then
        compose=(docker compose)
    else
        fail "neither docker-compose nor 'docker compose' is installed (as root, this script installs docker-compose with apt-get)"
    fi
    note "compose: $("${compose[@]}" version 2>/dev/null | head -n 1)"
}

find_kubernetes_validate() {
    local have=""
    if [[ -x "$venv/bin/kubernetes-validate" ]]; then
        have="$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("kubernetes-validate"))' 2>/dev/null || true)"
    fi
    if [[ "$have" != "$KV_VERSION" ]]; then
        step "installing kubernetes-validate $KV_VERSION in $venv"
        command -v python3 >/dev/null 2>&1 || fail "python3 is needed for kubernetes-validate"
        mkdir -p "$cache"
        rm -rf "$venv"
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$KV_VERSION"
    fi
    note "kubernetes-validate: $("$venv/bin/kubernetes-validate" --version 2>&1 | tail -n 1)"
}

# The venv's Python has PyYAML (a kubernetes-validate dependency): used for the assertions.
py() { "$venv/bin/python" "$@"; }

# ---------------------------------------------------------------------------------------
# 1. Compose
# ---------------------------------------------------------------------------------------

check_compose() {
    step "compose: docker-compose config"
    # A copy of deploy/compose with the repository directories it mounts (../../dashboards,
    # ../../alerting-rules) next to it, and dummy secret files: nothing is written in the
    # repository, and the check does not depend on the user's real secrets.
    local root="$tmp/compose-copy"
    mkdir -p "$root/deploy"
    cp -R "$here/compose" "$root/deploy/compose"
    ln -s "$repo/dashboards" "$root/dashboards"
    ln -s "$repo/alerting-rules" "$root/alerting-rules"
    local secret
    for secret in fleet_ingest_token fleet_viewer_token exporter_viewer_token \
                  grafana_admin_password clickhouse_password; do
        token > "$root/deploy/compose/secrets/$secret"
    done

    local dir="$root/deploy/compose"
    (
        cd "$dir"
        # No variable of the caller's environment may change what is checked.
        unset UPSIGHT_IMAGE COMPOSE_FILE COMPOSE_PROFILES COMPOSE_PROJECT_NAME
        "${compose[@]}" -p upsight -f compose.yaml config -q
        note "compose.yaml: valid"
        "${compose[@]}" -p upsight -f compose.yaml -f compose.analytics.yaml --profile analytics config -q
        note "compose.yaml + compose.analytics.yaml --profile analytics: valid"
        "${compose[@]}" -p upsight -f compose.yaml -f compose.analytics.yaml --profile analytics config \
            > "$tmp/compose-rendered.yaml"
    )

    step "compose: hardening and published ports"
    py - "$tmp/compose-rendered.yaml" <<'EOF'
import sys, yaml

doc = yaml.safe_load(open(sys.argv[1]))
services = doc["services"]
problems = []
upsight = [n for n, s in services.items() if str(s.get("image", "")).split(":")[0].endswith("upsight")]
if sorted(upsight) != ["exporter", "fleet", "ups-sim"]:
    problems.append(f"upsight services are {sorted(upsight)}, expected exporter, fleet, ups-sim")
for name in upsight:
    s = services[name]
    if str(s.get("user")) != "65532:65532":
        problems.append(f"{name}: user is {s.get('user')!r}, not 65532:65532")
    if s.get("read_only") is not True:
        problems.append(f"{name}: read_only is not true")
    if s.get("cap_drop") != ["ALL"]:
        problems.append(f"{name}: cap_drop is not [ALL]")
    if "no-new-privileges:true" not in (s.get("security_opt") or []):
        problems.append(f"{name}: security_opt lacks no-new-privileges:true")
    test = (s.get("healthcheck") or {}).get("test")
    if name != "ups-sim" and (not test or test[:3] != ["CMD", "/usr/local/bin/upsight", "healthcheck"]):
        problems.append(f"{name}: healthcheck is not upsight healthcheck: {test!r}")
for name, s in services.items():
    for port in s.get("ports") or []:
        text = port if isinstance(port, str) else f"{port.get('host_ip', '')}:{port.get('published', '')}"
        if not str(text).startswith("127.0.0.1:"):
            problems.append(f"{name}: port {port!r} is not bound to 127.0.0.1")
g = services["grafana"].get("environment") or {}
for key, want in [("GF_AUTH_ANONYMOUS_ENABLED", "false"), ("GF_USERS_ALLOW_SIGN_UP", "false")]:
    if str(g.get(key)).lower() != want:
        problems.append(f"grafana: {key} is {g.get(key)!r}, not {want}")
if "GF_SECURITY_ADMIN_PASSWORD" in g or "GF_SECURITY_ADMIN_PASSWORD__FILE" not in g:
    problems.append("grafana: the admin password must come from GF_SECURITY_ADMIN_PASSWORD__FILE")
if problems:
    sys.exit("\n".join(problems))
print(f"   {len(services)} services; upsight services hardened; every published port on 127.0.0.1")
EOF
}

# ---------------------------------------------------------------------------------------
# 2. Kubernetes
# ---------------------------------------------------------------------------------------

check_kubernetes() {
    step "kubernetes: kubernetes-validate --strict -k $K8S_VERSION"
    local manifests=()
    local f
    for f in "$here"/kubernetes/*.yaml; do
        [[ "$(basename "$f")" == kustomization.yaml ]] && continue
        manifests+=("$f")
    done
    [[ ${#manifests[@]} -gt 0 ]] || fail "no manifests in deploy/kubernetes"
    (cd "$repo" && "$venv/bin/kubernetes-validate" --strict -k "$K8S_VERSION" \
        "${manifests[@]#"$repo/"}")

    step "kubernetes: kustomization lists every manifest; pod security"
    py - "$here/kubernetes" <<'EOF'
import os, sys, yaml

root = sys.argv[1]
kust = yaml.safe_load(open(os.path.join(root, "kustomization.yaml")))
files = sorted(f for f in os.listdir(root) if f.endswith(".yaml") and f != "kustomization.yaml")
problems = []
if sorted(kust.get("resources", [])) != files:
    problems.append(f"kustomization.yaml resources {sorted(kust.get('resources', []))} != files {files}")

pods = 0
for f in files:
    for doc in yaml.safe_load_all(open(os.path.join(root, f))):
        if not doc or doc.get("kind") not in ("Deployment", "StatefulSet"):
            continue
        pods += 1
        name = f"{doc['kind']}/{doc['metadata']['name']}"
        spec = doc["spec"]["template"]["spec"]
        psc = spec.get("securityContext") or {}
        if psc.get("runAsNonRoot") is not True or psc.get("runAsUser") != 65532:
            problems.append(f"{name}: pod securityContext must be runAsNonRoot, runAsUser 65532")
        if (psc.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
            problems.append(f"{name}: pod seccompProfile must be RuntimeDefault")
        for c in spec["containers"]:
            cn = f"{name}/{c['name']}"
            sc = c.get("securityContext") or {}
            want = {"runAsNonRoot": True, "runAsUser": 65532, "readOnlyRootFilesystem": True,
                    "allowPrivilegeEscalation": False}
            for k, v in want.items():
                if sc.get(k) != v:
                    problems.append(f"{cn}: securityContext.{k} is {sc.get(k)!r}, not {v!r}")
            if (sc.get("capabilities") or {}).get("drop") != ["ALL"]:
                problems.append(f"{cn}: capabilities.drop is not [ALL]")
            if (sc.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
                problems.append(f"{cn}: seccompProfile is not RuntimeDefault")
            if (c.get("livenessProbe") or {}).get("httpGet", {}).get("path") != "/healthz":
                problems.append(f"{cn}: livenessProbe is not httpGet /healthz")
            if (c.get("readinessProbe") or {}).get("httpGet", {}).get("path") != "/readyz":
                problems.append(f"{cn}: readinessProbe is not httpGet /readyz")
            res = c.get("resources") or {}
            if not res.get("requests") or not (res.get("limits") or {}).get("memory"):
                problems.append(f"{cn}: resources need requests and a memory limit")
if pods != 2:
    problems.append(f"expected 2 workloads (fleet StatefulSet, exporter Deployment), found {pods}")
if problems:
    sys.exit("\n".join(problems))
print(f"   {len(files)} manifests listed; {pods} workloads with restricted security contexts, probes, resources")
EOF

    if command -v kubectl >/dev/null 2>&1; then
        step "kubernetes: kubectl kustomize (rendered output validated too)"
        kubectl kustomize "$here/kubernetes" > "$tmp/kustomized.yaml"
        "$venv/bin/kubernetes-validate" --strict --quiet -k "$K8S_VERSION" "$tmp/kustomized.yaml"
        note "kustomize build: valid"
    else
        note "kubectl not installed: kustomize build skipped"
    fi
}

check_plane_tokens() {
    # The plane refuses a non-loopback listen without both tokens (exit 64). Step 4 starts it
    # on 127.0.0.1 only, where it needs none, so check the configured listen statically.
    step "fleet configurations: a non-loopback listen has ingest and viewer tokens"
    py - "$here/compose/fleet.toml" "$here/kubernetes/fleet-configmap.yaml" <<'EOF'
import ipaddress, sys, yaml
try:
    import tomllib  # Python 3.11 and later
except ImportError:
    print("   Python before 3.11 (no tomllib): skipped")
    sys.exit(0)

problems = []
for path in sys.argv[1:]:
    text = open(path).read()
    if path.endswith(".yaml"):
        text = yaml.safe_load(text)["data"]["fleet.toml"]
    conf = tomllib.loads(text)
    listen = conf.get("listen", "127.0.0.1:9956")
    host = listen.rsplit(":", 1)[0].strip("[]")
    tokens = conf.get("tokens", {})
    def has(role):
        return any(k in tokens for k in (role, role + "_file", "shared", "shared_file"))
    if not ipaddress.ip_address(host).is_loopback and not (has("ingest") and has("viewer")):
        problems.append(f"{path}: listen {listen} needs [tokens] ingest and viewer (or shared)")
if problems:
    sys.exit("\n".join(problems))
print(f"   {len(sys.argv) - 1} plane configurations: tokens set for their listen address")
EOF
}

# ---------------------------------------------------------------------------------------
# 4. Optional: amtool, promtool, upsight
# ---------------------------------------------------------------------------------------

check_alertmanager() {
    if ! command -v amtool >/dev/null 2>&1; then
        note "amtool not installed: Alertmanager configuration not checked"
        return
    fi
    step "alertmanager: amtool check-config"
    amtool check-config "$here/compose/alertmanager/alertmanager.yml" >/dev/null
    note "compose/alertmanager/alertmanager.yml: valid"
}

check_prometheus() {
    if ! command -v promtool >/dev/null 2>&1; then
        note "promtool not installed: Prometheus configuration not checked"
        return
    fi
    step "prometheus: promtool check config"
    # The container paths (rules, secret) point into a temporary directory.
    local d="$tmp/prometheus"
    mkdir -p "$d/rules" "$d/secrets"
    cp "$repo/alerting-rules/upsight.rules.yml" "$d/rules/"
    token > "$d/secrets/fleet_viewer_token"
    sed -e "s#/etc/prometheus/rules/#$d/rules/#g" -e "s#/run/secrets/#$d/secrets/#g" \
        "$here/compose/prometheus/prometheus.yml" > "$d/prometheus.yml"
    promtool check config "$d/prometheus.yml" >/dev/null
    note "compose/prometheus/prometheus.yml (with alerting-rules/upsight.rules.yml): valid"
}

find_upsight() {
    local candidate
    for candidate in "${UPSIGHT_BIN:-}" "$(command -v upsight 2>/dev/null || true)" \
                     "$repo/target/release/upsight" "$repo/target/debug/upsight"; do
        if [[ -n "$candidate" && -x "$candidate" ]]; then
            printf '%s\n' "$candidate"
            return
        fi
    done
}

# Extracts a TOML configuration and points its /run/secrets/... and /var/lib/upsight paths
# into the temporary directory, with a dummy token in every secret file it names.
prepare_toml() { # source (file or configmap.yaml), key (for a ConfigMap), out
    local src="$1" key="$2" out="$3"
    local secrets="$tmp/upsight-secrets"
    mkdir -p "$secrets"
    py - "$src" "$key" "$out" "$secrets" "$tmp/upsight-state" <<'EOF'
import os, re, sys, yaml
src, key, out, secrets, state = sys.argv[1:]
text = yaml.safe_load(open(src))["data"][key] if key else open(src).read()
for path in set(re.findall(r'"(/run/secrets/[^"]+)"', text)):
    name = path.replace("/", "_")
    text = text.replace(f'"{path}"', f'"{secrets}/{name}"')
text = text.replace('"/var/lib/upsight"', f'"{state}/{os.path.basename(out)}"')
open(out, "w").write(text)
print("\n".join(sorted(set(re.findall(re.escape(secrets) + r'/([^"]+)"', text)))))
EOF
}

check_upsight_configs() {
    local bin
    bin="$(find_upsight)"
    if [[ -z "$bin" ]]; then
        note "no upsight binary (UPSIGHT_BIN, PATH, target/): TOML configurations not checked"
        return
    fi
    step "upsight: the TOML configurations ($bin)"
    local name src key out secret
    while read -r name src key; do
        out="$tmp/$name"
        while read -r secret; do
            [[ -n "$secret" ]] && token > "$tmp/upsight-secrets/$secret"
        done < <(prepare_toml "$src" "$key" "$out")
        case "$name" in
            exporter-*)
                # Prints "FILE: ok (...)" or every problem, exit 64.
                # env -i: the caller's UPSIGHT_* variables must not change what is checked.
                env -i "$bin" check-config "$out" | sed "s#^$out#   $name#"
                ;;
            fleet-*)
                # The plane has no check-config: start it on 127.0.0.1, ephemeral port. A bad
                # configuration exits 64 at once; a good one logs "Fleet plane started.".
                env -i UPSIGHT_FLEET_LISTEN=127.0.0.1:0 "$bin" fleet --config "$out" > "$tmp/$name.log" 2>&1 &
                plane_pid=$!
                local waited=0
                until grep -q "Fleet plane started" "$tmp/$name.log"; do
                    if ! kill -0 "$plane_pid" 2>/dev/null; then
                        cat "$tmp/$name.log" >&2
                        plane_pid=""
                        fail "$name: the plane refused its configuration"
                    fi
                    (( waited++ < 100 )) || fail "$name: the plane did not start within 10 s"
                    sleep 0.1
                done
                kill "$plane_pid"
                wait "$plane_pid" || fail "$name: the plane did not stop cleanly"
                plane_pid=""
                note "$name: accepted (plane started and stopped)"
                ;;
        esac
    done <<EOF
exporter-compose.toml $here/compose/exporter.toml
fleet-compose.toml $here/compose/fleet.toml
exporter-kubernetes.toml $here/kubernetes/exporter-configmap.yaml exporter.toml
fleet-kubernetes.toml $here/kubernetes/fleet-configmap.yaml fleet.toml
EOF
}

# ---------------------------------------------------------------------------------------

find_compose
find_kubernetes_validate
check_compose
check_kubernetes
check_plane_tokens
check_alertmanager
check_prometheus
check_upsight_configs
echo "deploy checks passed"

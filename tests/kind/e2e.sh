#!/usr/bin/env bash
# `make kind-e2e`: the whole product in a local kind cluster, as a user would run it.
#  1. creates the kind cluster from kind-config.yaml (or reuses it),
#  2. builds the Job and controller images (job_images/Dockerfile) and loads them into it,
#  3. applies manifests/ (CRD, RBAC, MinIO, controller) and an in-cluster test registry,
#  4. pushes the sample images and a fixture vulnerability DB to that registry,
#  5. applies a Registry for them (tests/kind/sample-registry.yaml) and requests a scan,
#  6. waits for the status summary, prints it, and where to read the reports.
# Needs kind, docker (an engine that answers) and kubectl on PATH, Docker Hub access (kind's
# node image, registry:2, python:3.11-slim), and the repository's venv (`make venv`).
# Settings: BASE_IMAGE (default python:3.11-slim), TIMEOUT seconds (default 900),
# PYTHON (default .venv/bin/python).
set -euo pipefail
cd "$(dirname "$0")/../.."

CLUSTER=regscan # the name in kind-config.yaml
CONTEXT="kind-$CLUSTER"
NS=regscan-system
REGISTRY=kind-e2e # tests/kind/sample-registry.yaml
PYTHON=${PYTHON:-.venv/bin/python}
BASE_IMAGE=${BASE_IMAGE:-python:3.11-slim}
TIMEOUT=${TIMEOUT:-900}

die() {
  echo "kind-e2e: $*" >&2
  exit 1
}
step() { printf '\n== %s\n' "$*"; }
k() { kubectl --context "$CONTEXT" "$@"; }

for tool in kind docker kubectl; do
  command -v "$tool" >/dev/null || die "$tool not found on PATH (see README, Deploy to a cluster)"
done
docker info >/dev/null 2>&1 || die "docker is installed but no engine answers (start Docker)"
[ -x "$PYTHON" ] || die "$PYTHON not found: run make venv first"

step "cluster $CLUSTER (kind-config.yaml)"
if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
  echo "reusing the existing kind cluster $CLUSTER (kind delete cluster --name $CLUSTER for a fresh one)"
else
  kind create cluster --config kind-config.yaml --wait 120s
fi

step "images regscan:dev (Jobs) and regscan-controller:dev (controller), on $BASE_IMAGE"
for target in job controller; do
  tag=regscan:dev
  [ "$target" = controller ] && tag=regscan-controller:dev
  docker build -q -f job_images/Dockerfile --build-arg BASE_IMAGE="$BASE_IMAGE" \
    --target "$target" -t "$tag" .
done
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E '^regscan(-controller)?:dev '
kind load docker-image regscan:dev regscan-controller:dev --name "$CLUSTER"

step "regscan: CRD, RBAC, MinIO, controller; a test registry"
# MinIO's credentials: the user's manifests/s3-credentials.env, else a random one made once
make --no-print-directory -s manifests/s3-credentials.env
k apply -k manifests/
k wait --for condition=established crd/registries.regscan.dev --timeout=60s
k apply -f tests/kind/registry.yaml
k -n "$NS" rollout restart deploy/regscan-controller # picks up a rebuilt regscan-controller:dev
for deploy in minio registry regscan-controller; do
  k -n "$NS" rollout status "deploy/$deploy" --timeout=300s
done

step "sample images and the fixture vulnerability DB, through a port-forward"
forward_log=$(mktemp)
k -n "$NS" port-forward service/registry :5000 >"$forward_log" 2>&1 &
forward_pid=$!
trap 'kill "$forward_pid" 2>/dev/null || true; rm -f "$forward_log"' EXIT
port=""
for _ in $(seq 30); do
  port=$(sed -n 's/^Forwarding from 127.0.0.1:\([0-9]*\) .*/\1/p' "$forward_log" | head -n 1)
  [ -n "$port" ] && break
  sleep 1
done
[ -n "$port" ] || die "kubectl port-forward to the test registry did not start: $(cat "$forward_log")"
"$PYTHON" -m tests.bench.push_samples "http://127.0.0.1:$port"
kill "$forward_pid" 2>/dev/null || true

step "Registry default/$REGISTRY, and a scan requested now"
k apply -f tests/kind/sample-registry.yaml
before=$(k -n default get registry "$REGISTRY" -o jsonpath='{.status.lastScan.completionTime}')
k -n default annotate registry "$REGISTRY" "regscan.dev/scan-requested=$(date +%s)" --overwrite

step "waiting (up to ${TIMEOUT}s) for the scan summary"
deadline=$((SECONDS + TIMEOUT))
while :; do
  done_at=$(k -n default get registry "$REGISTRY" -o jsonpath='{.status.lastScan.completionTime}')
  [ -n "$done_at" ] && [ "$done_at" != "$before" ] && break
  if [ "$SECONDS" -ge "$deadline" ]; then
    k -n "$NS" get cronjobs,jobs,pods || true
    k -n default describe registry "$REGISTRY" || true
    die "no scan summary after ${TIMEOUT}s (controller logs: kubectl -n $NS logs deploy/regscan-controller)"
  fi
  sleep 5
done
k get registries -A
k -n default get registry "$REGISTRY" \
  -o jsonpath='{"last scan: "}{.status.lastScan}{"\nvulnerabilities: "}{.status.vulnerabilities}{"\n"}'
reports=$(k -n default get registry "$REGISTRY" -o jsonpath='{.status.reports}')

step "where to look"
cat <<EOF
Run index:      $reports
MinIO console:  http://127.0.0.1:9001 (kind-config.yaml maps it), user and password:
                kubectl -n $NS get secret regscan-s3 -o jsonpath='{.data.accessKey}' | base64 -d
                kubectl -n $NS get secret regscan-s3 -o jsonpath='{.data.secretKey}' | base64 -d
                bucket regscan, folder default/ (runs/, reports/, sboms/)
From here:      AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... \\
                  .venv/bin/regscan report s3://regscan/default --s3-endpoint http://127.0.0.1:9000
Events:         kubectl -n default get events --field-selector involvedObject.name=$REGISTRY
Clean up:       kind delete cluster --name $CLUSTER
EOF

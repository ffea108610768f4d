#!/usr/bin/env sh
# Installs the real peers the integration tests and benchmarks use (Debian/Ubuntu, as root).
set -eu
apt-get update
apt-get install -y --no-install-recommends docker-registry skopeo umoci buildah pigz zstd hyperfine time \
  docker.io containerd runc busybox-static gpg gpg-agent openssl

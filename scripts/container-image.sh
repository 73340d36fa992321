#!/usr/bin/env bash
# Builds consolegate's container image on this machine, without a registry: the bases come from
# Debian's own repositories (mmdebstrap, bookworm) and are imported with `podman import`; then
# deploy/container/Containerfile is built with podman.
#
#   scripts/container-image.sh [--binary PATH] [--tag IMAGE]   runtime stage from a built binary
#   scripts/container-image.sh --from-source [--tag IMAGE]      the build stage compiles it (slow)
#
#   --binary PATH  a consolegate built on Debian bookworm (default: build/app/consolegate); it is
#                  stripped into the image, and the runtime base gets exactly the Debian packages
#                  that own the shared libraries it links (plus ca-certificates)
#   --from-source  makes a build base too (scripts/setup.sh's build packages) and compiles the
#                  source tree (the files git tracks, `git ls-files`, as they are in the working
#                  tree) inside the build stage
#   --tag IMAGE    default localhost/consolegate:latest
#
# The base tarballs are cached in $CG_CONTAINER_CACHE (default /var/cache/consolegate/container as
# root, ~/.cache/consolegate/container otherwise), keyed by their package lists, and the imported
# bases stay in podman's store: mmdebstrap (minutes) runs only when a package list changes.
# $CG_DEBIAN_MIRROR and $CG_DEBIAN_SECURITY choose the archives (default deb.debian.org).
# Prints on stdout, for a caller that runs the image on this host (tests/e2e/fleet/test_container.py):
#   image=IMAGE
#   podman_global=FLAGS   e.g. `--runtime runc` where crun refuses the host's cgroups (a hybrid
#                         v1/v2 hierarchy with a controller on v2)
#   podman_run=FLAGS      `--ulimit` values within this process's hard limits (podman's defaults
#                         exceed them where the caller lacks CAP_SYS_RESOURCE)
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)

binary=build/app/consolegate
tag=localhost/consolegate:latest
from_source=0
while (($#)); do
  case "$1" in
    --binary) binary=$2; shift 2 ;;
    --tag) tag=$2; shift 2 ;;
    --from-source) from_source=1; shift ;;
    *) echo "usage: $0 [--binary PATH | --from-source] [--tag IMAGE]" >&2; exit 2 ;;
  esac
done

for tool in podman mmdebstrap; do
  command -v "$tool" >/dev/null || { echo "container-image: $tool is not installed (scripts/setup.sh)" >&2; exit 3; }
done

if [[ $(id -u) -eq 0 ]]; then default_cache=/var/cache/consolegate/container
else default_cache=${XDG_CACHE_HOME:-$HOME/.cache}/consolegate/container; fi
cache=${CG_CONTAINER_CACHE:-$default_cache}
mirror=${CG_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${CG_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}
mkdir -p "$cache"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

log() { echo "container-image: $*" >&2; }

# base NAME VARIANT PACKAGES...: a bookworm base image with these packages; prints its name.
base() {
  local name=$1 variant=$2; shift 2
  local list key image tarball
  list=$(printf '%s\n' "$@" | sort -u | tr '\n' ' ')
  key=$(printf '%s|%s|%s|%s' "$variant" "$list" "$mirror" "$security" | sha256sum | cut -c1-16)
  image=localhost/$name:$key
  tarball=$cache/$name-$key.tar
  # One mmdebstrap at a time per cache (parallel test runs in several trees share it).
  exec 9>"$cache/lock"
  flock 9
  if ! podman image exists "$image"; then
    if [[ ! -s $tarball ]]; then
      log "mmdebstrap $variant bookworm + ${list}into $tarball (minutes, once)"
      mmdebstrap --quiet --mode=auto --variant="$variant" --format=tar \
        --include="$(echo "$list" | tr ' ' ',' | sed 's/,$//')" \
        --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
        --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        --customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/* "$1"/var/log/*' \
        bookworm "$tarball.part" \
        "deb $mirror bookworm main" "deb $mirror bookworm-updates main" \
        "deb $security bookworm-security main" >&2
      mv "$tarball.part" "$tarball"
    fi
    log "podman import $tarball as $image"
    podman import --quiet --change 'CMD ["/bin/bash"]' "$tarball" "$image" >/dev/null
  fi
  flock -u 9
  echo "$image"
}

# The Debian packages owning the shared libraries that `ldd` lists, run through "$@" (nothing,
# or `podman run … IMAGE` for a binary inside the build image).
runtime_packages() {
  "$@" sh -c 'for lib in $(ldd "$0" | awk "/=>/ {print \$3}"); do
                dpkg -S "$lib" 2>/dev/null || dpkg -S "/usr$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")"
              done' "$binary_path" | cut -d: -f1 | sort -u
}

# The OCI runtime and limits that work here, probed once on IMAGE: podman's defaults first.
runtime_flags=()
run_flags=(--ulimit "nofile=$(ulimit -Hn):$(ulimit -Hn)" --ulimit "nproc=4096:4096")
probe_runtime() {
  if podman run --rm "${run_flags[@]}" --entrypoint /bin/true "$1" >/dev/null 2>"$work/probe.err"; then return; fi
  if command -v runc >/dev/null &&
     podman --runtime runc run --rm "${run_flags[@]}" --entrypoint /bin/true "$1" >/dev/null 2>>"$work/probe.err"; then
    runtime_flags=(--runtime runc); return
  fi
  log "podman cannot run a container here:"; cat "$work/probe.err" >&2; exit 4
}

build_args=()
if ((from_source)); then
  mapfile -t build_pkgs < <(sed -n '/^build_pkgs=(/,/^)/p' scripts/setup.sh | sed '1d;$d;s/#.*//' | tr -s ' ' '\n' | sed '/^$/d')
  build_base=$(base consolegate-build-base buildd "${build_pkgs[@]}")
  # Tracked files only: no build directories, caches or editor files in the context.
  git ls-files -z | tar -C "$src" --null -T - -cf - | tar -C "$work" -xf -
  probe_runtime "$build_base"
  log "building the build stage (compiles consolegate; long on a small machine)"
  podman "${runtime_flags[@]}" build "${run_flags[@]}" --quiet --layers --target build --build-arg BUILD_BASE="$build_base" \
    -f deploy/container/Containerfile -t localhost/consolegate-build:latest "$work" >/dev/null
  binary_path=/out/consolegate
  mapfile -t libs < <(runtime_packages podman "${runtime_flags[@]}" run "${run_flags[@]}" --rm --entrypoint "" localhost/consolegate-build:latest)
  build_args+=(--target runtime --build-arg BUILD_BASE="$build_base")
else
  [[ -x $binary ]] || { log "no binary at $binary (build it, or pass --binary / --from-source)"; exit 2; }
  binary_path=$(readlink -f "$binary")
  mapfile -t libs < <(runtime_packages)
  strip --strip-unneeded -o "$work/consolegate" "$binary_path"
  build_args+=(--target prebuilt)
fi
((${#libs[@]})) || { log "no shared libraries found for the binary"; exit 1; }
runtime_base=$(base consolegate-runtime-base essential ca-certificates "${libs[@]}")
((from_source)) || probe_runtime "$runtime_base"

log "building $tag from $runtime_base"
# Layers are cached only for the long build stage: a prebuilt binary's layers would pile up.
layers=--layers=false
((from_source)) && layers=--layers
podman "${runtime_flags[@]}" build "${run_flags[@]}" --quiet "$layers" --build-arg RUNTIME_BASE="$runtime_base" \
  "${build_args[@]}" -f "$src/deploy/container/Containerfile" -t "$tag" "$work" >/dev/null
echo "image=$tag"
echo "podman_global=${runtime_flags[*]}"
echo "podman_run=${run_flags[*]}"

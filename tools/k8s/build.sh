#!/usr/bin/env bash
# Builds the real Kubernetes control-plane binaries prebell's tests run against,
# from upstream Go modules at the versions pinned in this directory's go.mod files
# (the Go module proxy is the only source; there are no binary downloads).
#
#   tools/k8s/build.sh [all]      kube-apiserver, kube-controller-manager,
#                                 kube-scheduler, kubectl + etcd
#   tools/k8s/build.sh kube       the four Kubernetes binaries only
#   tools/k8s/build.sh etcd       etcd only
#   tools/k8s/build.sh kwok       KWOK (fake kubelet), tools/k8s/kwok/go.mod
#   tools/k8s/build.sh helm       helm, tools/k8s/helm/go.mod
#   tools/k8s/build.sh --check C  print C's bin dir if it is built, else exit 1
#   tools/k8s/build.sh gomod vX.Y.Z
#                                 regenerate tools/k8s/kube/go.mod + go.sum for
#                                 k8s.io/kubernetes vX.Y.Z (replace list derived
#                                 from upstream's go.mod); commit both files
#
# Binaries go to a cache outside the build tree, one directory per component and
# version: ${PREBELL_CACHE_DIR:-$HOME/.cache/prebell}/<component>-<version>/bin.
# A directory is reused when its STAMP (version + hash of the pinning go.mod and
# go.sum) matches, so a second run takes seconds. The last line of stdout is the
# bin dir of the component asked for (for `all`: the Kubernetes one; the etcd
# one is printed on the line before). Progress goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_root="${PREBELL_CACHE_DIR:-$HOME/.cache/prebell}"
# Two cores are shared with other builds on this machine.
jobs="${PREBELL_GO_JOBS:-2}"

die() {
  echo "tools/k8s/build.sh: error: $*" >&2
  exit 1
}
log() { echo "tools/k8s/build.sh: $*" >&2; }

command -v go >/dev/null || die "go not found on PATH (install Go >= 1.24; see scripts/install-deps.sh)"

# The version a consumer go.mod pins for a module, read from the file itself so
# the go.mod is the single source of truth.
pinned_version() { # <go.mod> <module path>
  local v
  v="$(awk -v m="$2" '($1 == m && $2 ~ /^v/) { print $2; exit } ($1 == "require" && $2 == m) { print $3; exit }' "$1")"
  [[ -n "$v" ]] || die "$1: no 'require $2 vX' line"
  echo "$v"
}

stamp_of() { # <module dir> <version>
  echo "$2 $(cat "$1/go.mod" "$1/go.sum" | sha256sum | cut -c1-16)"
}

# Prints the bin dir when every binary is present and the stamp matches.
is_built() { # <out dir> <stamp> <binaries...>
  local out="$1" stamp="$2"
  shift 2
  [[ -f "$out/STAMP" && "$(cat "$out/STAMP")" == "$stamp" ]] || return 1
  local b
  for b in "$@"; do [[ -x "$out/bin/$b" ]] || return 1; done
  return 0
}

# go build of main packages that a consumer module pins; writes <out>/bin and
# the stamp only after every binary linked, so an interrupted build is redone.
build_module() { # <name> <module dir> <version> <ldflags> <pkg=binary...>
  local name="$1" moddir="$2" version="$3" ldflags="$4"
  shift 4
  local out="$cache_root/$name-$version"
  local stamp bins=() spec
  stamp="$(stamp_of "$moddir" "$version")"
  for spec in "$@"; do bins+=("${spec#*=}"); done
  if is_built "$out" "$stamp" "${bins[@]}"; then
    log "$name $version: up to date in $out/bin"
    echo "$out/bin"
    return 0
  fi
  mkdir -p "$cache_root"
  # One builder per component at a time (parallel ctest runs, other users).
  exec 9>"$cache_root/.$name-$version.lock"
  flock 9
  if is_built "$out" "$stamp" "${bins[@]}"; then
    flock -u 9
    echo "$out/bin"
    return 0
  fi
  local tmp="$out/bin.tmp.$$"
  rm -rf "$out/STAMP" "$tmp"
  mkdir -p "$tmp"
  local start=$SECONDS
  for spec in "$@"; do
    local pkg="${spec%%=*}" bin="${spec#*=}"
    log "$name $version: go build $pkg (-p $jobs)"
    (cd "$moddir" &&
      CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN=local \
        go build -p "$jobs" -trimpath -ldflags "$ldflags" -o "$tmp/$bin" "$pkg") ||
      die "$name $version: go build $pkg failed"
  done
  rm -rf "$out/bin"
  mv "$tmp" "$out/bin"
  echo "$stamp" >"$out/STAMP"
  flock -u 9
  log "$name $version: built in $((SECONDS - start)) s into $out/bin"
  echo "$out/bin"
}

build_kube() {
  local moddir="$here/kube"
  local v
  v="$(pinned_version "$moddir/go.mod" k8s.io/kubernetes)"
  [[ "$v" =~ ^v([0-9]+)\.([0-9]+)\.[0-9]+$ ]] || die "$moddir/go.mod: k8s.io/kubernetes version '$v' is not vMAJOR.MINOR.PATCH"
  local major="${BASH_REMATCH[1]}" minor="${BASH_REMATCH[2]}"
  # Upstream's hack/lib/version.sh stamps both packages; buildDate is the
  # version's publication time so the binaries are reproducible.
  local date
  date="$(cd "$moddir" && GOFLAGS=-mod=mod go list -m -f '{{if .Time}}{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' k8s.io/kubernetes)"
  local ldflags="-s -w" pkg key val
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    for key in gitVersion gitMajor gitMinor gitTreeState buildDate; do
      case "$key" in
        gitVersion) val="$v" ;;
        gitMajor) val="$major" ;;
        gitMinor) val="$minor" ;;
        gitTreeState) val="clean" ;;
        buildDate) val="${date:-1970-01-01T00:00:00Z}" ;;
      esac
      ldflags+=" -X $pkg.$key=$val"
    done
  done
  build_module k8s "$moddir" "$v" "$ldflags" \
    k8s.io/kubernetes/cmd/kube-apiserver=kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager=kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler=kube-scheduler \
    k8s.io/kubernetes/cmd/kubectl=kubectl
}

build_etcd() {
  local moddir="$here/etcd" v
  v="$(pinned_version "$moddir/go.mod" go.etcd.io/etcd/server/v3)"
  build_module etcd "$moddir" "$v" "-s -w" ".=etcd"
}

build_kwok() {
  local moddir="$here/kwok" v
  [[ -f "$moddir/go.mod" ]] || die "$moddir/go.mod missing"
  v="$(pinned_version "$moddir/go.mod" sigs.k8s.io/kwok)"
  local bin
  bin="$(build_module kwok "$moddir" "$v" "-s -w" sigs.k8s.io/kwok/cmd/kwok=kwok)"
  # KWOK's stage definitions (what a fake kubelet does to nodes and pods, and
  # after which delay) come from the same module version: the "general" pod
  # stages (per-pod delays via pod-ready.stage.kwok.x-k8s.io/delay etc.), node
  # initialisation and lease heartbeats.
  local src stages="$bin/../stages.yaml"
  src="$(cd "$moddir" && GOFLAGS=-mod=mod go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)"
  [[ -d "$src/kustomize/stage" ]] || die "kwok $v: $src/kustomize/stage missing"
  {
    echo "# Generated by tools/k8s/build.sh kwok from sigs.k8s.io/kwok@$v kustomize/stage"
    local f
    for f in "$src"/kustomize/stage/pod/general/*.yaml "$src"/kustomize/stage/node/fast/node-initialize.yaml \
      "$src"/kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml; do
      [[ "$(basename "$f")" == kustomization.yaml ]] && continue
      echo "---"
      cat "$f"
    done
  } >"$stages.tmp"
  mv "$stages.tmp" "$stages"
  echo "$bin"
}

build_helm() {
  local moddir="$here/helm" v
  [[ -f "$moddir/go.mod" ]] || die "$moddir/go.mod missing"
  v="$(pinned_version "$moddir/go.mod" helm.sh/helm/v3)"
  build_module helm "$moddir" "$v" "-s -w -X helm.sh/helm/v3/internal/version.version=$v -X helm.sh/helm/v3/internal/version.gitTreeState=clean" \
    helm.sh/helm/v3/cmd/helm=helm
}

# Prints the bin dir of an already built component without building anything.
check() { # <component>
  local moddir mod name bins=()
  case "$1" in
    kube | k8s) moddir="$here/kube" mod=k8s.io/kubernetes name=k8s bins=(kube-apiserver kube-controller-manager kube-scheduler kubectl) ;;
    etcd) moddir="$here/etcd" mod=go.etcd.io/etcd/server/v3 name=etcd bins=(etcd) ;;
    kwok) moddir="$here/kwok" mod=sigs.k8s.io/kwok name=kwok bins=(kwok) ;;
    helm) moddir="$here/helm" mod=helm.sh/helm/v3 name=helm bins=(helm) ;;
    *) die "--check: unknown component '$1' (kube, etcd, kwok, helm)" ;;
  esac
  local v out
  v="$(pinned_version "$moddir/go.mod" "$mod")"
  out="$cache_root/$name-$v"
  is_built "$out" "$(stamp_of "$moddir" "$v")" "${bins[@]}" ||
    die "$name $v is not built in $out (run tools/k8s/build.sh $1)"
  echo "$out/bin"
}

# Regenerates the consumer module for k8s.io/kubernetes <version>: every module
# upstream's go.mod points at ./staging/src/k8s.io/<name> is replaced by
# k8s.io/<name> v0.<minor>.<patch>, which is how those modules are published.
gen_gomod() { # <version>
  local v="$1"
  [[ "$v" =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || die "gomod: version '$v' is not v1.MINOR.PATCH"
  local staging_v="v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"
  local upstream
  upstream="$(GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$v" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')"
  [[ -f "$upstream" ]] || die "gomod: could not download k8s.io/kubernetes@$v's go.mod"
  local go_line godebug_line staging
  go_line="$(awk '$1 == "go" { print; exit }' "$upstream")"
  godebug_line="$(awk '$1 == "godebug" { print; exit }' "$upstream")"
  staging="$(awk '$2 == "=>" && $3 ~ /^\.\/staging\/src\// { print $1 }' "$upstream" | sort -u)"
  [[ -n "$staging" ]] || die "gomod: $upstream has no '=> ./staging/src/...' replace lines"
  local moddir="$here/kube"
  {
    echo "// Consumer module that pins the Kubernetes control plane prebell's tests run."
    echo "// Generated by tools/k8s/build.sh gomod $v from upstream's go.mod, then go mod tidy."
    echo "module prebell.local/tools/k8s/kube"
    echo
    echo "$go_line"
    [[ -z "$godebug_line" ]] || echo "$godebug_line"
    echo
    echo "tool ("
    printf '\tk8s.io/kubernetes/cmd/%s\n' kube-apiserver kube-controller-manager kube-scheduler kubectl
    echo ")"
    echo
    echo "require k8s.io/kubernetes $v"
    echo
    echo "replace ("
    local m
    for m in $staging; do printf '\t%s => %s %s\n' "$m" "$m" "$staging_v"; done
    echo ")"
  } >"$moddir/go.mod"
  rm -f "$moddir/go.sum"
  log "gomod: $(echo "$staging" | wc -l) staging modules replaced with $staging_v; go mod tidy"
  (cd "$moddir" && GOTOOLCHAIN=local GOFLAGS=-mod=mod go mod tidy) || die "gomod: go mod tidy failed"
  echo "$moddir/go.mod"
}

case "${1:-all}" in
  all)
    build_etcd
    build_kube
    ;;
  kube | k8s) build_kube ;;
  etcd) build_etcd ;;
  kwok) build_kwok ;;
  helm) build_helm ;;
  --check) check "${2:?--check needs a component}" ;;
  gomod) gen_gomod "${2:?gomod needs a version such as v1.34.10}" ;;
  -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' ;;
  *) die "unknown command '$1' (all, kube, etcd, kwok, helm, --check C, gomod vX.Y.Z)" ;;
esac

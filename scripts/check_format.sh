#!/usr/bin/env bash
# clang-format on the C++ that changed: every line of a .hpp/.cpp/.cu/.cuh file added or changed
# since BASE must be as .clang-format (clang-format 14) writes it. Lines nobody touched are left as
# they are: the check keeps new code formatted without a tree-wide reformatting. BASE is the first
# argument, else the commit in .ci/format_base (the last landed state when a change was started;
# move it forward when a change lands). On a mismatch it prints the diff that would fix it and
# exits 1; `git clang-format-14 BASE` applies that diff.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
base="${1:-$(cat .ci/format_base)}"
command -v git-clang-format-14 >/dev/null || { echo "check_format.sh: needs clang-format-14 (scripts/setup.sh --with-format)" >&2; exit 1; }
git rev-parse --verify --quiet "$base^{commit}" >/dev/null || { echo "check_format.sh: base $base is not a commit of this repository" >&2; exit 1; }
diff="$(git clang-format-14 --binary clang-format-14 --diff "$base" -- '*.hpp' '*.cpp' '*.cu' '*.cuh')"
if [[ -z $diff || $diff == "no modified files to format" || $diff == "clang-format did not modify any files" ]]; then
  echo "check_format.sh: the C++ changed since ${base:0:12} is formatted"
  exit 0
fi
printf '%s\n' "$diff"
echo "check_format.sh: the lines above, changed since ${base:0:12}, are not as clang-format writes them (fix: git clang-format-14 ${base:0:12})" >&2
exit 1

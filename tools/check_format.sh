#!/usr/bin/env bash
# Fails when a C++ source differs from .clang-format's layout (STYLE.md section 6).
# Usage: tools/check_format.sh <repo_root>
set -euo pipefail
root="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
cd "$root"
cf=$(command -v clang-format || command -v clang-format-14 || true)
if [[ -z "$cf" ]]; then
  echo "check_format: clang-format not installed" >&2
  exit 77
fi
mapfile -t files < <(git ls-files -- '*.h' '*.cc' 2>/dev/null || find . -name '*.h' -o -name '*.cc')
bad=0
for f in "${files[@]}"; do
  [[ -f "$f" ]] || continue
  if ! "$cf" --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "check_format: $f is not formatted (run: clang-format -i $f)"
    bad=1
  fi
done
[[ $bad -eq 0 ]] && echo "check_format: ${#files[@]} files formatted"
exit $bad

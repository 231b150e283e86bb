#!/usr/bin/env bash
# Runs every Go fuzz target in the tree for the given time each (default 10s).
set -euo pipefail
t=${1:-10s}
cd "$(dirname "$0")/.."
n=0
while IFS=: read -r file name; do
  pkg=./$(dirname "$file")
  echo "== fuzz $pkg $name ($t)"
  go test -run '^$' -fuzz "^${name}\$" -fuzztime "$t" "$pkg"
  n=$((n + 1))
done < <(grep -rHoE --include='*_test.go' '^func (Fuzz[A-Za-z0-9_]+)' . | sed -E 's#^\./##; s#:func #:#')
echo "fuzz: $n targets ran for $t each"

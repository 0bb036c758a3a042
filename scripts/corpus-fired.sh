#!/usr/bin/env bash
# Lists which analytics fire on which file: runs one hunt per file (or
# archive) under the given folder and prints "file<TAB>analytic<TAB>rows".
# Usage: scripts/corpus-fired.sh [--content DIR] FOLDER...
set -euo pipefail
cd "$(dirname "$0")/.."
content=""
while [ $# -gt 0 ]; do
  case "$1" in
    --content) content="$2"; shift 2 ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: $0 [--content DIR] FOLDER..." >&2; exit 2; }
bin=$(mktemp -d)/spelunk
go build -o "$bin" ./cmd/spelunk
args=()
[ -n "$content" ] && args+=(--content "$content")
find "$@" -type f \( -name '*.evtx' -o -name '*.zip' -o -name '*.json' -o -name '*.xml' -o -name '*.gz' -o -name '*.txt' -o -name '*.log' \) | sort |
while IFS= read -r f; do
  "$bin" hunt "${args[@]}" --format jsonl "$f" 2>/dev/null |
    python3 -c '
import json, sys, collections
rows = collections.Counter()
for line in sys.stdin:
    rows[json.loads(line)["analytic"]] += 1
for name, n in sorted(rows.items()):
    print(f"{sys.argv[1]}\t{name}\t{n}")
' "$f" || true
done

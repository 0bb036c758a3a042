#!/usr/bin/env bash
# Measures end-to-end hunt throughput: events per second and peak memory
# of `spelunk hunt` over a corpus, with the built-in pack and with a full
# content library, at one core (GOMAXPROCS=1) and at all cores.
#
# usage: bench/hunt.sh [CORPUS_DIR] [CONTENT_DIR] [RUNS]
#   CORPUS_DIR defaults to ../shared/corpus, CONTENT_DIR to
#   ../shared/escu (both beside the repository); each configuration runs
#   RUNS times (default 3) and the fastest run is printed.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
corpus=${1:-$repo/../shared/corpus}
content=${2:-$repo/../shared/escu}
runs=${3:-3}
for d in "$corpus" "$content"; do
	[ -d "$d" ] || { echo "folder not found: $d" >&2; exit 2; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$repo" && go build -o "$tmp/spelunk" ./cmd/spelunk)
timer=""
[ -x /usr/bin/time ] && timer="/usr/bin/time -f %M"

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores, $(go version | cut -d' ' -f3)"
echo "corpus:  $corpus ($(du -sh "$corpus" | cut -f1))"
echo
printf '%-22s %-6s %9s %9s %12s %10s\n' "content" "cores" "events" "seconds" "events/s" "peak RSS"

# run CONTENT_FLAGS... prints events, wall seconds and peak RSS (KiB) of
# the fastest of $runs runs.
measure() {
	local label=$1 procs=$2
	shift 2
	local best="" bestline=""
	for _ in $(seq "$runs"); do
		local start end events rss secs
		start=$(date +%s.%N)
		GOMAXPROCS=$procs $timer "$tmp/spelunk" hunt --format jsonl "$@" "$corpus" >/dev/null 2>"$tmp/err" || true
		end=$(date +%s.%N)
		events=$(sed -n 's/^spelunk: read [0-9]* files, \([0-9]*\) events.*/\1/p' "$tmp/err" | head -1)
		rss=$(tail -1 "$tmp/err" | grep -E '^[0-9]+$' || echo 0)
		secs=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.2f", b-a}')
		if [ -z "$best" ] || awk -v a="$secs" -v b="$best" 'BEGIN{exit !(a<b)}'; then
			best=$secs
			bestline=$(awk -v l="$label" -v p="$procs" -v e="$events" -v s="$secs" -v r="$rss" \
				'BEGIN{printf "%-22s %-6s %9d %9.2f %12.0f %8.1f MiB", l, p, e, s, e/s, r/1024}')
		fi
	done
	echo "$bestline"
}

measure "built-in pack" 1
measure "built-in pack" "$(nproc)"
measure "library ($(basename "$content"))" 1 --content "$content"
measure "library ($(basename "$content"))" "$(nproc)" --content "$content"

#!/usr/bin/env bash
# Measures EVTX decoding throughput of spelunk's evtx package on a corpus,
# at one core and at all cores, beside Debian's evtxexport (libevtx-utils)
# on the same files in the same run.
#
# usage: bench/evtx.sh [CORPUS_DIR] [RUNS]
#   CORPUS_DIR defaults to ../shared/corpus/evtx beside the repository;
#   each configuration runs RUNS times (default 3) and the fastest run is
#   printed.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
corpus=${1:-$repo/../shared/corpus/evtx}
runs=${2:-3}
if [ ! -d "$corpus" ]; then
	echo "corpus directory not found: $corpus" >&2
	exit 2
fi
cores=$(nproc)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$repo" && go build -o "$tmp/evtxbench" ./bench/evtxbench)
mapfile -d '' files < <(find "$corpus" -type f -iname '*.evtx' -print0 | sort -z)
bytes=$(cat "${files[@]}" | wc -c) # also warms the page cache

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $cores cores, $(go version | cut -d' ' -f3)"
echo "corpus:  $corpus: ${#files[@]} files, $bytes bytes"
echo

# best RUNS... prints the fastest of $runs runs of a command that prints an
# evtxbench line.
best() {
	local line bestline="" bestsecs=""
	for _ in $(seq "$runs"); do
		line=$("$@")
		secs=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$line")
		if [ -z "$bestsecs" ] || awk -v a="$secs" -v b="$bestsecs" 'BEGIN{exit !(a<b)}'; then
			bestsecs=$secs
			bestline=$line
		fi
	done
	echo "$bestline"
}

field() { sed -n "s#.* $1=\([^ ]*\).*#\1#p" <<<" $2"; }

report() { # label line
	printf '%-44s %9s MB/s %10s records/s  peak RSS %s KiB\n' "$1" \
		"$(field MB/s "$2")" "$(field records/s "$2")" "$(field peak_rss_kb "$2")"
}

# The corpus decodes in well under a second, so each run decodes it
# $repeat times to be long enough to time.
repeat=10
one=$(best env GOMAXPROCS=1 "$tmp/evtxbench" -repeat $repeat -workers 1 "$corpus")
all=$(best env GOMAXPROCS="$cores" "$tmp/evtxbench" -repeat $repeat -workers "$cores" "$corpus")
allf=$(best env GOMAXPROCS="$cores" "$tmp/evtxbench" -repeat $repeat -files-parallel "$corpus")
echo "spelunk evtx ($(($(field records "$one") / repeat)) records and $(($(field problems "$one") / repeat)) problems per pass, $repeat passes per run)"
report "  1 core (GOMAXPROCS=1, Workers=1)" "$one"
report "  $cores cores (Workers=$cores, files in turn)" "$all"
report "  $cores cores (files in parallel)" "$allf"
echo

if ! command -v evtxexport >/dev/null; then
	echo "evtxexport: not installed, column skipped (apt-get install -y libevtx-utils)"
	exit 0
fi

# evtxexport decodes and prints XML; one process per file, output discarded.
ee_records=0
for f in "${files[@]}"; do
	n=$(evtxexport -f xml "$f" 2>/dev/null | grep -c '^<Event ' || true)
	ee_records=$((ee_records + n))
done
ee_time() { # parallelism
	local start end
	start=$(date +%s.%N)
	printf '%s\0' "${files[@]}" | xargs -0 -n1 -P "$1" sh -c 'evtxexport -f xml "$0" >/dev/null 2>&1 || true'
	end=$(date +%s.%N)
	awk -v s="$start" -v e="$end" 'BEGIN{printf "%.3f", e-s}'
}
ee_best() {
	local t b=""
	for _ in $(seq "$runs"); do
		t=$(ee_time "$1")
		if [ -z "$b" ] || awk -v a="$t" -v b="$b" 'BEGIN{exit !(a<b)}'; then b=$t; fi
	done
	echo "$b"
}
ee_rss=0
if [ -x /usr/bin/time ]; then
	for f in "${files[@]}"; do
		/usr/bin/time -f '%M' -o "$tmp/rss" evtxexport -f xml "$f" >/dev/null 2>&1 || true
		kb=$(tail -1 "$tmp/rss")
		if [ "$kb" -gt "$ee_rss" ]; then ee_rss=$kb; fi
	done
fi
ee1=$(ee_best 1)
een=$(ee_best "$cores")
ee_line() { # label seconds
	printf '%-44s %9.1f MB/s %10.0f records/s  peak RSS %s KiB (max over files)\n' "$1" \
		"$(awk -v b="$bytes" -v s="$2" 'BEGIN{print b/1e6/s}')" \
		"$(awk -v r="$ee_records" -v s="$2" 'BEGIN{print r/s}')" "$ee_rss"
}
echo "$(evtxexport -V 2>/dev/null | head -1 || echo evtxexport) -f xml, one process per file ($ee_records records)"
ee_line "  1 core (files in turn)" "$ee1"
ee_line "  $cores cores (xargs -P $cores)" "$een"
echo
awk -v a="$(field records/s "$one")" -v r="$ee_records" -v s="$ee1" \
	'BEGIN{printf "speed-up on 1 core, records/s: %.1fx\n", a/(r/s)}'
awk -v a="$(field records/s "$allf")" -v r="$ee_records" -v s="$een" \
	-v c="$cores" 'BEGIN{printf "speed-up on %d cores, records/s: %.1fx\n", c, a/(r/s)}'

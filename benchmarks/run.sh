#!/bin/sh
# run.sh measures every stack COUNT times and writes docs/benchmarks.md and
# docs/benchmarks.svg from that one run.
#
#	benchmarks/run.sh                           # COUNT=6 BENCHTIME=300ms CPU=1,2
#	COUNT=10 BENCHTIME=1s benchmarks/run.sh     # longer, steadier
#	BENCH='Call/net=tcp/size=tiny' benchmarks/run.sh  # a subset (the report shows what ran)
#	LIBRARY=$PWD/../duplex-at-HEAD benchmarks/run.sh  # measure another copy of the library
#
# LIBRARY replaces the module's "replace github.com/duplexrpc/duplex => ../"
# for this run only (through go's -modfile), e.g. with a snapshot made by
# "mkdir ../duplex-at-HEAD && git archive HEAD | tar -x -C ../duplex-at-HEAD"
# (from the top of the clone), so that a library being
# edited while the benchmarks run cannot change what they measure.
#
# The runs are interleaved: each of the COUNT rounds runs every benchmark
# once (-count=1, top-level benchmarks in shuffled order), so that noise on
# this shared machine falls on every case alike instead of on whichever ran
# during a bad minute. The rounds' outputs are concatenated for benchstat and
# for the report, which takes medians. With the defaults a run takes about
# 15 minutes on 2 cores.
#
# The run's raw output is kept with the report it makes, in
# benchmarks/results/ (committed), so that the report can be made again and
# its spread read without running again: bench.txt (go test's lines),
# benchstat.txt and meta.txt. They replace the last run's only once this run
# has finished. Nothing in them or in the report names a directory of this
# machine. Scratch files (the test binary, a LIBRARY run's go.mod) go to
# benchmarks/out/.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
COUNT=${COUNT:-6}
BENCHTIME=${BENCHTIME:-300ms}
CPU=${CPU:-1,2}
BENCH=${BENCH:-.}
BENCHSTAT=${BENCHSTAT:-golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da}
out=$here/out
results=$here/results
docs=$here/../docs
mkdir -p "$out" "$results" "$docs"

library=$(cd "$here/.." && pwd)
modfile=
if [ -n "${LIBRARY:-}" ]; then
	library=$(cd "$LIBRARY" && pwd)
	sed "s#^replace github.com/duplexrpc/duplex => .*#replace github.com/duplexrpc/duplex => $library#" go.mod >"$out/library.mod"
	cp go.sum "$out/library.sum"
	modfile=-modfile=$out/library.mod
fi

echo "run.sh: checking that every stack answers correctly" >&2
go test $modfile -count=1 ./...
go test $modfile -c -o "$out/bench.test" .

start=$(date +%s)
start_date=$(date -u '+%Y-%m-%d %H:%M UTC')
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$out/bench.txt"
i=1
while [ "$i" -le "$COUNT" ]; do
	echo "run.sh: round $i of $COUNT" >&2
	"$out/bench.test" -test.run '^$' -test.bench "$BENCH" -test.benchtime "$BENCHTIME" \
		-test.cpu "$CPU" -test.count 1 -test.shuffle on >>"$out/bench.txt"
	i=$((i + 1))
done
end=$(date +%s)

cpu_model=$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -n 1)
if commit=$(git -C "$library" rev-parse --short HEAD 2>/dev/null); then
	if [ -n "$(git -C "$library" status --porcelain -- . ':!benchmarks' ':!docs' 2>/dev/null)" ]; then
		commit="$commit plus uncommitted changes"
	fi
else
	commit="${LIBRARY_DESC:-not a git tree}"
fi
# The library is named by its commit, not its directory: a LIBRARY copy's
# path says nothing to a reader and would name this machine's directories.
where="this tree"
if [ -n "${LIBRARY:-}" ]; then
	where="a copy given as LIBRARY"
fi
cat >"$out/meta.txt" <<META
date: $start_date
Go: $(go version | cut -d' ' -f3-)
machine: $(nproc) CPUs, $cpu_model, Linux $(uname -r)
library: $commit ($where)
command: ${LIBRARY:+LIBRARY=… }COUNT=$COUNT BENCHTIME=$BENCHTIME CPU=$CPU BENCH='$BENCH' benchmarks/run.sh (rounds of: bench.test -test.run '^\$' -test.bench '$BENCH' -test.benchtime $BENCHTIME -test.cpu $CPU -test.count 1 -test.shuffle on)
duration: $(((end - start) / 60)) min $(((end - start) % 60)) s
load average (1, 5, 15 min): $load_before before, $(cut -d' ' -f1-3 /proc/loadavg) after
META

echo "run.sh: benchstat" >&2
# benchstat heads its tables with the input's name as given: a bare name,
# not a path into this machine.
(cd "$out" && go run "$BENCHSTAT" bench.txt) >"$out/benchstat.txt"
cp "$out/bench.txt" "$out/benchstat.txt" "$out/meta.txt" "$results/"
go run ./cmd/report -in results/bench.txt -meta results/meta.txt -benchstat results/benchstat.txt \
	-plot benchmarks.svg -out "$docs/benchmarks.md"
go run ./cmd/plot -in results/bench.txt -out "$docs/benchmarks.svg"
# The cluster module's section is written by hand from its own run
# (cluster/bench_test.go): keep it at the end of the report.
cat "$here/../cluster/benchresults/section.md" >>"$docs/benchmarks.md"
echo "run.sh: wrote $docs/benchmarks.md, $docs/benchmarks.svg and results/" >&2

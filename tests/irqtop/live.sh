#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# irqtop against live processes: the fake process of
# tests/irqtop/helpers/fake_proc.c (a valid synthetic segment in a private
# directory, IRQTOP_SHM_DIR) and, when libirqcore publishes its segment,
# a real process using the public API (helpers/real_proc.c, /dev/shm).
#
#   tests/irqtop/live.sh [BUILDDIR]      (default build)
#
# Ends with "live.sh: N passed, N failed"; exit status 1 if any failed.
set -u

cd "$(dirname "$0")/../.." || exit 2
B=${1:-build}
IRQTOP=$B/irqtop
FAKE=$B/tests/irqtop/fake_proc
REAL=$B/tests/irqtop/real_proc

pass=0
fail=0
t0=$(date +%s%N)
at() { echo "$(( ($(date +%s%N) - t0) / 1000000 ))ms"; }
ok() { echo "PASS $1 (at $(at))"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2 (at $(at))"; fail=$((fail + 1)); }
skip() { echo "SKIP $1: $2"; }

for f in "$IRQTOP" "$FAKE"; do
	if [ ! -x "$f" ]; then
		echo "FAIL $f not built"
		echo "live.sh: 0 passed, 1 failed"
		exit 1
	fi
done

tmp=$(mktemp -d /tmp/irqtop-live.XXXXXX)
export IRQTOP_SHM_DIR=$tmp/shm
mkdir "$IRQTOP_SHM_DIR"
children=()
cleanup() {
	local p
	for p in "${children[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# start_fake ARGS...: starts a fake process, sets FPID and TOTALS
start_fake() {
	local ready=$tmp/ready.$RANDOM$RANDOM i
	"$FAKE" --ready "$ready" --totals "$ready.totals" "$@" &
	children+=($!)
	for i in $(seq 100); do
		[ -s "$ready" ] && break
		sleep 0.05
	done
	FPID=$(cat "$ready" 2>/dev/null)
	TOTALS=$ready.totals
	[ -n "$FPID" ]
}

stop_pid() {	# PID [SIGNAL]
	kill "-${2:-TERM}" "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# check_json FILE TOTALS: python checks of a -J document against the fake's
# totals ("irq total" lines, then "events N")
check_json() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
want, events = {}, None
for line in open(sys.argv[2]):
    k, v = line.split()
    if k == "events":
        events = int(v)
    else:
        want[int(k)] = int(v)
rows = {r["irq"]: r for r in doc["irqtop"]}
errs = []
if doc["process"]["events"] != events:
    errs.append("process events %s != %s" % (doc["process"]["events"], events))
for irq, total in want.items():
    r = rows.get(irq)
    if r is None:
        errs.append("line %d missing" % irq)
        continue
    if r["total"] != total:
        errs.append("line %d total %s != %s" % (irq, r["total"], total))
    cpus = [v for k, v in r.items() if k.startswith("cpu")]
    if cpus and sum(cpus) != total:
        errs.append("line %d per-CPU sum %d != %d" % (irq, sum(cpus), total))
for irq in rows:
    if irq not in want and rows[irq]["total"] != 0:
        errs.append("unexpected line %d" % irq)
if errs:
    print("; ".join(errs[:5]))
    sys.exit(1)
EOF
}

# ---------------------------------------------------------------------------
# the fake process, counters frozen: exact totals

if start_fake --freeze --cpus 4 --irqs 40; then
	frozen=$FPID
	frozen_totals=$TOTALS
	ok "fake process started (PID $frozen)"
else
	ko "fake process" "did not start"
	echo "live.sh: $pass passed, $fail failed"
	exit 1
fi

out=$tmp/out.json
"$IRQTOP" -J -c always "$frozen" >"$out" 2>"$tmp/err"
rc=$?
if [ $rc -ne 0 ]; then
	ko "json" "exit status $rc: $(cat "$tmp/err")"
elif ! python3 -m json.tool "$out" >/dev/null 2>"$tmp/jerr"; then
	ko "json parses" "$(head -c 300 "$tmp/jerr")"
elif ! msg=$(check_json "$out" "$frozen_totals"); then
	ko "json totals match" "$msg"
elif [ -s "$tmp/err" ]; then
	ko "json" "stderr not empty: $(cat "$tmp/err")"
else
	ok "-J parses (python3 -m json.tool) and its totals match the process's"
fi

if python3 - "$out" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
rows = {r["irq"]: r for r in d["irqtop"]}
assert rows[1]["name"] == "uart, spi-bus", rows[1]
assert rows[1]["state"] == "OT", rows[1]["state"]
assert rows[0]["affinity"] == "0-3", rows[0]["affinity"]
assert rows[3]["eff"] == 3 and rows[3]["hwirq"] == 1003
assert rows[0]["rate"] is None and rows[0]["delta"] is None
assert d["process"]["comm"] == "fakeirq" and d["process"]["cpus"] == 4
assert "lat-p99" not in rows[0]    # latency off: no latency columns
EOF
then ok "-J fields: names, state, affinity, hwirq, first-sample n/a"
else ko "-J fields" "see above"; fi

"$IRQTOP" -b "$frozen" >"$tmp/batch" 2>&1
rc=$?
# every line of the totals on a row of its own: IRQ, TOTAL ... NAME
if [ $rc -eq 0 ] && head -1 "$tmp/batch" | grep -q "fakeirq (PID $frozen)" &&
   msg=$(python3 - "$out" "$tmp/batch" "$frozen_totals" <<'EOF'
import json, re, sys
names = {r["irq"]: r["name"] or "" for r in json.load(open(sys.argv[1]))["irqtop"]}
rows = open(sys.argv[2]).read().splitlines()[2:]
missing = []
for line in open(sys.argv[3]):
    irq, total = line.split()
    if irq == "events":
        continue
    pat = re.compile(r"^ *%s +%s .*%s$" % (irq, total, re.escape(names[int(irq)])))
    if not any(pat.match(r) for r in rows):
        missing.append(irq)
if missing:
    print("lines missing: " + " ".join(missing))
    sys.exit(1)
EOF
); then
	ok "-b lists each line with its total and names"
else
	ko "-b" "rc $rc, ${msg:-}; $(head -3 "$tmp/batch")"
fi

"$IRQTOP" -P "$frozen" >"$tmp/pairs" 2>&1
if [ $? -eq 0 ] && [ -s "$tmp/pairs" ] &&
   ! grep -Ev '^([A-Z0-9_]+="[^"]*" ?)+$' "$tmp/pairs" >/dev/null &&
   grep -q 'NAME="uart, spi-bus"' "$tmp/pairs" && grep -q 'TIME_PCT=' "$tmp/pairs"; then
	ok "-P gives KEY=\"value\" pairs only"
else
	ko "-P" "$(head -2 "$tmp/pairs")"
fi

"$IRQTOP" -J -t 2000 -o IRQ,TOTAL "$frozen" >"$tmp/thr" 2>&1
if python3 -c "
import json,sys; d=json.load(open('$tmp/thr'))
assert d['irqtop'] and all(r['total'] >= 2000 for r in d['irqtop'])
assert set(d['irqtop'][0]) == {'irq','total'}" 2>"$tmp/perr"; then
	ok "-t threshold and -o columns"
else
	ko "-t/-o" "$(cat "$tmp/perr" "$tmp/thr" | head -5)"
fi

# PRIO: the scheduling class of a line's threads, a string in JSON; the
# fake publishes line 1 threaded at SCHED_FIFO 50, the others threadless
"$IRQTOP" -J -o IRQ,PRIO "$frozen" >"$tmp/prio" 2>&1
if python3 -c "
import json; d=json.load(open('$tmp/prio')); rows={r['irq']: r for r in d['irqtop']}
assert rows[1]['prio'] == 'FF50', rows[1]
assert all(r['prio'] is None for i, r in rows.items() if i != 1), rows" 2>"$tmp/perr"; then
	ok "-o PRIO: FF50 for a SCHED_FIFO line, null without a thread"
else
	ko "-o PRIO" "$(cat "$tmp/perr" "$tmp/prio" | tail -3)"
fi

"$IRQTOP" -J -C 1,3 -c always -o +THREAD% "$frozen" >"$tmp/cpus" 2>&1
if python3 -c "
import json; d=json.load(open('$tmp/cpus')); r=d['irqtop'][0]
assert 'cpu1' in r and 'cpu3' in r and 'cpu0' not in r and 'cpu2' not in r, r
assert 'thread%' in r and 'name' in r
assert [c['cpu'] for c in d['process']['cpu']] == [1, 3]" 2>"$tmp/perr"; then
	ok "-C cpu list, -c always, -o +COL appends"
else
	ko "-C/-c/-o +" "$(cat "$tmp/perr" | tail -2)"
fi

"$IRQTOP" -J -c never "$frozen" >"$tmp/never" 2>&1
if python3 -c "
import json; r=json.load(open('$tmp/never'))['irqtop'][0]
assert not [k for k in r if k.startswith('cpu')], r" 2>/dev/null; then
	ok "-c never"
else
	ko "-c never" "$(head -c 300 "$tmp/never")"
fi

"$IRQTOP" "$frozen" </dev/null >"$tmp/noterm" 2>&1
if [ $? -eq 1 ] && grep -q "needs a terminal" "$tmp/noterm"; then
	ok "the screen without a terminal: exit 1 with a message"
else
	ko "screen without terminal" "$(cat "$tmp/noterm")"
fi

# a segment truncated under irqtop's feet (the frozen fake writes only its
# header, which stays)
seg=$IRQTOP_SHM_DIR/irqcore.$frozen
truncate -s 1000 "$seg"
"$IRQTOP" -b "$frozen" >"$tmp/trunc" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q "PID $frozen: .*truncated" "$tmp/trunc"; then
	ok "truncated segment: exit 1, \"$(head -1 "$tmp/trunc" | cut -c1-70)...\""
else
	ko "truncated segment" "rc $rc: $(cat "$tmp/trunc")"
fi
stop_pid "$frozen"

# ---------------------------------------------------------------------------
# a ticking fake: rates, process exit while watched, metadata changes

start_fake --cpus 2 --irqs 24 --latency --late-line --tick-ms 50 || ko "fake" "did not start"
tick=$FPID

"$IRQTOP" -J -n 2 -d 0.3 "$tick" >"$tmp/two" 2>"$tmp/err"
if python3 - "$tmp/two" <<'EOF'
import json, sys
text = open(sys.argv[1]).read()
dec, docs, i = json.JSONDecoder(), [], 0
while i < len(text):
    while i < len(text) and text[i].isspace():
        i += 1
    if i == len(text):
        break
    d, i = dec.raw_decode(text, i)
    docs.append(d)
assert len(docs) == 2, len(docs)
assert docs[0]["process"]["rate"] is None
assert docs[1]["process"]["rate"] > 0
r = {x["irq"]: x for x in docs[1]["irqtop"]}
assert r[3]["delta"] > 0 and r[3]["rate"] > 0, r[3]
assert r[4]["delta"] == 0          # i % 5 == 4: idle line
assert r[3]["delta"] == r[3]["total"] - {x["irq"]: x for x in docs[0]["irqtop"]}[3]["total"]
p99, mx = r[3]["lat-p99"], r[3]["lat-max"]     # log2 bucket bounds
assert p99 >= 2048 and p99 & (p99 - 1) == 0 and mx == 32768, r[3]
assert docs[1]["process"]["latency"] is True
EOF
then ok "-J -n 2: two documents, rates and deltas, latency columns"
else ko "-J -n 2" "$(head -c 300 "$tmp/err")"; fi

sleep 0.4	# --late-line: line 2 gets an action after 5 ticks
if "$IRQTOP" -b -o IRQ,NAME "$tick" 2>&1 | grep -Eq '^ *2 late-line$'; then
	ok "metadata published after start is seen (late-line)"
else
	ko "late metadata" "$("$IRQTOP" -b -o IRQ,NAME "$tick" 2>&1 | head -5)"
fi

"$IRQTOP" -b -n 100 -d 0.1 "$tick" >"$tmp/watch" 2>"$tmp/watcherr" &
watcher=$!
sleep 0.5
stop_pid "$tick"
wait "$watcher"
rc=$?
if [ $rc -eq 0 ] && grep -q "PID $tick (fakeirq): process exited" "$tmp/watcherr" &&
   [ "$(grep -c '^irqtop: fakeirq' "$tmp/watch")" -ge 2 ]; then
	ok "process exits while watched: a message, exit 0"
else
	ko "exit while watched" "rc $rc: $(cat "$tmp/watcherr")"
fi

# ---------------------------------------------------------------------------
# PIDs that are not (or no longer) irqcore processes

sleep 0 &
dead=$!
wait "$dead"
"$IRQTOP" -b "$dead" >"$tmp/dead" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q "irqtop: PID $dead: no such process" "$tmp/dead"; then
	ok "dead PID: exit 1, \"$(cat "$tmp/dead")\""
else
	ko "dead PID" "rc $rc: $(cat "$tmp/dead")"
fi
"$IRQTOP" -b $$ >"$tmp/notirq" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q "PID $$: no segment .*not an irqcore process" "$tmp/notirq"; then
	ok "live PID without a segment: exit 1 with a message"
else
	ko "no segment" "rc $rc: $(cat "$tmp/notirq")"
fi

# ---------------------------------------------------------------------------
# stale segments: --list and --clean

start_fake --freeze && gone=$FPID
stop_pid "$gone" KILL			# leaves its segment behind
start_fake --stale && hung=$FPID	# alive, heartbeat a minute old
start_fake && live=$FPID

"$IRQTOP" --list >"$tmp/list" 2>&1
if grep -Eq "^ *$gone +fakeirq +stale .*process gone" "$tmp/list" &&
   grep -Eq "^ *$hung +fakeirq +stale .*heartbeat" "$tmp/list" &&
   grep -Eq "^ *$live +fakeirq +live " "$tmp/list"; then
	ok "--list marks stale segments"
else
	ko "--list" "$(cat "$tmp/list")"
fi
if "$IRQTOP" -b -o IRQ "$hung" 2>&1 | head -1 | grep -Eq "heartbeat [0-9]+ s old$"; then
	ok "a stale heartbeat shows in the header"
else
	ko "stale heartbeat" "$("$IRQTOP" -b -o IRQ "$hung" 2>&1 | head -1)"
fi
if "$IRQTOP" --list -J | python3 -c "
import json,sys; d={r['pid']: r for r in json.load(sys.stdin)['irqcore']}
assert d[$gone]['status'] == 'stale' and d[$live]['status'] == 'live'"; then
	ok "--list -J"
else
	ko "--list -J" "does not parse or lacks rows"
fi

start_fake && second=$FPID
"$IRQTOP" -J >"$tmp/several" 2>"$tmp/severr"
rc=$?
stop_pid "$second"
if [ $rc -eq 1 ] && grep -q "2 irqcore processes are running: give a PID" "$tmp/severr" &&
   python3 -m json.tool "$tmp/several" >/dev/null; then
	ok "no PID, several live: the list (pure JSON with -J) and exit 1"
else
	ko "no PID, several" "rc $rc: $(cat "$tmp/severr")"
fi

"$IRQTOP" --clean >"$tmp/clean" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q "removed $IRQTOP_SHM_DIR/irqcore.$gone (process $gone gone)" "$tmp/clean" &&
   grep -q "kept $IRQTOP_SHM_DIR/irqcore.$hung" "$tmp/clean" &&
   [ ! -e "$IRQTOP_SHM_DIR/irqcore.$gone" ] && [ -e "$IRQTOP_SHM_DIR/irqcore.$hung" ] &&
   [ -e "$IRQTOP_SHM_DIR/irqcore.$live" ]; then
	ok "--clean removes the dead process's segment, keeps the others"
else
	ko "--clean" "rc $rc: $(cat "$tmp/clean")"
fi
stop_pid "$hung"

# exactly one live process left: no PID attaches to it
"$IRQTOP" -J -o IRQ,TOTAL >"$tmp/one" 2>&1
if python3 -c "
import json; d=json.load(open('$tmp/one')); assert d['process']['pid'] == $live" 2>/dev/null; then
	ok "no PID, one live process: attaches to it"
else
	ko "no PID, one live" "$(head -c 300 "$tmp/one")"
fi
stop_pid "$live"

# ---------------------------------------------------------------------------
# options

bad=
for args in "-s bogus" "-o BOGUS" "-d 0" "-d x" "-n 0" "-c sometimes" "-C 5-2" "-t -1" "1 2" "abc"; do
	# shellcheck disable=SC2086
	"$IRQTOP" $args >/dev/null 2>"$tmp/opt"
	rc=$?
	if [ $rc -ne 1 ] || ! grep -q "irqtop" "$tmp/opt"; then bad="$bad [$args: rc $rc]"; fi
done
if [ -z "$bad" ] && "$IRQTOP" -V | grep -q "^irqtop from irqcore" &&
   "$IRQTOP" --help | grep -q "^ irqtop \[options\] \[<pid>\]"; then
	ok "bad options exit 1; -V, --help"
else
	ko "options" "$bad"
fi

# ---------------------------------------------------------------------------
# a real process: libirqcore's own segment in /dev/shm

real_test() {
	local ready=$tmp/real.ready rpid i seg
	if [ ! -e src/stats/export.c ] || [ ! -x "$REAL" ]; then
		skip "real process" "no src/stats/export.c or $REAL not built"
		return
	fi
	IRQTOP_SHM_DIR= "$REAL" --ready "$ready" --totals "$ready.totals" &
	rpid=$!
	children+=($rpid)
	for i in $(seq 100); do
		[ -s "$ready" ] && break
		sleep 0.05
	done
	seg=/dev/shm/irqcore.$rpid
	if [ ! -s "$ready" ]; then
		ko "real process" "did not start"
		return
	fi
	if [ ! -e "$seg" ]; then
		skip "real process" "libirqcore did not create $seg"
		stop_pid "$rpid"
		return
	fi
	IRQTOP_SHM_DIR=/dev/shm "$IRQTOP" -J "$rpid" >"$tmp/real.json" 2>"$tmp/real.err"
	rc=$?
	if [ $rc -eq 0 ] && python3 -m json.tool "$tmp/real.json" >/dev/null &&
	   msg=$(check_json "$tmp/real.json" "$ready.totals"); then
		ok "real process: -J parses, totals match kstat_irqs_usr()"
	else
		ko "real process -J" "rc $rc: $(cat "$tmp/real.err") ${msg:-}"
	fi
	IRQTOP_SHM_DIR=/dev/shm "$IRQTOP" -b "$rpid" >"$tmp/real.b" 2>&1
	if grep -Eq '^ *5 .*eth0-rx, eth0-tx$' "$tmp/real.b" &&
	   grep -Eq '^ *3 +40 .*rt-timer$' "$tmp/real.b" &&
	   grep -Eq '^ *12 .*uart$' "$tmp/real.b"; then
		ok "real process: -b lists each line with its names"
	else
		ko "real process -b" "$(cat "$tmp/real.b")"
	fi
	stop_pid "$rpid"
	if [ ! -e "$seg" ]; then
		ok "real process: segment removed at shutdown"
	else
		ko "real process" "$seg still there after shutdown"
	fi
}
real_test

echo "live.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

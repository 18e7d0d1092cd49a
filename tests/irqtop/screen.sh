#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# irqtop's interactive screen in a real terminal: tmux runs a shell, the
# shell runs irqtop against the fake process (helpers/fake_proc.c);
# send-keys drives it, capture-pane reads the screen. Checks the header,
# the CPU meters, the columns and rows, sorting, scrolling, filtering, help,
# pause, interval, resize, and that every way out (q, Ctrl-C, SIGTERM, the
# process exiting, a segment error) restores the terminal: the alternate
# screen is left, the shell prompt is back and the tty is in canonical
# mode with echo again.
#
#   tests/irqtop/screen.sh [BUILDDIR]      (default build)
#
# Skipped (exit 0, with a message) only when tmux is not installed.
# Ends with "screen.sh: N passed, N failed".
set -u

cd "$(dirname "$0")/../.." || exit 2
B=${1:-build}
IRQTOP=$(realpath "$B/irqtop" 2>/dev/null)
FAKE=$B/tests/irqtop/fake_proc

if ! command -v tmux >/dev/null 2>&1; then
	echo "SKIP screen.sh: tmux is not installed (apt-get install tmux)"
	echo "screen.sh: 0 passed, 0 failed"
	exit 0
fi
for f in "$IRQTOP" "$FAKE"; do
	if [ ! -x "$f" ]; then
		echo "FAIL $f not built"
		echo "screen.sh: 0 passed, 1 failed"
		exit 1
	fi
done

pass=0
fail=0
t0=$(date +%s%N)
at() { echo "$(( ($(date +%s%N) - t0) / 1000000 ))ms"; }
ok() { echo "PASS $1 (at $(at))"; pass=$((pass + 1)); }
ko() {
	echo "FAIL $1: $2 (at $(at))"
	echo "---- screen:"
	cap | sed 's/^/| /'
	echo "----"
	fail=$((fail + 1))
}

tmp=$(mktemp -d /tmp/irqtop-screen.XXXXXX)
export IRQTOP_SHM_DIR=$tmp/shm
mkdir "$IRQTOP_SHM_DIR"
sock=irqtop-test-$$
T="tmux -L $sock -f /dev/null"
children=()
cleanup() {
	local p
	$T kill-server 2>/dev/null
	for p in "${children[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

start_fake() {
	local ready=$tmp/ready.$RANDOM$RANDOM i
	"$FAKE" --ready "$ready" "$@" &
	children+=($!)
	for i in $(seq 100); do
		[ -s "$ready" ] && break
		sleep 0.05
	done
	FPID=$(cat "$ready" 2>/dev/null)
	[ -n "$FPID" ]
}

cap() { $T capture-pane -p -t t 2>/dev/null; }
keys() { $T send-keys -t t "$@"; }
# wait_for REGEX [SECONDS]: until the screen matches (grep -E)
wait_for() {
	local i n=$(( ${2:-5} * 20 ))
	for ((i = 0; i < n; i++)); do
		cap | grep -Eq -- "$1" && return 0
		sleep 0.05
	done
	return 1
}
# wait_gone REGEX [SECONDS]
wait_gone() {
	local i n=$(( ${2:-5} * 20 ))
	for ((i = 0; i < n; i++)); do
		cap | grep -Eq -- "$1" || return 0
		sleep 0.05
	done
	return 1
}
# the table rows: the lines after the column header, up to the status line
rows() { cap | awk '/^ *IRQ +TOTAL/ {on = 1; next} /^h help/ {on = 0} on && NF'; }
first_irq() { rows | head -1 | awk '{print $1}'; }
alt_on() { $T display -p -t t '#{alternate_on}'; }

# a shell in a 140x40 terminal; its prompt is "$ "
$T new-session -d -s t -x 140 -y 40 \
	"env PS1='$ ' IRQTOP_SHM_DIR='$IRQTOP_SHM_DIR' bash --norc --noprofile" ||
	{ echo "FAIL tmux new-session"; echo "screen.sh: 0 passed, 1 failed"; exit 1; }
wait_for '^\$' 5

start_fake --cpus 4 --irqs 200 --tick-ms 50 || ko "fake" "did not start"
fake=$FPID

# run_irqtop ARGS: starts irqtop in the pane after a marker line
run_irqtop() {
	keys "clear; echo MARKER-$1; $IRQTOP -d 0.2 $2; echo rc=\$?" Enter
}
# restored NAME: after irqtop ended: alternate screen left, the marker and
# a new prompt visible, the tty canonical with echo
restored() {
	:
	if ! wait_for '^rc=' 5; then
		ko "$1" "irqtop did not end"
		return 1
	fi
	if [ "$(alt_on)" != 0 ]; then
		ko "$1" "still on the alternate screen"
		return 1
	fi
	if ! cap | grep -q "^MARKER-" || cap | grep -Eq '^ *IRQ +TOTAL'; then
		ko "$1" "the shell's screen was not restored"
		return 1
	fi
	keys "clear; stty -a | tr ' ;' '\n\n' | grep -E -x -- '-?(icanon|echo)' | tr '\n' ' '; echo" Enter
	if ! wait_for '^icanon echo *$' 3; then
		ko "$1" "tty modes not restored: $(cap | tail -3)"
		return 1
	fi
	keys clear Enter
	wait_gone '^icanon' 2
	return 0
}

# ---------------------------------------------------------------------------
run_irqtop first "$fake"
if wait_for "^irqtop - fakeirq \(PID $fake\), up [0-9:]+, 4 CPUs, 200 lines, [0-9]+ events, [0-9.]+/s" 5; then
	ok "header: process, PID, uptime, CPUs, events and events/s"
else
	ko "header" "not found"
fi
if wait_for '^ +0\[[|]* +[0-9.]+% [0-9.]+[kMG]?/s\] +1\[' 3 &&
   cap | grep -Eq '^ +0\[.*\] +1\[.*\] +2\[.*\] +3\[.*\]$'; then
	ok "per-CPU meters (busy % and events/s, as bars)"
else
	ko "meters" "no meter row"
fi
if cap | grep -Eq '^ *IRQ +TOTAL +RATE +DELTA +CPU0 +CPU1 +CPU2 +CPU3 +UNHANDLED +COALESCED +TIME% +MAXTIME +AFFINITY +EFF +STATE +CHIP +FLOW +HWIRQ +NAME *$'; then
	ok "column header (per-CPU columns fit in 140 columns)"
else
	ko "columns" "header line differs"
fi
if [ "$(rows | wc -l)" -ge 25 ] && rows | grep -Eq '^ *[0-9]+ +[0-9]+ +[0-9.]+ +[0-9]+ .*eth0-rx-[0-9]+ *$'; then
	ok "rows fill the screen: IRQ TOTAL RATE DELTA ... NAME"
else
	ko "rows" "$(rows | wc -l) rows"
fi

# sorting
keys i
if wait_for 'sort irq  interval' 2 && [ "$(first_irq)" = 0 ] && rows | sed -n 2p | grep -Eq '^ *1 '; then
	ok "i: sorted by IRQ"
else
	ko "sort by IRQ" "first row $(first_irq)"
fi
keys i
if wait_for 'sort irq \(reversed\)' 2 && [ "$(first_irq)" = 199 ]; then
	ok "i again: reversed"
else
	ko "reverse IRQ" "first row $(first_irq)"
fi
keys n
if wait_for 'sort name  interval' 2 && rows | awk '{print $NF}' | LC_ALL=C sort -c 2>/dev/null; then
	ok "n: sorted by name"
else
	ko "sort by name" "names out of order"
fi
keys R
if wait_for 'sort name \(reversed\)' 2 && rows | head -1 | grep -q 'uart, spi-bus *$'; then
	ok "R: reverse order"
else
	ko "R" "$(rows | head -1)"
fi
keys t
if wait_for 'sort total  interval' 2 &&
   rows | awk '{print $2}' | sort -n -r -c 2>/dev/null; then
	ok "t: sorted by total, descending"
else
	ko "sort by total" "not descending"
fi
keys r
sleep 0.5
if wait_for 'sort rate  interval' 2 && rows | awk '{print $3}' | sort -g -r -c 2>/dev/null; then
	ok "r: sorted by rate, descending"
else
	ko "sort by rate" "not descending"
fi

# scrolling (by IRQ: rows are 0,1,3,4,...; 133 lines shown in all)
keys i
wait_for 'sort irq  interval' 2
keys Down
if wait_for 'lines 2-' 2 && [ "$(first_irq)" = 1 ]; then
	ok "Down scrolls one line"
else
	ko "Down" "first row $(first_irq)"
fi
keys NPage
if wait_for 'lines [0-9]{2}-' 2; then
	ok "PgDn scrolls a page"
else
	ko "PgDn" "status $(cap | tail -1)"
fi
keys End
if wait_for 'lines [0-9]+-([0-9]+)/\1( |$)' 2 && rows | tail -1 | grep -Eq '^ *199 '; then
	ok "End shows the last line"
else
	ko "End" "last row $(rows | tail -1)"
fi
keys PPage
if wait_gone 'lines [0-9]+-([0-9]+)/\1( |$)' 2; then
	ok "PgUp scrolls back"
else
	ko "PgUp" "still at the end"
fi
keys Home
if wait_for 'lines 1-' 2 && [ "$(first_irq)" = 0 ]; then
	ok "Home goes to the first line"
else
	ko "Home" "first row $(first_irq)"
fi

# filter
keys / n v m e 0 q 1 9 Enter
if wait_for 'filter "nvme0q19"' 2 && [ "$(rows | wc -l)" -ge 1 ] &&
   ! rows | grep -v 'nvme0q19' | grep -q .; then
	ok "/ filters by name ($(rows | wc -l) rows of nvme0q19*)"
else
	ko "filter" "other rows shown"
fi
keys / BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace z z z Enter
if wait_for '\(no line matches\)' 2 && cap | grep -Eq '^ *IRQ +TOTAL'; then
	ok "a filter matching nothing: the header stays, \"(no line matches)\""
else
	ko "empty filter result" "no header or no notice"
fi
keys / BSpace BSpace BSpace Enter
if wait_gone 'filter "' 2 && [ "$(rows | wc -l)" -ge 25 ]; then
	ok "an empty filter shows every line again"
else
	ko "clear filter" "$(rows | wc -l) rows"
fi

# help
keys h
if wait_for 'irqtop - interactive commands' 2 && cap | grep -q 'STATE letters'; then
	ok "h shows the help"
else
	ko "help" "no help screen"
fi
keys x
if wait_for '^ *IRQ +TOTAL' 2; then
	ok "any key leaves the help"
else
	ko "leave help" "table not back"
fi

# active only: line 4 never moves (i % 5 == 4)
keys a
if wait_for '\[active only\]' 2 && ! rows | grep -Eq '^ *4 '; then
	ok "a: only lines active in the interval"
else
	ko "active only" "idle line 4 shown"
fi
keys a
wait_gone '\[active only\]' 2

# pause, interval
keys p
wait_for '\[PAUSED\]' 2
before=$(rows | grep -E '^ *3 ' | awk '{print $2}')
sleep 0.6
after=$(rows | grep -E '^ *3 ' | awk '{print $2}')
if [ -n "$before" ] && [ "$before" = "$after" ]; then
	ok "p pauses (line 3 stays at $before)"
else
	ko "pause" "line 3: $before -> $after"
fi
keys p
if wait_gone '\[PAUSED\]' 2 && sleep 0.5 &&
   [ "$(rows | grep -E '^ *3 ' | awk '{print $2}')" != "$after" ]; then
	ok "p resumes"
else
	ko "resume" "line 3 did not move"
fi
keys +
if wait_for 'interval 0.5s' 2; then ok "+ lengthens the interval"; else ko "+" "no 0.5s"; fi
keys - -
if wait_for 'interval 0.1s' 2; then ok "- shortens it"; else ko "-" "no 0.1s"; fi

# resize
$T resize-window -t t -x 100 -y 30
if wait_for '^h help' 3 && [ "$(cap | wc -l)" -eq 30 ] &&
   cap | sed -n 30p | grep -q '^h help' && cap | head -1 | grep -q '^irqtop - fakeirq'; then
	ok "resize redraws (100x30)"
else
	ko "resize" "status line not on row 30"
fi
if cap | grep -Eq '^ *IRQ +TOTAL +RATE +DELTA +UNHANDLED'; then
	ok "per-CPU columns dropped when they no longer fit (auto)"
else
	ko "cpu-stat auto" "$(cap | grep -E '^ *IRQ')"
fi
keys c
if wait_for '^ *IRQ +TOTAL +RATE +DELTA +CPU0 +CPU1' 2; then
	ok "c: per-CPU columns always"
else
	ko "c always" "$(cap | grep -E '^ *IRQ')"
fi
keys c
if wait_for '^ *IRQ +TOTAL +RATE +DELTA +UNHANDLED' 2; then
	ok "c again: never"
else
	ko "c never" "$(cap | grep -E '^ *IRQ')"
fi
keys c
# a tiny terminal: still running, still drawing
$T resize-window -t t -x 24 -y 3
sleep 0.4
$T resize-window -t t -x 140 -y 40
shell=$($T display -p -t t '#{pane_pid}')
if wait_for '^h help' 3 && pgrep -P "$shell" -x irqtop >/dev/null; then
	ok "a 24x3 terminal and back: still running"
else
	ko "tiny terminal" "irqtop gone"
fi

keys q
if restored "q restores the terminal"; then
	ok "q: terminal restored (alternate screen left, prompt back, icanon echo)"
fi

# Ctrl-C
run_irqtop ctrlc "$fake"
wait_for '^ *IRQ +TOTAL' 5
keys C-c
if restored "Ctrl-C"; then ok "Ctrl-C: terminal restored"; fi

# SIGTERM
run_irqtop term "$fake"
wait_for '^ *IRQ +TOTAL' 5
shell=$($T display -p -t t '#{pane_pid}')
ipid=$(pgrep -P "$shell" -x irqtop)
if [ -n "$ipid" ]; then
	kill -TERM "$ipid"
	if restored "SIGTERM"; then ok "SIGTERM: terminal restored"; fi
else
	ko "SIGTERM" "no irqtop child of the pane's shell"
fi

# the process exits while watched: a message, exit 0
run_irqtop exit "$fake"
wait_for '^ *IRQ +TOTAL' 5
kill -TERM "$fake"
if wait_for "^irqtop: PID $fake \(fakeirq\): process exited" 5 && wait_for '^rc=0$' 2; then
	ok "process exit: the screen ends with a message, exit 0"
else
	ko "process exit" "no message or status"
fi
restored "process exit" >/dev/null

# a segment error while watched: exit 1, terminal restored
start_fake --freeze --irqs 64 || ko "fake" "did not start"
frozen=$FPID
run_irqtop error "$frozen"
wait_for '^ *IRQ +TOTAL' 5
truncate -s 1000 "$IRQTOP_SHM_DIR/irqcore.$frozen"
if wait_for "^irqtop: PID $frozen: segment .* shrank" 5 && wait_for '^rc=1$' 2; then
	ok "segment shrinks while watched: message, exit 1"
else
	ko "shrink" "no message"
fi
if restored "error exit"; then ok "error exit: terminal restored"; fi

echo "screen.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

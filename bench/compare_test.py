#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Self-test of the benchmark gate: bench/compare (rules, tolerances,
re-measurement state, exit status), bench/summarize's ratio spread, and the
re-measurement loop of bench/bench.mk (`make -f bench/bench.mk bench-gate`
with a fake tool re-run), all on synthetic figures JSON. Runs nothing else.

    python3 bench/compare_test.py [-v]

The last line is "N passed, N failed"; exit status 0 when nothing failed.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
COMPARE = os.path.join(HERE, "compare")
SUMMARIZE = os.path.join(HERE, "summarize")
VERBOSE = "-v" in sys.argv[1:]

TOOL_OF = {"M1": "gbench", "M5": "gbench", "M7": "gbench", "M2": "irqlat",
           "M3": "irqlat", "M6": "irqlat", "M4": "handoff"}


def fig(fid, case, metric, base, ratio, **kw):
    f = {"id": fid, "case": case, "metric": metric, "unit": "ns",
         "value": ratio * 100.0, "baseline": base, "baseline_value": 100.0,
         "ratio": ratio, "higher_is_better": False}
    f.update(kw)
    return f


# The figures of one run, one of each kind the gate treats differently,
# with ratio 1 (the saved ratio); over() scales the ones named.
def figures(**ratios):
    fs = [
        fig("M1", "1handler", "ns/op", "direct call", 1.0),
        fig("M2", "spin", "p50", "cache-line ping-pong", 1.0),
        fig("M2", "spin", "p99", "cache-line ping-pong", 1.0),
        fig("M2", "spin", "p99.9", "cache-line ping-pong", 1.0),
        fig("M2", "spin", "max", "cache-line ping-pong", 1.0),
        fig("M3", "sleep", "p50", "eventfd+epoll", 1.0),
        fig("M3", "sleep", "p99", "eventfd+epoll", 1.0),
        fig("M4", "running", "p50", "spin ping-pong", 1.0),
        fig("M4", "sleeping", "p50", "futex wake", 1.0),
        fig("M4", "sleeping", "p99", "futex wake", 1.0),
        fig("M5", "dispatchers=1/threads=1", "raises/s", "atomic OR", 1.0,
            higher_is_better=True, unit="raises/s", extra={"threads_per_cpu": 1.0}),
        fig("M5", "dispatchers=2/threads=2", "raises/s", "atomic OR", 1.0,
            higher_is_better=True, unit="raises/s", extra={"threads_per_cpu": 2.0}),
        fig("M7", "lines=1", "ns/line", "lines=1", 1.0),
        fig("M7", "lines=64", "ns/line", "lines=1", 1.0),
    ]
    for f in fs:
        name = "%s/%s/%s" % (f["id"], f["case"].split("/")[0], f["metric"])
        if name in ratios:
            f["ratio"] = ratios[name]
            f["value"] = ratios[name] * 100.0
        f["tool"] = TOOL_OF[f["id"]]
    return fs


class T:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="compare_test.")
        self.passed = self.failed = 0
        self.n = 0

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, doc):
        p = self.path(name)
        with open(p, "w") as fh:
            json.dump(doc, fh)
        return p

    def summary(self, figs, name=None):
        self.n += 1
        return self.write(name or "s%d.json" % self.n, {"figures": figs})

    def baseline(self, figs=None):
        return self.summary(figs if figs is not None else figures(), "base%d.json" % self.n)

    def compare(self, new, base, *args):
        r = subprocess.run([sys.executable, COMPARE] + list(args) + [new, base],
                           capture_output=True, text=True)
        if VERBOSE:
            sys.stdout.write(r.stdout + r.stderr)
        return r.returncode, r.stdout + r.stderr

    def check(self, name, cond, detail=""):
        if cond:
            self.passed += 1
            print("ok - %s" % name)
        else:
            self.failed += 1
            print("FAIL - %s%s" % (name, (": " + detail) if detail else ""))


def row(out, *words):
    """The table row holding all the words (or None)."""
    for line in out.splitlines():
        if all(w in line.split() for w in words):
            return line
    return None


def test_single_shot(t):
    base = t.baseline()
    rc, out = t.compare(t.summary(figures()), base)
    t.check("no change: pass", rc == 0, out)
    rc, out = t.compare(t.summary(figures(**{"M2/spin/p99": 2.0})), base)
    t.check("exactly at the tolerance (2.0x): pass", rc == 0, out)
    rc, out = t.compare(t.summary(figures(**{"M2/spin/p99": 2.05})), base)
    t.check("beyond the tolerance, one attempt: fail", rc == 1 and "TRIPPED" in out, out)
    rc, out = t.compare(t.summary(figures(**{"M2/spin/p99": 2.05})), base,
                        "--tolerance", "3")
    t.check("--tolerance 3: 2.05x passes", rc == 0, out)
    rc, out = t.compare(t.summary(figures(**{"M5/dispatchers=1/raises/s": 2.5})), base)
    t.check("a rate (higher is better) is gated", rc == 1, out)
    rc, out = t.compare(t.summary(figures(**{"M1/1handler/ns/op": 0.1})), base)
    t.check("an improvement passes", rc == 0, out)


def test_not_gated(t):
    base = t.baseline()
    wild = {"M2/spin/max": 50.0, "M2/spin/p99.9": 50.0, "M3/sleep/p99": 50.0,
            "M4/sleeping/p99": 50.0, "M5/dispatchers=2/raises/s": 50.0,
            "M7/lines=1/ns/line": 50.0}
    new = t.summary(figures(**wild))
    st = t.path("ng.state")
    rcs = []
    for n in (1, 2, 3):
        rc, out = t.compare(new, base, "--state", st, "--attempt", str(n),
                            "--rerun", t.path("ng.rerun"))
        rcs.append(rc)
        if rc != 3:
            break
    t.check("not-gated figures at 50x never fail", rcs == [0], "%s\n%s" % (rcs, out))
    rc, out = t.compare(new, base)
    for words, tag in ((("M2", "max"), "max"), (("M2", "p99.9"), "tail"),
                       (("M3", "p99"), "sleep-p99"), (("M4", "sleeping", "p99"), "sleep-p99"),
                       (("M5", "dispatchers=2/threads=2"), "oversub"),
                       (("M7", "lines=1", "ns/line"), "reference")):
        r = row(out, *words)
        t.check("%s: printed as not gated, why %s" % (" ".join(words), tag),
                r is not None and "not gated" in r and r.split()[-1] == tag, str(r))
    t.check("every reason is explained under why:",
            all(("  %s " % tag) in out.split("why:")[-1]
                for tag in ("max", "tail", "sleep-p99", "oversub", "reference")), out)
    r = row(out, "M3", "p50")
    t.check("a gated figure prints its gate and why", r is not None and
            "2.0x" in r.split() and r.split()[-1] == "p50", str(r))
    rc, out = t.compare(new, base, "--gate-tails", "3")
    t.check("--gate-tails gates p99.9", rc == 1 and "TRIPPED" in row(out, "M2", "p99.9"), out)
    rc, out = t.compare(new, base, "--gate-sleep-p99", "4")
    t.check("--gate-sleep-p99 gates the sleeping p99",
            rc == 1 and "TRIPPED" in row(out, "M3", "p99"), out)
    extra = figures()[:-1] + [fig("M9", "x", "p50", "y", 9.0)]
    rc, out = t.compare(t.summary(extra), t.summary(figures()))
    t.check("new and missing figures: listed, not gated",
            rc == 0 and "new figure" in out and "missing figure" in out, out)


def test_spread(t):
    figs = figures()
    for f in figs:
        if f["id"] == "M2" and f["metric"] == "p99":
            f.update(runs=3, ratio_min=0.8, ratio_max=1.25)   # x1.56: gate 2.5x
        if f["id"] == "M4" and f["metric"] == "p50":
            f.update(runs=3, ratio_min=0.5, ratio_max=1.1)    # x2.2: 4.84x > 4
        if f["id"] == "M3" and f["metric"] == "p50":
            f.update(runs=3, ratio_min=0.9, ratio_max=1.2)    # x1.33: 2x stays
    base = t.baseline(figs)
    rc, out = t.compare(t.summary(figures(**{"M2/spin/p99": 2.4})), base)
    r = row(out, "M2", "p99")
    t.check("saved runs spread x1.56: gate widened to 2.5x, 2.4x passes",
            rc == 0 and r is not None and "2.5x" in r.split() and
            r.split()[-1] == "spread-wide", str(r))
    rc, out = t.compare(t.summary(figures(**{"M2/spin/p99": 2.6})), base)
    t.check("saved runs spread x1.56: 2.6x trips", rc == 1, out)
    rc, out = t.compare(t.summary(figures(**{"M4/sleeping/p50": 9.0})), base)
    r = row(out, "M4", "sleeping", "p50")
    t.check("saved runs spread x2.2 (gate 4.84x > 4x): not gated",
            rc == 0 and r is not None and r.split()[-1] == "spread" and
            "M4 sleeping p50 vs futex wake: ratio 0.50-1.10 in the 3 saved runs" in out, out)
    rc, out = t.compare(t.summary(figures(**{"M4/sleeping/p50": 9.0})), base,
                        "--max-tolerance", "5")
    t.check("--max-tolerance 5: gated at 4.9x, 9x trips", rc == 1, out)
    rc, out = t.compare(t.summary(figures(**{"M3/sleep/p50": 2.05})), base)
    t.check("saved runs spread x1.33 (within sqrt 2): gate stays 2x", rc == 1, out)
    # the table of spreads observed on the CI VM
    obs = [fig("M2", "spin", "p50", "cache-line ping-pong", 1.0, tool="irqlat"),
           fig("M6", "spin", "p50", "no churn", 1.0, tool="irqlat")]
    base = t.baseline(obs)
    rc, out = t.compare(t.summary([dict(obs[0], ratio=9.0), dict(obs[1], ratio=3.1)]), base)
    t.check("observed on the CI VM: M2 p50 not gated, M6 p50 gated at 3.2x",
            rc == 0 and row(out, "M2", "p50").split()[-1] == "spread" and
            "3.2x" in row(out, "M6", "p50").split(), out)
    rc, out = t.compare(t.summary([obs[0], dict(obs[1], ratio=3.3)]), base)
    t.check("observed on the CI VM: M6 p50 at 3.3x trips", rc == 1, out)


def run_attempts(t, name, per_attempt, attempts=3):
    """Call compare as bench-gate does, attempt by attempt; per_attempt[i] are
    the ratios of attempt i+1. Returns ([rc...], [rerun tools...], last output)."""
    base = t.baseline()
    st, rr = t.path(name + ".state"), t.path(name + ".rerun")
    rcs, reruns, out = [], [], ""
    for n in range(1, attempts + 1):
        new = t.summary(figures(**per_attempt[min(n, len(per_attempt)) - 1]))
        if os.path.exists(rr):
            os.unlink(rr)
        rc, out = t.compare(new, base, "--state", st, "--attempt", str(n),
                            "--attempts", str(attempts), "--rerun", rr)
        rcs.append(rc)
        if rc != 3:
            break
        with open(rr) as fh:
            reruns.append(fh.read().splitlines())
    return rcs, reruns, out


def test_remeasure(t):
    bad = {"M3/sleep/p50": 3.0}
    rcs, reruns, out = run_attempts(t, "once", [bad, {}])
    t.check("trips once, then passes: pass", rcs == [3, 0], "%s\n%s" % (rcs, out))
    t.check("re-measures only the tool of the tripped figure", reruns == [["irqlat M3"]],
            str(reruns))
    rcs, reruns, out = run_attempts(t, "always", [bad])
    t.check("trips every attempt: fail", rcs == [3, 3, 1], "%s\n%s" % (rcs, out))
    t.check("the failure names the figure and every attempt's ratio",
            "tripped in all 3 attempts" in out and "3.00, 3.00, 3.00" in out, out)
    rcs, reruns, out = run_attempts(t, "twice", [bad, bad, {}])
    t.check("trips twice, passes the third time: pass", rcs == [3, 3, 0], str(rcs))
    rcs, reruns, out = run_attempts(
        t, "moving", [{"M2/spin/p99": 3.0}, {"M2/spin/p99": 3.0, "M1/1handler/ns/op": 3.0},
                      {"M1/1handler/ns/op": 3.0}])
    t.check("a figure that passed once is not re-judged (another tripping later passes)",
            rcs == [3, 3, 0], "%s\n%s" % (rcs, out))
    t.check("re-runs stay with the first tripped figure's tool",
            reruns == [["irqlat M2"], ["irqlat M2"]], str(reruns))
    rcs, reruns, out = run_attempts(t, "two", [{"M1/1handler/ns/op": 3.0,
                                                "M4/sleeping/p50": 3.0}, {}])
    t.check("two tools tripped: both re-run, with the tripped ids",
            reruns == [["gbench M1", "handoff M4"]], str(reruns))
    rcs, reruns, out = run_attempts(t, "ids", [{"M1/1handler/ns/op": 3.0,
                                                "M7/lines=64/ns/line": 3.0}, {}])
    t.check("one tool, two ids: one line", reruns == [["gbench M1 M7"]], str(reruns))
    base = t.baseline()
    st, rr = t.path("gone.state"), t.path("gone.rerun")
    rc1, _ = t.compare(t.summary(figures(**bad)), base, "--state", st, "--rerun", rr)
    gone = [f for f in figures() if f["id"] != "M3"]
    rc2, out = t.compare(t.summary(gone), base, "--state", st, "--rerun", rr,
                         "--attempt", "2", "--attempts", "2")
    t.check("a tripped figure missing from the re-measurement has not passed",
            rc1 == 3 and rc2 == 1 and "missing in this attempt" in out, out)
    rcs, reruns, out = run_attempts(t, "one", [bad], attempts=1)
    t.check("--attempts 1: fails at once", rcs == [1], str(rcs))

    base = t.baseline(figures() + [fig("M9", "x", "p50", "y", 1.0)])
    new = t.summary(figures() + [fig("M9", "x", "p50", "y", 5.0)])
    rr = t.path("unknown.rerun")
    rc, out = t.compare(new, base, "--state", t.path("unknown.state"), "--rerun", rr)
    with open(rr) as fh:
        tools = fh.read().splitlines()
    t.check("a figure of an unknown tool re-runs every tool, whole",
            rc == 3 and tools == ["gbench", "irqlat", "handoff"], "%s %s" % (rc, tools))


def test_summarize_spread(t):
    runs = []
    for r in (0.9, 1.0, 1.3):
        runs.append(t.summary([fig("M2", "spin", "p50", "ping-pong", r)]))
    out = t.path("merged.json")
    r = subprocess.run([sys.executable, SUMMARIZE, "-o", out] + runs,
                       capture_output=True, text=True)
    with open(out) as fh:
        f = json.load(fh)["figures"][0]
    t.check("summarize: median ratio with ratio_min/ratio_max and runs",
            r.returncode == 0 and f["ratio"] == 1.0 and f["ratio_min"] == 0.9 and
            f["ratio_max"] == 1.3 and f["runs"] == 3, str(f))


FAKE_TOOL = r'''
import json, os, sys
d = os.path.dirname(os.path.abspath(__file__))
tool = sys.argv[1][len("bench-"):-len("-ci")]
with open(os.path.join(d, "calls.txt"), "a") as fh:
    fh.write(tool + "\n")
with open(os.path.join(d, "argv.txt"), "a") as fh:
    fh.write(json.dumps(sys.argv[1:]) + "\n")
with open(os.path.join(d, "script.json")) as fh:
    script = json.load(fh)
n = sum(1 for l in open(os.path.join(d, "calls.txt")) if l.strip() == tool)
runs = script[tool]
with open(os.path.join(d, tool + ".json"), "w") as fh:
    json.dump(runs[min(n, len(runs) - 1)], fh)
'''


def make_gate(t, name, script, *make_args):
    """Run `make -f bench/bench.mk bench-gate` over synthetic tool JSON;
    script[tool] is that tool's figures JSON in run 1, 2, 3..."""
    d = t.path(name)
    os.makedirs(os.path.join(d, "build", "bench"))
    with open(os.path.join(d, "fake_tool.py"), "w") as fh:
        fh.write(FAKE_TOOL)
    with open(os.path.join(d, "script.json"), "w") as fh:
        json.dump(script, fh)
    files = []
    for tool, runs in script.items():
        p = os.path.join(d, tool + ".json")
        with open(p, "w") as fh:
            json.dump(runs[0], fh)
        files.append(p)
    base = t.baseline()
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    r = subprocess.run(["make", "--no-print-directory", "-f", "bench/bench.mk",
                        "BUILDDIR=" + os.path.join(d, "build"), "Q=@", "PKG_CONFIG=true",
                        "BENCH_FIGURES=" + " ".join(files), "BENCH_BASELINE=" + base,
                        "BENCH_RERUN_MAKE=%s %s" % (sys.executable,
                                                    os.path.join(d, "fake_tool.py")),
                        "bench-gate"] + list(make_args), cwd=ROOT, env=env, capture_output=True, text=True)
    if VERBOSE:
        sys.stdout.write(r.stdout + r.stderr)
    calls = []
    if os.path.exists(os.path.join(d, "calls.txt")):
        with open(os.path.join(d, "calls.txt")) as fh:
            calls = fh.read().split()
    attempts = sorted(f for f in os.listdir(os.path.join(d, "build", "bench"))
                      if f.startswith("summary.attempt") and f.endswith(".json"))
    t.argv = []
    if os.path.exists(os.path.join(d, "argv.txt")):
        with open(os.path.join(d, "argv.txt")) as fh:
            t.argv = [json.loads(l) for l in fh]
    return r.returncode, calls, attempts, r.stdout + r.stderr


def tool_doc(tool, figs):
    return {"tool": tool, "figures": [f for f in figs if f["tool"] == tool]}


def test_make_loop(t):
    if shutil.which("make") is None:
        t.check("make bench-gate (make not installed)", False)
        return

    def script(*attempts):
        return {tool: [tool_doc(tool, figures(**a)) for a in attempts]
                for tool in ("gbench", "irqlat", "handoff")}

    rc, calls, att, out = make_gate(t, "mk_pass", script({}))
    t.check("make bench-gate: nothing trips: pass, nothing re-run",
            rc == 0 and calls == [] and len(att) == 1, "%s %s %s\n%s" % (rc, calls, att, out))
    bad = {"M3/sleep/p50": 3.0}
    rc, calls, att, out = make_gate(t, "mk_once", script(bad, {}))
    t.check("make bench-gate: trips once then passes: pass after re-running irqlat only",
            rc == 0 and calls == ["irqlat"] and len(att) == 2,
            "%s %s %s\n%s" % (rc, calls, att, out))
    rc, calls, att, out = make_gate(t, "mk_always", script(bad))
    t.check("make bench-gate: trips every attempt: fail after 2 re-runs",
            rc != 0 and calls == ["irqlat", "irqlat"] and len(att) == 3,
            "%s %s %s\n%s" % (rc, calls, att, out))
    rc, calls, att, out = make_gate(t, "mk_gb", script({"M1/1handler/ns/op": 3.0,
                                                        "M7/lines=64/ns/line": 3.0}, {}),
                                    "GBENCH_ARGS=--x")
    t.check("make bench-gate: gbench re-run only for the tripped ids",
            rc == 0 and t.argv == [["bench-gbench-ci",
                                    "GBENCH_ARGS=--x --benchmark_filter='^(M1|M7)/'"]],
            "%s %s\n%s" % (rc, t.argv, out))
    rc, calls, att, out = make_gate(t, "mk_budget", script(bad), "BENCH_GATE_BUDGET=0")
    t.check("make bench-gate: no time budget left: attempt 2 is the last, fail",
            rc != 0 and calls == ["irqlat"] and len(att) == 2 and
            "attempt 2 is the last" in out and "tripped in all 2 attempts" in out,
            "%s %s %s\n%s" % (rc, calls, att, out))
    rc, calls, att, out = make_gate(t, "mk_one", script(bad), "BENCH_REMEASURE=0")
    t.check("make bench-gate: BENCH_REMEASURE=0: fail at once",
            rc != 0 and calls == [] and len(att) == 1, "%s %s %s\n%s" % (rc, calls, att, out))
    rc, calls, att, out = make_gate(t, "mk_notgated", script({"M3/sleep/p99": 40.0,
                                                              "M2/spin/max": 40.0}))
    t.check("make bench-gate: not-gated figures far off: pass, nothing re-run",
            rc == 0 and calls == [], "%s %s\n%s" % (rc, calls, out))


def main():
    t = T()
    try:
        for test in (test_single_shot, test_not_gated, test_spread, test_remeasure,
                     test_summarize_spread, test_make_loop):
            try:
                test(t)
            except Exception as e:  # a crash counts as one failure
                t.check("%s ran" % test.__name__, False, repr(e))
    finally:
        shutil.rmtree(t.dir, ignore_errors=True)
    print("%d passed, %d failed" % (t.passed, t.failed))
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Google Benchmark JSON (irqbench --benchmark_out=F --benchmark_out_format=json)
-> irqcore figures JSON (the schema every irqcore benchmark tool writes):

  {"tool": "gbench",
   "machine": {"host_name": ..., "num_cpus": ..., "mhz_per_cpu": ..., ...},
   "figures": [{"id": "M1", "case": "1handler", "metric": "ns/op", "unit": "ns",
                "value": X, "baseline": "direct call", "baseline_value": Y,
                "ratio": X / Y, "higher_is_better": false}, ...]}

Benchmarks are named M<id>/irqcore/<case> and M<id>/baseline/<case>; the two
sides of a case make one figure (without its baseline run, e.g. filtered out,
baseline_value and ratio are null). M7 has no baseline runs: it is a set of
curves: the case is "<param>=<value>", the baseline is the curve's first
point (smallest value) and the ratio is value / first point. For every figure
a ratio above 1 means irqcore costs more than its baseline: value / baseline
for costs, baseline / value for throughputs (higher_is_better).

Each run contributes the median of its repetitions (Google Benchmark's
"median" aggregate when there is one, else the median of the runs). Times
are the benchmark's wall-clock time when it ran with UseRealTime ("/real_time"
in its name; the multi-threaded M5), else the benchmark thread's CPU time,
which a loaded machine disturbs less. Runs that failed are listed under
"errors" and make the exit status 1 (after the output is written).

Every figure says which irqcore library the run was linked with ("library":
"static" or "shared"); with --library shared the cases get a "/shared"
suffix, so both libraries' M1 sit side by side in one summary.

Usage: gbench_figures.py RAW.json [-o FIGURES.json] [-q] [--library static|shared]
"""
import argparse
import json
import re
import statistics
import sys

TOOL = "gbench"
SIDES = ("irqcore", "baseline")
# Throughput figures: id -> [(metric, fields of the run holding it, first found)]
THROUGHPUT = {
    "M5": [("raises/s", ("raises", "items_per_second")), ("handled/s", ("handled",))],
    "M5E": [("raises/s", ("raises", "items_per_second")), ("handled/s", ("handled",))],
}
# Ids measured as curves (no baseline runs): baseline = the first point.
CURVES = {"M7"}
BASELINE_NAME = {
    "M1": "direct call",
    "M5": "atomic OR into a bitmap + spinning consumer(s)",
    "M1E": "irqcore, IRQCORE_F_NO_EXPORT",
    "M5E": "irqcore, IRQCORE_F_NO_EXPORT",
}
EXTRA_FIELDS = ("coalesced_frac", "threads_per_cpu")  # copied into a figure's "extra" when present
MACHINE_KEYS = ("host_name", "num_cpus", "mhz_per_cpu", "cpu_scaling_enabled",
                "load_avg", "library_build_type", "date", "executable")
TIME_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
DECORATIONS = ("real_time", "manual_time", "process_time")
DECORATION_PREFIXES = ("min_time:", "min_warmup_time:", "iterations:", "repeats:")


def round_sig(x, digits=4):
    """Round to `digits` significant digits; large values become integers."""
    if x is None:
        return None
    if x == 0:
        return 0
    r = float(f"{x:.{digits}g}")
    return int(r) if abs(r) >= 10 ** (digits - 1) else r


def natural_key(s):
    """'lines=512' sorts after 'lines=64'."""
    return [(0, int(t), "") if t.isdigit() else (1, 0, t)
            for t in re.split(r"(\d+)", s) if t]


def parse_name(run_name):
    """'M5/irqcore/dispatchers:1/real_time/threads:2'
    -> ('M5', 'irqcore', 'dispatchers=1/threads=2', True)"""
    parts = run_name.split("/")
    if len(parts) < 2 or not parts[0].startswith("M"):
        return None
    case, real_time = [], False
    for p in parts[2:]:
        if p in DECORATIONS:
            real_time = real_time or p != "process_time"
            continue
        if p.startswith(DECORATION_PREFIXES):
            continue
        case.append(p.replace(":", "="))
    return parts[0], parts[1], "/".join(case), real_time


def collect(raw):
    """run_name -> {"median": entry or None, "runs": [entries], "error": msg}"""
    runs = {}
    for e in raw.get("benchmarks", []):
        name = e.get("run_name", e.get("name", ""))
        r = runs.setdefault(name, {"median": None, "runs": [], "error": None})
        if e.get("error_occurred"):
            r["error"] = e.get("error_message", "error")
            continue
        if e.get("run_type") == "aggregate":
            if e.get("aggregate_name") == "median":
                r["median"] = e
        else:
            r["runs"].append(e)
    return runs


def field(r, key):
    """The median of `key` over a run's repetitions (None if absent)."""
    if r is None:
        return None
    if r["median"] is not None:
        v = r["median"].get(key)
        if v is not None:
            return float(v)
    vals = [float(e[key]) for e in r["runs"] if e.get(key) is not None]
    return statistics.median(vals) if vals else None


def first_field(r, keys):
    for k in keys:
        v = field(r, k)
        if v is not None:
            return v
    return None


def ns_per_item(r, real_time):
    """ns per item processed (per iteration when the run counts no items)."""
    if r is None:
        return None
    ips = field(r, "items_per_second")
    if ips:
        return 1e9 / ips
    unit = (r["median"] or (r["runs"] or [{}])[0]).get("time_unit", "ns")
    t = field(r, "real_time" if real_time else "cpu_time")
    return None if t is None else t * TIME_NS.get(unit, 1.0)


def figure(fid, case, metric, unit, value, base_name, base_value, higher):
    ratio = None
    if value and base_value:
        ratio = base_value / value if higher else value / base_value
    return {"id": fid, "case": case, "metric": metric, "unit": unit,
            "value": round_sig(value), "baseline": base_name,
            "baseline_value": round_sig(base_value),
            "ratio": round_sig(ratio, 3),
            "higher_is_better": higher}


def extras(r):
    ex = {k: round_sig(field(r, k), 3) for k in EXTRA_FIELDS if field(r, k) is not None}
    return ex


def paired_figures(fid, case, irq, base, real_time):
    out = []
    if fid in THROUGHPUT:
        for metric, keys in THROUGHPUT[fid]:
            f = figure(fid, case, metric, metric, first_field(irq, keys),
                       BASELINE_NAME.get(fid, "baseline"), first_field(base, keys), True)
            ex = extras(irq)
            if ex:
                f["extra"] = ex
            out.append(f)
        return out
    out.append(figure(fid, case, "ns/op", "ns", ns_per_item(irq, real_time),
                      BASELINE_NAME.get(fid, "baseline"), ns_per_item(base, real_time),
                      False))
    return out


def curve_key(case):
    """'lines=512' -> ('lines', 512.0); a case that is no 'k=v' is its own curve."""
    first = case.split("/")[0]
    if "=" in first:
        k, v = first.split("=", 1)
        try:
            return k, float(v)
        except ValueError:
            pass
    return case, 0.0


def curve_figures(fid, points):
    """points: [(case, run, real_time)] of one id without baselines."""
    curves = {}
    for case, r, rt in points:
        k, x = curve_key(case)
        curves.setdefault(k, []).append((x, case, r, rt))
    out = []
    for k, pts in curves.items():
        pts.sort(key=lambda p: p[0])
        metric = "ns/line" if k == "lines" else "ns/op"
        first_case, first_value = pts[0][1], ns_per_item(pts[0][2], pts[0][3])
        for _, case, r, rt in pts:
            out.append(figure(fid, case, metric, "ns", ns_per_item(r, rt), first_case,
                              first_value, False))
    return out


def build(raw, library="static"):
    runs = collect(raw)
    sides = {}          # (id, case) -> {side: (run, real_time)}
    order = []
    errors = []
    for name, r in runs.items():
        if r["error"]:
            errors.append({"name": name, "message": r["error"]})
            continue
        p = parse_name(name)
        if not p or p[1] not in SIDES:
            continue
        fid, side, case, rt = p
        if (fid, case) not in sides:
            order.append((fid, case))
        sides.setdefault((fid, case), {})[side] = (r, rt)

    figures, curves = [], {}
    for fid, case in order:
        s = sides[(fid, case)]
        if "irqcore" not in s:
            continue
        irq, rt = s["irqcore"]
        if fid in CURVES:
            curves.setdefault(fid, []).append((case, irq, rt))
        else:   # a baseline left out (--benchmark_filter): no ratio
            figures += paired_figures(fid, case, irq, s.get("baseline", (None,))[0], rt)
    for fid, pts in curves.items():
        figures += curve_figures(fid, pts)
    # Runs may come in any order (--benchmark_enable_random_interleaving):
    # by id, then case with numbers compared as numbers (stable: a case's
    # metrics keep their order).
    figures.sort(key=lambda g: (natural_key(g["id"]), natural_key(g["case"])))
    # Which library irqcore was linked from; the shared library's figures
    # get their own cases ("1handler/shared") beside the static ones.
    for g in figures:
        g["library"] = library
        if library != "static":
            g["case"] = f"{g['case']}/{library}"

    ctx = raw.get("context", {})
    machine = {k: ctx[k] for k in MACHINE_KEYS if k in ctx}
    machine.update({k: v for k, v in ctx.items() if k.startswith("irqbench_")})
    machine["irqcore_library"] = library
    reps = max((len(r["runs"]) for r in runs.values()), default=0)
    out = {"tool": TOOL, "machine": machine,
           "statistic": f"median of {reps} repetition{'s' if reps != 1 else ''}",
           "figures": figures}
    if errors:
        out["errors"] = errors
    return out


def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, int) or abs(v) >= 1e4:
        return f"{v:,.0f}"
    return f"{v:g}"


def print_table(out, f=sys.stdout):
    m = out["machine"]
    print(f"gbench figures ({out['statistic']}; {m.get('host_name', '?')}, "
          f"{m.get('num_cpus', '?')} CPUs, load {m.get('load_avg', '?')}); "
          "ratio > 1: irqcore costs more than the baseline", file=f)
    print(f"{'id':<4} {'case':<28} {'metric':<10} {'irqcore':>14} {'baseline':>14} "
          f"{'ratio':>8}  baseline is", file=f)
    for g in out["figures"]:
        print(f"{g['id']:<4} {g['case']:<28} {g['metric']:<10} {fmt(g['value']):>14} "
              f"{fmt(g['baseline_value']):>14} {fmt(g['ratio']):>8}  {g['baseline']}",
              file=f)
    for e in out.get("errors", []):
        print(f"ERROR {e['name']}: {e['message']}", file=f)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("raw", help="Google Benchmark JSON output")
    ap.add_argument("-o", "--output", help="figures JSON (default: stdout)")
    ap.add_argument("-q", "--quiet", action="store_true", help="no table")
    ap.add_argument("--library", default="static", choices=("static", "shared"),
                    help="the irqcore library irqbench was linked with")
    a = ap.parse_args()

    with open(a.raw) as f:
        raw = json.load(f)
    out = build(raw, a.library)
    text = json.dumps(out, indent=2) + "\n"
    if a.output:
        with open(a.output, "w") as f:
            f.write(text)
        if not a.quiet:
            print_table(out)
            print(f"figures: {a.output}")
    else:
        sys.stdout.write(text)
        if not a.quiet:
            print_table(out, sys.stderr)
    return 1 if out.get("errors") else 0


if __name__ == "__main__":
    sys.exit(main())

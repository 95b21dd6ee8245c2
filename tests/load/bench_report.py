#!/usr/bin/python3
"""bench_report: the judgement and the tables of tests/load/bench.sh, from loadgen's JSON lines.

  bench_report.py verdict JSON N     ok | loss | gen | setup   (what ends a step-up)
  bench_report.py line JSON          one tab-separated row of a step
  bench_report.py summary FILE       per scenario: each relay's figures and rapport/janus ratios

A step is "ok" when every call was set up and less than LOSS_LIMIT percent of the packets were
lost. A lossy step is blamed on the generator ("gen") when the generator could not keep its
schedule (its own CPU over 90% of its core, or its sends on average over 2 ms late: starved of
CPU by whatever else runs on the machine); such a step says nothing about the relay.
"""
import json
import sys

LOSS_LIMIT = 0.1       # percent
GEN_CPU_LIMIT = 90.0   # percent of the generator's core
LATE_LIMIT_US = 2000


def verdict(r, n):
    if r.get("calls_ok", 0) < n:
        return "setup"
    if r.get("loss_pct", 100) < LOSS_LIMIT:
        return "ok"
    if r.get("gen_cpu_pct", 0) > GEN_CPU_LIMIT or r.get("late_avg_us", 0) > LATE_LIMIT_US:
        return "gen"
    return "loss"


def row(r):
    rl = r.get("relay", {})
    return "\t".join(str(x) for x in [
        r.get("label", ""), r.get("calls_ok", 0), int(r.get("fwd_pps", 0)),
        round(rl.get("cpu_us_per_pkt", -1), 2), round(rl.get("cpu_pct", -1)),
        round(r.get("loss_pct", 100), 4), r.get("delay_p50_us", 0), r.get("delay_p99_us", 0),
        round(rl.get("rss_per_leg_kb", -1)), round(r.get("gen_cpu_pct", 0)),
        round(r.get("late_avg_us", 0))]) + (
        "\t" + r["first_error"] if r.get("first_error") else "")


def relay_figures(steps):
    """the largest ok step, what stopped the step-up, and the p99 near half that load"""
    ok = [s for s in steps if s["verdict"] == "ok"]
    last = steps[-1] if steps else None
    if not ok:
        return None
    best = max(ok, key=lambda s: s["calls"])
    half = min(ok, key=lambda s: abs(s["calls"] - best["calls"] / 2))
    stop = last["verdict"] if last is not best else "budget or last step"
    return {"best": best, "half": half, "stop": stop, "by_n": {s["calls"]: s for s in ok}}


FIGURES = [
    ("largest N < 0.1% loss", lambda s: s["calls"], "{:.0f}"),
    ("forwarded pkt/s at that N", lambda s: s["fwd_pps"], "{:.0f}"),
    ("relay CPU us/pkt at that N", lambda s: s["relay"]["cpu_us_per_pkt"], "{:.2f}"),
    ("relay CPU % of a core", lambda s: s["relay"]["cpu_pct"], "{:.1f}"),
    ("added delay p50 us", lambda s: s["delay_p50_us"], "{:.0f}"),
    ("added delay p99 us", lambda s: s["delay_p99_us"], "{:.0f}"),
    ("relay RSS kB per leg", lambda s: s["relay"]["rss_per_leg_kb"], "{:.1f}"),
]


def fmt(f, v):
    return f.format(v) if v is not None and v >= 0 else "n/a"


def ratio(a, b):
    return "{:.2f}".format(a / b) if a is not None and b and a >= 0 and b > 0 else "n/a"


def print_scenario(sc, per_relay):
    relays = sorted(per_relay)
    print("\n== scenario %s ==" % sc)
    figs = {r: relay_figures(per_relay[r]) for r in relays}
    for r in relays:
        f = figs[r]
        if f is None:
            print("%-8s no step passed (first: %s)" % (r, per_relay[r][0]["verdict"]))
        else:
            print("%-8s stopped by: %s" % (r, f["stop"]))
    good = [r for r in relays if figs[r]]
    print("%-30s" % "" + "".join("%14s" % r for r in good)
          + ("%16s" % "rapport/janus" if "rapport" in good and "janus" in good else ""))
    for name, get, f in FIGURES:
        vals = {r: get(figs[r]["best"]) for r in good}
        line = "%-30s" % name + "".join("%14s" % fmt(f, vals[r]) for r in good)
        if "rapport" in good and "janus" in good:
            line += "%16s" % ratio(vals["rapport"], vals["janus"])
        print(line)
    p99 = {r: figs[r]["half"] for r in good}
    print("%-30s" % "p99 us at ~half that N" + "".join(
        "%14s" % ("%d (N=%d)" % (p99[r]["delay_p99_us"], p99[r]["calls"])) for r in good))
    if "rapport" in good and "janus" in good:
        common = sorted(set(figs["rapport"]["by_n"]) & set(figs["janus"]["by_n"]))
        if common:
            n = common[-1]
            a, b = figs["rapport"]["by_n"][n], figs["janus"]["by_n"][n]
            print("same load, N=%d: CPU us/pkt rapport %.2f janus %.2f ratio %s; "
                  "p99 us %d / %d; RSS kB/leg %.1f / %.1f" % (
                      n, a["relay"]["cpu_us_per_pkt"], b["relay"]["cpu_us_per_pkt"],
                      ratio(a["relay"]["cpu_us_per_pkt"], b["relay"]["cpu_us_per_pkt"]),
                      a["delay_p99_us"], b["delay_p99_us"],
                      a["relay"]["rss_per_leg_kb"], b["relay"]["rss_per_leg_kb"]))


def summary(path):
    by = {}
    with open(path) as fh:
        for ln in fh:
            if ln.strip():
                r = json.loads(ln)
                by.setdefault(r["scenario"], {}).setdefault(r["backend"], []).append(r)
    if not by:
        print("no results")
    for sc in sorted(by):
        print_scenario(sc, by[sc])
    print("\nA relay 'stopped by: gen' reached the load generator's limit, not its own: its "
          "largest N is a lower bound.")


def main(argv):
    if len(argv) == 4 and argv[1] == "verdict":
        print(verdict(json.loads(argv[2]), int(argv[3])))
    elif len(argv) == 3 and argv[1] == "line":
        print(row(json.loads(argv[2])))
    elif len(argv) == 3 and argv[1] == "summary":
        summary(argv[2])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

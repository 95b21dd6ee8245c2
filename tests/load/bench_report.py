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
        round(r.get("late_avg_us", 0)), round(rl.get("cpu_pct_per_call", -1), 3),
        round(rl.get("rss_per_call_kb", -1))]) + (
        "\t" + r["first_error"] if r.get("first_error") else "")


def relay_figures(steps):
    """the largest ok step, what stopped the step-up, and the p99 near half that load"""
    ok = [s for s in steps if s["verdict"] == "ok"]
    if not ok:
        return None
    best = max(ok, key=lambda s: s["calls"])
    half = min(ok, key=lambda s: abs(s["calls"] - best["calls"] / 2))
    last = steps[-1]
    stop = "last step or time budget" if last is best else last["verdict"]
    if last is not best and last.get("first_error"):
        stop += " (%s)" % last["first_error"]
    return {"best": best, "half": half, "stop": stop, "by_n": {s["calls"]: s for s in ok}}


SAME_LOAD = [
    ("relay CPU us per forwarded pkt", lambda s: s["relay"]["cpu_us_per_pkt"], "{:.2f}"),
    ("relay CPU % of its core", lambda s: s["relay"]["cpu_pct"], "{:.1f}"),
    ("forwarded pkt/s", lambda s: s["fwd_pps"], "{:.0f}"),
    ("added delay p50 us", lambda s: s["delay_p50_us"], "{:.0f}"),
    ("added delay p99 us", lambda s: s["delay_p99_us"], "{:.0f}"),
    ("relay RSS kB per leg", lambda s: s["relay"]["rss_per_leg_kb"], "{:.1f}"),
    ("relay CPU % of a core per call", lambda s: s["relay"].get("cpu_pct_per_call"), "{:.3f}"),
    ("relay RSS kB per call", lambda s: s["relay"].get("rss_per_call_kb"), "{:.1f}"),
    ("jitter mean us (audio)", lambda s: s["audio"]["jitter_mean_us"], "{:.1f}"),
    ("loss %", lambda s: s["loss_pct"], "{:.4f}"),
]
PAIRS = [("rapport", "janus"), ("inproc", "janus")]


def fmt(f, v):
    return f.format(v) if v is not None and v >= 0 else "n/a"


def ratio(a, b):
    return "{:.2f}".format(a / b) if a is not None and b and a >= 0 and b > 0 else "n/a"


def print_maxima(figs):
    print("%-9s %10s %14s %16s  %s" % ("relay", "largest N", "fwd pkt/s", "p99 us ~N/2",
                                         "stopped by"))
    for r in sorted(figs):
        f = figs[r]
        if f is None:
            print("%-9s %10s" % (r, "none"))
            continue
        print("%-9s %10d %14.0f %16s  %s" % (
            r, f["best"]["calls"], f["best"]["fwd_pps"],
            "%d (N=%d)" % (f["half"]["delay_p99_us"], f["half"]["calls"]), f["stop"]))


def print_pair(figs, a, b):
    fa, fb = figs.get(a), figs.get(b)
    if not fa or not fb:
        return
    print("%s/%s, largest N: %s, forwarded pkt/s: %s" % (
        a, b, ratio(fa["best"]["calls"], fb["best"]["calls"]),
        ratio(fa["best"]["fwd_pps"], fb["best"]["fwd_pps"])))
    common = sorted(set(fa["by_n"]) & set(fb["by_n"]))
    if not common:
        return
    for n in sorted({common[-1], common[len(common) // 2]}, reverse=True):
        sa, sb = fa["by_n"][n], fb["by_n"][n]
        print("  at the same load, N=%d calls:" % n)
        print("    %-34s%12s%12s%16s" % ("", a, b, a + "/" + b))
        for name, get, f in SAME_LOAD:
            va, vb = get(sa), get(sb)
            print("    %-34s%12s%12s%16s" % (name, fmt(f, va), fmt(f, vb), ratio(va, vb)))


def print_scenario(sc, per_relay):
    print("\n== scenario %s ==" % sc)
    if sc == "interpreter":
        print("(three parties, simultaneous mode. Delay: forwarded video only; audio is the "
              "relay's own mix: loss by sequence number, jitter from RTP timestamps, no delay)")
    figs = {r: relay_figures(per_relay[r]) for r in per_relay}
    print_maxima(figs)
    for a, b in PAIRS:
        print_pair(figs, a, b)


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
          "largest N is a lower bound. 'inproc' is rapport's media relay without rapportd.")


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

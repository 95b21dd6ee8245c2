"""Checks rapport-impair: a client and an echoing target on 127.0.0.1, the proxy between.

Each run sends N numbered packets from the client through the proxy to the target, which
echoes every packet it gets (numbered again, in order of arrival) back through the proxy.
What each side receives is compared with the proxy's settings and with its own counters.
The proxy's decisions come from its seeded PRNG, so every number here is the same on every
run; the tolerances only say what the settings mean (about 4 sigma).
"""
import math
import select
import signal
import socket
import struct
import subprocess
import sys
import time

PROXY = sys.argv[1]
N = 2000
GAP_S = 0.0005          # one packet every 0.5 ms: 1 s per run
PAD = b"x" * 100
failures = []


def check(what, ok, detail):
    print(("ok   " if ok else "FAIL ") + what + ": " + detail)
    if not ok:
        failures.append(what)


def near(what, got, want, tol):
    check(what, abs(got - want) <= tol, "%.4f (setting %.4f, tolerance %.4f)" % (got, want, tol))


def run(args, n=N, gap=GAP_S, size=len(PAD)):
    """One run; returns what the target got, what the client got, and the proxy counters."""
    target = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    target.bind(("127.0.0.1", 0))
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.bind(("127.0.0.1", 0))
    for s in (target, client):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.setblocking(False)
    proc = subprocess.Popen([PROXY, "--listen", "127.0.0.1:0",
                             "--target", "127.0.0.1:%d" % target.getsockname()[1]] + args,
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().split()
    assert line[:2] == ["impair", "listening"], line
    host, port = line[2].rsplit(":", 1)
    proxy_addr = (host, int(port))
    at_target, at_client = [], []   # (seq, arrival s, sent s) / (echo index, seq)
    echoed = 0
    pad = b"x" * size

    def drain(until):
        nonlocal echoed
        while True:
            left = until - time.monotonic()
            if left <= 0:
                return
            r, _, _ = select.select([target, client], [], [], left)
            for s in r:
                while True:
                    try:
                        data, addr = s.recvfrom(4096)
                    except BlockingIOError:
                        break
                    if s is target:
                        seq, sent = struct.unpack_from("!Id", data)
                        at_target.append((seq, time.monotonic(), sent))
                        target.sendto(struct.pack("!II", echoed, seq) + pad, addr)
                        echoed += 1
                    else:
                        at_client.append(struct.unpack_from("!II", data))

    t0 = time.monotonic()
    for i in range(n):
        client.sendto(struct.pack("!Id", i, time.monotonic()) + pad, proxy_addr)
        drain(t0 + (i + 1) * gap)
    drain(time.monotonic() + 0.5)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=10)
    counters = {}
    for ln in out.splitlines():
        f = ln.split()
        if len(f) > 2 and f[0] == "impair" and f[1] in ("up", "down"):
            counters[f[1]] = {k: int(v) for k, v in (x.split("=") for x in f[2:])}
    check("proxy exits 0 on SIGTERM and prints its counters",
          proc.returncode == 0 and set(counters) == {"up", "down"}, "rc %d" % proc.returncode)
    target.close()
    client.close()
    return at_target, at_client, echoed, counters


def reordered(seqs):
    """packets arriving after a higher seq (duplicates not counted)"""
    seen, top, late = set(), -1, 0
    for s in seqs:
        if s in seen:
            continue
        seen.add(s)
        if s < top:
            late += 1
        top = max(top, s)
    return late


def bursts(lost_flags):
    runs, cur = [], 0
    for lost in lost_flags:
        if lost:
            cur += 1
        elif cur:
            runs.append(cur)
            cur = 0
    if cur:
        runs.append(cur)
    return runs


def sigma(p, n):
    return math.sqrt(p * (1 - p) / n)


# 1. random loss, duplication and reordering up; Gilbert-Elliott bursts down
args = ["--seed", "7", "--up-loss", "10", "--up-dup", "5", "--up-reorder", "10,30",
        "--down-ge", "5,30"]
tgt, cli, echoed, cnt = run(args)
seqs = [s for s, _, _ in tgt]
uniq = set(seqs)
near("up: random loss 10 %", 1 - len(uniq) / N, 0.10, 4 * sigma(0.10, N))
near("up: duplication 5 %", (len(seqs) - len(uniq)) / len(uniq), 0.05, 4 * sigma(0.05, len(uniq)))
near("up: reordering 10 %", reordered(seqs) / len(uniq), 0.10, 4 * sigma(0.10, len(uniq)))
check("up: counters match what arrived",
      cnt["up"]["rx"] == N and cnt["up"]["tx"] == len(seqs)
      and cnt["up"]["lost_random"] == N - len(uniq) and cnt["up"]["dup"] == len(seqs) - len(uniq),
      str(cnt["up"]))
got = set(i for i, _ in cli)
flags = [i not in got for i in range(echoed)]
pi_bad = 5 / (5 + 30)
near("down: Gilbert-Elliott loss p/(p+r) = 14.3 %", sum(flags) / echoed, pi_bad,
     4 * sigma(pi_bad, echoed) * math.sqrt((1 + 0.65) / (1 - 0.65)))
runs = bursts(flags)
near("down: mean burst length 1/r = 3.33", sum(runs) / len(runs), 1 / 0.30, 0.8)
check("down: counters match", cnt["down"]["rx"] == echoed and cnt["down"]["tx"] == len(cli)
      and cnt["down"]["lost_burst"] == sum(flags), str(cnt["down"]))

# 2. one seed, one drop pattern (and another seed, another pattern)
args = ["--up-loss", "20", "--up-dup", "10", "--down-ge", "10,40,80", "--down-loss", "3"]
a = run(["--seed", "42"] + args)
b = run(["--seed", "42"] + args)
c = run(["--seed", "43"] + args)
check("same seed: identical packets at the target", [s for s, _, _ in a[0]] == [s for s, _, _ in b[0]],
      "%d and %d packets" % (len(a[0]), len(b[0])))
check("same seed: identical echoes at the client", a[1] == b[1], "%d and %d" % (len(a[1]), len(b[1])))
check("another seed: another pattern", [s for s, _, _ in a[0]] != [s for s, _, _ in c[0]], "")

# 3. delay and normal jitter (up), checked on the one-way delay of what arrived
tgt, _, _, _ = run(["--seed", "3", "--up-delay", "40", "--up-jitter", "8",
                    "--up-jitter-dist", "normal"], n=1000)
# Median and interquartile range rather than mean and standard deviation: on a busy machine
# the scheduler adds a tail of late wake-ups that says nothing about the proxy's settings.
d = sorted((arr - sent) * 1000 for _, arr, sent in tgt)
median = d[len(d) // 2]
sigma = (d[(3 * len(d)) // 4] - d[len(d) // 4]) / 1.349   # IQR of a normal distribution
near("delay 40 ms (median one-way, ms)", median, 40.0, 2.0)
near("normal jitter sigma 8 ms (from the IQR, ms)", sigma, 8.0, 1.5)

# 4. rate limit: 1000 packets of 1000 bytes in 0.5 s (16 Mbit/s) through 2 Mbit/s
tgt, _, _, cnt = run(["--up-rate", "2000", "--up-queue", "100"], n=1000, size=1000)
span = tgt[-1][1] - tgt[0][1]
bits = sum(1012 * 8 for _ in tgt[1:])
near("rate 2000 kbit/s (measured kbit/s)", bits / span / 1000, 2000, 200)
check("rate: the queue overflows and is counted",
      cnt["up"]["queue_drop"] > 500 and cnt["up"]["tx"] == len(tgt), str(cnt["up"]))

print("%d check(s) failed" % len(failures) if failures else "all checks passed")
sys.exit(1 if failures else 0)

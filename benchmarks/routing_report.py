"""The table and the chart of benchmarks/routing.sh, from the outputs of its runs.

    python3 benchmarks/routing_report.py OUT_DIR CORES ARCH CPU_MODEL

Reads OUT_DIR/matcher.json and engine.json (Google Benchmark's JSON),
wire-ping.json and wire-offers.json (omniroute-load's --json) and baseline.txt
(omniroute_skip_locked_benchmark's table); writes OUT_DIR/routing.md and
OUT_DIR/routing.svg. Uses the standard library alone.
"""

import json
import math
import os
import re
import sys

# The targets, checked in the table.
MATCHER_TARGET = 1_000_000  # decisions/s at 1M waiting tasks, one core
GROWTH_TARGET = 2.0  # cost at 1M ÷ cost at 1k
ENGINE_TARGET = 200_000  # cycles/s in memory
WIRE_TARGET = 0.3  # offers/s ÷ ping/s
BASELINE_TARGET = 10.0  # omniroute ÷ SKIP LOCKED at 100k waiting tasks


def load_json(out, name):
    with open(os.path.join(out, name)) as f:
        return json.load(f)


def matcher_points(out):
    """{agents: {waiting: (decisions/s, ns per decision)}}."""
    points = {}
    for b in load_json(out, "matcher.json")["benchmarks"]:
        if b.get("run_type", "iteration") != "iteration":
            continue
        m = re.match(r"BM_TaskArrivesAndAssigned/(\d+)/(\d+)", b["name"])
        if not m:
            continue
        waiting, agents = int(m.group(1)), int(m.group(2))
        rate = b["items_per_second"]
        points.setdefault(agents, {})[waiting] = (rate, 1e9 / rate)
    return points


def engine_points(out):
    """[(store, callers, cycles/s, µs per cycle)]."""
    rows = []
    for b in load_json(out, "engine.json")["benchmarks"]:
        if b.get("run_type", "iteration") != "iteration":
            continue
        store = "memory" if "/memory" in b["name"] else "SQLite, sync"
        rate = b["items_per_second"]
        rows.append((store, int(b["threads"]), rate, 1e6 / rate))
    return rows


def baseline_points(out):
    """{waiting: {side: (claims/s, p50 µs, p99 µs)}}, {waiting: ratio}."""
    sides, ratios = {}, {}
    with open(os.path.join(out, "baseline.txt")) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 7 and parts[1] in ("omniroute", "skip_locked"):
                sides.setdefault(int(parts[0]), {})[parts[1]] = (
                    float(parts[3]), float(parts[5]), float(parts[6]))
            elif len(parts) == 4 and parts[0] == "ratio":
                ratios[int(parts[1])] = float(parts[3])
    return sides, ratios


def met(ok):
    return "met" if ok else "**missed**"


def table(out, cores, arch, cpu):
    lines = []
    add = lines.append
    matcher = matcher_points(out)
    add("### Matcher: one decision with the agent's load change, one core")
    add("")
    add("| waiting tasks | " + " | ".join(
        f"{a:,} agents: decisions/s | µs" for a in sorted(matcher)) + " |")
    add("|---:|" + "---:|---:|" * len(matcher))
    sizes = sorted({w for per in matcher.values() for w in per})
    for w in sizes:
        cells = []
        for a in sorted(matcher):
            rate, ns = matcher[a].get(w, (0, 0))
            cells.append(f"{rate:,.0f} | {ns / 1000:.2f}")
        add(f"| {w:,} | " + " | ".join(cells) + " |")
    add("")
    for a in sorted(matcher):
        per = matcher[a]
        if 1000 in per and 1_000_000 in per:
            growth = per[1_000_000][1] / per[1000][1]
            add(f"- {a:,} agents: {per[1_000_000][0]:,.0f} decisions/s at 1M waiting tasks "
                f"(target ≥ {MATCHER_TARGET:,}: {met(per[1_000_000][0] >= MATCHER_TARGET)}); "
                f"cost 1k → 1M × {growth:.2f} (target ≤ {GROWTH_TARGET:.0f}×: "
                f"{met(growth <= GROWTH_TARGET)})")
    add("")

    add("### Engine: whole routing cycles (ingest → offer → accept → complete)")
    add("")
    add("| store | callers | cycles/s | µs per cycle |")
    add("|---|---:|---:|---:|")
    memory_best = 0
    for store, callers, rate, us in engine_points(out):
        add(f"| {store} | {callers} | {rate:,.0f} | {us:.2f} |")
        if store == "memory":
            memory_best = max(memory_best, rate)
    add("")
    add(f"- in memory: {memory_best:,.0f} cycles/s at best (target ≥ {ENGINE_TARGET:,}: "
        f"{met(memory_best >= ENGINE_TARGET)})")
    add("")

    ping = load_json(out, "wire-ping.json")
    offers = load_json(out, "wire-offers.json")
    ping_rate = ping["rpcs"]["Ping"]["throughput"]
    offer_rate = offers["offers_per_second"]
    latency = offers["offer_latency_us"]
    ratio = offer_rate / ping_rate if ping_rate > 0 else 0
    add("### Wire: offers delivered over gRPC (omniroute-server, store in memory)")
    add("")
    add("| ping calls/s | offers/s | offers ÷ ping | task created → offer received, p50 µs | p99 µs "
        "| errors |")
    add("|---:|---:|---:|---:|---:|---:|")
    add(f"| {ping_rate:,.0f} | {offer_rate:,.0f} | {ratio:.2f} | {latency['p50']:,.0f} "
        f"| {latency['p99']:,.0f} | {offers['total']['errors']} |")
    add("")
    add(f"- closed loop, {offers['concurrency']} in flight, {offers['agents']} agents, "
        f"{offers['measured_seconds']:.1f} s measured; offers ÷ ping target ≥ {WIRE_TARGET}: "
        f"{met(ratio >= WIRE_TARGET)}")
    add("")

    sides, ratios = baseline_points(out)
    add("### The alternative: PostgreSQL SELECT … FOR UPDATE SKIP LOCKED, same workload")
    add("")
    add("| waiting tasks | omniroute claims/s | p99 µs | SKIP LOCKED claims/s | p99 µs | ratio |")
    add("|---:|---:|---:|---:|---:|---:|")
    for w in sorted(sides):
        mine = sides[w].get("omniroute", (0, 0, 0))
        theirs = sides[w].get("skip_locked", (0, 0, 0))
        add(f"| {w:,} | {mine[0]:,.0f} | {mine[2]:.1f} | {theirs[0]:,.0f} | {theirs[2]:,.0f} "
            f"| {ratios.get(w, 0):,.0f} |")
    add("")
    if 100_000 in ratios:
        add(f"- at 100k waiting tasks: {ratios[100_000]:,.0f}× (target ≥ {BASELINE_TARGET:.0f}×: "
            f"{met(ratios[100_000] >= BASELINE_TARGET)})")
        add("")
    add(f"Machine: {cores} cores, {arch}, {cpu}.")
    with open(os.path.join(out, "routing.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return matcher, sides


def chart(out, matcher, sides):
    """Decisions (claims) per second against waiting tasks, both axes logarithmic."""
    series = []
    colors = ["#1f6feb", "#0a7d33", "#8250df", "#cf222e"]
    for i, a in enumerate(sorted(matcher)):
        series.append((f"omniroute matcher, {a:,} agents",
                       sorted((w, r) for w, (r, _) in matcher[a].items()), colors[i % 2]))
    claims = sorted((w, s["omniroute"][0]) for w, s in sides.items() if "omniroute" in s)
    if claims:
        series.append(("omniroute, an agent's claim (BestTaskFor)", claims, colors[2]))
    skip = sorted((w, s["skip_locked"][0]) for w, s in sides.items() if "skip_locked" in s)
    if skip:
        series.append(("PostgreSQL SKIP LOCKED, 16 connections", skip, colors[3]))
    values = [r for _, pts, _ in series for _, r in pts if r > 0]
    waits = [w for _, pts, _ in series for w, _ in pts]
    if not values:
        return
    x_lo, x_hi = math.floor(math.log10(min(waits))), math.ceil(math.log10(max(waits)))
    y_lo, y_hi = math.floor(math.log10(min(values))), math.ceil(math.log10(max(values)))
    x_hi = max(x_hi, x_lo + 1)
    y_hi = max(y_hi, y_lo + 1)
    width, height = 720, 440
    left, right, top, bottom = 80, 45, 30, 130

    def x(w):
        return left + (math.log10(w) - x_lo) / (x_hi - x_lo) * (width - left - right)

    def y(r):
        return top + (y_hi - math.log10(r)) / (y_hi - y_lo) * (height - top - bottom)

    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="18" text-anchor="middle" font-size="14">'
           f'Routing decisions per second against waiting tasks</text>']
    for e in range(x_lo, x_hi + 1):
        px = x(10 ** e)
        svg.append(f'<line x1="{px:.1f}" y1="{top}" x2="{px:.1f}" y2="{height - bottom}" '
                   f'stroke="#ddd"/>')
        svg.append(f'<text x="{px:.1f}" y="{height - bottom + 16}" text-anchor="middle">'
                   f'{10 ** e:,}</text>')
    for e in range(y_lo, y_hi + 1):
        py = y(10 ** e)
        svg.append(f'<line x1="{left}" y1="{py:.1f}" x2="{width - right}" y2="{py:.1f}" '
                   f'stroke="#ddd"/>')
        svg.append(f'<text x="{left - 6}" y="{py + 4:.1f}" text-anchor="end">{10 ** e:,}</text>')
    svg.append(f'<text x="{(left + width - right) / 2}" y="{height - bottom + 34}" '
               f'text-anchor="middle">waiting tasks</text>')
    svg.append(f'<text x="16" y="{(top + height - bottom) / 2}" text-anchor="middle" '
               f'transform="rotate(-90 16 {(top + height - bottom) / 2})">per second</text>')
    for i, (label, pts, color) in enumerate(series):
        path = " ".join(f"{x(w):.1f},{y(r):.1f}" for w, r in pts if r > 0)
        svg.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for w, r in pts:
            if r > 0:
                svg.append(f'<circle cx="{x(w):.1f}" cy="{y(r):.1f}" r="3.5" fill="{color}"/>')
        ly = height - bottom + 56 + i * 18
        svg.append(f'<line x1="{left}" y1="{ly - 4}" x2="{left + 24}" y2="{ly - 4}" '
                   f'stroke="{color}" stroke-width="2"/>')
        svg.append(f'<text x="{left + 32}" y="{ly}">{label}</text>')
    svg.append("</svg>")
    with open(os.path.join(out, "routing.svg"), "w") as f:
        f.write("\n".join(svg) + "\n")


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: routing_report.py OUT_DIR CORES ARCH CPU_MODEL")
    out, cores, arch, cpu = sys.argv[1:]
    matcher, sides = table(out, cores, arch, cpu)
    chart(out, matcher, sides)


if __name__ == "__main__":
    main()

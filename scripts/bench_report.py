#!/usr/bin/env python3
"""Writes the generated part of BENCHMARKS.md from what scripts/bench measured.

Usage: scripts/bench_report.py RESULTS_DIR BENCHMARKS_MD

Reads RESULTS_DIR/{machine.json, loadgen.json, aws-calls.json, footprint.json, render.txt,
domain.txt, profile-cpu.md, profile-heap.md} and target/criterion/**/new/{benchmark,estimates}.json, and replaces everything
between the markers <!-- bench:begin --> and <!-- bench:end --> in BENCHMARKS_MD.
"""

import glob
import json
import os
import sys

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def load(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def criterion(root="target/criterion"):
    """full_id -> (median ns, lower ns, upper ns)."""
    out = {}
    for bench in glob.glob(os.path.join(root, "**", "new", "benchmark.json"), recursive=True):
        meta = load(bench, {})
        est = load(os.path.join(os.path.dirname(bench), "estimates.json"), {})
        median = est.get("median", {})
        ci = median.get("confidence_interval", {})
        if "full_id" in meta and "point_estimate" in median:
            out[meta["full_id"]] = (median["point_estimate"], ci.get("lower_bound"), ci.get("upper_bound"))
    return out


def fmt_time(ns):
    if ns is None:
        return "–"
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.1f} µs"
    return f"{ns:.0f} ns"


def sizes(path):
    """'pdf_invoice/10_lines: 31956 bytes (32 KB)' lines -> {id: bytes}."""
    out = {}
    try:
        with open(path) as f:
            for line in f:
                if ": " in line and " bytes" in line:
                    key, rest = line.split(": ", 1)
                    try:
                        out[key.strip()] = int(rest.split()[0])
                    except ValueError:
                        pass
    except OSError:
        pass
    return out


def verdict(measured, target, lower_is_better=True):
    if measured is None or target is None:
        return "–", "–"
    ratio = measured / target if target else float("inf")
    met = ratio <= 1.0 if lower_is_better else ratio >= 1.0
    return f"{ratio:.2f}", ("met" if met else "**missed**")


def previous_figures(md_path):
    """The "Against the targets" rows of the report as it stands (the previous run), by their
    first column, and the commit it was generated on."""
    import re
    try:
        with open(md_path) as f:
            text = f.read()
    except OSError:
        return {}, "none"
    if BEGIN not in text or END not in text:
        return {}, "none"
    section = text.split(BEGIN, 1)[1].split(END, 1)[0]
    commit = re.search(r"\(commit `([0-9a-f]+)`\)", section)
    rows = {}
    in_table = False
    for line in section.splitlines():
        if line.startswith("### "):
            in_table = line.strip() == "### Against the targets"
            continue
        if in_table and line.startswith("| ") and not line.startswith("| what") and not line.startswith("|---"):
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            if len(cells) >= 2:
                rows[cells[0]] = cells[1]
    return rows, commit.group(1) if commit else "?"


def metrics_overhead(results):
    """The create runs with the server's metrics on and off: each run, and the medians."""
    runs = []
    for path in sorted(glob.glob(os.path.join(results, "loadgen-metrics-*-*.json"))):
        name = os.path.basename(path)[len("loadgen-metrics-"):-len(".json")]
        state, round_ = name.split("-", 1)
        data = load(path, {}) or {}
        create = next((s for s in data.get("summaries", []) if s["scenario"] == "create"), None)
        cpu = next((c for c in data.get("server_cpu", []) if c["scenario"] == "create"), None)
        if create and cpu:
            runs.append({"round": int(round_), "state": state, "p50": create["p50_ms"], "p99": create["p99_ms"],
                         "cpu": cpu["cpu_us_per_request"], "rate": create["offered_rate"]})
    if not runs:
        return None
    runs.sort(key=lambda r: (r["round"], r["state"] != "on"))
    def median(state, key):
        values = sorted(r[key] for r in runs if r["state"] == state)
        return values[len(values) // 2] if values else 0.0
    summary = {state: {k: median(state, k) for k in ("p50", "p99", "cpu", "rate")} for state in ("on", "off")}
    return {**summary, "runs": runs, "rounds": max(r["round"] for r in runs)}


def main():
    results, md_path = sys.argv[1], sys.argv[2]
    machine = load(os.path.join(results, "machine.json"), {})
    loadgen = load(os.path.join(results, "loadgen.json"), {}) or {}
    calls = load(os.path.join(results, "aws-calls.json"), []) or []
    footprint = load(os.path.join(results, "footprint.json"), []) or []
    crit = criterion()
    size = sizes(os.path.join(results, "render.txt"))
    size.update(sizes(os.path.join(results, "domain.txt")))
    by = {s["scenario"]: s for s in loadgen.get("summaries", [])}
    knee = load(os.path.join(results, "loadgen-knee.json"), {}) or {}
    for s in knee.get("summaries", []):
        s["scenario"] = f"{s['scenario']} (at {s['offered_rate']:.0f}/s, fresh server)"
        loadgen.setdefault("summaries", []).append(s)
    knee_create = next(iter(knee.get("summaries", [])), None)

    # The previous run's figures, from the committed report, shown beside this run's so that a
    # regression shows: its "Against the targets" rows by their first column, and its commit.
    previous, previous_commit = previous_figures(md_path)

    lines = [BEGIN, ""]
    lines.append(f"Generated by `scripts/bench` on {machine.get('date', '?')} (commit `{machine.get('commit', '?')}`).")
    lines.append("")
    lines.append("### Machine")
    lines.append("")
    lines.append(f"- CPU: {machine.get('cpu', '?')}, `nproc` = {machine.get('nproc', '?')}")
    lines.append(f"- memory: {machine.get('memory', '?')}")
    lines.append(f"- {machine.get('rustc', '?')}; release profile")
    lines.append(f"- load average when the run started: {machine.get('loadavg', '?')} (the machine is shared)")
    lines.append("")

    # Headline table: measured, target, HLD, ratio.
    lines.append("### Against the targets")
    lines.append("")
    lines.append("Ratio = measured ÷ target: at most 1 meets an upper bound (latency, size, memory), at least 1 meets a lower bound (throughput).")
    lines.append("")
    lines.append(f"| what | measured | previous run (`{previous_commit}`) | target | HLD | ratio | |")
    lines.append("|---|---|---|---|---|---|---|")

    def row(what, measured, shown, target, target_shown, hld, lower=True):
        ratio, ok = verdict(measured, target, lower)
        before = previous.get(what, "–")
        lines.append(f"| {what} | {shown} | {before} | {target_shown} | {hld} | {ratio} | {ok} |")

    create = by.get("create")
    if create:
        row(f"create (202), p99 at {create['offered_rate']:.0f} req/s offered ({create['connections']} connections)",
            create["p99_ms"], f"{create['p99_ms']:.2f} ms (p50 {create['p50_ms']:.2f}, p95 {create['p95_ms']:.2f}, max {create['max_ms']:.1f}; {create['throughput']:.0f} req/s served, {create['errors']} errors)",
            5.0, "≤ 5 ms", "300 ms")
    if knee_create:
        row(f"create (202), p99 at {knee_create['offered_rate']:.0f} req/s offered (for comparison; the target is at 2000)",
            knee_create["p99_ms"], f"{knee_create['p99_ms']:.2f} ms (p50 {knee_create['p50_ms']:.2f}, p95 {knee_create['p95_ms']:.2f}, max {knee_create['max_ms']:.1f}; {knee_create['throughput']:.0f} req/s served)",
            5.0, "≤ 5 ms", "300 ms")
    cap = by.get("pipeline_capacity")
    if cap:
        row(f"whole pipeline in memory, a paid order's life (create and payment → 4 processors each: pro forma, tax invoice and receipt rendered, 4 emails), capacity",
            cap["throughput"], f"{cap['throughput']:.0f} orders/s ({cap['offered_rate']:.0f}/s offered; {cap['ok']} completed, {cap['errors']} not)",
            1000.0, "≥ 1,000 orders/s", "–", lower=False)
    lat = by.get("pipeline_latency")
    if lat:
        row(f"whole pipeline in memory, a paid order's completion p99 at {lat['offered_rate']:.0f} orders/s",
            lat["p99_ms"], f"{lat['p99_ms']:.1f} ms (p50 {lat['p50_ms']:.1f}, p95 {lat['p95_ms']:.1f}, max {lat['max_ms']:.1f})",
            100.0, "≤ 100 ms", "15 s end to end")
    for bench, what, target in [
        ("pdf_invoice/10_lines", "PDF tax invoice, 10 lines, median render", 1.0),
        ("pdf_invoice/100_lines", "PDF tax invoice, 100 lines, median render", 4.0),
        ("pdf_pro_forma/10_lines", "PDF pro forma invoice, 10 lines, median render", 1.0),
        ("pdf_receipt/10_lines", "PDF receipt, 10 lines, median render", 1.0),
        ("pdf_credit_note/10_lines", "PDF credit note, 10 lines, median render", 1.0),
    ]:
        found = crit.get(bench)
        if found:
            row(what, found[0] / 1e6, f"{fmt_time(found[0])} ({fmt_time(found[1])}–{fmt_time(found[2])})",
                target, f"≤ {target:g} ms", "5 s")
    if "pdf_invoice/10_lines" in size:
        b = size["pdf_invoice/10_lines"]
        row("PDF tax invoice, 10 lines, size", b / 1000, f"{b:,} bytes ({b / 1000:.1f} KB)", 60.0, "≤ 60 KB", "–")
    rss = loadgen.get("server_peak_rss_kb")
    if rss:
        row("HTTP server peak resident memory (VmHWM), under the create load", rss / 1000,
            f"{rss / 1000:.1f} MB ({loadgen.get('server_orders_created', 0):,} orders held; {loadgen.get('server_peak_rss_kb_reads', 0) / 1000:.1f} MB after get and list)",
            100.0, "≤ 100 MB", "–")
    memory = load(os.path.join(results, "loadgen-memory.json"), {}) or {}
    settled = memory.get("server_rss_kb_settled")
    if settled:
        mem_create = next((s for s in memory.get("summaries", []) if s["scenario"] == "create"), {})
        row("HTTP server resident memory after 100,000 orders through the API, once every order is processed (VmRSS)", settled / 1000,
            f"{settled / 1000:.1f} MB ({memory.get('server_orders_created', 0):,} orders at {mem_create.get('offered_rate', 0):.0f}/s; "
            f"peak {memory.get('server_peak_rss_kb_settled', 0) / 1000:.1f} MB; idle {memory.get('server_settle_secs', 0):.0f} s after the last create)",
            100.0, "≤ 100 MB", "–")
    metrics_cost = metrics_overhead(results)
    if metrics_cost:
        on, off, rounds = metrics_cost["on"], metrics_cost["off"], metrics_cost["rounds"]
        pct = (on["cpu"] / off["cpu"] - 1) * 100 if off["cpu"] else None
        # Rounds of the same server differ by more than the cost itself, so the share is the
        # criterion figure (what a create's metrics cost to record) over the API's CPU per create;
        # the end-to-end comparison is shown beside it, with its spread.
        recorded = crit.get("metrics/create_recorded/prometheus")
        offs = [r["cpu"] for r in metrics_cost["runs"] if r["state"] == "off"]
        spread = (max(offs) - min(offs)) / off["cpu"] * 100 if offs and off["cpu"] else None
        end_to_end = (f"end to end, on vs off, median of {rounds} rounds each: {pct:+.1f} % ({on['cpu']:.0f} vs "
                      f"{off['cpu']:.0f} µs per request; the rounds with metrics off alone spread {spread:.0f} %)"
                      if pct is not None and spread is not None else "")
        if recorded and off["cpu"]:
            share = recorded[0] / 1000 / off["cpu"] * 100
            row(f"recording metrics: a create's metrics recorded (criterion `metrics/create_recorded/prometheus`) against the API's CPU per create at {on['rate']:.0f} req/s (server without processors)",
                share, f"{share:.1f} % ({fmt_time(recorded[0])} of {off['cpu']:.0f} µs; {end_to_end})", 5.0, "< 5 %", "–")
        elif pct is not None:
            row(f"recording metrics: the API's CPU per create at {on['rate']:.0f} req/s (server without processors), on vs off (median of {rounds} rounds each)",
                pct, f"{pct:+.1f} % ({on['cpu']:.0f} vs {off['cpu']:.0f} µs per request; p99 {on['p99']:.2f} vs {off['p99']:.2f} ms, p50 {on['p50']:.2f} vs {off['p50']:.2f} ms)",
                5.0, "< 5 %", "–")
    for case in calls:
        row(f"AWS calls: {case['name']}", case["calls"], f"{case['calls']} ({case['detail']})",
            case["minimum_calls"], f"{case['minimum_calls']} ({case['minimum']})", "–")
    lines.append("")

    # Load generator detail.
    if by:
        lines.append("### Load generator (HTTP over loopback, open loop, latency from the scheduled start)")
        lines.append("")
        lines.append("| scenario | offered | connections | ok | errors | throughput | p50 | p95 | p99 | max |")
        lines.append("|---|---|---|---|---|---|---|---|---|---|")
        for s in loadgen.get("summaries", []):
            lines.append(
                f"| {s['scenario']} | {s['offered_rate']:.0f}/s | {s['connections']} | {s['ok']} | {s['errors']} | "
                f"{s['throughput']:.0f}/s | {s['p50_ms']:.2f} ms | {s['p95_ms']:.2f} ms | {s['p99_ms']:.2f} ms | {s['max_ms']:.2f} ms |")
        lines.append("")
        if loadgen.get("pipeline_process_peak_rss_kb"):
            lines.append(f"Peak resident memory of the load generator process hosting the in-memory pipeline: "
                         f"{loadgen['pipeline_process_peak_rss_kb'] / 1000:.1f} MB.")
            lines.append("")

    # The server's own view, from its /metrics.
    views = loadgen.get("server_views", [])
    if views:
        cpu = {c["scenario"]: c for c in loadgen.get("server_cpu", [])}
        lines.append("### The server's own view (its `/metrics`, scraped around each measured run)")
        lines.append("")
        lines.append("Latency the server measured from its histogram's buckets (Prometheus's `histogram_quantile` estimate) beside the client's; the difference is time outside the handler (the kernel, the connection, the client).")
        lines.append("")
        lines.append("| scenario | answered (server) | server p50 | server p99 | client p50 | client p99 | server CPU per request |")
        lines.append("|---|---|---|---|---|---|---|")
        for v in views:
            client = by.get(v["scenario"], {})
            answered = ", ".join(f"{n:.0f} {c}" for c, n in v.get("answered", {}).items())
            fmt = lambda x: "–" if x is None else f"{x:.2f} ms"
            c = cpu.get(v["scenario"])
            per_request = f"{c['cpu_us_per_request']:.0f} µs" if c else "–"
            lines.append(f"| {v['scenario']} | {answered} | {fmt(v.get('p50_ms'))} | {fmt(v.get('p99_ms'))} | "
                         f"{fmt(client.get('p50_ms'))} | {fmt(client.get('p99_ms'))} | {per_request} |")
        lines.append("")
        procs = loadgen.get("server_processors", [])
        if procs:
            lines.append("Each processor of that server over the whole run (get, list and create), lag from the event's timestamp to its handling done:")
            lines.append("")
            lines.append("| processor | handled | failed | lag p50 | lag p99 | HLD |")
            lines.append("|---|---|---|---|---|---|")
            hld = {"record-writer": "2 s", "invoice-writer": "5 s", "internal-notifier": "10 s", "customer-notifier": "10 s"}
            sec = lambda x: "–" if x is None else f"{x * 1000:.1f} ms"
            for p in procs:
                lines.append(f"| {p['processor']} | {p['handled']:.0f} | {p['failed']:.0f} | {sec(p.get('lag_p50_s'))} | {sec(p.get('lag_p99_s'))} | {hld.get(p['processor'], '–')} |")
            lines.append("")
    if metrics_cost:
        lines.append("### What recording metrics costs create")
        lines.append("")
        lines.append(f"Fresh `server --dev --no-processors` per run (so that its CPU time is the API's alone: with processors they spend every idle cycle on the backlog), create at {metrics_cost['on']['rate']:.0f} req/s for the measured seconds, metrics on (`/metrics` served and scraped twice) and off (`--metrics-addr off`: no recorder, every recording a no-op), alternately:")
        lines.append("")
        lines.append("| round | metrics | p50 | p99 | server CPU per request |")
        lines.append("|---|---|---|---|---|")
        for r in metrics_cost["runs"]:
            lines.append(f"| {r['round']} | {r['state']} | {r['p50']:.2f} ms | {r['p99']:.2f} ms | {r['cpu']:.0f} µs |")
        lines.append("")

    # Profiles of the two targets a paid life and a long-running server are held to.
    profiles = [(name, read_text(os.path.join(results, f"profile-{name}.md"))) for name in ("cpu", "heap")]
    if any(text for _, text in profiles):
        lines.append("### Profiles (`scripts/profile`)")
        lines.append("")
        for name, text in profiles:
            if not text:
                continue
            if name == "cpu":
                lines.append("Where the pipeline's CPU goes at capacity (`scripts/profile cpu`: perf, the pipeline "
                             "scenario offered more than it takes, each order created and paid; a sample counts "
                             "for the first part named in its call stack):")
            else:
                lines.append("What the development server's heap holds once idle (`scripts/profile heap`: heaptrack, "
                             "orders created through the API and processed, then the server killed: every byte "
                             "still allocated):")
            lines.append("")
            lines.extend(text.rstrip("\n").splitlines())
            lines.append("")

    # Micro-benchmarks.
    if crit:
        lines.append("### Micro-benchmarks (criterion, median and its 95 % interval)")
        lines.append("")
        lines.append("| benchmark | median | interval | size |")
        lines.append("|---|---|---|---|")
        order = ["pricing/", "transition/", "order_created_event/", "pdf_invoice/", "email/"]
        def key(k):
            import re
            natural = [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", k)]
            for i, p in enumerate(order):
                if k.startswith(p):
                    return (i, natural)
            return (len(order), natural)
        for full_id in sorted(crit, key=key):
            median, lo, hi = crit[full_id]
            s = size.get(full_id)
            if s is None and full_id.startswith("order_created_event/"):
                n = full_id.rsplit("_", 2)[-2]
                s = size.get(f"order_created_event/{n}_lines")
            lines.append(f"| {full_id} | {fmt_time(median)} | {fmt_time(lo)}–{fmt_time(hi)} | {f'{s:,} bytes' if s else ''} |")
        lines.append("")

    # AWS calls.
    if calls:
        lines.append("### AWS calls per use case (counted by an SDK interceptor, against moto)")
        lines.append("")
        lines.append("| use case | counted | minimum | excess | the calls |")
        lines.append("|---|---|---|---|---|")
        for c in calls:
            lines.append(f"| {c['name']} | {c['calls']} | {c['minimum_calls']} ({c['minimum']}) | {c['calls'] - c['minimum_calls']} | {c['detail']} |")
        lines.append("")

    # Footprint.
    lines.append("### Lambda footprint")
    lines.append("")
    if footprint:
        lines.append("| binary | size | stripped | start to ready, median | max | peak RSS at ready | status |")
        lines.append("|---|---|---|---|---|---|---|")
        mb = lambda b: f"{b / 1e6:.1f} MB" if b else "–"
        ms = lambda m: f"{m:.1f} ms" if m is not None else "–"
        for f in footprint:
            rss_kb = f.get("ready_rss_kb")
            lines.append(f"| {f['name']} | {mb(f.get('size_bytes'))} | {mb(f.get('stripped_bytes'))} | {ms(f.get('ready_ms_median'))} | "
                         f"{ms(f.get('ready_ms_max'))} | {f'{rss_kb / 1000:.1f} MB' if rss_kb else '–'} | {f['status']} |")
    else:
        lines.append("Not measured in this run.")
    lines.append("")
    lines.append(END)

    # The headline table on the terminal too: this run beside the previous one.
    start = next(i for i, line in enumerate(lines) if line.startswith("| what "))
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    print("\n".join(lines[start:end]))
    with open(md_path) as f:
        text = f.read()
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = head + "\n".join(lines) + tail
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n"
    with open(md_path, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()

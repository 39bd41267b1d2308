#!/usr/bin/env python3
"""Splits a profile into the parts of the order pipeline it was spent on (scripts/profile).

Usage:
  scripts/profile_report.py cpu  PERF_SCRIPT_TXT          # `perf script -F comm,tid,ip,sym` output
  scripts/profile_report.py heap FOLDED_STACKS ORDERS    # `heaptrack_print --flamegraph-cost-type leaked -F`

`cpu` counts samples: each sample goes to the first part (in the order of CPU_PARTS) whose
pattern appears anywhere in its call stack, so the shares add up to 100 %. `heap` does the same
with the bytes still allocated when the server was killed (heaptrack's "leaked": everything live
at that moment), and prints each part per order as well.
"""

import collections
import sys

# (part, patterns): a stack belongs to the first part with a pattern in one of its frames; a
# pattern that is a tuple needs each of its strings somewhere in the stack.
CPU_PARTS = [
    ("PDF: fonts embedded per document (subset, bounding box, deflate of font, CIDSet and ToUnicode streams)", ["CIDFont::serialize"]),
    ("PDF: page content streams compressed (deflate)", ["Page::finish", "Page as core::ops::drop::Drop"]),
    ("PDF: layout and drawing (shaping, krilla's text operators)", ["PdfRenderer", "adapters_documents::pdf"]),
    ("emails rendered", ["adapters_documents::email"]),
    ("load generator's HTTP client", ["loadgen::drive"]),
    ("API: HTTP server, create and its claim", ["adapters_http", "hyper::proto::h1::dispatch", "hyper::server"]),
    ("record writer (order stored)", ["RecordWriter"]),
    ("queues and consumers (in-memory SQS, each event's JSON; the in-process payment confirmation)", ["MemoryQueue", "order_app::consumer", "MemoryPublisher", "MemoryTopic"]),
    ("other processors' work (effect log, documents store, mailbox)", ["order_app::processors"]),
    ("kernel and runtime (scheduling, page faults outside the above)", [""]),
]

HEAP_PARTS = [
    ("documents window (PDFs kept, default 1,000)", ["MemoryDocumentStore", "krilla", "PdfRenderer"], False),
    ("emails window (kept, default 1,000)", ["MemoryMailbox", "adapters_documents::email"], False),
    ("orders map (hash table)", [("OrderRepository>::insert", "hashbrown")], True),
    ("cart claims map (hash table)", [("CartClaims>::claim", "hashbrown")], True),
    ("order: sealed billing address", ["FieldCipher>::seal"], True),
    ("order: record (JSON bytes)", ["OrderRepository>::"], True),
    ("cart claim: its ORDER_CREATED (JSON bytes), key, request hash", ["CartClaims>::"], True),
    ("effect log (emails sent, kept for idempotent redelivery)", ["MemoryEffectLog"], True),
    ("document numbers issued", ["MemoryDocumentNumbers"], True),
    ("queues (messages not yet deleted)", ["MemoryQueue", "MemoryTopic"], False),
    ("metrics registry", ["metrics"], False),
    ("other (runtime, start-up, settings)", [""], False),
]


# Rust's legacy symbol mangling, as heaptrack prints it: `_$LT$a..B$u20$as$u20$c..D$GT$::f`.
ESCAPES = [("$LT$", "<"), ("$GT$", ">"), ("$u20$", " "), ("$u7b$", "{"), ("$u7d$", "}"), ("$C$", ","),
           ("$RF$", "&"), ("$BP$", "*"), ("..", "::")]


def demangled(frame):
    for escape, text in ESCAPES:
        frame = frame.replace(escape, text)
    return frame


def belongs(stack, patterns):
    """Whether one of `patterns` is in `stack` (a tuple: all of its strings, in any frames)."""
    def found(text):
        return any(text in frame for frame in stack)

    return any(all(map(found, p)) if isinstance(p, tuple) else found(p) for p in patterns)


def cpu(path):
    counts, total = collections.Counter(), 0
    stack = []

    def flush():
        nonlocal total
        if not stack:
            return
        total += 1
        for part, patterns in CPU_PARTS:
            if belongs(stack, patterns):
                counts[part] += 1
                break
        stack.clear()

    with open(path, errors="replace") as f:
        for line in f:
            if not line.strip():
                flush()
            elif line[0] in " \t":
                fields = line.strip().split(None, 1)
                stack.append(fields[1] if len(fields) > 1 else "")
            else:
                flush()
    flush()
    print(f"{total:,} samples.\n")
    print("| part | share of CPU |")
    print("|---|---|")
    for part, _ in CPU_PARTS:
        print(f"| {part} | {100 * counts[part] / max(total, 1):.1f} % |")




def heap(path, orders):
    sizes, total = collections.Counter(), 0
    with open(path, errors="replace") as f:
        for line in f:
            stack, _, cost = line.rstrip("\n").rpartition(" ")
            if not cost.isdigit():
                continue
            frames = [demangled(frame) for frame in stack.split(";")]
            total += int(cost)
            for part, patterns, _ in HEAP_PARTS:
                if belongs(frames, patterns):
                    sizes[part] += int(cost)
                    break
    print(f"{total / 1e6:.1f} MB live on the heap after {orders:,} orders.\n")
    print("| part | MB | bytes per order |")
    print("|---|---|---|")
    for part, _, per_order in HEAP_PARTS:
        each = f"{sizes[part] / orders:,.0f}" if per_order and orders else "fixed"
        print(f"| {part} | {sizes[part] / 1e6:.1f} | {each} |")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "cpu":
        cpu(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "heap":
        heap(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(__doc__)

"""Renders bench/results.png from bench/results.json (written by scripts/bench.ts)."""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

data = json.load(open(sys.argv[1]))
out = sys.argv[2]
ns = [r["n"] for r in data["runs"]]
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
for stage in ["copy", "share", "save", "retention", "total"]:
    left.plot(ns, [r["stages"][stage]["callsPerSnapshot"] for r in data["runs"]], marker="o", label=stage)
    right.plot(ns, [r["stages"][stage]["handlerSecondsPerSnapshot"] for r in data["runs"]], marker="o", label=stage)
base = [b for b in data["baseline"]]
left.plot([b["n"] for b in base], [b["callsPerSnapshot"] for b in base], "k--", marker="x", label="polling baseline")
right.plot([b["n"] for b in base], [b["billedSecondsPerSnapshot"] for b in base], "k--", marker="x", label="polling baseline")
for ax, title, unit in (
    (left, "AWS API calls per protected snapshot", "calls"),
    (right, "Handler time per protected snapshot", "seconds (log)"),
):
    ax.set_xscale("log")
    ax.set_xlabel("tagged databases snapshotting at once (N)")
    ax.set_ylabel(unit)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
right.set_yscale("log")
right.axhline(1.0, color="red", linewidth=0.8, linestyle=":", label="target 1 s")
left.legend(fontsize=8)
right.legend(fontsize=8)
fig.tight_layout()
fig.savefig(out, dpi=110)

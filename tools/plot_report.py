#!/usr/bin/python3
"""Figures of a `gram report`, drawn from the report's CSV tables (docs/reports.md).

usage: plot_report.py TABLES_DIR FIGURES_DIR

Run by `gram report` with /usr/bin/python3 (Debian's matplotlib) or $GRAM_PYTHON. Prints one
line per figure, "wrote NAME.png" or "note: NAME: why it was not drawn", which `gram report`
copies into report.md. Exits 3 with a one-line reason if matplotlib cannot be imported.
Only the standard library and matplotlib are used, so no other package is needed.
"""
import csv
import os
import sys
from collections import defaultdict

STRATEGY_ORDER = ["depth", "width", "grid"]
AGGREGATORS = ["majority", "best_of_n", "weighted_vote", "oracle"]


def read_table(tables_dir, name):
    path = os.path.join(tables_dir, name + ".csv")
    if not os.path.exists(path):
        return []
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def number(text):
    return None if text in ("", None) else float(text)


def ranking_aggregator(rows):
    """The aggregator the report ranks with: majority, else the first every row carries."""
    for name in AGGREGATORS:
        if name != "oracle" and rows and all(row[name + "_accuracy"] != "" for row in rows):
            return name
    return "oracle" if rows and all(row["oracle_accuracy"] != "" for row in rows) else None


def budget_label(unit):
    return "budget per puzzle (supervision steps, log2)" if unit == "steps" else \
        "budget per puzzle (FLOPs, log2)"


def accuracy_vs_budget(plt, iso_rows, out_dir):
    if not iso_rows:
        return "note: accuracy_vs_budget: no cells"
    aggregator = ranking_aggregator(iso_rows)
    if aggregator is None:
        return "note: accuracy_vs_budget: no aggregator common to all cells"
    # One series per (model, halting, strategy); at each budget the strategy's best cell, so
    # "grid" is the best N x S of the grid at that budget.
    series = defaultdict(dict)
    for row in iso_rows:
        for strategy in row["strategies"].split("+"):
            key = (row["model"], row["halting"], strategy)
            budget = float(row["budget"])
            best = series[key].get(budget)
            if best is None or float(row[aggregator + "_accuracy"]) > float(best[aggregator + "_accuracy"]):
                series[key][budget] = row
    figure, axes = plt.subplots(figsize=(7, 4.5))
    ordered = sorted(series.items(),
                     key=lambda item: (item[0][0], item[0][1], STRATEGY_ORDER.index(item[0][2])))
    for index, ((model, halting, strategy), points) in enumerate(ordered):
        budgets = sorted(points)
        # Series share budgets; a small horizontal shift keeps their error bars apart.
        shift = 2 ** (0.03 * (index - (len(ordered) - 1) / 2))
        accuracy = [100 * float(points[b][aggregator + "_accuracy"]) for b in budgets]
        low = [100 * float(points[b][aggregator + "_low"]) for b in budgets]
        high = [100 * float(points[b][aggregator + "_high"]) for b in budgets]
        # max(0, ...): rounding can leave an end a hair on the wrong side of the point.
        errors = [[max(0.0, a - l) for a, l in zip(accuracy, low)],
                  [max(0.0, h - a) for a, h in zip(accuracy, high)]]
        label = "%s, %s, %s" % (model, "halting" if halting == "true" else "no halting", strategy)
        axes.errorbar([b * shift for b in budgets], accuracy, yerr=errors, marker="o", capsize=3, label=label)
    axes.set_xscale("log", base=2)
    axes.set_xlabel(budget_label(iso_rows[0]["budget_unit"]))
    axes.set_ylabel("%s accuracy (%%), Wilson 95%% bars" % aggregator)
    axes.set_title("Accuracy vs budget per strategy (best cell per budget; points shifted apart)")
    axes.set_ylim(0, 100)
    axes.grid(True, alpha=0.3)
    legend(axes)
    return save(figure, out_dir, "accuracy_vs_budget.png")


def coverage_vs_width(plt, iso_rows, out_dir):
    rows = [row for row in iso_rows if row["coverage"] != ""]
    if not rows:
        return "note: coverage_vs_width: no coverage in the cells (unique-solution task)"
    series = defaultdict(dict)
    for row in rows:
        series[(row["model"], row["halting"], int(row["depth"]))][int(row["width"])] = float(row["coverage"])
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for (model, halting, depth), points in sorted(series.items()):
        widths = sorted(points)
        label = "%s, %s, S = %d" % (model, "halting" if halting == "true" else "no halting", depth)
        axes.plot(widths, [100 * points[w] for w in widths], marker="o", label=label)
    axes.set_xscale("log", base=2)
    axes.set_xlabel("width N (trajectories per puzzle, log2)")
    axes.set_ylabel("coverage@N (% of all solutions found)")
    axes.set_title("Coverage vs width")
    axes.set_ylim(0, 100)
    axes.grid(True, alpha=0.3)
    legend(axes)
    return save(figure, out_dir, "coverage_vs_width.png")


def latency_vs_budget(plt, latency_rows, unit, out_dir):
    if not latency_rows:
        return "note: latency_vs_budget: no measured (non-derived) cells"
    # Several measured cells can share a budget (N x S shapes), so points, not lines: one
    # colour per model x halting, p50 filled and p90 hollow, each p50 labelled with its N x S.
    series = defaultdict(list)
    for row in latency_rows:
        series[(row["model"], row["halting"])].append(row)
    figure, axes = plt.subplots(figsize=(8, 4.5))
    for (model, halting), rows in sorted(series.items()):
        budgets = [float(row["budget"]) for row in rows]
        label = "%s, %s" % (model, "halting" if halting == "true" else "no halting")
        p50 = [float(row["decision_p50_s"]) for row in rows]
        points = axes.scatter(budgets, p50, marker="o", label=label + ", p50")
        axes.scatter(budgets, [float(row["decision_p90_s"]) for row in rows], marker="o",
                     facecolors="none", edgecolors=points.get_facecolor(), label=label + ", p90")
        for row, budget, seconds in zip(rows, budgets, p50):
            axes.annotate("%sx%s" % (row["width"], row["depth"]), (budget, seconds),
                          textcoords="offset points", xytext=(4, 2), fontsize="x-small")
    axes.set_xscale("log", base=2)
    axes.set_yscale("log")
    axes.set_xlabel(budget_label(unit or "steps"))
    axes.set_ylabel("time to decision per puzzle (s, log)")
    axes.set_title("Latency vs budget (measured cells, labelled N x S)")
    axes.grid(True, alpha=0.3)
    legend(axes)
    return save(figure, out_dir, "latency_vs_budget.png")


def entropy_vs_depth(plt, entropy_rows, out_dir):
    if not entropy_rows:
        return "note: entropy_vs_depth: no entropy records"
    series = defaultdict(list)
    for row in entropy_rows:
        series[(row["model"], row["halting"], row["source_run"], row["width"])].append(
            (int(row["step"]), float(row["entropy_bits"])))
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for (model, halting, run, width), points in sorted(series.items()):
        points.sort()
        label = "%s, %s, N = %s (%s)" % (model, "halting" if halting == "true" else "no halting",
                                         width, run)
        axes.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=label)
    axes.set_xlabel("depth (supervision step)")
    axes.set_ylabel("answer entropy across trajectories (bits)")
    axes.set_title("Answer entropy vs depth")
    axes.grid(True, alpha=0.3)
    legend(axes)
    return save(figure, out_dir, "entropy_vs_depth.png")


def adaptive_vs_uniform(plt, adaptive_rows, iso_rows, out_dir):
    if not adaptive_rows:
        return "note: adaptive_vs_uniform: no policy records"
    aggregator = "majority" if any(r["aggregator"] == "majority" for r in adaptive_rows) else \
        adaptive_rows[0]["aggregator"]
    figure, axes = plt.subplots(figsize=(7, 4.5))
    runs = sorted({(r["model"], r["halting"], r["depth"]) for r in adaptive_rows})
    for model, halting, depth in runs:
        # The uniform curve: every cell of this model and halting mode at the run's depth.
        uniform = sorted((int(r["width"]), float(r[aggregator + "_accuracy"])) for r in iso_rows
                         if r["model"] == model and r["halting"] == halting and
                         r["depth"] == depth and r[aggregator + "_accuracy"] != "")
        label = "%s%s, S = %s" % (model, ", halting" if halting == "true" else "", depth)
        if uniform:
            axes.plot([u[0] for u in uniform], [u[1] for u in uniform], marker="o",
                      color="gray", label="uniform N, " + label)
        # One colour and marker per policy or search, labelled once: a search has a point per
        # row count, joined by a line.
        for name in dict.fromkeys(r["policy"] for r in adaptive_rows):
            rows = sorted((r for r in adaptive_rows
                           if (r["model"], r["halting"], r["depth"], r["aggregator"],
                               r["policy"]) == (model, halting, depth, aggregator, name)),
                          key=lambda r: float(r["trajectories_mean"]))
            if not rows:
                continue
            search = rows[0].get("kind") == "search"
            x = [float(r["trajectories_mean"]) for r in rows]
            y = [float(r["accuracy"]) for r in rows]
            axes.errorbar(x, y, yerr=[[a - float(r["low"]) for a, r in zip(y, rows)],
                                      [float(r["high"]) - a for a, r in zip(y, rows)]],
                          marker="^" if search else "s", capsize=3,
                          linestyle="--" if search else "none",
                          label="%s%s, %s" % ("search " if search else "", name, label))
    axes.set_xscale("log", base=2)
    axes.set_xlabel("trajectories per puzzle (mean, log2)")
    axes.set_ylabel("accuracy (%s)" % aggregator)
    axes.set_title("Adaptive policies and searches vs uniform width (Wilson 95% intervals)")
    axes.grid(True, alpha=0.3)
    legend(axes)
    return save(figure, out_dir, "adaptive_vs_uniform.png")


def legend(axes):
    # Outside the axes, so that it never hides points; savefig's tight box keeps it in view.
    axes.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0))


def save(figure, out_dir, name):
    figure.savefig(os.path.join(out_dir, name), dpi=120, bbox_inches="tight")
    return "wrote " + name


def main():
    if len(sys.argv) != 3:
        print("usage: plot_report.py TABLES_DIR FIGURES_DIR")
        return 2
    tables_dir, out_dir = sys.argv[1], sys.argv[2]
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception as error:  # ImportError, or a broken install
        print("matplotlib not available to %s: %s" % (sys.executable, error))
        return 3
    os.makedirs(out_dir, exist_ok=True)
    iso_rows = read_table(tables_dir, "iso_budget")
    latency_rows = read_table(tables_dir, "latency")
    unit = iso_rows[0]["budget_unit"] if iso_rows else None
    for line in (accuracy_vs_budget(plt, iso_rows, out_dir),
                 coverage_vs_width(plt, iso_rows, out_dir),
                 latency_vs_budget(plt, latency_rows, unit, out_dir),
                 entropy_vs_depth(plt, read_table(tables_dir, "entropy"), out_dir),
                 adaptive_vs_uniform(plt, read_table(tables_dir, "adaptive"), iso_rows, out_dir)):
        print(line)
        plt.close("all")
    return 0


if __name__ == "__main__":
    sys.exit(main())

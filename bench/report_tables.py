#!/usr/bin/env python3
"""Rewrites one figure table of the docs in place and writes its figures as JSON.

A table lives between two markers in a Markdown file,

    <!-- report:NAME begin -->
    ...
    <!-- report:NAME end -->

and everything between them is replaced: the table (or tables), then one line
with the command that produced the figures, the CPU, the date and a link to
docs/figures/NAME.json, which holds the same figures (and the benchmark's raw
output when it has JSON) for programs. bench/report.sh calls this after each
benchmark; a table is replaced, never appended to (old runs live in git).

  report_tables.py NAME --doc docs/kernels.md --command 'CMD' [--input OUT] [--format FMT]
                   [--raw RAW.json] [--cpu CPU] [--date YYYY-MM-DD] [--note TEXT] [--figures DIR]

FMT says how to read OUT (the benchmark's output; stdin when absent):
  markdown       every Markdown table in it, in order (compare_peers.py, per_layer.py,
                 compare_xgboost.py, scripts/fuzz.sh)
  gbench-layers  bench_kernels' --benchmark_format=json: one row per benchmark
                 (median when repeated): algorithm, microseconds, % of peak
  gbench-trunk   bench_trunk's --benchmark_format=json: ms per image per backend
  evaluation     the JSON of `aoi evaluate --json`: folds, operating points, timings
CPU defaults to /proc/cpuinfo's model name and the logical CPU count; the
date to today (UTC).
"""
import argparse
import datetime
import json
import os
import re
import sys


class ReportError(Exception):
    pass


def begin_marker(name):
    return f"<!-- report:{name} begin -->"


def end_marker(name):
    return f"<!-- report:{name} end -->"


def replace_block(text, name, body):
    """text with the block NAME's content replaced by body. The markers must
    each appear exactly once, begin before end."""
    begin, end = begin_marker(name), end_marker(name)
    if text.count(begin) != 1 or text.count(end) != 1:
        raise ReportError(f"report:{name}: expected one begin and one end marker, found "
                          f"{text.count(begin)} and {text.count(end)}")
    start = text.index(begin) + len(begin)
    stop = text.index(end)
    if stop < start:
        raise ReportError(f"report:{name}: the end marker comes before the begin marker")
    return text[:start] + "\n" + body.strip("\n") + "\n" + text[stop:]


def block_names(text):
    """Names of every block in text, in order."""
    return re.findall(r"<!-- report:([A-Za-z0-9_.-]+) begin -->", text)


def markdown_table(columns, rows):
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    for row in rows:
        if len(row) != len(columns):
            raise ReportError(f"a row has {len(row)} cells for {len(columns)} columns: {row}")
        lines.append("| " + " | ".join(str(c) for c in row) + " |")
    return "\n".join(lines)


def split_row(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def parse_markdown_table(text):
    """(columns, rows) of the first Markdown table in text."""
    lines = text.splitlines()
    first = next((i for i, l in enumerate(lines) if l.lstrip().startswith("|")), None)
    if first is None:
        raise ReportError("no Markdown table in the benchmark's output")
    block = []
    for line in lines[first:]:
        if not line.lstrip().startswith("|"):
            break
        block.append(line)
    if len(block) < 2 or not re.fullmatch(r"\|?(\s*:?-+:?\s*\|)+\s*:?-*:?\s*", block[1].strip()):
        raise ReportError("the table has no header separator line")
    columns = split_row(block[0])
    rows = [split_row(l) for l in block[2:]]
    for row in rows:
        if len(row) != len(columns):
            raise ReportError(f"a row has {len(row)} cells for {len(columns)} columns: {row}")
    return columns, rows


def parse_markdown_tables(text):
    """[(columns, rows)...] of every Markdown table in text, in order."""
    tables = []
    lines = text.splitlines()
    i = 0
    while True:
        start = next((j for j in range(i, len(lines)) if lines[j].lstrip().startswith("|")), None)
        if start is None:
            break
        stop = next((j for j in range(start, len(lines)) if not lines[j].lstrip().startswith("|")), len(lines))
        tables.append(parse_markdown_table("\n".join(lines[start:stop])))
        i = stop
    if not tables:
        raise ReportError("no Markdown table in the benchmark's output")
    return tables


def cell_value(cell):
    """A number where the cell holds one (bold and thousands separators
    dropped), else the text."""
    s = cell.strip().strip("*").strip()
    if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", s):
        s = s.replace(",", "")
    try:
        return int(s)
    except ValueError:
        pass
    try:
        return float(s)
    except ValueError:
        return cell.strip()


def gbench_rows(doc):
    """Google Benchmark JSON: the median aggregate of each benchmark when it
    was repeated, else its single run; errors left out."""
    runs = [b for b in doc.get("benchmarks", []) if not b.get("error_occurred")]
    if any(b.get("run_type") == "aggregate" for b in runs):
        runs = [b for b in runs if b.get("aggregate_name") == "median"]
    return runs


def microseconds(b):
    scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}[b.get("time_unit", "ns")]
    return b["real_time"] * scale


def base_name(b):
    name = b.get("run_name", b["name"])
    for suffix in ("/manual_time", "/real_time"):
        name = name.replace(suffix, "")
    return re.sub(r"/min_time:[0-9.]+", "", name)


def tables_from_layers(doc):
    rows = []
    for b in gbench_rows(doc):
        if "pct_peak" not in b:
            continue  # the FMA peak itself
        rows.append([base_name(b), b.get("label", ""), f"{microseconds(b):.0f}", f"{b['pct_peak']:.0f}"])
    if not rows:
        raise ReportError("no bench_kernels layer in the output (wrong filter, or every run failed)")
    # What every row shares (arguments such as threads:1/cold:0, or the ISA
    # and algorithm) is said once, in the first column's header.
    columns = ["benchmark", "ISA and algorithm", "median us", "% of FMA peak"]
    shared = []
    args = {r[0].partition("/")[2] for r in rows}
    if len(args) == 1 and "" not in args:
        shared.append("/" + args.pop())
        for r in rows:
            r[0] = r[0].partition("/")[0]
    if len({r[1] for r in rows}) == 1:
        shared.append(rows[0][1])
        del columns[1]
        for r in rows:
            del r[1]
    if shared:
        columns[0] += " (" + ", ".join(shared) + ")"
    return [(columns, rows)]


def tables_from_trunk(doc):
    rows = []
    for b in gbench_rows(doc):
        args = dict(re.findall(r"([a-z]+):([0-9]+)", base_name(b)))
        backend = b.get("label", "").split(" ")[0] or args.get("backend", "?")
        rows.append([backend, args.get("batch", "?"), args.get("threads", "?"), f"{b['ms_per_image']:.1f}"])
    if not rows:
        raise ReportError("no bench_trunk result in the output (are the weights there?)")
    return [(["backend", "batch", "threads", "ms per image"], rows)]


def tables_from_evaluation(doc):
    folds = [[str(f["fold"]), str(f["train_items"]), str(f["test_items"]), str(f["test_fails"]),
              "—" if f["auc"] is None else f"{f['auc']:.4f}", "—" if f["pr_auc"] is None else f"{f['pr_auc']:.4f}"]
             for f in doc["folds"]]
    folds.append(["mean ± sd", "", "", "", f"{doc['auc_mean']:.4f} ± {doc['auc_sd']:.4f}",
                  f"{doc['pr_auc_mean']:.4f} ± {doc['pr_auc_sd']:.4f}"])
    points = []
    for key, what, target in (("operating_point", "auto-pass below", "target_recall"),
                              ("fail_point", "auto-fail from", "target_precision")):
        p = doc[key]
        points.append([f"{what} (target {target.split('_')[1]} {p[target]:g})", f"{p['threshold']:.4f}",
                       f"{100 * p['recall']:.1f} %", f"{100 * p['precision']:.1f} %",
                       f"{100 * p['auto_pass']:.1f} %", f"{100 * p['pass_cleared']:.1f} %",
                       f"{p['escapes']} of {p['fails']}"])
    t = doc.get("timings", {})
    timings = [[f"{t.get('featurize_seconds', 0):.0f}", str(t.get("cache_hits", "")),
                f"{t.get('cv_seconds', 0):.0f}", f"{t.get('total_seconds', 0):.0f}"]]
    return [(["fold", "train items", "test items", "test fails", "ROC AUC", "PR AUC"], folds),
            (["point", "threshold", "recall", "precision", "auto-passed items", "passes cleared", "fails escaping"],
             points),
            (["featurize s", "from the cache", "cross-validation s", "total s"], timings)]


def read_tables(fmt, text):
    """([(columns, rows)...], raw) of a benchmark's output."""
    if fmt == "markdown":
        return parse_markdown_tables(text), None
    doc = json.loads(text)
    convert = {"gbench-layers": tables_from_layers, "gbench-trunk": tables_from_trunk,
               "evaluation": tables_from_evaluation}.get(fmt)
    if convert is None:
        raise ReportError(f"unknown format '{fmt}'")
    return convert(doc), doc


def cpu_model(cpuinfo="/proc/cpuinfo"):
    try:
        with open(cpuinfo) as f:
            text = f.read()
    except OSError:
        return "unknown CPU"
    models = re.findall(r"^model name\s*:\s*(.+)$", text, re.M)
    count = len(re.findall(r"^processor\s*:", text, re.M))
    if models:
        name = re.sub(r"\s+", " ", models[0]).strip()
    else:  # aarch64 names the core by implementer and part
        impl = re.search(r"^CPU implementer\s*:\s*(\S+)", text, re.M)
        part = re.search(r"^CPU part\s*:\s*(\S+)", text, re.M)
        name = f"CPU implementer {impl.group(1)} part {part.group(1)}" if impl and part else "unknown CPU"
    return f"{name}, {count} logical CPUs" if count else name


def render_block(tables, command, cpu, date, json_link, note=None):
    parts = [markdown_table(c, r) for c, r in tables]
    line = f"Command: `{command}`. CPU: {cpu}. Date: {date}. Figures: [{os.path.basename(json_link)}]({json_link})."
    if note:
        line += " " + note
    return "\n\n".join(parts + [line])


def figures_json(name, tables, command, cpu, date, raw, note=None):
    out = {"name": name, "command": command, "cpu": cpu, "date": date,
           "tables": [{"columns": c, "rows": [dict(zip(c, map(cell_value, r))) for r in rows]} for c, rows in tables]}
    if note:
        out["note"] = note
    if raw is not None:
        out["raw"] = raw
    return out


def write_report(name, doc_path, figures_dir, tables, command, cpu, date, raw=None, note=None):
    """Replaces block NAME of doc_path and writes figures_dir/NAME.json."""
    with open(doc_path, encoding="utf-8") as f:
        text = f.read()
    json_path = os.path.join(figures_dir, name + ".json")
    link = os.path.relpath(os.path.abspath(json_path), os.path.dirname(os.path.abspath(doc_path)))
    new_text = replace_block(text, name, render_block(tables, command, cpu, date, link, note))
    os.makedirs(figures_dir, exist_ok=True)
    with open(json_path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(figures_json(name, tables, command, cpu, date, raw, note), f, indent=1, ensure_ascii=False)
        f.write("\n")
    with open(doc_path + ".tmp", "w", encoding="utf-8") as f:
        f.write(new_text)
    os.replace(json_path + ".tmp", json_path)
    os.replace(doc_path + ".tmp", doc_path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("name")
    ap.add_argument("--doc", required=True, help="the Markdown file that holds the block")
    ap.add_argument("--command", required=True, help="the command that produced the figures, as a reader runs it")
    ap.add_argument("--input", help="the benchmark's output (default: stdin)")
    ap.add_argument("--format", default="markdown", choices=["markdown", "gbench-layers", "gbench-trunk", "evaluation"])
    ap.add_argument("--raw", help="a JSON file of raw results to keep in the figures JSON")
    ap.add_argument("--cpu", default=None)
    ap.add_argument("--date", default=None)
    ap.add_argument("--note", default=None, help="a sentence after the provenance line")
    ap.add_argument("--figures", default=None, help="folder of the JSON files (default: figures/ beside the doc)")
    a = ap.parse_args(argv)
    try:
        if a.input:
            with open(a.input, encoding="utf-8") as f:
                text = f.read()
        else:
            text = sys.stdin.read()
        tables, raw = read_tables(a.format, text)
        if a.raw:
            with open(a.raw, encoding="utf-8") as f:
                raw = json.load(f)
        figures = a.figures or os.path.join(os.path.dirname(os.path.abspath(a.doc)), "figures")
        date = a.date or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
        write_report(a.name, a.doc, figures, tables, a.command, a.cpu or cpu_model(), date, raw, a.note)
    except (ReportError, OSError, ValueError, KeyError) as e:
        print(f"report_tables: {a.name}: {e}", file=sys.stderr)
        return 1
    print(f"report_tables: rewrote report:{a.name} in {a.doc}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

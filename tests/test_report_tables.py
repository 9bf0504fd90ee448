#!/usr/bin/env python3
"""Tests of bench/report_tables.py: the block between a doc's report markers
is replaced (never appended to), the rest of the doc is left byte for byte,
and the figures JSON holds what the table shows. Standard library only."""
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
import report_tables as rt  # noqa: E402

DOC = """# Kernels

Prose before.

<!-- report:peers begin -->
| old | table |
| --- | --- |
| 1 | 2 |

Command: `old`. CPU: old. Date: 2000-01-01.
<!-- report:peers end -->

Prose between.

<!-- report:per_layer begin -->
untouched
<!-- report:per_layer end -->
"""

XGB_OUTPUT = """data: /tmp/syn train (16000, 2048), test (4000, 2048), positives 0.100; 200 rounds, 31 leaves
| threads | AUC aoi | train s aoi | ratio | batch rows/s aoi |
| --- | --- | --- | --- | --- |
| 1 | 0.9483 | 42.2 | **0.24** | 93,483 |
| 2 | 0.9483 | 21.8 | **0.17** | 166,921 |
"""


class ReplaceBlock(unittest.TestCase):
    def test_replaces_only_the_named_block(self):
        out = rt.replace_block(DOC, "peers", "| a |\n| --- |\n| 3 |")
        self.assertIn("<!-- report:peers begin -->\n| a |\n| --- |\n| 3 |\n<!-- report:peers end -->", out)
        self.assertNotIn("old", out)
        self.assertTrue(out.startswith("# Kernels\n\nProse before.\n\n"))
        self.assertIn("Prose between.\n\n<!-- report:per_layer begin -->\nuntouched\n<!-- report:per_layer end -->\n", out)

    def test_a_second_run_replaces_and_does_not_append(self):
        once = rt.replace_block(DOC, "peers", "| a |\n| --- |\n| 3 |")
        twice = rt.replace_block(once, "peers", "| a |\n| --- |\n| 3 |")
        self.assertEqual(once, twice)
        self.assertEqual(twice.count("| 3 |"), 1)

    def test_missing_duplicate_or_misordered_markers_are_refused(self):
        with self.assertRaises(rt.ReportError):
            rt.replace_block(DOC, "nosuch", "x")
        with self.assertRaises(rt.ReportError):
            rt.replace_block(DOC + rt.begin_marker("peers"), "peers", "x")
        swapped = rt.end_marker("t") + "\n" + rt.begin_marker("t") + "\n"
        with self.assertRaises(rt.ReportError):
            rt.replace_block(swapped, "t", "x")

    def test_block_names(self):
        self.assertEqual(rt.block_names(DOC), ["peers", "per_layer"])


class Tables(unittest.TestCase):
    def test_every_markdown_table_in_order(self):
        tables = rt.parse_markdown_tables("note\n| a | b |\n| --- | --- |\n| 1 | 2 |\n\nratio\n| c |\n| --- |\n| 3 |\n")
        self.assertEqual([t[0] for t in tables], [["a", "b"], ["c"]])
        self.assertEqual(tables[1][1], [["3"]])
        with self.assertRaises(rt.ReportError):
            rt.parse_markdown_tables("no table here\n")

    def test_first_markdown_table_after_other_output(self):
        columns, rows = rt.parse_markdown_table(XGB_OUTPUT)
        self.assertEqual(columns, ["threads", "AUC aoi", "train s aoi", "ratio", "batch rows/s aoi"])
        self.assertEqual(rows[1], ["2", "0.9483", "21.8", "**0.17**", "166,921"])
        self.assertEqual(rt.markdown_table(columns, rows).splitlines()[2], "| 1 | 0.9483 | 42.2 | **0.24** | 93,483 |")

    def test_no_table_or_ragged_rows_are_errors(self):
        with self.assertRaises(rt.ReportError):
            rt.parse_markdown_table("no table here\n")
        with self.assertRaises(rt.ReportError):
            rt.parse_markdown_table("| a | b |\n| --- | --- |\n| 1 |\n")

    def test_cell_values(self):
        self.assertEqual(rt.cell_value("**0.24**"), 0.24)
        self.assertEqual(rt.cell_value("166,921"), 166921)
        self.assertEqual(rt.cell_value("12"), 12)
        self.assertEqual(rt.cell_value("res2 3x3"), "res2 3x3")
        self.assertEqual(rt.cell_value("—"), "—")

    def test_google_benchmark_layers_take_medians_and_skip_the_peak(self):
        doc = {"benchmarks": [
            {"name": "BM_FmaPeak", "run_name": "BM_FmaPeak", "run_type": "aggregate", "aggregate_name": "median",
             "real_time": 300.0, "time_unit": "ms", "gflops": 115.0},
            {"name": "res2_1x1_64_64/threads:1/cold:0/manual_time", "run_type": "iteration",
             "real_time": 130.0, "time_unit": "us", "pct_peak": 88.0, "label": "avx512 gemm"},
            {"name": "res2_1x1_64_64/threads:1/cold:0/manual_time_median", "aggregate_name": "median",
             "run_name": "res2_1x1_64_64/threads:1/cold:0/manual_time", "run_type": "aggregate",
             "real_time": 123.4, "time_unit": "us", "pct_peak": 92.3, "label": "avx512 gemm"},
            {"name": "res2_1x1_64_64/threads:1/cold:0/manual_time_mean", "aggregate_name": "mean",
             "run_type": "aggregate", "real_time": 999.0, "time_unit": "us", "pct_peak": 1.0}]}
        [(columns, rows)] = rt.tables_from_layers(doc)
        self.assertEqual(columns, ["benchmark (/threads:1/cold:0, avx512 gemm)", "median us", "% of FMA peak"])
        self.assertEqual(rows, [["res2_1x1_64_64", "123", "92"]])
        doc["benchmarks"].append(dict(doc["benchmarks"][2], run_name="res2_3x3_64_f4/threads:2/cold:0/manual_time",
                                      label="avx512 winograd F(4,3)"))
        [(columns, rows)] = rt.tables_from_layers(doc)
        self.assertEqual(columns, ["benchmark", "ISA and algorithm", "median us", "% of FMA peak"])
        self.assertEqual([r[0] for r in rows], ["res2_1x1_64_64/threads:1/cold:0", "res2_3x3_64_f4/threads:2/cold:0"])

    def test_trunk_backends(self):
        doc = {"benchmarks": [{"name": "BM_Trunk/batch:8/threads:2/backend:1/min_time:2.000/real_time",
                               "run_type": "iteration", "real_time": 300.0, "time_unit": "ms",
                               "ms_per_image": 36.94, "label": "eigen batch 8, 2 thread(s)"}]}
        [(_, rows)] = rt.tables_from_trunk(doc)
        self.assertEqual(rows, [["eigen", "8", "2", "36.9"]])

    def test_evaluation_json(self):
        point = {"threshold": 0.0082, "recall": 0.9904, "precision": 0.5, "auto_pass": 0.503, "pass_cleared": 0.749,
                 "items": 3750, "fails": 1250, "escapes": 12}
        doc = {"folds": [{"fold": 1, "train_items": 750, "test_items": 750, "test_fails": 250, "auc": 0.96083,
                          "pr_auc": None}],
               "auc_mean": 0.9717, "auc_sd": 0.0152, "pr_auc_mean": 0.9438, "pr_auc_sd": 0.032,
               "operating_point": dict(point, target_recall=0.99),
               "fail_point": dict(point, threshold=0.98, target_precision=0.99),
               "timings": {"featurize_seconds": 88.2, "cv_seconds": 35.0, "cache_hits": 0, "total_seconds": 130}}
        folds, points, timings = rt.tables_from_evaluation(doc)
        self.assertEqual(folds[1][0], ["1", "750", "750", "250", "0.9608", "—"])
        self.assertEqual(folds[1][-1], ["mean ± sd", "", "", "", "0.9717 ± 0.0152", "0.9438 ± 0.0320"])
        self.assertEqual(points[1][0][0], "auto-pass below (target recall 0.99)")
        self.assertEqual(points[1][0][-1], "12 of 1250")
        self.assertEqual(timings[1], [["88", "0", "35", "130"]])


class WriteReport(unittest.TestCase):
    def test_doc_and_json_written_together(self):
        with tempfile.TemporaryDirectory() as d:
            doc = os.path.join(d, "docs", "gbdt.md")
            os.makedirs(os.path.dirname(doc))
            with open(doc, "w") as f:
                f.write(DOC)
            out = os.path.join(d, "xgb.txt")
            with open(out, "w") as f:
                f.write(XGB_OUTPUT)
            code = rt.main(["peers", "--doc", doc, "--command", "bench/compare_xgboost.py --data /tmp/syn",
                            "--input", out, "--cpu", "Test CPU, 2 logical CPUs", "--date", "2026-12-04"])
            self.assertEqual(code, 0)
            with open(doc) as f:
                text = f.read()
            self.assertIn("| 2 | 0.9483 | 21.8 | **0.17** | 166,921 |", text)
            self.assertIn("Command: `bench/compare_xgboost.py --data /tmp/syn`. CPU: Test CPU, 2 logical CPUs. "
                          "Date: 2026-12-04. Figures: [peers.json](figures/peers.json).", text)
            self.assertIn("<!-- report:per_layer begin -->\nuntouched\n", text)
            with open(os.path.join(d, "docs", "figures", "peers.json")) as f:
                fig = json.load(f)
            self.assertEqual(fig["cpu"], "Test CPU, 2 logical CPUs")
            self.assertEqual(fig["date"], "2026-12-04")
            self.assertEqual(fig["tables"][0]["rows"][0]["ratio"], 0.24)
            self.assertEqual(fig["tables"][0]["rows"][1]["batch rows/s aoi"], 166921)
            self.assertEqual(sorted(os.listdir(os.path.join(d, "docs"))), ["figures", "gbdt.md"])  # no temporaries

    def test_a_doc_without_the_block_is_left_alone(self):
        with tempfile.TemporaryDirectory() as d:
            doc = os.path.join(d, "x.md")
            with open(doc, "w") as f:
                f.write("no markers\n")
            out = os.path.join(d, "o.txt")
            with open(out, "w") as f:
                f.write(XGB_OUTPUT)
            self.assertEqual(rt.main(["peers", "--doc", doc, "--command", "c", "--input", out, "--cpu", "c",
                                      "--date", "d"]), 1)
            with open(doc) as f:
                self.assertEqual(f.read(), "no markers\n")
            self.assertFalse(os.path.exists(os.path.join(d, "figures")))


class Cpu(unittest.TestCase):
    def test_model_and_count_from_cpuinfo(self):
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("processor\t: 0\nmodel name\t: AMD EPYC  9R14 96-Core Processor\n\n"
                    "processor\t: 1\nmodel name\t: AMD EPYC  9R14 96-Core Processor\n")
        try:
            self.assertEqual(rt.cpu_model(f.name), "AMD EPYC 9R14 96-Core Processor, 2 logical CPUs")
        finally:
            os.unlink(f.name)
        self.assertEqual(rt.cpu_model("/nonexistent/cpuinfo"), "unknown CPU")


if __name__ == "__main__":
    unittest.main()

#include "pipeline/report.hpp"
#include "aoi/version.h"
#include "io/atomic_file.hpp"

#include <algorithm>
#include <array>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <sstream>

#include "core/base64.hpp"
#include "core/require.hpp"
#include "eval/operating_point.hpp"
#include "kernels/cpu.hpp"

namespace aoi::pipeline {
namespace {

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string fmt(double v, int digits = 4) {
  if (std::isnan(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string percent(double v) { return fmt(100 * v, 1) + "%"; }

const char* kColours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};

struct Mark {
  double x, y;
  std::string label;
};

// A square plot of curves in [0,1]^2 as inline SVG, with marked points.
std::string svg_plot(const std::string& x_label, const std::string& y_label,
                     const std::vector<std::pair<std::string, std::vector<eval::CurvePoint>>>& curves, bool diagonal,
                     const std::vector<Mark>& marks = {}) {
  const int size = 300, margin = 40;
  std::ostringstream s;
  auto px = [&](double x) { return margin + x * size; };
  auto py = [&](double y) { return margin + (1 - y) * size; };
  s << "<svg xmlns='http://www.w3.org/2000/svg' width='" << size + 2 * margin + 110 << "' height='" << size + 2 * margin
    << "' font-family='sans-serif' font-size='11'>";
  for (int k = 0; k <= 5; ++k) {
    const double v = k / 5.0;
    s << "<line x1='" << px(v) << "' y1='" << py(0) << "' x2='" << px(v) << "' y2='" << py(1) << "' stroke='#ddd'/>";
    s << "<line x1='" << px(0) << "' y1='" << py(v) << "' x2='" << px(1) << "' y2='" << py(v) << "' stroke='#ddd'/>";
    s << "<text x='" << px(v) << "' y='" << py(0) + 14 << "' text-anchor='middle'>" << fmt(v, 1) << "</text>";
    s << "<text x='" << px(0) - 4 << "' y='" << py(v) + 4 << "' text-anchor='end'>" << fmt(v, 1) << "</text>";
  }
  s << "<rect x='" << px(0) << "' y='" << py(1) << "' width='" << size << "' height='" << size
    << "' fill='none' stroke='#333'/>";
  if (diagonal)
    s << "<line x1='" << px(0) << "' y1='" << py(0) << "' x2='" << px(1) << "' y2='" << py(1)
      << "' stroke='#aaa' stroke-dasharray='4'/>";
  s << "<text x='" << px(0.5) << "' y='" << py(0) + 30 << "' text-anchor='middle'>" << escape(x_label) << "</text>";
  s << "<text transform='translate(" << px(0) - 30 << "," << py(0.5) << ") rotate(-90)' text-anchor='middle'>"
    << escape(y_label) << "</text>";
  for (std::size_t c = 0; c < curves.size(); ++c) {
    const char* colour = kColours[c % 8];
    s << "<polyline fill='none' stroke='" << colour << "' stroke-width='1.5' points='";
    for (const auto& p : curves[c].second) s << fmt(px(p.x), 1) << "," << fmt(py(p.y), 1) << " ";
    s << "'/>";
    s << "<rect x='" << px(1) + 10 << "' y='" << py(1) + 14 * c << "' width='10' height='10' fill='" << colour << "'/>";
    s << "<text x='" << px(1) + 24 << "' y='" << py(1) + 14 * c + 9 << "'>" << escape(curves[c].first) << "</text>";
  }
  for (const auto& m : marks) {
    if (std::isnan(m.x) || std::isnan(m.y)) continue;
    s << "<circle class='mark' cx='" << fmt(px(m.x), 1) << "' cy='" << fmt(py(m.y), 1)
      << "' r='5' fill='none' stroke='#000' stroke-width='2'/><text x='" << fmt(px(m.x) + 8, 1) << "' y='"
      << fmt(py(m.y) + 14, 1) << "' font-weight='bold'>" << escape(m.label) << "</text>";
  }
  s << "</svg>";
  return s.str();
}

// Histograms of the out-of-fold P(fail) of passes and fails (each as a share
// of its class, 20 bins), with the two thresholds as vertical lines.
std::string svg_histogram(const std::vector<float>& passes, const std::vector<float>& fails, double pass_threshold,
                          double fail_threshold) {
  const int bins = 20, width = 400, height = 200, margin = 40;
  auto shares = [&](const std::vector<float>& v) {
    std::vector<double> h(bins, 0.0);
    for (float p : v) h[std::min(bins - 1, std::max(0, int(p * bins)))] += 1.0 / double(std::max<std::size_t>(1, v.size()));
    return h;
  };
  const auto hp = shares(passes), hf = shares(fails);
  const double top = std::max(*std::max_element(hp.begin(), hp.end()), *std::max_element(hf.begin(), hf.end()));
  std::ostringstream s;
  s << "<svg xmlns='http://www.w3.org/2000/svg' class='histogram' width='" << width + 2 * margin + 90 << "' height='"
    << height + 2 * margin << "' font-family='sans-serif' font-size='11'>";
  const double bar = double(width) / bins / 2;
  for (int b = 0; b < bins; ++b) {
    const double x = margin + b * 2 * bar;
    for (int k = 0; k < 2; ++k) {
      const double v = (k ? hf : hp)[b] / (top > 0 ? top : 1);
      s << "<rect x='" << fmt(x + k * bar, 1) << "' y='" << fmt(margin + height * (1 - v), 1) << "' width='"
        << fmt(bar, 1) << "' height='" << fmt(height * v, 1) << "' fill='" << (k ? "#d62728" : "#2ca02c") << "'/>";
    }
  }
  s << "<rect x='" << margin << "' y='" << margin << "' width='" << width << "' height='" << height
    << "' fill='none' stroke='#333'/>";
  for (int k = 0; k <= 5; ++k)
    s << "<text x='" << margin + width * k / 5 << "' y='" << margin + height + 14 << "' text-anchor='middle'>"
      << fmt(k / 5.0, 1) << "</text>";
  s << "<text x='" << margin + width / 2 << "' y='" << margin + height + 30 << "' text-anchor='middle'>P(fail)</text>";
  for (const auto& [t, name] : {std::pair<double, const char*>{pass_threshold, "pass below"}, {fail_threshold, "fail from"}}) {
    const double x = margin + width * std::clamp(t, 0.0, 1.0);
    s << "<line x1='" << fmt(x, 1) << "' y1='" << margin << "' x2='" << fmt(x, 1) << "' y2='" << margin + height
      << "' stroke='#000' stroke-dasharray='4'/><text x='" << fmt(x + 3, 1) << "' y='" << margin - 4 << "'>" << name
      << "</text>";
  }
  s << "<rect x='" << margin + width + 10 << "' y='" << margin << "' width='10' height='10' fill='#2ca02c'/><text x='"
    << margin + width + 24 << "' y='" << margin + 9 << "'>pass (" << passes.size() << ")</text><rect x='"
    << margin + width + 10 << "' y='" << margin + 14 << "' width='10' height='10' fill='#d62728'/><text x='"
    << margin + width + 24 << "' y='" << margin + 23 << "'>fail (" << fails.size() << ")</text></svg>";
  return s.str();
}

int decision_of(float p, double pass_threshold, double fail_threshold) {
  return p < pass_threshold ? 0 : (p >= fail_threshold ? 2 : 1);
}

std::string decision_row(const std::string& name, const DecisionCounts& d) {
  std::ostringstream s;
  s << "<tr><td class='l'>" << escape(name) << "</td>";
  for (int t = 0; t < 2; ++t)
    for (int k = 0; k < 3; ++k) s << "<td>" << d.counts[t][k] << "</td>";
  s << "<td>" << d.escapes() << "</td><td>" << percent(d.auto_pass_share()) << "</td></tr>";
  return s.str();
}

std::string thumbnail_of(const io::Image& image, int side) {
  const double scale = double(side) / std::max(image.width, image.height);
  const auto small = image::resize_bilinear(image, std::max(1, int(std::lround(image.width * scale))),
                                            std::max(1, int(std::lround(image.height * scale))));
  return "<img src='data:image/png;base64," + base64_encode(io::encode_png(small)) + "'>";
}

std::string heatmap_thumbnail(const ReportInput& in, std::size_t i) {
  try {
    return thumbnail_of(in.heatmap(i), in.thumbnail);
  } catch (const std::exception& e) {
    return "<div class='broken'>" + escape(e.what()) + "</div>";
  }
}

std::string thumbnail(const ImageRegion& item, int side, const io::ImageLimits& limits) {
  try {
    auto image = io::read_image(item.path, limits);
    if (item.roi) image = image::crop(image, *item.roi, item.path);
    return thumbnail_of(image, side);
  } catch (const std::exception& e) {
    return "<div class='broken'>" + escape(e.what()) + "</div>";
  }
}

std::string gallery(const ReportInput& in, const std::vector<std::size_t>& picks, const std::string& heading) {
  const auto& ev = *in.evaluation;
  std::ostringstream s;
  s << "<h3>" << escape(heading) << "</h3><div class='gallery'>";
  if (picks.empty()) s << "<p>none</p>";
  for (auto i : picks) {
    const auto& item = in.items[i];
    s << "<figure" << (in.heatmap ? " class='pair'" : "") << ">" << thumbnail(item, in.thumbnail, in.limits)
      << (in.heatmap ? heatmap_thumbnail(in, i) : "") << "<figcaption>P(fail) " << fmt(ev.fail_score[i], 3)
      << "<br>label " << escape(in.classes[in.labels[i]]) << "<br><span class='path'>"
      << escape(item.path.substr(item.path.find_last_of('/') + 1));
    if (item.roi)
      s << " [" << item.roi->x << "," << item.roi->y << "," << item.roi->width << "," << item.roi->height << "]";
    s << "</span></figcaption></figure>";
  }
  s << "</div>";
  return s.str();
}

}  // namespace

std::size_t DecisionCounts::items() const {
  std::size_t n = 0;
  for (const auto& row : counts)
    for (auto c : row) n += c;
  return n;
}

double DecisionCounts::auto_pass_share() const {
  const std::size_t n = items();
  return n ? double(counts[0][0] + counts[1][0]) / double(n) : std::nan("");
}

DecisionCounts decision_counts(const Evaluation& ev, const std::vector<int>& labels, int fold) {
  const double pass_t = ev.pass_point.threshold, fail_t = std::max(ev.fail_point.threshold, pass_t);
  DecisionCounts d;
  auto add = [&](std::size_t i) {
    if (std::isnan(ev.fail_score[i])) return;
    ++d.counts[labels[i] != 0][decision_of(ev.fail_score[i], pass_t, fail_t)];
  };
  if (fold < 0) {
    for (std::size_t i = 0; i < ev.fail_score.size(); ++i) add(i);
  } else {
    for (auto i : ev.folds[std::size_t(fold)].test) add(i);
  }
  return d;
}

void write_report(const std::filesystem::path& path, const ReportInput& in) {
  require(in.evaluation != nullptr, ErrorKind::kInvalidArgument, "report", "no evaluation given");
  const auto& ev = *in.evaluation;
  require(in.labels.size() == ev.fail_score.size() && in.items.size() == ev.fail_score.size(),
          ErrorKind::kInvalidArgument, "report", "items, labels and scores differ in length");
  std::ostringstream h;
  h << "<!DOCTYPE html><html><head><meta charset='utf-8'><title>" << escape(in.title) << "</title><style>"
    << "body{font-family:sans-serif;margin:2em;max-width:1100px;color:#222}table{border-collapse:collapse;margin:.5em 0}"
    << "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}td.l,th.l{text-align:left}"
    << ".big{font-size:1.4em}.gallery{display:flex;flex-wrap:wrap;gap:10px}figure{margin:0;width:140px;font-size:11px}figure.pair{width:270px}"
    << "figure img{width:128px;height:128px;object-fit:contain;background:#eee;image-rendering:pixelated}"
    << ".path{color:#666;word-break:break-all}.broken{width:128px;height:128px;background:#fdd;font-size:10px;overflow:hidden}"
    << ".plots{display:flex;flex-wrap:wrap;gap:20px}</style></head><body>";
  h << "<h1>" << escape(in.title) << "</h1>";
  h << "<p class='big'>ROC AUC " << fmt(ev.auc_mean) << " &plusmn; " << fmt(ev.auc_sd) << " &middot; PR AUC "
    << fmt(ev.pr_auc_mean) << " &plusmn; " << fmt(ev.pr_auc_sd) << " (" << ev.folds.size()
    << " expanding-window time folds)</p>";

  const auto& pp = ev.pass_point;
  h << "<h2>Operating point</h2><p>At the threshold P(fail) &ge; " << fmt(pp.threshold, 5) << ", "
    << percent(pp.recall) << " of fails are caught (" << pp.escapes << " of " << pp.fails
    << " escape) and <b>" << percent(pp.auto_pass) << " of all items are auto-passed</b> ("
    << percent(pp.pass_cleared) << " of true passes): that is the share people no longer review.</p>";
  const auto& fp = ev.fail_point;
  h << "<p>Auto-fail from P(fail) &ge; " << fmt(fp.threshold, 5) << ": precision " << percent(fp.precision)
    << ", recall " << percent(fp.recall) << ". Items between the two thresholds go to review.</p>";

  const double pass_t = pp.threshold, fail_t = std::max(fp.threshold, pp.threshold);
  h << "<h2>Decisions at these thresholds</h2><p>Out-of-fold items; auto-pass below " << fmt(pass_t, 5)
    << ", auto-fail from " << fmt(fail_t, 5) << ", review between. Escapes are defects auto-passed.</p>"
    << "<table id='decisions'><tr><th class='l' rowspan='2'></th><th colspan='3'>truth pass</th>"
    << "<th colspan='3'>truth fail</th><th rowspan='2'>escapes</th><th rowspan='2'>auto-pass share</th></tr><tr>"
    << "<th>auto-pass</th><th>review</th><th>auto-fail</th><th>auto-pass</th><th>review</th><th>auto-fail</th></tr>"
    << decision_row("all folds", decision_counts(ev, in.labels));
  for (std::size_t f = 0; f < ev.folds.size(); ++f)
    h << decision_row("fold " + std::to_string(f + 1), decision_counts(ev, in.labels, int(f)));
  h << "</table>";

  h << "<h2>Folds</h2><table><tr><th>fold</th><th>train items</th><th>test items</th><th>test fails</th>"
    << "<th>test time</th><th>ROC AUC</th><th>PR AUC</th><th>train s</th></tr>";
  for (std::size_t f = 0; f < ev.folds.size(); ++f) {
    const auto& r = ev.folds[f];
    h << "<tr><td>" << f + 1 << "</td><td>" << r.train_items << "</td><td>" << r.test_items << "</td><td>"
      << r.test_fails << "</td><td>" << r.test_time_begin << " &ndash; " << r.test_time_end << "</td><td>"
      << fmt(r.auc) << "</td><td>" << fmt(r.pr_auc) << "</td><td>" << fmt(r.train_seconds, 1) << "</td></tr>";
  }
  h << "</table>";

  std::vector<std::pair<std::string, std::vector<eval::CurvePoint>>> roc, pr;
  for (std::size_t f = 0; f < ev.folds.size(); ++f) {
    std::vector<float> s, t;
    for (auto i : ev.folds[f].test) s.push_back(ev.fail_score[i]), t.push_back(in.labels[i] != 0);
    const std::string name = "fold " + std::to_string(f + 1) + " (" + fmt(ev.folds[f].auc, 3) + ")";
    roc.emplace_back(name, eval::roc_curve(s, t));
    pr.emplace_back(name, eval::pr_curve(s, t));
  }
  // The operating points over all out-of-fold items, marked on the curves.
  std::vector<float> pass_scores, fail_scores;
  for (std::size_t i = 0; i < ev.fail_score.size(); ++i)
    if (!std::isnan(ev.fail_score[i])) (in.labels[i] != 0 ? fail_scores : pass_scores).push_back(ev.fail_score[i]);
  auto rates = [&](double t) {  // (false-positive rate, recall, precision) when flagging P(fail) >= t
    double fp_n = 0, tp_n = 0;
    for (float p : pass_scores) fp_n += p >= t;
    for (float p : fail_scores) tp_n += p >= t;
    return std::array<double, 3>{fp_n / std::max<std::size_t>(1, pass_scores.size()),
                                 tp_n / std::max<std::size_t>(1, fail_scores.size()),
                                 tp_n + fp_n > 0 ? tp_n / (tp_n + fp_n) : std::nan("")};
  };
  const auto at_pass = rates(pass_t), at_fail = rates(fail_t);
  h << "<h2>Curves</h2><p>Circles: the operating points (pass threshold P, fail threshold F) over all folds.</p>"
    << "<div class='plots'>"
    << svg_plot("false-positive rate", "true-positive rate", roc, true,
                {{at_pass[0], at_pass[1], "P"}, {at_fail[0], at_fail[1], "F"}})
    << svg_plot("recall", "precision", pr, false, {{at_pass[1], at_pass[2], "P"}, {at_fail[1], at_fail[2], "F"}})
    << "</div><h2>Scores</h2>" << svg_histogram(pass_scores, fail_scores, pass_t, fail_t);

  h << "<h2>Confusion matrix</h2><p>Out-of-fold items; rows are the truth. "
    << (in.classes.size() == 2 ? "Predicted fail = flagged at the operating point above."
                               : "Predicted = the most probable class.")
    << "</p><table><tr><th class='l'>truth \\ predicted</th>";
  for (const auto& c : in.classes) h << "<th>" << escape(c) << "</th>";
  h << "</tr>";
  for (std::size_t a = 0; a < ev.confusion.size(); ++a) {
    h << "<tr><th class='l'>" << escape(in.classes[a]) << "</th>";
    for (auto n : ev.confusion[a]) h << "<td>" << n << "</td>";
    h << "</tr>";
  }
  h << "</table>";

  // Worst errors: fails scored lowest (escapes first) and passes scored highest.
  std::vector<std::size_t> fails, passes;
  for (std::size_t i = 0; i < ev.fail_score.size(); ++i) {
    if (std::isnan(ev.fail_score[i])) continue;
    (in.labels[i] != 0 ? fails : passes).push_back(i);
  }
  std::sort(fails.begin(), fails.end(), [&](auto a, auto b) { return ev.fail_score[a] < ev.fail_score[b]; });
  std::sort(passes.begin(), passes.end(), [&](auto a, auto b) { return ev.fail_score[a] > ev.fail_score[b]; });
  fails.resize(std::min<std::size_t>(fails.size(), in.gallery));
  passes.resize(std::min<std::size_t>(passes.size(), in.gallery));
  h << "<h2>Worst errors</h2>";
  if (in.heatmap)
    h << "<p>Beside each item: where the model of the fold that tested it sees the defect (yellow to red: "
         "more evidence; docs/anomaly.md, Heatmaps).</p>";
  h << gallery(in, fails, "Fails the model was surest were passes")
    << gallery(in, passes, "Passes the model was surest were fails");

  // The review band: what operators will see, spread across the band.
  std::vector<std::size_t> band;
  for (std::size_t i = 0; i < ev.fail_score.size(); ++i)
    if (!std::isnan(ev.fail_score[i]) && decision_of(ev.fail_score[i], pass_t, fail_t) == 1) band.push_back(i);
  std::sort(band.begin(), band.end(), [&](auto a, auto b) { return ev.fail_score[a] < ev.fail_score[b]; });
  std::vector<std::size_t> shown;
  const std::size_t k = std::min<std::size_t>(band.size(), std::size_t(std::max(0, in.gallery)));
  for (std::size_t j = 0; j < k; ++j) shown.push_back(band[j * band.size() / k]);
  h << "<h2>Review band</h2>"
    << gallery(in, shown, std::to_string(band.size()) + " items between the thresholds; " + std::to_string(k) +
                              " shown, lowest P(fail) first");

  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", &tm);
  h << "<h2>Run</h2><table>";
  h << "<tr><th class='l'>aoi version</th><td class='l'>" << AOI_VERSION_STRING << "</td></tr>";
  h << "<tr><th class='l'>date</th><td class='l'>" << date << "</td></tr>";
  h << "<tr><th class='l'>CPU</th><td class='l'>" << escape(kernels::describe_cpu()) << "</td></tr>";
  for (const auto& [k, v] : in.facts) h << "<tr><th class='l'>" << escape(k) << "</th><td class='l'>" << escape(v) << "</td></tr>";
  h << "</table></body></html>\n";

  io::write_file_atomically(path, h.str());
}

}  // namespace aoi::pipeline

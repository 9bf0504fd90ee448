#include "pipeline/report.hpp"
#include "aoi/version.h"
#include "io/atomic_file.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <sstream>

#include "core/require.hpp"
#include "eval/operating_point.hpp"

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

// A square plot of curves in [0,1]^2 as inline SVG.
std::string svg_plot(const std::string& x_label, const std::string& y_label,
                     const std::vector<std::pair<std::string, std::vector<eval::CurvePoint>>>& curves, bool diagonal) {
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
  s << "</svg>";
  return s.str();
}

std::string thumbnail(const ImageRegion& item, int side, const io::ImageLimits& limits) {
  try {
    auto image = io::read_image(item.path, limits);
    if (item.roi) image = image::crop(image, *item.roi, item.path);
    const double scale = double(side) / std::max(image.width, image.height);
    const auto small = image::resize_bilinear(image, std::max(1, int(std::lround(image.width * scale))),
                                              std::max(1, int(std::lround(image.height * scale))));
    return "<img src='data:image/png;base64," + base64(io::encode_png(small)) + "'>";
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
    s << "<figure>" << thumbnail(item, in.thumbnail, in.limits) << "<figcaption>P(fail) " << fmt(ev.fail_score[i], 3)
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

std::string base64(const std::vector<std::uint8_t>& bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::uint32_t n = std::uint32_t(bytes[i]) << 16 | (i + 1 < bytes.size() ? std::uint32_t(bytes[i + 1]) << 8 : 0) |
                            (i + 2 < bytes.size() ? bytes[i + 2] : 0);
    out += kAlphabet[n >> 18 & 63];
    out += kAlphabet[n >> 12 & 63];
    out += i + 1 < bytes.size() ? kAlphabet[n >> 6 & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
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
    << ".big{font-size:1.4em}.gallery{display:flex;flex-wrap:wrap;gap:10px}figure{margin:0;width:140px;font-size:11px}"
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
  h << "<h2>Curves</h2><div class='plots'>" << svg_plot("false-positive rate", "true-positive rate", roc, true)
    << svg_plot("recall", "precision", pr, false) << "</div>";

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
  h << "<h2>Worst errors</h2>" << gallery(in, fails, "Fails the model was surest were passes")
    << gallery(in, passes, "Passes the model was surest were fails");

  h << "<h2>Run</h2><table>";
  h << "<tr><th class='l'>aoi version</th><td class='l'>" << AOI_VERSION_STRING << "</td></tr>";
  for (const auto& [k, v] : in.facts) h << "<tr><th class='l'>" << escape(k) << "</th><td class='l'>" << escape(v) << "</td></tr>";
  h << "</table></body></html>\n";

  io::write_file_atomically(path, h.str());
}

}  // namespace aoi::pipeline

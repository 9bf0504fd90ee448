#include "registry/gate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "aoi/inspector.hpp"
#include "eval/metrics.hpp"
#include "inspector/inspector_access.hpp"
#include "inspector/score.hpp"
#include "pipeline/bundle.hpp"

namespace aoi::registry {
namespace {

std::vector<std::pair<double, double>> roc_curve(const std::vector<float>& p, const std::vector<float>& y) {
  std::vector<std::size_t> order(p.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return p[a] > p[b]; });
  double positives = 0, negatives = 0;
  for (float v : y) (v > 0.5f ? positives : negatives) += 1;
  std::vector<std::pair<double, double>> out{{0, 0}};
  double tp = 0, fp = 0;
  for (std::size_t k = 0; k < order.size(); ++k) {
    (y[order[k]] > 0.5f ? tp : fp) += 1;
    if (k + 1 == order.size() || p[order[k + 1]] != p[order[k]])
      out.emplace_back(negatives ? fp / negatives : 0, positives ? tp / positives : 0);
  }
  return out;
}

ModelScore score_model(const std::filesystem::path& bundle, const std::vector<store::InspectionRecord>& items,
                       store::ResultsStore& store, const GateOptions& options) {
  const Inspector inspector = InspectorAccess::open(bundle, options.weights, options.engine);
  std::vector<pipeline::ImageRegion> regions;
  for (const auto& r : items) {
    std::optional<image::Roi> roi;
    if (r.roi) roi = image::Roi{int(r.roi->x), int(r.roi->y), int(r.roi->width), int(r.roi->height)};
    regions.push_back({store.images().path_of(r.image_sha256).string(), roi});
  }
  const auto run = pipeline::score_regions(inspector, regions, {});
  if (!run.errors.empty())
    throw Error(ErrorKind::kIo, "gate: result " + std::to_string(items[run.errors.front().index].id) + ": " +
                                    run.errors.front().message);
  ModelScore s;
  s.version = inspector.model_version();
  s.pass_below = InspectorAccess::bundle(inspector).thresholds.pass_below;
  std::vector<float> p, y;
  for (const auto& scored : run.scored) {
    const bool fail = items[scored.item].label == "fail";
    p.push_back(scored.inspection.p_fail);
    y.push_back(fail ? 1.0f : 0.0f);
    const bool auto_pass = scored.inspection.verdict == Verdict::kPass;
    s.auto_pass += auto_pass;
    s.fails += fail;
    s.escapes += fail && auto_pass;
  }
  s.items = std::int64_t(p.size());
  s.auc = eval::roc_auc(p, y);
  s.auto_pass /= double(std::max<std::int64_t>(1, s.items));
  s.escape_rate = s.fails ? double(s.escapes) / double(s.fails) : 0.0;
  s.roc = roc_curve(p, y);
  return s;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

}  // namespace

std::pair<std::vector<store::InspectionRecord>, std::vector<store::InspectionRecord>> split_holdout(
    std::vector<store::InspectionRecord> labelled, double share) {
  std::sort(labelled.begin(), labelled.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  const std::size_t n = labelled.size();
  const std::size_t held = std::min(n, std::size_t(std::ceil(share * double(n))));
  std::vector<store::InspectionRecord> holdout(labelled.end() - std::ptrdiff_t(held), labelled.end());
  labelled.resize(n - held);
  return {std::move(labelled), std::move(holdout)};
}

std::optional<std::int64_t> holdout_boundary(const std::filesystem::path& bundle) {
  for (const auto& [key, value] : pipeline::load_bundle(bundle).training)
    if (key == "holdout_from_id") return std::stoll(value);
  return std::nullopt;
}

GateResult run_gate(store::ResultsStore& store, const std::filesystem::path& candidate,
                    const std::filesystem::path& incumbent, const GateOptions& options) {
  std::vector<store::InspectionRecord> holdout;
  if (options.holdout_from_id) {
    for (auto& r : store.labelled())
      if (r.id >= *options.holdout_from_id) holdout.push_back(std::move(r));
  } else {
    holdout = split_holdout(store.labelled(), options.holdout).second;
  }
  std::int64_t fails = 0;
  for (const auto& r : holdout) fails += r.label == "fail";
  if (holdout.size() < 10 || fails == 0 || fails == std::int64_t(holdout.size()))
    throw Error(ErrorKind::kInvalidArgument,
                "gate: the holdout has " + std::to_string(holdout.size()) + " labelled results (" +
                    std::to_string(fails) + " fails); it needs at least 10 with both labels to judge");
  GateResult g;
  g.first_id = holdout.front().id;
  g.last_id = holdout.back().id;
  g.candidate = score_model(candidate, holdout, store, options);
  g.incumbent = score_model(incumbent, holdout, store, options);
  const bool auc_ok = g.candidate.auc >= g.incumbent.auc - options.tolerance;
  const bool escape_ok = g.candidate.escape_rate <= g.incumbent.escape_rate;
  g.passed = auc_ok && escape_ok;
  const std::string figures = "AUC " + fmt("%.4f", g.candidate.auc) + " vs " + fmt("%.4f", g.incumbent.auc) +
                              " (tolerance " + fmt("%.4f", options.tolerance) + "), escape rate " +
                              fmt("%.4f", g.candidate.escape_rate) + " vs " + fmt("%.4f", g.incumbent.escape_rate) +
                              " on " + std::to_string(holdout.size()) + " held-out results";
  if (g.passed) g.reason = "promoted: " + figures;
  else if (!auc_ok) g.reason = "refused: the candidate's AUC is lower by more than the tolerance; " + figures;
  else g.reason = "refused: the candidate lets more fails escape; " + figures;
  return g;
}

nlohmann::json gate_json(const GateResult& g) {
  auto model = [](const ModelScore& s) {
    nlohmann::json roc = nlohmann::json::array();
    for (const auto& [x, y] : s.roc) roc.push_back({x, y});
    return nlohmann::json{{"model_version", s.version}, {"auc", s.auc},          {"escape_rate", s.escape_rate},
                          {"escapes", s.escapes},       {"fails", s.fails},      {"auto_pass", s.auto_pass},
                          {"pass_below", s.pass_below}, {"items", s.items},      {"roc", roc}};
  };
  return {{"passed", g.passed},
          {"reason", g.reason},
          {"holdout_ids", {g.first_id, g.last_id}},
          {"candidate", model(g.candidate)},
          {"incumbent", model(g.incumbent)}};
}

std::string gate_html(const GateResult& g) {
  auto polyline = [](const ModelScore& s, const char* colour) {
    std::string points;
    for (const auto& [x, y] : s.roc) points += fmt("%.4f", 20 + 300 * x) + "," + fmt("%.4f", 320 - 300 * y) + " ";
    return std::string("<polyline fill='none' stroke-width='2' stroke='") + colour + "' points='" + points + "'/>";
  };
  auto row = [](const char* name, const ModelScore& s) {
    return std::string("<tr><td>") + name + "</td><td>" + s.version + "</td><td>" + fmt("%.4f", s.auc) + "</td><td>" +
           std::to_string(s.escapes) + " of " + std::to_string(s.fails) + " (" + fmt("%.2f%%", 100 * s.escape_rate) +
           ")</td><td>" + fmt("%.1f%%", 100 * s.auto_pass) + "</td><td>" + fmt("%.5f", s.pass_below) + "</td></tr>";
  };
  return "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>aoi promotion gate</title>"
         "<style>body{font-family:system-ui,sans-serif;margin:2rem}td,th{padding:.3rem .8rem;text-align:left}"
         ".pass{color:#1e7e34}.fail{color:#b00020}</style></head><body><h1>Promotion gate: " +
         std::string(g.passed ? "<span class='pass'>passed</span>" : "<span class='fail'>refused</span>") +
         "</h1><p>" + g.reason + "</p><p>Holdout: results " + std::to_string(g.first_id) + " to " +
         std::to_string(g.last_id) + ".</p><table><tr><th></th><th>model</th><th>ROC AUC</th><th>escapes</th>"
         "<th>auto-pass</th><th>pass below</th></tr>" +
         row("candidate", g.candidate) + row("incumbent", g.incumbent) +
         "</table><svg width='340' height='340' role='img' aria-label='ROC curves'>"
         "<rect x='20' y='20' width='300' height='300' fill='none' stroke='#999'/>"
         "<line x1='20' y1='320' x2='320' y2='20' stroke='#ccc' stroke-dasharray='4'/>" +
         polyline(g.incumbent, "#888") + polyline(g.candidate, "#0b5fff") +
         "<text x='24' y='336' font-size='12'>false positive rate (candidate blue, incumbent grey)</text></svg>"
         "</body></html>\n";
}

}  // namespace aoi::registry

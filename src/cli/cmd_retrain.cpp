// aoi retrain: a candidate model from a base manifest plus the operators'
// labels in a results store, trained exactly as `aoi train` trains
// (train_command.hpp). The newest labelled results (--holdout) are left out:
// they are the promotion gate's test set. With --promote --registry, the
// candidate is added to the registry and promoted through the gate.
#include <algorithm>
#include <iostream>
#include <sstream>

#include "core/require.hpp"
#include "io/atomic_file.hpp"
#include "io/csv.hpp"
#include "pipeline/manifest.hpp"
#include "registry/gate.hpp"
#include "commands.hpp"
#include "models_command.hpp"
#include "train_command.hpp"

namespace aoi::cli {
namespace {

// Base rows as they are (paths made absolute), then the store's labelled
// results after them in time: integer times continue the base's order;
// ISO-8601 bases (milliseconds) take the results' receipt times.
std::string merged_manifest(const std::string& base, const std::vector<store::InspectionRecord>& labelled,
                            store::ResultsStore& store, std::size_t& base_rows) {
  pipeline::ManifestOptions mo;
  mo.need_labels = true;
  mo.need_time = true;
  const auto m = pipeline::read_manifest(base, mo);
  for (const auto& why : m.skipped) std::cerr << "aoi: skipped " << why << "\n";
  std::ostringstream out;
  out << "path,label,time,group,x,y,w,h\n";
  std::int64_t last = 0;
  for (const auto& item : m.items) {
    last = std::max(last, item.time);
    out << io::csv_field(std::filesystem::absolute(item.path).string()) << "," << io::csv_field(item.label_text) << ","
        << item.time << "," << io::csv_field(item.group) << ",";
    if (item.roi) out << item.roi->x << "," << item.roi->y << "," << item.roi->width << "," << item.roi->height;
    else out << ",,,";
    out << "\n";
  }
  base_rows = m.items.size();
  const bool millis = last > 100'000'000'000;  // after 1973 in ms: an ISO-8601 base
  std::int64_t next = last + 1;
  for (const auto& r : labelled) {
    const std::int64_t t = millis ? std::max(r.received_ms, next) : next;
    next = t + 1;
    out << io::csv_field(store.images().path_of(r.image_sha256).string()) << "," << *r.label << "," << t << ",store-"
        << r.id << ",";
    if (r.roi) out << r.roi->x << "," << r.roi->y << "," << r.roi->width << "," << r.roi->height;
    else out << ",,,";
    out << "\n";
  }
  return out.str();
}

}  // namespace

Command add_retrain(CLI::App& app) {
  struct Args {
    TrainArgs train;
    GateFlags gate;
    std::string registry;
    bool promote = false;
  };
  auto a = std::make_shared<Args>();
  a->gate.by = default_user();
  auto* cmd = app.add_subcommand("retrain", "Train a candidate on a base manifest plus the labels in a results store");
  add_train_flags(*cmd, a->train);
  add_gate_flags(*cmd, a->gate);
  cmd->get_option("--store")->required();
  cmd->add_flag("--promote", a->promote, "add the candidate to --registry and promote it through the gate");
  cmd->add_option("--registry", a->registry, "model registry for --promote");
  return [a] {
    require(!a->promote || !a->registry.empty(), ErrorKind::kInvalidArgument, "--promote", "needs --registry DIR");
    const std::string base = a->train.learn.manifest;
    std::size_t base_rows = 0;
    {
      store::ResultsStore store(a->gate.store, store::ResultsStore::Role::kTool);
      const auto [train, holdout] = registry::split_holdout(store.labelled(), a->gate.holdout);
      const std::string manifest = a->train.output + ".manifest.csv";
      io::write_file_atomically(manifest, merged_manifest(base, train, store, base_rows));
      std::cerr << "aoi: retrain: " << base_rows << " rows of " << base << " and " << train.size()
                << " labelled results; the newest " << holdout.size() << " are held out for the gate; manifest "
                << manifest << "\n";
      a->train.learn.manifest = manifest;
      a->train.facts.clear();
      if (!holdout.empty()) a->train.facts.emplace_back("holdout_from_id", std::to_string(holdout.front().id));
    }
    const int trained = run_train(a->train);
    a->train.learn.manifest = base;
    if (trained != 0 || !a->promote) return trained;
    registry::Registry reg(a->registry);
    const std::string version = reg.add(a->train.output);
    GateFlags gate = a->gate;
    gate.gate = true;
    gate.engine = a->train.learn.engine;
    return gate_and_promote(reg, version, gate);
  };
}

}  // namespace aoi::cli

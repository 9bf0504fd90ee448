// Each command registers its options and returns the function that runs it.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace aoi::cli {

using Command = std::function<int()>;  // returns the process exit code

Command add_featurize(CLI::App& app);
Command add_classify(CLI::App& app);
Command add_info(CLI::App& app);
Command add_gbdt(CLI::App& app);
Command add_train(CLI::App& app);
Command add_evaluate(CLI::App& app);
Command add_score(CLI::App& app);
Command add_quantize(CLI::App& app);
#ifdef AOI_WITH_SERVE
Command add_serve(CLI::App& app);
Command add_store(CLI::App& app);
Command add_audit(CLI::App& app);
Command add_models(CLI::App& app);
Command add_retrain(CLI::App& app);
Command add_watch(CLI::App& app);
#endif

}  // namespace aoi::cli

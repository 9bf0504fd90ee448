// aoi: the command-line shell over the library. Exit codes: 0 success,
// 1 failure (or some items failed in a batch), 2 bad usage.
#include <csignal>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <iostream>
#include <map>

#include "aoi/inspector.hpp"
#include "core/parallel.hpp"
#include "kernels/cpu.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "usage.hpp"

namespace {

std::string version_text() {
  return std::string("aoi ") + aoi::version() + " (threads: " + aoi::par::runtime_name() +
         ", best ISA here: " + aoi::kernels::isa_name(aoi::kernels::best_isa()) + ")";
}

// Extras are allowed while parsing so that an unknown command or flag can be
// named with a suggestion (usage.hpp) instead of CLI11's generic message.
void allow_extras_everywhere(CLI::App& app) {
  app.allow_extras();
  for (auto* sub : app.get_subcommands({})) allow_extras_everywhere(*sub);
}

// Batch commands allocate and free each item's image buffers (a megabyte or
// more apiece). By default glibc hands such blocks back to the kernel on
// free, and the next item faults fresh zeroed pages in again, which on
// some virtual machines costs more than decoding the image. The CLI keeps
// freed memory for reuse instead; its peak barely moves, since the next
// item takes the same blocks. (A library does not change its host's
// allocator: this is the CLI's process.)
void keep_freed_memory() {
#if defined(__GLIBC__)
  // Blocks under 4 MiB (an image's buffers) come from the heap, which is
  // not trimmed back while under 512 MiB are free; larger ones (packing a
  // trunk's temporary copies of its biggest layers) still go back to the
  // kernel when freed, so a start that packs peaks little higher. Setting
  // either stops glibc's own threshold from adapting, so the second only
  // follows a first that took.
  if (mallopt(M_MMAP_THRESHOLD, 4 << 20) == 1) mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif
}

}  // namespace

int main(int argc, char** argv) {
  keep_freed_memory();
  // A file size limit (ulimit -f) makes a write fail with EFBIG, reported as
  // an error with the file's name, instead of killing the process.
  std::signal(SIGXFSZ, SIG_IGN);
  CLI::App app{"aoi: automated optical inspection engine (ResNet-50 features, GBDT decisions)"};
  app.option_defaults()->always_capture_default();
  app.set_version_flag("--version", version_text());
  bool quiet = false;
  app.add_flag("-q,--quiet", quiet, "no progress output on stderr (errors and summaries still print)");
  std::map<CLI::App*, aoi::cli::Command> commands;
  std::vector<aoi::cli::Command (*)(CLI::App&)> adders = {aoi::cli::add_featurize, aoi::cli::add_classify,
      aoi::cli::add_info, aoi::cli::add_gbdt, aoi::cli::add_train, aoi::cli::add_evaluate, aoi::cli::add_score,
      aoi::cli::add_quantize};
#ifdef AOI_WITH_SERVE
  adders.push_back(aoi::cli::add_serve);
  adders.push_back(aoi::cli::add_store);
  adders.push_back(aoi::cli::add_audit);
  adders.push_back(aoi::cli::add_models);
  adders.push_back(aoi::cli::add_retrain);
  adders.push_back(aoi::cli::add_watch);
#endif
  for (auto add : adders) {
    const auto before = app.get_subcommands({});
    auto run = add(app);
    for (auto* sub : app.get_subcommands({}))
      if (std::find(before.begin(), before.end(), sub) == before.end()) commands[sub] = run;
  }
  allow_extras_everywhere(app);
  CLI::App* runnable = nullptr;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // A misspelt flag also leaves a required one missing: name the misspelling.
    if (e.get_exit_code() != 0)
      if (const std::string problem = aoi::cli::check_command_line(app, runnable); problem.find("unknown") != std::string::npos) {
        std::cerr << problem << "\n";
        return 2;
      }
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (const std::string problem = aoi::cli::check_command_line(app, runnable); !problem.empty()) {
    std::cerr << problem << "\n";
    return 2;
  }
  aoi::cli::set_quiet(quiet);
  try {
    for (CLI::App* a = runnable; a; a = a->get_parent())
      if (auto it = commands.find(a); it != commands.end()) return it->second();
  } catch (const std::exception& e) {
    std::cerr << "aoi: " << e.what() << "\n";
    return 1;
  }
  return 2;
}

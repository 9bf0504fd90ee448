#include "service_flags.hpp"

#include <fstream>
#include <iterator>

#include "core/require.hpp"

namespace aoi::cli {
namespace {

// The secret file's text, trailing newline dropped.
std::string read_secret(const std::string& file) {
  std::ifstream in(file);
  require(bool(in), ErrorKind::kIo, file, "cannot read the secret");
  std::string secret(std::istreambuf_iterator<char>(in), {});
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  require(!secret.empty(), ErrorKind::kBadData, file, "the secret is empty");
  return secret;
}

}  // namespace

void add_model_flags(CLI::App& cmd, ModelFlags& flags, const std::string& model_doc, const std::string& registry_doc) {
  auto* model = cmd.add_option("--model", flags.model, model_doc);
  auto* registry = cmd.add_option("--registry", flags.registry, registry_doc);
  model->excludes(registry);
  registry->excludes(model);
}

std::function<std::filesystem::path()> bundle_source(const ModelFlags& flags,
                                                     std::optional<registry::Registry>& registry) {
  require(flags.model.empty() != flags.registry.empty(), ErrorKind::kInvalidArgument, "--model/--registry",
          "give --model BUNDLE or --registry DIR");
  if (flags.registry.empty()) return [path = std::filesystem::path(flags.model)] { return path; };
  registry.emplace(flags.registry);
  return [&registry] {
    const auto current = registry->current();
    require(current.has_value(), ErrorKind::kInvalidArgument, registry->dir().string(),
            "the registry has no current version (aoi models promote VERSION)");
    return registry->bundle_path(*current);
  };
}

void add_notify_flags(CLI::App& cmd, NotifyFlags& flags) {
  cmd.add_option("--notify-url", flags.url, "POST a JSON event here for every fail (and, serving, every promotion and rollback)");
  cmd.add_option("--notify-secret", flags.secret_file, "file with a secret to sign events (X-Aoi-Signature, HMAC-SHA256)")
      ->check(CLI::ExistingFile);
  cmd.add_option("--notify-max-attempts", flags.max_attempts, "delivery attempts before an event is dead")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
}

void start_notifier(const NotifyFlags& flags, store::ResultsStore& store, std::optional<serve::Notifier>& notifier) {
  if (flags.url.empty()) return;
  serve::NotifyOptions options;
  options.url = flags.url;
  options.max_attempts = flags.max_attempts;
  if (!flags.secret_file.empty()) options.secret = read_secret(flags.secret_file);
  store.set_notify_fails(true);
  notifier.emplace(store, options);
}

}  // namespace aoi::cli

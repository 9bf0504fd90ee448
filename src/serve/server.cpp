#include "serve/server.hpp"

#include <charconv>
#include <cstdio>
#include <tuple>
#include <cstring>
#include <chrono>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "aoi/error.hpp"
#include "inspector/inspector_access.hpp"
#include "serve/iso_time.hpp"

namespace aoi::serve {

std::string_view review_page();  // web/review.html, embedded at build time (review_page.cpp)

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

// When the request in this thread started (httplib handles a request in
// one thread from routing to logging).
thread_local Clock::time_point request_start;

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status, json{{"error", message}});
}

// The route a path belongs to, for metrics (ids folded into one label).
std::string route_of(const httplib::Request& req) {
  const std::string& p = req.path;
  if (p == "/v1/inspect" || p == "/v1/results" || p == "/healthz" || p == "/metrics" || p == "/v1/model/reload")
    return req.method + " " + p;
  if (p == "/review" || p == "/v1/review") return req.method + " " + p;
  if (p.rfind("/v1/results/", 0) == 0) {
    for (const char* tail : {"/image", "/label", "/labels"})
      if (p.size() > std::strlen(tail) && p.compare(p.size() - std::strlen(tail), std::strlen(tail), tail) == 0)
        return req.method + " /v1/results/{id}" + tail;
    return req.method + " /v1/results/{id}";
  }
  return "other";
}

std::optional<std::int64_t> to_int(const std::string& text) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// "x,y,w,h" with x, y >= 0 and w, h > 0.
std::optional<image::Roi> parse_roi(const std::string& text) {
  int v[4];
  std::size_t at = 0;
  for (int i = 0; i < 4; ++i) {
    const std::size_t end = i < 3 ? text.find(',', at) : text.size();
    if (end == std::string::npos) return std::nullopt;
    const auto n = to_int(text.substr(at, end - at));
    if (!n || *n < 0 || *n > 1'000'000) return std::nullopt;
    v[i] = int(*n);
    at = end + 1;
  }
  if (v[2] == 0 || v[3] == 0) return std::nullopt;
  return image::Roi{v[0], v[1], v[2], v[3]};
}

json record_json(const store::InspectionRecord& r) {
  json j{{"id", r.id},
         {"item", r.item ? json(*r.item) : json(nullptr)},
         {"received_at", r.received_at},
         {"p_fail", r.p_fail},
         {"verdict", r.verdict},
         {"model_version", r.model_version},
         {"image_sha256", r.image_sha256},
         {"content_type", r.content_type},
         {"image_bytes", r.image_bytes},
         {"roi", r.roi ? json{r.roi->x, r.roi->y, r.roi->width, r.roi->height} : json(nullptr)},
         {"elapsed_ms", r.elapsed_ms},
         {"label", r.label ? json(*r.label) : json(nullptr)},
         {"labelled_by", r.labelled_by ? json(*r.labelled_by) : json(nullptr)},
         {"labelled_at", r.labelled_at ? json(*r.labelled_at) : json(nullptr)}};
  return j;
}

// Counts a request as admitted while it lives.
class Admission {
 public:
  Admission(std::atomic<std::size_t>& count, std::size_t limit) : count_(count) {
    admitted_ = count_.fetch_add(1) < limit;
  }
  ~Admission() { count_.fetch_sub(1); }
  bool admitted() const { return admitted_; }

 private:
  std::atomic<std::size_t>& count_;
  bool admitted_;
};

}  // namespace

Service::Service(ModelSlot& model, store::ResultsStore& store, ApiKeys keys, ServiceOptions options)
    : model_(model), store_(store), keys_(std::move(keys)), options_(options),
      batcher_(store, metrics_, options.batch), http_(std::make_unique<httplib::Server>()) {
  options_.limits.max_file_bytes = std::int64_t(options_.max_bytes);
  // A thread per connection: enough that a request over the queue limit is
  // still read and answered with 429 rather than left waiting unaccepted.
  const std::size_t threads = options_.max_queue + 16;
  http_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http_->set_read_timeout(options_.read_timeout_seconds, 0);
  http_->set_write_timeout(options_.write_timeout_seconds, 0);
  http_->set_keep_alive_timeout(5);
  http_->set_keep_alive_max_count(1000);
  http_->set_payload_max_length(options_.max_bytes);
  // SO_REUSEADDR (restart while old connections linger) but not httplib's
  // default SO_REUSEPORT, which would let a second server share the port
  // instead of failing to start.
  http_->set_socket_options([](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  routes();
}

Service::~Service() = default;

int Service::bind(const std::string& host, int port) {
  const int bound = port == 0 ? http_->bind_to_any_port(host) : (http_->bind_to_port(host, port) ? port : -1);
  if (bound <= 0)
    throw Error(ErrorKind::kIo, host + ":" + std::to_string(port) + ": cannot listen (address in use or not local?)");
  return bound;
}

bool Service::listen() {
  const bool ok = stopping_ || http_->listen_after_bind();
  listen_returned_ = true;
  return ok || stopping_;
}

void Service::stop() {
  stopping_ = true;
  // stop() only acts on a running server: repeat until listen() has returned,
  // in case it had not started yet.
  while (!listen_returned_) {
    http_->stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}
void Service::drain() { batcher_.stop(); }

std::pair<bool, std::string> Service::reload(const std::string& who) {
  std::string previous, now;
  try {
    std::tie(previous, now) = model_.reload();
    metrics_.reload(true);
  } catch (const std::exception& e) {
    metrics_.reload(false);
    const auto current = model_.current();
    return {false, std::string(e.what()) + "; still serving " + (current ? current->version : std::string("no model"))};
  }
  if (previous != now) {
    try {
      store_.append_audit({0, iso8601_utc(now_unix_ms()), who, "reload", now,
                           previous.empty() ? std::nullopt : std::optional<std::string>(previous), now});
    } catch (const std::exception& e) {
      // The model is in service; the log line is the only record of this reload.
      std::fprintf(stderr, "aoi serve: reload %s -> %s not in the audit log: %s\n", previous.c_str(), now.c_str(),
                   e.what());
    }
  }
  return {true, "model " + (previous.empty() ? std::string("(none)") : previous) + " -> " + now};
}

void Service::routes() {
  httplib::Server& http = *http_;

  // Before the body is read: the key, then the declared size, so that a
  // client without a key or with an oversize body costs no reading.
  http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    request_start = Clock::now();
    // Bodies are read only where a route takes one, never compressed (a
    // small gzip body can inflate without bound), and labels are small.
    const std::string encoding = req.get_header_value("Content-Encoding");
    if (!encoding.empty() && encoding != "identity") {
      res.set_header("Connection", "close");
      send_error(res, 415, "Content-Encoding '" + encoding + "' is not accepted; send the bytes as they are");
      return httplib::Server::HandlerResponse::Handled;
    }
    const bool chunked = req.has_header("Transfer-Encoding");
    const auto declared = req.has_header("Content-Length") ? to_int(req.get_header_value("Content-Length"))
                                                           : std::optional<std::int64_t>(0);
    const bool inspect = req.method == "POST" && req.path == "/v1/inspect";
    const bool small_body = req.method == "POST" && (req.path == "/v1/model/reload" ||
                                                     (req.path.rfind("/v1/results/", 0) == 0 &&
                                                      req.path.size() > 6 &&
                                                      req.path.compare(req.path.size() - 6, 6, "/label") == 0));
    const bool too_big = !declared || (inspect ? *declared > std::int64_t(options_.max_bytes)
                                               : *declared > (small_body ? 4096 : 0) || chunked);
    if (too_big && !(inspect && chunked)) {
      res.set_header("Connection", "close");
      send_error(res, 413, inspect ? "body of " + req.get_header_value("Content-Length") +
                                         " bytes is over the limit of " + std::to_string(options_.max_bytes) +
                                         " (--max-bytes)"
                                   : std::string(small_body ? "this route takes a JSON body of at most 4096 bytes "
                                                              "with a Content-Length"
                                                            : "this route takes no body"));
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.path.rfind("/v1/", 0) != 0) return httplib::Server::HandlerResponse::Unhandled;
    if (!keys_.accepts(ApiKeys::bearer(req.get_header_value("Authorization")))) {
      res.set_header("WWW-Authenticate", "Bearer");
      res.set_header("Connection", "close");
      send_error(res, 401, req.has_header("Authorization") ? "the API key is not valid"
                                                           : "missing 'Authorization: Bearer KEY' header");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  // httplib's own errors (404, 413 while reading a chunked body, 400) get the
  // same JSON shape as ours.
  http.set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request& req,
                                                                     httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    std::string message = "HTTP status " + std::to_string(res.status);
    if (res.status == 400) message = "malformed request";
    if (res.status == 404) message = "no route " + req.method + " " + req.path;
    if (res.status == 413)
      message = "body over the limit of " + std::to_string(options_.max_bytes) + " bytes (--max-bytes)";
    send_error(res, res.status, message);
    return httplib::Server::HandlerResponse::Handled;
  }));

  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string message = "internal error";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      message = e.what();
    } catch (...) {
    }
    send_error(res, 500, message);
  });

  http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    served_.fetch_add(1);
    metrics_.request(route_of(req), res.status, std::chrono::duration<double>(Clock::now() - request_start).count());
  });

  http.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    const auto model = model_.current();
    if (!model) return send_json(res, 503, json{{"status", "loading"}, {"model_version", nullptr}});
    send_json(res, 200, json{{"status", "ok"}, {"model_version", model->version}});
  });

  http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    const auto model = model_.current();
    res.set_content(metrics_.render(admitted_.load(), model ? model->version : ""), "text/plain; version=0.0.4");
  });

  // The body is read here, not by httplib, so that its size is enforced
  // while reading whatever the framing (httplib checks only Content-Length).
  http.Post("/v1/inspect", [this](const httplib::Request& req, httplib::Response& res,
                                  const httplib::ContentReader& content_reader) {
    std::string body;
    bool over = false;
    const bool complete = content_reader([&](const char* data, std::size_t length) {
      if (body.size() + length > options_.max_bytes) return !(over = true);
      body.append(data, length);
      return true;
    });
    if (!complete && !over) {
      res.set_header("Connection", "close");
      return send_error(res, 400, "the body ended early (timeout or disconnect); nothing was stored");
    }
    if (over) {
      res.set_header("Connection", "close");
      return send_error(res, 413, "body over the limit of " + std::to_string(options_.max_bytes) +
                                      " bytes (--max-bytes)");
    }
    const auto received = Clock::now();
    const std::int64_t received_ms = now_unix_ms();
    auto model = model_.current();
    if (!model) {
      res.set_header("Retry-After", "2");
      return send_error(res, 503, "the model is still loading");
    }
    Admission admission(admitted_, options_.max_queue);
    if (!admission.admitted()) {
      res.set_header("Retry-After", "1");
      return send_error(res, 429, "more than " + std::to_string(options_.max_queue) +
                                      " inspections are waiting (--max-queue); retry later");
    }
    std::optional<std::string> item;
    if (req.has_param("item")) {
      item = req.get_param_value("item");
      if (item->size() > 256) return send_error(res, 400, "item is longer than 256 bytes");
    }
    std::optional<image::Roi> roi;
    if (req.has_param("roi")) {
      roi = parse_roi(req.get_param_value("roi"));
      if (!roi) return send_error(res, 400, "roi must be x,y,w,h with x,y >= 0 and w,h > 0, not '" +
                                                req.get_param_value("roi") + "'");
    }
    const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(body.data()), body.size());
    if (bytes.empty()) return send_error(res, 422, "the body is empty; send the encoded image");
    const io::ImageFormat format = io::sniff_format(bytes);
    const std::string name = item ? "item '" + *item + "'" : std::string("image");

    auto job = std::make_unique<Job>();
    job->model = model;
    job->received = received;
    try {
      if (format == io::ImageFormat::kUnknown)
        throw Error(ErrorKind::kBadImage, name + ": the body is not a JPEG, PNG, TIFF or BMP image");
      const io::Image image = io::decode_image(bytes, name, options_.limits);
      const Engine& engine = InspectorAccess::engine(model->inspector);
      job->tensor.resize(std::size_t(3) * engine.input_size() * engine.input_size());
      engine.prepare(image, roi, InspectorAccess::bundle(model->inspector).policy, name, job->tensor.data());
    } catch (const Error& e) {
      return send_error(res, 422, e.what());
    }
    store::InspectionRecord& r = job->record;
    r.item = item;
    r.received_ms = received_ms;
    r.received_at = iso8601_utc(received_ms);
    r.content_type = io::content_type(format);
    r.image_bytes = std::int64_t(bytes.size());
    if (roi) r.roi = store::StoredRoi{roi->x, roi->y, roi->width, roi->height};
    try {
      r.image_sha256 = store_.images().put(bytes);
      batcher_.run(*job);
    } catch (const std::exception& e) {
      return send_error(res, 500, std::string("not stored: ") + e.what());
    }
    send_json(res, 200,
              json{{"id", r.id},
                   {"item", item ? json(*item) : json(nullptr)},
                   {"p_fail", r.p_fail},
                   {"verdict", r.verdict},
                   {"model_version", r.model_version},
                   {"elapsed_ms", r.elapsed_ms},
                   {"image_sha256", r.image_sha256}});
  });

  http.Get("/v1/results", [this](const httplib::Request& req, httplib::Response& res) {
    store::ResultsQuery q;
    if (req.has_param("verdict")) {
      const std::string v = req.get_param_value("verdict");
      if (v != "pass" && v != "review" && v != "fail")
        return send_error(res, 400, "verdict must be pass, review or fail, not '" + v + "'");
      q.verdict = v;
    }
    if (req.has_param("since")) {
      q.since_ms = parse_iso8601(req.get_param_value("since"));
      if (!q.since_ms)
        return send_error(res, 400, "since must be an ISO 8601 time (2026-12-04T08:00:00Z), not '" +
                                        req.get_param_value("since") + "'");
    }
    if (req.has_param("before")) {
      q.before_id = to_int(req.get_param_value("before"));
      if (!q.before_id) return send_error(res, 400, "before must be a result id");
    }
    if (req.has_param("limit")) {
      const auto limit = to_int(req.get_param_value("limit"));
      if (!limit || *limit < 1 || *limit > 1000) return send_error(res, 400, "limit must be 1 to 1000");
      q.limit = int(*limit);
    }
    const auto rows = store_.list(q);
    json list = json::array();
    for (const auto& r : rows) list.push_back(record_json(r));
    // A full page may have more behind it: the next page starts below its last id.
    const json next = int(rows.size()) == q.limit ? json(rows.back().id) : json(nullptr);
    send_json(res, 200, json{{"results", std::move(list)}, {"next_before", next}});
  });

  http.Get(R"(/v1/results/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
    const auto id = to_int(req.matches[1].str());
    const auto r = id ? store_.get(*id) : std::nullopt;
    if (!r) return send_error(res, 404, "no result " + req.matches[1].str());
    send_json(res, 200, record_json(*r));
  });

  http.Get(R"(/v1/results/(\d+)/image)", [this](const httplib::Request& req, httplib::Response& res) {
    const auto id = to_int(req.matches[1].str());
    const auto r = id ? store_.get(*id) : std::nullopt;
    if (!r) return send_error(res, 404, "no result " + req.matches[1].str());
    const auto bytes = store_.images().get(r->image_sha256);
    res.status = 200;
    res.set_content(std::string(bytes.begin(), bytes.end()), r->content_type);
    res.set_header("ETag", "\"" + r->image_sha256 + "\"");
  });

  // The review queue and labels (docs/review-loop.md).
  http.Get("/review", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "no-store");
    res.set_header("Content-Security-Policy", "default-src 'self'; img-src 'self' blob:; style-src 'unsafe-inline'; "
                                              "script-src 'unsafe-inline'");
    res.set_content(std::string(review_page()), "text/html; charset=utf-8");
  });

  http.Get("/v1/review", [this](const httplib::Request& req, httplib::Response& res) {
    int limit = 100;
    if (req.has_param("limit")) {
      const auto l = to_int(req.get_param_value("limit"));
      if (!l || *l < 1 || *l > 1000) return send_error(res, 400, "limit must be 1 to 1000");
      limit = int(*l);
    }
    const bool include_fail = req.has_param("include_fail") && req.get_param_value("include_fail") != "0";
    const auto queue = store_.review_queue(include_fail, limit);
    json items = json::array();
    for (const auto& r : queue.items) items.push_back(record_json(r));
    send_json(res, 200, json{{"items", std::move(items)}, {"remaining", queue.remaining}});
  });

  http.Post(R"(/v1/results/(\d+)/label)", [this](const httplib::Request& req, httplib::Response& res) {
    const auto id = to_int(req.matches[1].str());
    json body;
    try {
      body = json::parse(req.body);
    } catch (const std::exception&) {
      return send_error(res, 400, "the body must be JSON: {\"label\": \"pass\"|\"fail\"|null, \"by\": \"name\"}");
    }
    if (!body.is_object() || !body.contains("label") || !body.contains("by") || !body["by"].is_string())
      return send_error(res, 400, "the body needs \"label\" (pass, fail or null to withdraw) and \"by\" (who)");
    const std::string by = body["by"].get<std::string>();
    if (by.empty() || by.size() > 100) return send_error(res, 400, "\"by\" must be 1 to 100 bytes");
    std::optional<std::string> label;
    if (!body["label"].is_null()) {
      if (!body["label"].is_string() || (body["label"] != "pass" && body["label"] != "fail"))
        return send_error(res, 400, "\"label\" must be \"pass\", \"fail\" or null");
      label = body["label"].get<std::string>();
    }
    const auto change = id ? store_.set_label(*id, label, by, iso8601_utc(now_unix_ms())) : std::nullopt;
    if (!change) return send_error(res, 404, "no result " + req.matches[1].str());
    send_json(res, 200, json{{"id", change->id},
                             {"label", change->label ? json(*change->label) : json(nullptr)},
                             {"previous", change->previous ? json(*change->previous) : json(nullptr)},
                             {"labelled_by", change->by},
                             {"labelled_at", change->at}});
  });

  http.Get(R"(/v1/results/(\d+)/labels)", [this](const httplib::Request& req, httplib::Response& res) {
    const auto id = to_int(req.matches[1].str());
    if (!id || !store_.get(*id)) return send_error(res, 404, "no result " + req.matches[1].str());
    json list = json::array();
    for (const auto& c : store_.label_history(*id))
      list.push_back(json{{"label", c.label ? json(*c.label) : json(nullptr)},
                          {"labelled_by", c.by},
                          {"labelled_at", c.at}});
    send_json(res, 200, json{{"id", *id}, {"history", std::move(list)}});
  });

  http.Post("/v1/model/reload", [this](const httplib::Request&, httplib::Response& res) {
    const auto [ok, message] = reload("api");
    if (!ok) return send_error(res, 422, "reload refused: " + message);
    send_json(res, 200, json{{"model_version", model_.current()->version}, {"message", message}});
  });
}

}  // namespace aoi::serve

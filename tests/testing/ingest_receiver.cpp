#include "testing/ingest_receiver.h"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "core/part_record.h"
#include "core/sha256.h"

namespace linesight::testing {
namespace {

using nlohmann::json;

void Answer(httplib::Response& res, int status, const std::string& error,
            const std::string& message) {
  res.status = status;
  res.set_content(json{{"error", error}, {"message", message}}.dump(), "application/json");
}

// Sends headers promising a body, then fails: the client sees the connection cut mid-answer.
void CutConnection(httplib::Response& res) {
  res.status = 200;
  res.set_content_provider(1000, "application/json",
                           [](size_t, size_t, httplib::DataSink&) { return false; });
}

bool ValidImageName(const std::string& name) {
  const size_t dot = name.find('.');
  if (dot != 64) return false;
  for (size_t i = 0; i < 64; ++i)
    if (!std::isxdigit(static_cast<unsigned char>(name[i])) || std::isupper(name[i])) return false;
  const std::string ext = name.substr(65);
  return ext == "png" || ext == "jpg";
}

}  // namespace

IngestReceiver::IngestReceiver(std::string token, int port)
    : token_(std::move(token)), port_(port) {
  Start();
}

IngestReceiver::~IngestReceiver() { Stop(); }

void IngestReceiver::FailNext(int n, int status) {
  std::lock_guard lock(mu_);
  fail_n_ = n;
  fail_status_ = status;
}

void IngestReceiver::DropNext(int n, bool after_store) {
  std::lock_guard lock(mu_);
  drop_n_ = n;
  drop_after_store_ = after_store;
}

void IngestReceiver::HangNext(int n) {
  std::lock_guard lock(mu_);
  hang_n_ = n;
}

void IngestReceiver::ProxyBodyLimit(size_t bytes) {
  std::lock_guard lock(mu_);
  proxy_limit_ = bytes;
}

void IngestReceiver::ForeignNext(int n, int status) {
  std::lock_guard lock(mu_);
  foreign_n_ = n;
  foreign_status_ = status;
}

void IngestReceiver::RefusePart(const std::string& part_id, int status) {
  std::lock_guard lock(mu_);
  refused_[part_id] = status;
}

IngestReceiver::Counts IngestReceiver::counts() const {
  std::lock_guard lock(mu_);
  return counts_;
}

std::set<std::string> IngestReceiver::part_ids() const {
  std::lock_guard lock(mu_);
  std::set<std::string> ids;
  for (const auto& [id, record] : parts_) ids.insert(id);
  return ids;
}

size_t IngestReceiver::event_count() const {
  std::lock_guard lock(mu_);
  return events_.size();
}

std::set<std::string> IngestReceiver::image_names() const {
  std::lock_guard lock(mu_);
  std::set<std::string> names;
  for (const auto& [name, bytes] : images_) names.insert(name);
  return names;
}

int IngestReceiver::TakeFault(int& status, bool& after_store) {
  std::lock_guard lock(mu_);
  if (fail_n_ > 0) {
    --fail_n_;
    status = fail_status_;
    return 1;
  }
  if (drop_n_ > 0) {
    --drop_n_;
    after_store = drop_after_store_;
    return 2;
  }
  if (hang_n_ > 0) {
    --hang_n_;
    return 3;
  }
  if (foreign_n_ > 0) {
    --foreign_n_;
    status = foreign_status_;
    return 4;
  }
  return 0;
}

void IngestReceiver::Start() {
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  server_ = std::make_unique<httplib::Server>();
  server_->set_keep_alive_timeout(1);
  server_->set_payload_max_length(16u << 20);
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  // Checks the token and applies an injected fault; false when the request is answered.
  auto admit = [this](const httplib::Request& req, httplib::Response& res, bool& drop_after) {
    if (req.get_header_value("Authorization") != "Bearer " + token_) {
      std::lock_guard lock(mu_);
      ++counts_.unauthorized;
      Answer(res, 401, "unauthorized", "unknown station token");
      return false;
    }
    {
      std::lock_guard lock(mu_);
      if (proxy_limit_ > 0 && req.body.size() > proxy_limit_) {
        res.status = 413;
        res.set_content("<html><h1>413 Request Entity Too Large</h1>nginx</html>", "text/html");
        return false;
      }
    }
    int status = 0;
    drop_after = false;
    switch (TakeFault(status, drop_after)) {
      case 1:
        Answer(res, status, "unavailable", "injected failure");
        return false;
      case 2:
        if (drop_after) return true;  // the handler stores, then cuts
        CutConnection(res);
        return false;
      case 3: {
        std::unique_lock lock(mu_);
        ++counts_.hanging;
        release_.wait(lock, [this] { return stopping_; });
        --counts_.hanging;
        CutConnection(res);
        return false;
      }
      case 4:
        res.status = status;
        res.set_content("<html><body><h1>nginx</h1></body></html>", "text/html");
        return false;
      default:
        return true;
    }
  };
  server_->Put(R"(/api/v1/images/([^/]+))", [this, admit](const httplib::Request& req,
                                                          httplib::Response& res) {
    bool drop_after = false;
    if (!admit(req, res, drop_after)) return;
    const std::string name = req.matches[1];
    const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(req.body.data()),
                                         req.body.size());
    if (!ValidImageName(name) || Sha256Hex(bytes) != name.substr(0, 64)) {
      std::lock_guard lock(mu_);
      ++counts_.bad_requests;
      return Answer(res, 400, "bad_request", "image name is not the sha256 of its bytes");
    }
    bool had = false;
    {
      std::lock_guard lock(mu_);
      had = images_.count(name) > 0;
      images_[name] = req.body.size();
      ++counts_.images_put;
    }
    if (drop_after) return CutConnection(res);
    res.status = had ? 200 : 201;
    res.set_content(json{{"image", name}, {"stored", !had}}.dump(), "application/json");
  });
  server_->Post(
      "/api/v1/parts", [this, admit](const httplib::Request& req, httplib::Response& res) {
        bool drop_after = false;
        if (!admit(req, res, drop_after)) return;
        std::vector<PartRecord> parts;
        std::vector<std::string> events;
        try {
          const json body = json::parse(req.body);
          for (const auto& p : body.at("parts")) parts.push_back(PartRecordFromJson(p));
          for (const auto& e : body.at("events"))
            events.push_back(ToJson(MachineEventFromJson(e)).dump());
        } catch (const std::exception& e) {
          std::lock_guard lock(mu_);
          ++counts_.posts;
          ++counts_.bad_requests;
          return Answer(res, 400, "bad_request", e.what());
        }
        std::lock_guard lock(mu_);
        ++counts_.posts;
        if (parts.size() > 1000) {
          ++counts_.bad_requests;
          return Answer(res, 413, "too_large", "more than 1000 parts in one batch");
        }
        for (size_t i = 0; i < parts.size(); ++i)
          if (const auto r = refused_.find(parts[i].part_id); r != refused_.end()) {
            ++counts_.bad_requests;
            return Answer(res, r->second, r->second == 409 ? "conflict" : "bad_request",
                          "parts[" + std::to_string(i) + "]: refused by the test receiver");
          }
        json answer{
            {"parts_new", 0}, {"parts_duplicate", 0}, {"events_new", 0}, {"events_duplicate", 0}};
        for (const auto& p : parts) {
          ++counts_.parts_received;
          for (const auto& v : p.views)
            for (const std::string* name : {&v.image, &v.heatmap})
              if (!name->empty() && !images_.count(*name)) ++counts_.parts_missing_image;
          if (parts_.emplace(p.part_id, ToJson(p).dump()).second) {
            answer["parts_new"] = answer["parts_new"].get<int>() + 1;
          } else {
            ++counts_.parts_duplicate;
            answer["parts_duplicate"] = answer["parts_duplicate"].get<int>() + 1;
          }
        }
        for (const auto& e : events) {
          ++counts_.events_received;
          if (events_.insert(e).second) {
            answer["events_new"] = answer["events_new"].get<int>() + 1;
          } else {
            ++counts_.events_duplicate;
            answer["events_duplicate"] = answer["events_duplicate"].get<int>() + 1;
          }
        }
        ++counts_.posts_stored;
        if (drop_after) return CutConnection(res);
        res.status = 200;
        res.set_content(answer.dump(), "application/json");
      });
  bool bound = false;
  if (port_ == 0) {
    port_ = server_->bind_to_any_port("127.0.0.1");
    bound = port_ > 0;
  } else {
    // The old socket may linger a moment after Stop(): try for up to ~5 s.
    for (int i = 0; i < 100 && !bound; ++i) {
      bound = server_->bind_to_port("127.0.0.1", port_);
      if (!bound) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  if (!bound)
    throw std::runtime_error("test ingest receiver: cannot bind 127.0.0.1:" +
                             std::to_string(port_));
  auto ended = std::make_shared<std::atomic<bool>>(false);
  thread_ = std::thread([this, ended] {
    server_->listen_after_bind();
    *ended = true;
  });
  while (!server_->is_running() && !*ended)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void IngestReceiver::Stop() {
  if (!server_) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  release_.notify_all();
  server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

}  // namespace linesight::testing

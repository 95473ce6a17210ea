// testing/ingest_receiver.h: a TEST receiver of the factory server's ingest API (docs/api.md,
// "Ingest (stations)"), a real HTTP server on 127.0.0.1 for the uplink's tests. It keeps what
// arrives in memory and can be told to fail. It is not the factory server: an integration test
// against the real server replaces it there.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace linesight::testing {

class IngestReceiver {
 public:
  // Starts serving on 127.0.0.1:`port` (0 = any free port), accepting `token` only.
  explicit IngestReceiver(std::string token = "test-token", int port = 0);
  ~IngestReceiver();
  IngestReceiver(const IngestReceiver&) = delete;
  IngestReceiver& operator=(const IngestReceiver&) = delete;

  // Stops listening (hung requests are released and fail); what was received is kept.
  void Stop();
  // Serves again on the same port, with what it had received.
  void Start();

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Faults, each for the next `n` requests of any kind (PUT or POST):
  void FailNext(int n, int status = 503);  // answer `status`, store nothing
  // Cut the connection during the answer; `after_store`: the batch / image was stored first (the
  // acknowledgement is lost), else nothing is stored.
  void DropNext(int n, bool after_store);
  void HangNext(int n);  // never answer (until Stop())
  // Answer `status` with a web page, storing nothing: a proxy's error page ("413 Request Entity
  // Too Large") or another web server at a wrong URL ("200 Welcome to nginx").
  void ForeignNext(int n, int status);
  // A proxy's body limit: every request whose body is over `bytes` gets its 413 page (0: none).
  void ProxyBodyLimit(size_t bytes);
  // Refuses every batch holding `part_id` with `status` (400 bad_request, 409 conflict), as a
  // server does for a record it cannot take.
  void RefusePart(const std::string& part_id, int status = 400);

  struct Counts {
    int posts = 0;            // POST /api/v1/parts requests that reached the handler
    int posts_stored = 0;     // of which stored a batch
    int parts_received = 0;   // parts in stored batches, duplicates included
    int parts_duplicate = 0;  // parts already stored before
    int events_received = 0;
    int events_duplicate = 0;
    int images_put = 0;           // PUTs that stored or confirmed an image
    int unauthorized = 0;         // requests answered 401
    int bad_requests = 0;         // requests answered 400 or 413
    int parts_missing_image = 0;  // stored parts naming an image not received before them
    int hanging = 0;              // requests held unanswered right now (HangNext)
  };
  Counts counts() const;
  // Distinct part ids / events / images stored.
  std::set<std::string> part_ids() const;
  size_t event_count() const;
  std::set<std::string> image_names() const;

 private:
  void Serve();
  // Consumes one injected fault; returns its kind (0 none, 1 fail, 2 drop, 3 hang, 4 foreign).
  int TakeFault(int& status, bool& after_store);

  std::string token_;
  int port_ = 0;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;

  mutable std::mutex mu_;
  std::condition_variable release_;
  bool stopping_ = false;
  int fail_n_ = 0, fail_status_ = 503, drop_n_ = 0, hang_n_ = 0;
  int foreign_n_ = 0, foreign_status_ = 200;
  size_t proxy_limit_ = 0;
  bool drop_after_store_ = false;
  std::map<std::string, int> refused_;        // part id -> the status refusing it
  std::map<std::string, std::string> parts_;  // part_id -> record JSON
  std::set<std::string> events_;              // event JSON (no id of its own)
  std::map<std::string, size_t> images_;      // name -> bytes
  Counts counts_;
};

}  // namespace linesight::testing

// io/plc_server.h: the station's Modbus TCP server (slave) that the line's PLC drives (map in
// io/plc_registers.h). One owned thread serves every client; public methods are thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "io/plc_handshake.h"

namespace linesight::io {

struct PlcServerOptions {
  std::string host = "127.0.0.1";  // dotted IPv4 address to listen on; "0.0.0.0" for all
  int port = 1502;                 // 0 picks a free port (see PlcServer::port())
  // How often the heartbeat register advances; the PLC declares the station dead after a few
  // periods without change.
  std::chrono::milliseconds heartbeat_period{100};
  int max_clients = 4;  // connections served at once (PLC, HMI, diagnostics)
  // With max_clients connected, a new connection replaces the client that has sent nothing for
  // longest, if that is at least this long (a PLC whose old connection died half-open can come
  // back); otherwise the new connection is closed at once.
  std::chrono::milliseconds evict_idle_after{5000};
};

class PlcServer {
 public:
  // Binds, listens and starts serving. Throws Error{kIo} naming host:port and the fix when the
  // port is taken or needs privileges, Error{kInput} when host is not an IPv4 address.
  explicit PlcServer(const PlcServerOptions& options);
  // Stops the thread and closes every socket.
  ~PlcServer();
  PlcServer(const PlcServer&) = delete;
  PlcServer& operator=(const PlcServer&) = delete;

  // The bound TCP port (the one the kernel picked when options.port was 0).
  int port() const { return port_; }

  // Blocks until the next accepted trigger, `timeout` or Stop(); nullopt on timeout or stop.
  // Each accepted trigger is handed out once.
  std::optional<PlcTrigger> WaitTrigger(std::chrono::milliseconds timeout);

  // Publishes the answer to the outstanding trigger atomically for every master: result
  // registers, then RESULT_VALID + OK/NG, BUSY cleared. Returns false, publishing nothing, when
  // no trigger is outstanding or result.part_id is not the triggered part's id: a bug in the
  // caller, to be logged; the PLC then sees no result and treats the part as NG.
  [[nodiscard]] bool PublishResult(const PlcResult& result);

  // The FAULT and MODEL_LOADED status bits. FAULT starts set: clear it once the station can
  // inspect (model loaded, camera answering).
  void SetFault(bool fault);
  void SetModelLoaded(bool loaded);
  // The HOLD_STREAK status bit (io/plc_registers.h).
  void SetHoldStreak(bool streak);
  // True once after each rising CLEAR_MARK edge (several edges before a call count as one).
  [[nodiscard]] bool TakeMarkClear();

  // Stops serving and wakes WaitTrigger(); the destructor calls it. Idempotent.
  void Stop();

  struct Counters {
    uint64_t triggers = 0;         // rising TRIGGER edges accepted
    uint64_t results = 0;          // results published
    uint64_t acks = 0;             // results acknowledged
    uint64_t mark_clears = 0;      // rising CLEAR_MARK edges
    uint64_t missed_triggers = 0;  // edges refused: busy or previous result not acknowledged
    uint64_t zero_part_ids = 0;    // TRIGGER edges refused (exception 03): part id 0
    uint64_t client_connects = 0;  // connections accepted and served
    uint64_t client_drops = 0;     // connections closed: peer left, garbage, stall, evicted
    uint64_t clients_refused = 0;  // connections closed at once: max_clients reached
    uint64_t exceptions = 0;       // Modbus exception replies sent
  };
  Counters counters() const;
  // True while at least one client is connected.
  bool client_connected() const;

  // The status register as masters read it now.
  uint16_t status() const;

 private:
  struct Net;  // sockets and libmodbus state, owned by the serving thread

  void Serve();
  void ServeClients(const std::vector<int>& readable);
  bool ServeRequest(int fd);
  void Accept();
  void Drop(int fd);

  std::unique_ptr<Net> net_;
  int port_ = 0;
  std::chrono::milliseconds heartbeat_period_;
  int max_clients_;
  std::chrono::milliseconds evict_idle_after_;

  mutable std::mutex mu_;  // guards everything below
  std::condition_variable trigger_cv_;
  PlcHandshake handshake_;
  std::optional<PlcTrigger> pending_;  // accepted, not yet taken by WaitTrigger
  bool mark_clear_ = false;            // a CLEAR_MARK edge not yet taken by TakeMarkClear
  Counters counters_;
  int clients_ = 0;
  bool stopped_ = false;

  std::thread thread_;  // last: starts after everything it uses exists
};

}  // namespace linesight::io

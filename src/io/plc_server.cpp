// io/plc_server.cpp: the Modbus TCP server loop on libmodbus: poll() over a wake pipe, the
// listening socket and the clients; each request is checked against the register map, applied to
// the handshake under the lock, and answered from a snapshot of the registers.
#include "io/plc_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <modbus.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "core/error.h"

namespace linesight::io {
namespace {

// A client that stops reading its replies must not stall the others: its send times out and the
// client is dropped.
constexpr timeval kSendTimeout{0, 200'000};
// Longest pause allowed inside one request frame before the client is dropped.
constexpr uint32_t kByteTimeoutUs = 100'000;
// A request is read only once all of it has arrived, so a client that sends its frame a byte at a
// time cannot hold the server (and the heartbeat) for the frame's 260 pauses: it has this long
// from its frame's first byte, re-checked this often, before it is dropped.
constexpr std::chrono::milliseconds kFrameTimeout{500}, kPartialRecheck{10};

uint16_t Word(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

// True when `fd` holds a whole request (MBAP header and the length it gives), or something
// ServeRequest must see at once: an end of file, an error, or a length no frame has.
bool FrameArrived(int fd) {
  std::array<uint8_t, MODBUS_TCP_MAX_ADU_LENGTH> peek{};
  const ssize_t n = recv(fd, peek.data(), peek.size(), MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return false;
  if (n <= 0 || n >= static_cast<ssize_t>(peek.size())) return true;
  if (n < 7) return false;
  const int length = Word(peek.data() + 4);                                   // unit id + PDU
  if (length < 2 || 6 + length > static_cast<int>(peek.size())) return true;  // malformed
  return n >= 6 + length;
}

std::string Endpoint(const PlcServerOptions& o) { return o.host + ":" + std::to_string(o.port); }

void CheckOptions(const PlcServerOptions& o) {
  in_addr addr{};
  if (inet_pton(AF_INET, o.host.c_str(), &addr) != 1) {
    throw Error(ErrorCategory::kInput, "PLC server host '" + o.host + "' is not an IPv4 address",
                "give a dotted address such as 127.0.0.1, or 0.0.0.0 to listen on all");
  }
  if (o.port < 0 || o.port > 65535 || o.heartbeat_period.count() <= 0 || o.max_clients < 1 ||
      o.evict_idle_after.count() < 0) {
    throw Error(ErrorCategory::kInput,
                "PLC server options out of range (port " + std::to_string(o.port) + ", heartbeat " +
                    std::to_string(o.heartbeat_period.count()) + " ms, max_clients " +
                    std::to_string(o.max_clients) + ")",
                "use a port 0-65535, a heartbeat period > 0, max_clients >= 1 and "
                "evict_idle_after >= 0");
  }
}

[[noreturn]] void ThrowListenError(const PlcServerOptions& o, int err) {
  std::string fix = "check the address belongs to this machine";
  if (err == EADDRINUSE) {
    fix = "stop the program using port " + std::to_string(o.port) + " or configure another port";
  } else if (err == EACCES) {
    fix = "ports below 1024 need root or CAP_NET_BIND_SERVICE: use a port >= 1024 (1502 is usual)";
  }
  throw Error(ErrorCategory::kIo,
              "cannot listen for Modbus TCP on " + Endpoint(o) + ": " + std::strerror(err), fix);
}

// libmodbus reads a TCP frame by its function code and trusts the MBAP header; a frame whose
// header disagrees with what was read is garbage and the stream cannot be resynchronised.
bool WellFormedMbap(const uint8_t* req, int length) {
  return length >= 8 && Word(req + 2) == 0 && Word(req + 4) == length - 6;
}

bool Supported(uint8_t function) {
  return function == MODBUS_FC_READ_HOLDING_REGISTERS ||
         function == MODBUS_FC_WRITE_SINGLE_REGISTER ||
         function == MODBUS_FC_WRITE_MULTIPLE_REGISTERS;
}

// libmodbus frames a request by its function code: for one it has no layout for (08 diagnostics,
// 43 device identification) it stops after the code, and for 00 it waits for four bytes that never
// come. So a function this server does not serve is framed by its MBAP length (the whole frame has
// arrived: FrameArrived), taken from the socket and answered with exception 01 here, and the master
// keeps its connection, as the standard asks. Codes from 0x80 on are no function (they mark
// exception answers); the answer keeps such a code as it is instead of wrapping it past 0xFF.
bool AnswerUnsupportedFunction(int fd, bool& answered) {
  answered = false;
  std::array<uint8_t, MODBUS_TCP_MAX_ADU_LENGTH> frame{};
  const ssize_t n = recv(fd, frame.data(), 8, MSG_PEEK | MSG_DONTWAIT);
  if (n < 6) return true;  // closed or cut short: libmodbus's read says which
  const int length = 6 + Word(frame.data() + 4);
  // Not a Modbus TCP frame (another protocol id, a length no frame has): nothing after it can be
  // read in step, and libmodbus would wait its byte timeout on this one thread; dropped at once.
  if (Word(frame.data() + 2) != 0 || length < 8 || length > static_cast<int>(frame.size()))
    return false;
  if (n < 8 || Supported(frame[7])) return true;
  if (recv(fd, frame.data(), static_cast<size_t>(length), MSG_DONTWAIT) != length) return false;
  const std::array<uint8_t, 9> reply{frame[0],
                                     frame[1],
                                     0,
                                     0,
                                     0,
                                     3,
                                     frame[6],
                                     static_cast<uint8_t>(frame[7] | 0x80),
                                     kExceptionIllegalFunction};
  answered = true;
  return send(fd, reply.data(), reply.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(reply.size());
}

}  // namespace

struct PlcServer::Net {
  modbus_t* ctx = nullptr;
  modbus_mapping_t* reply = nullptr;  // the registers a reply is built from, copied under the lock
  int listen_fd = -1;
  std::array<int, 2> wake{-1, -1};  // Stop() writes to wake[1]
  struct Client {
    int fd;
    SteadyClock::time_point last_request;     // or the connect time
    SteadyClock::time_point partial_since{};  // the first byte of a frame not yet whole, or 0
  };
  std::vector<Client> clients;

  ~Net() {
    for (const Client& c : clients) close(c.fd);
    for (int fd : wake) {
      if (fd >= 0) close(fd);
    }
    if (listen_fd >= 0) close(listen_fd);
    if (reply != nullptr) modbus_mapping_free(reply);
    if (ctx != nullptr) modbus_free(ctx);
  }
};

PlcServer::PlcServer(const PlcServerOptions& options)
    : net_(std::make_unique<Net>()),
      heartbeat_period_(options.heartbeat_period),
      max_clients_(options.max_clients),
      evict_idle_after_(options.evict_idle_after) {
  CheckOptions(options);
  net_->ctx = modbus_new_tcp(options.host.c_str(), options.port);
  net_->reply = modbus_mapping_new_start_address(0, 0, 0, 0, 0, kRegisterCount, 0, 0);
  if (net_->ctx == nullptr || net_->reply == nullptr) {
    throw Error(ErrorCategory::kIo,
                "cannot create the Modbus TCP context for " + Endpoint(options) + ": " +
                    std::strerror(errno),
                "check the machine has free memory");
  }
  modbus_set_byte_timeout(net_->ctx, 0, kByteTimeoutUs);
  net_->listen_fd = modbus_tcp_listen(net_->ctx, options.max_clients);
  if (net_->listen_fd < 0) ThrowListenError(options, errno);
  sockaddr_in bound{};
  socklen_t len = sizeof bound;
  if (getsockname(net_->listen_fd, reinterpret_cast<sockaddr*>(&bound), &len) != 0 ||
      pipe2(net_->wake.data(), O_CLOEXEC | O_NONBLOCK) != 0) {
    throw Error(
        ErrorCategory::kIo,
        "cannot set up the Modbus TCP server on " + Endpoint(options) + ": " + std::strerror(errno),
        "check the process's open-file limit (ulimit -n)");
  }
  port_ = ntohs(bound.sin_port);
  thread_ = std::thread(&PlcServer::Serve, this);
}

PlcServer::~PlcServer() {
  Stop();
  if (thread_.joinable()) thread_.join();
}

void PlcServer::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  const char byte = 's';
  [[maybe_unused]] const ssize_t n = write(net_->wake[1], &byte, 1);
  trigger_cv_.notify_all();
}

std::optional<PlcTrigger> PlcServer::WaitTrigger(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  trigger_cv_.wait_for(lock, timeout, [&] { return stopped_ || pending_.has_value(); });
  if (stopped_ || !pending_) return std::nullopt;
  const PlcTrigger trigger = *pending_;
  pending_.reset();
  return trigger;
}

bool PlcServer::PublishResult(const PlcResult& result) {
  std::lock_guard lock(mu_);
  if (!handshake_.Publish(result)) return false;
  pending_.reset();  // answered without being taken: never hand it out afterwards
  ++counters_.results;
  return true;
}

void PlcServer::SetFault(bool fault) {
  std::lock_guard lock(mu_);
  handshake_.SetFault(fault);
}

void PlcServer::SetModelLoaded(bool loaded) {
  std::lock_guard lock(mu_);
  handshake_.SetModelLoaded(loaded);
}

void PlcServer::SetHoldStreak(bool streak) {
  std::lock_guard lock(mu_);
  handshake_.SetHoldStreak(streak);
}

bool PlcServer::TakeMarkClear() {
  std::lock_guard lock(mu_);
  return std::exchange(mark_clear_, false);
}

PlcServer::Counters PlcServer::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

bool PlcServer::client_connected() const {
  std::lock_guard lock(mu_);
  return clients_ > 0;
}

uint16_t PlcServer::status() const {
  std::lock_guard lock(mu_);
  return handshake_.registers()[kRegStatus];
}

void PlcServer::Serve() {
  auto next_beat = SteadyClock::now() + heartbeat_period_;
  std::vector<pollfd> fds;
  std::vector<int> readable;
  for (;;) {
    fds.assign({{net_->wake[0], POLLIN, 0}, {net_->listen_fd, POLLIN, 0}});
    bool partial = false;  // a client's frame is still arriving: look again soon, do not spin
    for (const Net::Client& c : net_->clients) {
      const bool waiting = c.partial_since != SteadyClock::time_point{};
      partial = partial || waiting;
      fds.push_back({c.fd, static_cast<short>(waiting ? 0 : POLLIN), 0});
    }
    auto wait = std::chrono::ceil<std::chrono::milliseconds>(next_beat - SteadyClock::now());
    if (partial) wait = std::min(wait, kPartialRecheck);
    const int rc = poll(fds.data(), fds.size(), std::max<int>(0, static_cast<int>(wait.count())));
    const auto now = SteadyClock::now();
    if (now >= next_beat) {
      std::lock_guard lock(mu_);
      handshake_.Beat();
      next_beat = std::max(next_beat + heartbeat_period_, now);
    }
    if (rc < 0) continue;  // EINTR
    if (fds[0].revents != 0) return;
    readable.clear();
    for (size_t i = 2; i < fds.size(); ++i) {
      if (fds[i].revents != 0 || fds[i].events == 0) readable.push_back(fds[i].fd);
    }
    ServeClients(readable);  // first: Accept() may evict a client and reuse its fd number
    if (fds[1].revents & POLLIN) Accept();
  }
}

void PlcServer::Accept() {
  const int fd = accept4(net_->listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return;  // the peer gave up between poll and accept
  const auto now = SteadyClock::now();
  if (static_cast<int>(net_->clients.size()) >= max_clients_) {
    const auto idlest = std::min_element(
        net_->clients.begin(), net_->clients.end(),
        [](const auto& a, const auto& b) { return a.last_request < b.last_request; });
    if (now - idlest->last_request < evict_idle_after_) {
      {
        std::lock_guard lock(mu_);
        ++counters_.clients_refused;
      }
      close(fd);
      return;
    }
    Drop(idlest->fd);
  }
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &kSendTimeout, sizeof kSendTimeout);
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  net_->clients.push_back({fd, now});
  std::lock_guard lock(mu_);
  ++counters_.client_connects;
  ++clients_;
}

void PlcServer::Drop(int fd) {
  {
    std::lock_guard lock(mu_);
    ++counters_.client_drops;
    --clients_;
  }
  close(fd);
  std::erase_if(net_->clients, [fd](const Net::Client& c) { return c.fd == fd; });
}

void PlcServer::ServeClients(const std::vector<int>& readable) {
  for (int fd : readable) {
    Net::Client* client = nullptr;
    for (Net::Client& c : net_->clients)
      if (c.fd == fd) client = &c;
    if (client == nullptr) continue;
    if (!FrameArrived(fd)) {
      const auto now = SteadyClock::now();
      if (client->partial_since == SteadyClock::time_point{}) client->partial_since = now;
      if (now - client->partial_since > kFrameTimeout) Drop(fd);
      continue;
    }
    client->partial_since = {};
    if (!ServeRequest(fd)) {
      Drop(fd);
      continue;
    }
    for (Net::Client& c : net_->clients) {
      if (c.fd == fd) c.last_request = SteadyClock::now();
    }
  }
}

bool PlcServer::ServeRequest(int fd) {
  bool answered = false;
  const bool alive = AnswerUnsupportedFunction(fd, answered);
  if (answered) {
    std::lock_guard lock(mu_);
    ++counters_.exceptions;
  }
  if (!alive || answered) return alive;
  modbus_set_socket(net_->ctx, fd);
  std::array<uint8_t, MODBUS_TCP_MAX_ADU_LENGTH> req{};
  const int length = modbus_receive(net_->ctx, req.data());
  if (length <= 0 || !WellFormedMbap(req.data(), length)) return false;
  const uint8_t* pdu = req.data() + modbus_get_header_length(net_->ctx);
  const int address = Word(pdu + 1);
  std::vector<uint16_t> values;
  uint8_t exception = 0;
  switch (pdu[0]) {
    case MODBUS_FC_READ_HOLDING_REGISTERS:
      exception = CheckRead(address, Word(pdu + 3));
      break;
    case MODBUS_FC_WRITE_SINGLE_REGISTER:
      values.push_back(Word(pdu + 3));
      exception = CheckWrite(address, values);
      break;
    case MODBUS_FC_WRITE_MULTIPLE_REGISTERS: {
      const int count = Word(pdu + 3);
      if (pdu[5] != 2 * count) {
        exception = kExceptionIllegalValue;
        break;
      }
      for (int i = 0; i < count; ++i) values.push_back(Word(pdu + 6 + 2 * i));
      exception = CheckWrite(address, values);
      break;
    }
    default:  // not reached: AnswerUnsupportedFunction answered it
      exception = kExceptionIllegalFunction;
  }
  if (exception != 0) {
    {
      std::lock_guard lock(mu_);
      ++counters_.exceptions;
    }
    return modbus_reply_exception(net_->ctx, req.data(), exception) >= 0;
  }
  bool triggered = false;
  {
    std::lock_guard lock(mu_);
    if (!values.empty() && handshake_.TriggersWithoutPartId(address, values)) {
      ++counters_.exceptions;
      ++counters_.zero_part_ids;
      return modbus_reply_exception(net_->ctx, req.data(), kExceptionIllegalValue) >= 0;
    }
    if (!values.empty()) {
      const PlcWriteEffect effect = handshake_.ApplyWrite(address, values, SteadyClock::now());
      if (effect.trigger) pending_ = effect.trigger;
      triggered = effect.trigger.has_value();
      counters_.triggers += triggered;
      counters_.missed_triggers += effect.missed_trigger;
      counters_.acks += effect.acknowledged;
      counters_.mark_clears += effect.clear_mark;
      mark_clear_ = mark_clear_ || effect.clear_mark;
    }
    const auto& regs = handshake_.registers();
    std::copy(regs.begin(), regs.end(), net_->reply->tab_registers);
  }
  if (triggered) trigger_cv_.notify_all();
  return modbus_reply(net_->ctx, req.data(), length, net_->reply) >= 0;
}

}  // namespace linesight::io

// testing/postgres_server.h: a real PostgreSQL 15 server for tests, started on 127.0.0.1 on a
// free port in a temporary folder (trust authentication, fsync off), stopped and deleted when the
// object dies. Runs the server as the `postgres` user when the tests run as root.
#pragma once

#include <filesystem>
#include <string>

namespace linesight::testing {

class PostgresServer {
 public:
  PostgresServer() = default;
  ~PostgresServer();  // stops the server and deletes its folder
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // Starts the server; returns the URI of its `postgres` database. Throws std::runtime_error
  // naming `apt-get install postgresql` if the server's programs are missing, or with the
  // server's log if it does not start. The first start on a machine keeps an initdb'd template
  // in the temp folder, so later starts copy it instead of running initdb again.
  std::string Start();
  // Creates a fresh, empty database `name` and returns its URI.
  std::string NewDatabase(const std::string& name);
  // Runs `sql` on database `db` with psql; throws std::runtime_error with psql's output.
  void Sql(const std::string& db, const std::string& sql);
  // The rows `sql` returns on database `db`, one a line, columns split by '|' (psql -At).
  std::string Query(const std::string& db, const std::string& sql);
  // Stops the server as a crash would end its connections, then starts it on the same port.
  void Restart();
  void Stop();

  std::string Uri(const std::string& db) const;
  int port() const { return port_; }

 private:
  void StartServer();

  std::filesystem::path dir_;
  int port_ = 0;
  bool running_ = false;
};

}  // namespace linesight::testing

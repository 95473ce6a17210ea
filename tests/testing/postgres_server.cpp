#include "testing/postgres_server.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "testing/test_util.h"

namespace linesight::testing {
namespace {

namespace fs = std::filesystem;

fs::path PgBin() {
  const char* env = std::getenv("LINESIGHT_PGBIN");
  return env ? fs::path(env) : fs::path("/usr/lib/postgresql/15/bin");
}

bool IsRoot() { return geteuid() == 0; }

// `command` run as the postgres user when we are root (the server refuses to run as root).
std::string AsServerUser(const std::string& command) {
  return IsRoot() ? "runuser -u postgres -- " + command : command;
}

// Runs `command`; throws with its output if it fails.
void Run(const std::string& command, const fs::path& log) {
  const std::string full = command + " > " + ShellQuote(log) + " 2>&1";
  if (std::system(full.c_str()) == 0) return;
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  throw std::runtime_error("failed: " + command + "\n" + text.str());
}

void Own(const fs::path& path) {
  if (IsRoot()) Run("chown -R postgres:postgres " + ShellQuote(path), path / "chown.log");
}

// An initdb'd data folder shared by the tests of this machine, made once under a file lock.
fs::path Template() {
  const fs::path root =
      fs::temp_directory_path() / ("linesight_pg15_template_" + std::to_string(geteuid()));
  FileLock lock(root.string() + ".lock");
  if (fs::exists(root / "ready")) return root / "data";
  fs::remove_all(root);
  fs::create_directories(root);
  Own(root);
  Run(AsServerUser(ShellQuote(PgBin() / "initdb") + " -D " + ShellQuote(root / "data") +
                   " -U postgres -A trust -E UTF8 --no-sync"),
      root.string() + ".initdb.log");
  std::ofstream(root / "ready") << "ok\n";
  return root / "data";
}

}  // namespace

PostgresServer::~PostgresServer() {
  Stop();
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
}

std::string PostgresServer::Start() {
  if (!fs::exists(PgBin() / "pg_ctl"))
    throw std::runtime_error("PostgreSQL's server programs are not in " + PgBin().string() +
                             ": apt-get install postgresql (or set LINESIGHT_PGBIN)");
  char pattern[] = "/tmp/linesight_pg.XXXXXX";
  if (!mkdtemp(pattern)) throw std::runtime_error("cannot make a temp folder for PostgreSQL");
  dir_ = pattern;
  const fs::path data = Template();
  Run("cp -a " + ShellQuote(data) + " " + ShellQuote(dir_ / "data"), dir_ / "cp.log");
  Own(dir_);
  port_ = FreeLoopbackPort();
  StartServer();
  return Uri("postgres");
}

void PostgresServer::StartServer() {
  const std::string options = "-c listen_addresses=127.0.0.1 -p " + std::to_string(port_) + " -k " +
                              dir_.string() + " -c fsync=off -c full_page_writes=off";
  Run(AsServerUser(ShellQuote(PgBin() / "pg_ctl") + " -D " + ShellQuote(dir_ / "data") + " -l " +
                   ShellQuote(dir_ / "server.log") + " -w -t 30 -o '" + options + "' start"),
      dir_ / "pg_ctl.log");
  running_ = true;
}

void PostgresServer::Stop() {
  if (!running_) return;
  running_ = false;
  // A fast stop that has not ended in 20 s (a loaded machine) becomes an immediate one, so a
  // test's teardown never waits on the server for long.
  for (const char* mode : {"fast -t 20", "immediate -t 20"}) {
    try {
      Run(AsServerUser(ShellQuote(PgBin() / "pg_ctl") + " -D " + ShellQuote(dir_ / "data") +
                       " -m " + mode + " -w stop"),
          dir_ / "stop.log");
      return;
    } catch (const std::exception&) {
      // Not stopped in time, or already gone (then the next try fails too; the folder is
      // deleted anyway).
    }
  }
}

void PostgresServer::Restart() {
  Stop();
  StartServer();
}

std::string PostgresServer::Uri(const std::string& db) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + db;
}

void PostgresServer::Sql(const std::string& db, const std::string& sql) {
  Run(ShellQuote(PgBin() / "psql") + " -X -q -v ON_ERROR_STOP=1 " + ShellQuote(Uri(db)) + " -c " +
          ShellQuote(sql),
      dir_ / "psql.log");
}

std::string PostgresServer::Query(const std::string& db, const std::string& sql) {
  const fs::path out = dir_ / "query.out";
  Run(ShellQuote(PgBin() / "psql") + " -X -At -v ON_ERROR_STOP=1 " + ShellQuote(Uri(db)) + " -c " +
          ShellQuote(sql),
      out);
  std::ifstream in(out);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string PostgresServer::NewDatabase(const std::string& name) {
  Sql("postgres", "CREATE DATABASE " + name);
  return Uri(name);
}

}  // namespace linesight::testing

// cli/cmd_server.cpp: `linesight server` — the factory server (server/factory_server.h): stores
// every station's parts, serves the API of docs/api.md and the dashboard until Ctrl-C; and its
// two administration steps, `server user` and `server token`.
#include <fstream>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/interrupt.h"
#include "cli/shift_options.h"
#include "core/error.h"
#include "server/bootstrap.h"
#include "server/factory_server.h"

namespace linesight::cli {
namespace {

struct ServerArgs {
  std::string listen = "127.0.0.1:8080";
  std::string store = "linesight.db";
  std::string images;  // "" = <store>.images, or ./images for PostgreSQL
  std::string web;     // "" = found automatically
  std::string tls_cert, tls_key;
  double image_cap_gb = 100;
  std::string mqtt, mqtt_client_id, mqtt_topic = "linesight/v1/+/+/+/telemetry";
  int keep_pass_days = 0;
  int threads = 32;
  int alert_interval_s = 60;
  int64_t die_life_shots = 100000;
  double die_life_share = 0.9;
  std::vector<std::string> alert_variables;
  std::string site = "plant1", alert_mqtt, alert_webhook;
  std::vector<std::string> planned_cycles;  // "90" (every machine) or "M1=75"
  ShiftArgs shifts;
  std::string user, role = "operator", password_file, station, backup_to;
  bool disable_user = false;
};

void SplitListen(const std::string& listen, server::ServerOptions& o,
                 const std::string& option = "--listen") {
  const size_t colon = listen.rfind(':');
  try {
    if (colon == std::string::npos) throw std::invalid_argument("no colon");
    o.host = listen.substr(0, colon);
    o.port = std::stoi(listen.substr(colon + 1));
  } catch (const std::exception&) {
    throw Error(ErrorCategory::kInput, option + " " + listen + ": not HOST:PORT",
                option == "--listen"
                    ? "Write e.g. 127.0.0.1:8080 (0.0.0.0:8080 serves every interface)"
                    : "Write the broker's address and port, e.g. 127.0.0.1:1883");
  }
  if (o.port < 0 || o.port > 65535)
    throw Error(ErrorCategory::kInput, option + ": port out of range", "Use 1-65535, or 0");
}

std::string ReadPassword(const std::string& file) {
  if (file.empty()) {
    const char* env = std::getenv("LINESIGHT_PASSWORD");
    if (env) return env;
    throw Error(ErrorCategory::kInput, "no password given",
                "Pass --password-file FILE or set LINESIGHT_PASSWORD");
  }
  std::ifstream in(file);
  std::string line;
  if (!in || !std::getline(in, line))
    throw Error(ErrorCategory::kInput, "cannot read a password from " + file,
                "Write the password on the file's first line");
  return line;
}

std::string ImageDir(const ServerArgs& a) {
  if (!a.images.empty()) return a.images;
  if (a.store.starts_with("postgres")) return "images";
  return a.store + ".images";
}

// The site is one level of the alerts' MQTT topic, by the stations' rule (station.yaml's
// mqtt.site): a '/' would add levels, and '#' or '+' make a topic the broker refuses to publish
// to (every alert would be lost without a word). Spaces and UTF-8 are fine in MQTT.
void CheckSite(const std::string& site) {
  bool ok = !site.empty() && site.find_first_of("/+#") == std::string::npos;
  for (const char ch : site) ok = ok && static_cast<unsigned char>(ch) >= 0x20 && ch != 0x7f;
  if (!ok)
    throw Error(ErrorCategory::kInput, "--site '" + site + "' is not one MQTT topic level",
                "Give a non-empty name without /, + or # (and no control characters), e.g. plant1");
}

// --planned-cycle 90 M4=75: OEE's planned seconds per part, for every machine and for one.
void SetPlannedCycles(const std::vector<std::string>& entries, server::ServerOptions& o) {
  for (const std::string& entry : entries) {
    const size_t eq = entry.find('=');
    const std::string machine = eq == std::string::npos ? "" : entry.substr(0, eq);
    const std::string number = eq == std::string::npos ? entry : entry.substr(eq + 1);
    size_t used = 0;
    double s = 0;
    try {
      s = std::stod(number, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != number.size() || !(s >= 0.01 && s <= 86400) ||
        (eq != std::string::npos && machine.empty()))
      throw Error(ErrorCategory::kInput,
                  "--planned-cycle " + entry + ": not SECONDS or MACHINE=SECONDS",
                  "Give the planned seconds per part (0.01-86400), e.g. --planned-cycle 90 M4=75");
    if (machine.empty())
      o.planned_cycle_s = s;
    else
      o.planned_cycle_s_of[machine] = s;
  }
}

void SetAlertOptions(const ServerArgs& a, server::AlertOptions& o) {
  if (!a.alert_mqtt.empty()) CheckSite(a.site);  // the site names nothing else
  o.interval_s = a.alert_interval_s;
  o.sources.die_life_shots = a.die_life_shots;
  o.sources.die_life_share = a.die_life_share;
  o.sources.process_variables = a.alert_variables;
  server::CheckAlertSourceOptions(o.sources);
  o.delivery.site = a.site;
  o.delivery.webhook_url = a.alert_webhook;
  if (!a.alert_mqtt.empty()) {
    server::ServerOptions broker;  // HOST:PORT, as --listen
    SplitListen(a.alert_mqtt, broker, "--alert-mqtt");
    o.delivery.mqtt_host = broker.host;
    o.delivery.mqtt_port = broker.port;
  }
}

int Serve(const ServerArgs& a, const char* argv0) {
  server::ServerOptions o;
  SplitListen(a.listen, o);
  o.image_dir = ImageDir(a);
  o.tls_cert = a.tls_cert;
  o.tls_key = a.tls_key;
  o.threads = a.threads;
  o.retention.cap_bytes = static_cast<int64_t>(a.image_cap_gb * (int64_t{1} << 30));
  o.retention.keep_pass_days = a.keep_pass_days;
  if (!a.mqtt.empty()) {
    server::ServerOptions broker;  // HOST:PORT, as --listen
    SplitListen(a.mqtt, broker, "--mqtt");
    o.telemetry = true;
    o.mqtt.host = broker.host;
    o.mqtt.port = broker.port;
    o.mqtt.client_id = a.mqtt_client_id;
    o.mqtt.topic = a.mqtt_topic;
  }
  SetAlertOptions(a, o.alerts);
  SetPlannedCycles(a.planned_cycles, o);
  o.shifts = ShiftCalendarOf(a.shifts);
  o.web_dir = a.web.empty() ? server::FindWebDir(argv0).string() : a.web;
  auto store = store::OpenStore(a.store);
  server::FactoryServer srv(*store, o);
  std::cout << "linesight server on " << srv.url() << "/ (store: " << store->engine()
            << ", images: " << o.image_dir << ")\n";
  if (o.web_dir.empty())
    std::cout << "  no dashboard found (web/dist beside the working folder or the program): "
                 "pass --web DIR if it is built elsewhere, or build it with scripts/build-web.sh "
                 "(the API still serves)\n";
  if (store->Users().empty())
    std::cout << "  no users yet: linesight server user --store " << a.store
              << " --name admin --role admin --password-file FILE\n";
  std::cout << "Ctrl-C stops" << std::endl;
  InterruptFlag interrupt;
  while (!interrupt.signal()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::cout << "stopped by signal " << interrupt.signal() << std::endl;
  return 128 + interrupt.signal();
}

void AddAlertFlags(CLI::App& cmd, ServerArgs& a) {
  cmd.add_option("--alert-interval", a.alert_interval_s,
                 "Seconds between evaluations of the alert conditions; 0 = no alerts (default 60)")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--die-life-shots", a.die_life_shots,
                 "A die's expected life in shots, for die-life warnings (default 100000)")
      ->check(CLI::PositiveNumber);
  cmd.add_option("--die-life-share", a.die_life_share,
                 "Warn when a die has made this share of its life (default 0.9)")
      ->check(CLI::Range(0.01, 1.0));
  cmd.add_option(
         "--alert-variables", a.alert_variables,
         "Process values the alert watch judges, e.g. melt_temp_c,vacuum_mbar (default: all)")
      ->delimiter(',');
  cmd.add_option("--planned-cycle", a.planned_cycles,
                 "OEE's planned seconds per part: SECONDS for every machine (default 90), "
                 "MACHINE=SECONDS for one, e.g. --planned-cycle 90 M4=75");
  AddShiftOptions(cmd, a.shifts);
  cmd.add_option("--site", a.site, "Site name in the alerts' MQTT topic (default plant1)");
  cmd.add_option("--alert-mqtt", a.alert_mqtt,
                 "HOST:PORT of an MQTT broker: publish alerts and acks to "
                 "linesight/v1/<site>/alerts (docs/mqtt.md)");
  cmd.add_option("--alert-webhook", a.alert_webhook,
                 "URL to POST alerts and acks to as JSON with a \"text\" line (chat apps)");
}

}  // namespace

void AddServerCommand(CLI::App& app, CommandBody& body) {
  auto a = std::make_shared<ServerArgs>();
  CLI::App* cmd = app.add_subcommand(
      "server", "Run the factory server: ingest from stations, the HTTP API and the dashboard");
  cmd->add_option("--listen", a->listen, "HOST:PORT to serve (default 127.0.0.1:8080)");
  cmd->add_option("--store", a->store, "SQLite file or postgresql:// URI (default linesight.db)");
  cmd->add_option("--images", a->images, "Folder of kept images (default <store>.images)");
  cmd->add_option("--web", a->web, "The built dashboard (default: web/dist, found)");
  cmd->add_option("--threads", a->threads,
                  "HTTP threads (default 32); each open dashboard's live stream holds one, and a "
                  "quarter (at least 2) are kept for the stations and the API")
      ->check(CLI::Range(4, 1024));
  cmd->add_option("--tls-cert", a->tls_cert, "PEM certificate: serve HTTPS");
  cmd->add_option("--tls-key", a->tls_key, "PEM private key of --tls-cert");
  cmd->add_option("--mqtt", a->mqtt,
                  "HOST:PORT of an MQTT broker: store the machines' telemetry (docs/mqtt.md)");
  cmd->add_option("--mqtt-client-id", a->mqtt_client_id,
                  "A fixed client id: the broker keeps the subscription and queues telemetry "
                  "while this server is down (one id per server)");
  cmd->add_option("--mqtt-topic", a->mqtt_topic,
                  "Topic filter (default linesight/v1/+/+/+/telemetry)");
  cmd->add_option("--image-cap-gb", a->image_cap_gb,
                  "Cap on kept images: good parts' images go first, oldest first; 0 = no cap "
                  "(default 100)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--keep-pass-days", a->keep_pass_days,
                  "Delete good parts' images after this many days; 0 = only over the cap")
      ->check(CLI::NonNegativeNumber);
  AddAlertFlags(*cmd, *a);
  CLI::App* user = cmd->add_subcommand("user", "Create a user or set a user's password and role");
  user->add_option("--name", a->user, "User name")->required();
  user->add_option("--role", a->role, "operator, quality_engineer or admin");
  user->add_option("--password-file", a->password_file,
                   "File whose first line is the password (else $LINESIGHT_PASSWORD)");
  user->add_flag("--disable", a->disable_user,
                 "Disable the user: no sign-in, their sessions end (a new password enables them)");
  CLI::App* token = cmd->add_subcommand("token", "Make an ingest token for a station");
  token->add_option("--station", a->station, "Station id")->required();
  CLI::App* backup = cmd->add_subcommand(
      "backup", "Copy the running store to a file, consistent (SQLite; PostgreSQL: use pg_dump)");
  backup->add_option("--to", a->backup_to, "The copy (must not exist)")->required();
  for (CLI::App* sub : {user, token, backup}) sub->add_option("--store", a->store, "As for server");
  backup->callback([a, &body] {
    body = [a] {
      auto store = store::OpenStore(a->store);
      store->Backup(a->backup_to);
      std::cout << "backup of " << a->store << " written to " << a->backup_to << "\n";
      return kExitOk;
    };
  });
  user->callback([a, &body] {
    body = [a] {
      const auto role = store::ParseRole(a->role);
      if (!role)
        throw Error(ErrorCategory::kInput, "--role " + a->role + ": unknown",
                    "Use operator, quality_engineer or admin");
      auto store = store::OpenStore(a->store);
      if (a->disable_user) {
        server::DisableUser(*store, a->user, "cli");
        std::cout << "user " << a->user << " disabled in " << a->store << "\n";
        return kExitOk;
      }
      server::SetUser(*store, a->user, *role, ReadPassword(a->password_file), "cli");
      std::cout << "user " << a->user << " (" << a->role << ") saved in " << a->store << "\n";
      return kExitOk;
    };
  });
  token->callback([a, &body] {
    body = [a] {
      auto store = store::OpenStore(a->store);
      std::cout << server::IssueStationToken(*store, a->station, "cli") << std::endl;
      return kExitOk;
    };
  });
  cmd->callback([a, cmd, &body] {
    if (!cmd->get_subcommands().empty()) return;
    body = [a] { return Serve(*a, "/proc/self/exe"); };
  });
}

}  // namespace linesight::cli

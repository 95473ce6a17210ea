// cli/cmd_station.cpp: `linesight station --config station.yaml` — the long-running line loop at
// one machine (station/station.h): serves the PLC over Modbus TCP, and MQTT / HTTP / the uplink
// to the factory server when configured, until Ctrl-C or SIGTERM.
#include <atomic>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/interrupt.h"
#include "station/camera_factory.h"
#include "station/station.h"

namespace linesight::cli {

void AddStationCommand(CLI::App& app, CommandBody& body) {
  struct Args {
    std::string config;
    int status_every_s = 10;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "station", "Run the line loop at one machine: PLC trigger, capture, inspect, outbox, result");
  cmd->add_option("--config", args->config, "Station file (docs/station.md)")->required();
  cmd->add_option("--status-every", args->status_every_s, "Seconds between status lines (0: none)")
      ->check(CLI::Range(0, 86400));
  cmd->callback([args, &body] {
    body = [args] {
      const station::StationConfig config = station::LoadStationConfig(args->config);
      station::Station st(config, station::MakeCamera(config.camera));
      std::cout << "station " << config.station << " at machine " << config.machine
                << ": PLC Modbus TCP on " << config.plc.host << ":" << st.plc_port() << ", outbox "
                << config.outbox.path.string() << "\n";
      for (const auto& view : config.views)
        std::cout << "  view " << view.name << ": model " << view.model.string() << "\n";
      if (config.mqtt.enabled)
        std::cout << "  MQTT to " << config.mqtt.host << ":" << config.mqtt.port << ", topics "
                  << st.mqtt_topic_prefix() << "{part,status} (docs/mqtt.md)\n";
      if (config.http.enabled)
        std::cout << "  HTTP on http://" << config.http.host << ":" << st.http_port()
                  << "/healthz and /metrics\n";
      if (config.uplink.enabled)
        std::cout << "  uplink to " << config.uplink.url
                  << "/api/v1 (docs/station.md, \"Uplink\")\n";
      std::cout << "serving the PLC (docs/plc.md); Ctrl-C stops" << std::endl;
      InterruptFlag interrupt;
      std::atomic<bool> stop{false};
      std::thread loop([&] { st.Run(stop); });
      auto next_status = SteadyClock::now() + std::chrono::seconds(args->status_every_s);
      while (!interrupt.signal()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (args->status_every_s > 0 && SteadyClock::now() >= next_status) {
          std::cout << st.StatusLine() << std::endl;
          next_status += std::chrono::seconds(args->status_every_s);
        }
      }
      stop = true;
      loop.join();
      std::cout << st.StatusLine() << "\nstopped by signal " << interrupt.signal() << std::endl;
      return 128 + interrupt.signal();
    };
  });
}

}  // namespace linesight::cli

// station/station_config.h: what `linesight station --config station.yaml` reads — the station's
// machine, PLC endpoint, camera, views with their models, deadline and outbox — checked strictly
// (docs/station.md).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "station/recurring_mark.h"

namespace linesight::station {

struct PlcConfig {
  std::string host = "127.0.0.1";  // address the Modbus TCP server binds to
  int port = 1502;                 // 0 = any free port (tests, the demo)
};

enum class CameraKind { kFolder, kAravis, kSimulator };

struct CameraConfig {
  CameraKind kind = CameraKind::kFolder;
  std::string folder;                  // kFolder: where the camera saves one file per trigger
  bool take_existing = false;          // kFolder: queue files present at start-up
  bool delete_after_read = false;      // kFolder: delete each file once taken
  std::string move_to;                 // kFolder: or move it to this folder
  int max_early_ms = 1000;             // kFolder: older files at the trigger are another part's
  std::string device;                  // kAravis: device id or IP address
  std::string pixel_format = "Mono8";  // kAravis: Mono8, Mono12 or Mono16
  int width = 0, height = 0;           // kAravis: expected frame size, 0 = the camera's
  double exposure_us = 0;              // kAravis: set on connect, 0 = leave the camera's
  double gain_db = -1;                 // kAravis: set on connect, < 0 = leave the camera's
  std::string trigger = "software";    // kAravis: software or free_run
  int timeout_ms = 2000;               // a trigger with no frame within this is held ("camera")
};

// One pose the robot presents, with the model that judges it.
struct ViewConfig {
  std::string name = "top";
  std::filesystem::path model;
};

struct OutboxConfig {
  std::filesystem::path path = "outbox.db";
  std::filesystem::path image_dir;  // "" = next to the outbox
  double image_cap_mb = 2048;       // disk cap for kept images
  double keep_pass_images = 0.01;   // fraction of passing parts whose image is kept
  // Days a record stays in the outbox after the uplink delivered it (1..3650); then it and the
  // images only it showed are deleted (docs/outbox.md, "Record retention"). Longer keeps more
  // history on the station's own disk; shorter keeps the disk smaller.
  int keep_sent_days = 30;
  // true: each record is synced to the disk before the PLC sees its result (survives power
  // loss); false: survives a killed process, not a power cut (docs/outbox.md, "Sync modes").
  bool sync_full = true;
};

// The MQTT live feed (docs/mqtt.md); off unless the station file has an mqtt: section.
struct MqttConfig {
  bool enabled = false;
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string site = "site";  // topics: linesight/v1/<site>/<line>/<machine>/{part,status}
  std::string line = "line";
  int qos = 1;
  std::string client_id;    // "" = the station id
  int status_every_s = 10;  // retained status message period
  int queue_max = 1000;     // messages kept while the broker is away; oldest dropped beyond
};

// /healthz and /metrics (docs/station.md); off unless the station file has an http: section.
struct HttpConfig {
  bool enabled = false;
  std::string host = "127.0.0.1";
  int port = 9464;  // 0 = any free port
};

// The uplink to the factory server (docs/station.md, "Uplink"); off unless the station file has
// an uplink: section. The token is never written in the station file: it comes from token_file
// or the environment variable LINESIGHT_UPLINK_TOKEN (see UplinkToken()).
struct UplinkConfig {
  bool enabled = false;
  std::string url;                   // http://host:port of the factory server (https needs ca_file
                                     // or a certificate the system trusts)
  std::filesystem::path token_file;  // "" = LINESIGHT_UPLINK_TOKEN
  std::string token;  // set only by code (the demo, tests); the station file cannot set it
  std::filesystem::path ca_file;  // https: CA certificates to trust ("" = the system's)
  int batch_parts = 500;          // parts per POST (the server takes at most 1000)
  double max_batch_mb = 8;        // JSON per POST (the server takes at most 16 MiB)
  double timeout_s = 30;          // a server silent this long fails the request (retried)
  double backoff_max_s = 60;      // longest wait between retries (the first is 0.5 s)
};

struct StationConfig {
  std::string station = "S1";  // station id in records (station.yaml must name it)
  std::string machine = "M1";  // machine id in records (station.yaml must name it)
  PlcConfig plc;
  CameraConfig camera;
  std::vector<ViewConfig> views;  // at least one
  int deadline_ms = 500;          // trigger to result; later results are held ("deadline")
  // This many held parts in a row set the PLC's HOLD_STREAK bit (docs/plc.md); 0: never.
  int hold_streak = 5;
  int workers = 2;  // inspection threads, one Workspace each
  OutboxConfig outbox;
  MqttConfig mqtt;
  HttpConfig http;
  UplinkConfig uplink;
  // A defect-risk model file (the factory server's GET /api/v1/risk/model): each part's record
  // then carries its shot's risk from the process values alone. "" = none.
  std::filesystem::path risk_model;
  // A place where findings recur on the die's recent parts rejects its further parts
  // (docs/station.md, "Recurring marks"); on unless recurring_mark.enabled is false.
  RecurringMarkOptions recurring_mark;
};

// Parses a station file's text; `name` names it in messages. Relative paths are taken from
// `base_dir` (the file's folder). Throws Error{kInput} naming the key, the cause and the fix for
// unknown or repeated keys, wrong types, out-of-range values and missing required keys.
StationConfig ParseStationConfig(const std::string& text, const std::string& name,
                                 const std::filesystem::path& base_dir);
// Reads and parses the file at `path`.
StationConfig LoadStationConfig(const std::filesystem::path& path);

// The uplink's station token: `token` when code set it, else the first line of
// uplink.token_file, else the environment variable LINESIGHT_UPLINK_TOKEN. Throws Error{kInput}
// naming the file or variable when neither gives a non-empty token.
std::string UplinkToken(const UplinkConfig& uplink);

}  // namespace linesight::station

#include "station/station_config.h"

#include <cctype>
#include <cstdlib>
#include <fstream>

#include "core/config_reader.h"
#include "core/error.h"

namespace linesight::station {
namespace {

// A path that must name a file but names an existing folder: said as that, not as the file
// being unreadable ("model file size is unreadable", "cannot open database file").
void NotAFolder(const ConfigReader& r, const std::filesystem::path& path, const std::string& key,
                const std::string& give) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    r.Fail(key, "'" + path.string() + "' is a folder", "Give " + give);
}

using YAML::Node;

std::filesystem::path Resolve(const std::filesystem::path& base, const std::string& p) {
  const std::filesystem::path path(p);
  return path.is_absolute() || base.empty() ? path : base / path;
}

PlcConfig ParsePlc(const ConfigReader& r, const Node& n) {
  r.CheckKeys(n, "plc", {"host", "port"});
  PlcConfig c;
  if (n["host"]) c.host = r.Text(n["host"], "plc.host");
  if (n["port"]) c.port = r.Integer(n["port"], "plc.port", 0, 65535);
  return c;
}

void ParseFolderCamera(const ConfigReader& r, const Node& n, const std::filesystem::path& base,
                       CameraConfig& c) {
  if (!n["folder"]) r.Fail("camera.folder", "missing", "Give the folder the camera saves to");
  c.folder = Resolve(base, r.Text(n["folder"], "camera.folder")).string();
  if (n["take_existing"]) c.take_existing = r.Bool(n["take_existing"], "camera.take_existing");
  if (n["delete_after_read"])
    c.delete_after_read = r.Bool(n["delete_after_read"], "camera.delete_after_read");
  if (n["move_to"]) c.move_to = Resolve(base, r.Text(n["move_to"], "camera.move_to")).string();
  if (c.delete_after_read && !c.move_to.empty())
    r.Fail("camera.move_to", "given with delete_after_read", "Choose one of the two");
  if (n["max_early_ms"])
    c.max_early_ms = r.Integer(n["max_early_ms"], "camera.max_early_ms", 0, 3600000);
}

void ParseAravisCamera(const ConfigReader& r, const Node& n, CameraConfig& c) {
  if (!n["device"]) r.Fail("camera.device", "missing", "Give the camera's device id or IP address");
  c.device = r.Text(n["device"], "camera.device");
  if (n["pixel_format"]) {
    c.pixel_format = r.Text(n["pixel_format"], "camera.pixel_format");
    if (c.pixel_format != "Mono8" && c.pixel_format != "Mono12" && c.pixel_format != "Mono16")
      r.Fail("camera.pixel_format", "unsupported pixel format '" + c.pixel_format + "'",
             "Use Mono8, Mono12 or Mono16");
  }
  if (n["width"]) c.width = r.Integer(n["width"], "camera.width", 0, 65535);
  if (n["height"]) c.height = r.Integer(n["height"], "camera.height", 0, 65535);
  if (n["exposure_us"]) c.exposure_us = r.Number(n["exposure_us"], "camera.exposure_us", 1, 1e7);
  if (n["gain_db"]) c.gain_db = r.Number(n["gain_db"], "camera.gain_db", 0, 100);
  if (n["trigger"]) {
    c.trigger = r.Text(n["trigger"], "camera.trigger");
    if (c.trigger != "software" && c.trigger != "free_run")
      r.Fail("camera.trigger", "unknown trigger mode '" + c.trigger + "'",
             "Write software or free_run");
  }
}

// A key of another source would be silently ignored (a folder camera given pixel_format: Mono12
// still reads its files as they are), so it is refused, naming the source it is for.
void RefuseKeysOfOtherSources(const ConfigReader& r, const Node& n, const std::string& source) {
  static const std::vector<std::pair<std::string, std::vector<std::string>>> kKeysOf = {
      {"folder", {"folder", "take_existing", "delete_after_read", "move_to", "max_early_ms"}},
      {"aravis",
       {"device", "pixel_format", "width", "height", "exposure_us", "gain_db", "trigger"}}};
  for (const auto& [owner, keys] : kKeysOf) {
    if (owner == source) continue;
    for (const std::string& key : keys)
      if (n[key])
        r.Fail("camera." + key, "is a setting of source " + owner + ", not of " + source,
               "Remove it, or write source: " + owner + " if that is the camera");
  }
}

CameraConfig ParseCamera(const ConfigReader& r, const Node& n, const std::filesystem::path& base) {
  r.CheckKeys(n, "camera",
              {"source", "folder", "take_existing", "delete_after_read", "move_to", "max_early_ms",
               "device", "pixel_format", "width", "height", "exposure_us", "gain_db", "trigger",
               "timeout_ms"});
  CameraConfig c;
  if (!n["source"]) r.Fail("camera.source", "missing", "Write source: folder, aravis or simulator");
  const std::string source = r.Text(n["source"], "camera.source");
  if (source == "folder" || source == "aravis" || source == "simulator")
    RefuseKeysOfOtherSources(r, n, source);
  if (source == "folder") {
    c.kind = CameraKind::kFolder;
    ParseFolderCamera(r, n, base, c);
  } else if (source == "aravis") {
    c.kind = CameraKind::kAravis;
    ParseAravisCamera(r, n, c);
  } else if (source == "simulator") {
    c.kind = CameraKind::kSimulator;
  } else {
    r.Fail("camera.source", "unknown source '" + source + "'", "Use folder, aravis or simulator");
  }
  if (n["timeout_ms"]) c.timeout_ms = r.Integer(n["timeout_ms"], "camera.timeout_ms", 1, 60000);
  return c;
}

std::vector<ViewConfig> ParseViews(const ConfigReader& r, const Node& n,
                                   const std::filesystem::path& base) {
  if (!n.IsSequence() || n.size() == 0)
    r.Fail("views", "expected a list of at least one view",
           "Write views: [{name: top, model: top.lsm}]");
  std::vector<ViewConfig> views;
  for (size_t i = 0; i < n.size(); ++i) {
    const std::string where = "views[" + std::to_string(i) + "]";
    r.CheckKeys(n[i], where, {"name", "model"});
    ViewConfig v;
    if (n[i]["name"]) v.name = r.Text(n[i]["name"], where + ".name");
    if (!n[i]["model"]) r.Fail(where + ".model", "missing", "Give the view's model file (.lsm)");
    v.model = Resolve(base, r.Text(n[i]["model"], where + ".model"));
    NotAFolder(r, v.model, where + ".model", "the model file, e.g. models/top.lsm");
    for (const auto& other : views)
      if (other.name == v.name)
        r.Fail(where + ".name", "view '" + v.name + "' given twice", "Name each view once");
    views.push_back(v);
  }
  return views;
}

OutboxConfig ParseOutbox(const ConfigReader& r, const Node& n, const std::filesystem::path& base) {
  r.CheckKeys(n, "outbox",
              {"path", "image_dir", "image_cap_mb", "keep_pass_images", "keep_sent_days", "sync"});
  OutboxConfig c;
  c.path = Resolve(base, "outbox.db");
  if (n["path"]) c.path = Resolve(base, r.Text(n["path"], "outbox.path"));
  NotAFolder(r, c.path, "outbox.path", "a file in it, e.g. " + (c.path / "outbox.db").string());
  if (n["image_dir"]) c.image_dir = Resolve(base, r.Text(n["image_dir"], "outbox.image_dir"));
  if (n["image_cap_mb"])
    c.image_cap_mb = r.Number(n["image_cap_mb"], "outbox.image_cap_mb", 1, 1e7);
  if (n["keep_pass_images"])
    c.keep_pass_images = r.Number(n["keep_pass_images"], "outbox.keep_pass_images", 0, 1);
  if (n["keep_sent_days"])
    c.keep_sent_days = r.Integer(n["keep_sent_days"], "outbox.keep_sent_days", 1, 3650);
  if (n["sync"]) {
    const std::string sync = r.Text(n["sync"], "outbox.sync");
    if (sync != "full" && sync != "normal")
      r.Fail("outbox.sync", "unknown mode '" + sync + "'", "Write full or normal");
    c.sync_full = sync == "full";
  }
  return c;
}

// The die memory's horizons: the short mean must be the shorter, and the memory judges only
// once the short one is full. Means over more than 100,000 parts would stop moving in float.
void ParseMemoryHorizons(const ConfigReader& r, const Node& n, DieMemoryOptions& m) {
  if (n["memory_short_parts"])
    m.short_parts =
        r.Integer(n["memory_short_parts"], "recurring_mark.memory_short_parts", 5, 50000);
  if (n["memory_long_parts"])
    m.long_parts =
        r.Integer(n["memory_long_parts"], "recurring_mark.memory_long_parts", 10, 100000);
  if (n["memory_min_parts"])
    m.min_parts = r.Integer(n["memory_min_parts"], "recurring_mark.memory_min_parts", 10, 1000000);
  if (m.long_parts < 2 * m.short_parts)
    r.Fail("recurring_mark.memory_long_parts",
           std::to_string(static_cast<int64_t>(m.long_parts)) +
               " is less than twice memory_short_parts (" +
               std::to_string(static_cast<int64_t>(m.short_parts)) + ")",
           "Give memory_long_parts at least twice memory_short_parts: the long mean is what the "
           "die was like before the short one");
  if (m.min_parts < m.short_parts)
    r.Fail("recurring_mark.memory_min_parts",
           std::to_string(m.min_parts) + " is less than memory_short_parts (" +
               std::to_string(static_cast<int64_t>(m.short_parts)) + ")",
           "Give memory_min_parts at least memory_short_parts");
}

RecurringMarkOptions ParseRecurringMark(const ConfigReader& r, const Node& n) {
  r.CheckKeys(n, "recurring_mark",
              {"enabled", "die_memory", "window_parts", "min_parts", "radius", "clear_after",
               "memory_clear_after", "memory_short_parts", "memory_long_parts", "memory_min_parts",
               "warmup_shots", "faint_share"});
  RecurringMarkOptions o;
  if (n["enabled"]) o.enabled = r.Bool(n["enabled"], "recurring_mark.enabled");
  if (n["die_memory"]) o.die_memory = r.Bool(n["die_memory"], "recurring_mark.die_memory");
  if (n["window_parts"])
    o.window_parts = r.Integer(n["window_parts"], "recurring_mark.window_parts", 2, 1000);
  if (n["min_parts"]) o.min_parts = r.Integer(n["min_parts"], "recurring_mark.min_parts", 2, 1000);
  if (o.min_parts > o.window_parts)
    r.Fail("recurring_mark.min_parts",
           std::to_string(o.min_parts) + " is more than window_parts (" +
               std::to_string(o.window_parts) + ")",
           "Give min_parts at most window_parts");
  if (n["radius"]) o.radius = r.Number(n["radius"], "recurring_mark.radius", 0.001, 1);
  if (n["clear_after"])
    o.clear_after = r.Integer(n["clear_after"], "recurring_mark.clear_after", 1, 100000);
  if (n["memory_clear_after"])
    o.memory_clear_after =
        r.Integer(n["memory_clear_after"], "recurring_mark.memory_clear_after", 1, 100000);
  if (n["warmup_shots"])
    o.warmup_shots = r.Integer(n["warmup_shots"], "recurring_mark.warmup_shots", 0, 1000);
  if (n["faint_share"]) {
    // Below half the threshold a good part shows dozens of places: noise, not a die's mark.
    o.faint_share = r.Number(n["faint_share"], "recurring_mark.faint_share", 0, 1);
    if (o.faint_share > 0 && o.faint_share < 0.5)
      r.Fail("recurring_mark.faint_share",
             "value " + ConfigReader::Fmt(o.faint_share) + " is below 0.5",
             "Use 0 (faint places not counted) or a share between 0.5 and 1");
  }
  ParseMemoryHorizons(r, n, o.memory);
  return o;
}

// A topic level: MQTT wildcards or separators would change which topic is meant.
std::string TopicLevel(const ConfigReader& r, const Node& n, const std::string& where) {
  const std::string v = r.Text(n, where);
  if (v.empty() || v.find_first_of("/+#") != std::string::npos)
    r.Fail(where, "'" + v + "' is not one MQTT topic level",
           "Use a non-empty name without /, + or #");
  return v;
}

MqttConfig ParseMqtt(const ConfigReader& r, const Node& n) {
  r.CheckKeys(n, "mqtt",
              {"host", "port", "site", "line", "qos", "client_id", "status_every_s", "queue_max"});
  MqttConfig c;
  c.enabled = true;
  if (n["host"]) c.host = r.Text(n["host"], "mqtt.host");
  if (n["port"]) c.port = r.Integer(n["port"], "mqtt.port", 1, 65535);
  if (n["site"]) c.site = TopicLevel(r, n["site"], "mqtt.site");
  if (n["line"]) c.line = TopicLevel(r, n["line"], "mqtt.line");
  if (n["qos"]) c.qos = r.Integer(n["qos"], "mqtt.qos", 0, 2);
  if (n["client_id"]) c.client_id = r.Text(n["client_id"], "mqtt.client_id");
  if (n["status_every_s"])
    c.status_every_s = r.Integer(n["status_every_s"], "mqtt.status_every_s", 1, 3600);
  if (n["queue_max"]) c.queue_max = r.Integer(n["queue_max"], "mqtt.queue_max", 1, 1000000);
  if (c.host.empty()) r.Fail("mqtt.host", "empty", "Give the broker's address");
  return c;
}

HttpConfig ParseHttp(const ConfigReader& r, const Node& n) {
  r.CheckKeys(n, "http", {"host", "port"});
  HttpConfig c;
  c.enabled = true;
  if (n["host"]) c.host = r.Text(n["host"], "http.host");
  if (n["port"]) c.port = r.Integer(n["port"], "http.port", 0, 65535);
  return c;
}

UplinkConfig ParseUplink(const ConfigReader& r, const Node& n, const std::filesystem::path& base) {
  if (n.IsMap() && n["token"])
    r.Fail("uplink.token", "a token is not written in the station file (files get copied around)",
           "Put it in a file only the station's user can read and name it in uplink.token_file, "
           "or set LINESIGHT_UPLINK_TOKEN");
  r.CheckKeys(n, "uplink",
              {"url", "token_file", "ca_file", "batch_parts", "max_batch_mb", "timeout_s",
               "backoff_max_s"});
  UplinkConfig c;
  c.enabled = true;
  if (!n["url"])
    r.Fail("uplink.url", "missing", "Give the factory server, e.g. http://10.0.0.5:8080");
  c.url = r.Text(n["url"], "uplink.url");
  if (c.url.rfind("http://", 0) != 0 && c.url.rfind("https://", 0) != 0)
    r.Fail("uplink.url", "'" + c.url + "' is not an http:// or https:// URL",
           "Write it as http://host:port");
  if (n["token_file"]) c.token_file = Resolve(base, r.Text(n["token_file"], "uplink.token_file"));
  if (n["ca_file"]) c.ca_file = Resolve(base, r.Text(n["ca_file"], "uplink.ca_file"));
  if (n["batch_parts"]) c.batch_parts = r.Integer(n["batch_parts"], "uplink.batch_parts", 1, 1000);
  if (n["max_batch_mb"])
    c.max_batch_mb = r.Number(n["max_batch_mb"], "uplink.max_batch_mb", 0.01, 16);
  if (n["timeout_s"]) c.timeout_s = r.Number(n["timeout_s"], "uplink.timeout_s", 0.1, 3600);
  if (n["backoff_max_s"])
    c.backoff_max_s = r.Number(n["backoff_max_s"], "uplink.backoff_max_s", 0.5, 3600);
  return c;
}

}  // namespace

std::string UplinkToken(const UplinkConfig& uplink) {
  std::string token = uplink.token;
  if (!token.empty()) {
    // set by code: checked below like the others
  } else if (!uplink.token_file.empty()) {
    std::ifstream in(uplink.token_file);
    if (!in)
      throw Error(ErrorCategory::kInput,
                  "uplink: cannot read the token file " + uplink.token_file.string(),
                  "Create it with the station's token (`linesight server token --station <id>` "
                  "prints one) and let the station's user read it");
    std::getline(in, token);
  } else if (const char* env = std::getenv("LINESIGHT_UPLINK_TOKEN")) {
    token = env;
  }
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.front())))
    token.erase(0, 1);
  if (token.empty())
    throw Error(ErrorCategory::kInput,
                uplink.token_file.empty()
                    ? "uplink: no token: the station file names no uplink.token_file and "
                      "LINESIGHT_UPLINK_TOKEN is not set"
                    : "uplink: the token file " + uplink.token_file.string() + " is empty",
                "Give the station's ingest token in uplink.token_file or LINESIGHT_UPLINK_TOKEN");
  for (const char ch : token)
    if (ch < 0x21 || ch > 0x7e)  // it goes into an HTTP header as it is
      throw Error(ErrorCategory::kInput,
                  "uplink: the token has a space or a character that is not printable ASCII",
                  "Copy the token exactly as the server printed it");
  return token;
}

StationConfig ParseStationConfig(const std::string& text, const std::string& name,
                                 const std::filesystem::path& base_dir) {
  const ConfigReader r(name, ErrorCategory::kInput, "docs/station.md");
  const Node root = r.Parse(text);
  if (root.IsNull())
    r.Fail("top level", "the file is empty", "See docs/station.md for a complete example");
  r.CheckKeys(root, "",
              {"station", "machine", "plc", "camera", "views", "deadline_ms", "hold_streak",
               "workers", "outbox", "mqtt", "http", "uplink", "risk_model", "recurring_mark"});
  StationConfig c;
  c.outbox.path = Resolve(base_dir, "outbox.db");
  // No default ids: a station that quietly called itself S1 at machine M1 filed its parts under
  // the real M1's part ids (<machine>-<shot>), where the server refuses or mislabels them.
  if (!root["station"])
    r.Fail("station", "missing", "Name the station, e.g. station: S3 (its id in every record)");
  if (!root["machine"])
    r.Fail("machine", "missing",
           "Name the machine it serves, e.g. machine: M3 (part ids are <machine>-<shot>)");
  c.station = r.Text(root["station"], "station");
  c.machine = r.Text(root["machine"], "machine");
  if (c.station.empty() || c.machine.empty())
    r.Fail(c.station.empty() ? "station" : "machine", "empty", "Give a short id such as S3 or M3");
  if (root["plc"]) c.plc = ParsePlc(r, root["plc"]);
  if (!root["camera"]) r.Fail("camera", "missing", "Add a camera: section (docs/station.md)");
  c.camera = ParseCamera(r, root["camera"], base_dir);
  if (!root["views"]) r.Fail("views", "missing", "Add views: with at least one model");
  c.views = ParseViews(r, root["views"], base_dir);
  if (root["deadline_ms"]) c.deadline_ms = r.Integer(root["deadline_ms"], "deadline_ms", 1, 60000);
  if (root["hold_streak"]) c.hold_streak = r.Integer(root["hold_streak"], "hold_streak", 0, 10000);
  if (root["workers"]) c.workers = r.Integer(root["workers"], "workers", 1, 64);
  if (root["outbox"]) c.outbox = ParseOutbox(r, root["outbox"], base_dir);
  if (root["mqtt"]) c.mqtt = ParseMqtt(r, root["mqtt"]);
  if (root["http"]) c.http = ParseHttp(r, root["http"]);
  if (root["uplink"]) c.uplink = ParseUplink(r, root["uplink"], base_dir);
  if (root["risk_model"])
    c.risk_model = Resolve(base_dir, r.Text(root["risk_model"], "risk_model"));
  if (root["recurring_mark"]) c.recurring_mark = ParseRecurringMark(r, root["recurring_mark"]);
  return c;
}

StationConfig LoadStationConfig(const std::filesystem::path& path) {
  return ParseStationConfig(ConfigReader::ReadFile(path, "station"), path.string(),
                            path.parent_path());
}

}  // namespace linesight::station

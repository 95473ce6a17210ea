// Serves the built dashboard (web/dist) read-only: "/" is index.html; only plain relative names
// under the folder are served, so no request can reach a file outside it.
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "server/api_json.h"
#include "server/server_context.h"

namespace linesight::server {
namespace {

std::string TypeOf(const std::filesystem::path& p) {
  const std::string ext = p.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".json") return "application/json";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff2") return "font/woff2";
  return "application/octet-stream";
}

io::HttpResponse ServeFile(const ServerContext& ctx, std::string rel) {
  static const std::regex kSafe("([A-Za-z0-9_-][A-Za-z0-9._-]*/)*[A-Za-z0-9_-][A-Za-z0-9._-]*");
  if (rel.empty()) rel = "index.html";
  if (ctx.options.web_dir.empty())
    return io::JsonError(404, "not_found",
                         "this server has no dashboard (start it with --web web/dist)");
  if (!std::regex_match(rel, kSafe) || rel.find("..") != std::string::npos)
    return io::JsonError(404, "not_found", "no such file");
  const std::filesystem::path path = std::filesystem::path(ctx.options.web_dir) / rel;
  std::ifstream in(path, std::ios::binary);
  if (!in || std::filesystem::is_directory(path))
    return io::JsonError(404, "not_found", "no such file: " + rel);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  io::HttpResponse r{200, TypeOf(path), bytes.str()};
  // Vite puts a content hash in asset names; index.html must always be fresh.
  r.headers.emplace_back("Cache-Control", rel.starts_with("assets/")
                                              ? "public, max-age=31536000, immutable"
                                              : "no-cache");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  // Styles keep 'unsafe-inline': ECharts writes its tooltips with style attributes. No inline
  // script runs, and nothing is fetched from, framed by or posted to another origin.
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'self'; img-src 'self' data: blob:; style-src 'self' "
                         "'unsafe-inline'; script-src 'self'; connect-src 'self'; "
                         "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  return r;
}

}  // namespace

void AddWebRoutes(ServerContext& ctx, std::vector<io::HttpRoute>& routes) {
  routes.push_back({"GET", "/((?!api/).*)",
                    [&ctx](const io::HttpRequest& r) { return ServeFile(ctx, r.matches.at(0)); }});
}

}  // namespace linesight::server

// server/api_json.h: the API's JSON forms of the store's rows (docs/api.md) and the strict
// readers of query parameters and request bodies, which throw BadRequest naming the field.
#pragma once

#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "core/json_text.h"
#include "io/http_server.h"
#include "store/store.h"

namespace linesight::server {

// A request the client must fix; answered 400 with the message.
class BadRequest : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

nlohmann::json ToJson(const store::Review& r);
nlohmann::json ToJson(const store::PartSummary& p);
nlohmann::json ToJson(const store::MachineStatus& m);
nlohmann::json ToJson(const store::YieldRow& y);
nlohmann::json ToJson(const store::AuditEntry& a);
// An alert; its detail as a JSON value (a string if the stored text is not JSON).
nlohmann::json ToJson(const store::Alert& a);

// The part filters of docs/api.md from the query string. Throws BadRequest.
store::PartFilter FilterOf(const io::HttpRequest& request);
// Paging from limit / before_time_ms / before_part_id. Throws BadRequest.
store::PartPage PageOf(const io::HttpRequest& request);
// A decimal query parameter, `fallback` when absent. Throws BadRequest if malformed (hexadecimal
// too) or outside [lo, hi].
double DoubleParam(const io::HttpRequest& request, const char* name, double fallback, double lo,
                   double hi);
// An integer query parameter, `fallback` when absent. Throws BadRequest if malformed or outside
// [lo, hi].
int64_t IntParam(const io::HttpRequest& request, const char* name, int64_t fallback, int64_t lo,
                 int64_t hi);
// The request body as a JSON object. Throws BadRequest if it is not one.
nlohmann::json BodyObject(const io::HttpRequest& request);
// A string member of a body, at most `max_len` bytes; `required` members must be present.
// Throws BadRequest naming the member.
std::string StringMember(const nlohmann::json& body, const char* name, bool required,
                         size_t max_len = 200);

// 200 (or `status`) with a JSON body.
io::HttpResponse JsonAnswer(const nlohmann::json& body, int status = 200);

// A number, or null for NaN (not measured, not defined) and infinities: never 0.
nlohmann::json NumberOrNull(double v);

}  // namespace linesight::server

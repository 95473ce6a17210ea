#include "store/outbox_salvage.h"

#include <functional>
#include <vector>

#include "core/error.h"

namespace linesight::store {
namespace {

// Runs `f` and counts a read error of the damaged file instead of stopping.
bool Tolerant(SalvageReport& r, const std::function<void()>& f) {
  try {
    f();
    return true;
  } catch (const Error&) {
    ++r.unreadable;
    return false;
  }
}

struct Link {
  std::string view, image;
  int64_t bytes = 0, rank = 0;
};
struct OldPart {
  std::string part_id, machine, decision, record;
  int64_t shot = 0, time_ms = 0;
  std::vector<Link> images;
};
struct OldEvent {
  std::string machine, state, record;
  int64_t time_ms = 0;
};

// The ids of `table`'s rows that can be read, in order: a scan up to the first damaged page,
// then a lookup of each following id until kGiveUp in a row are missing or unreadable (ids are
// dense: rows are only deleted from the front, by PruneSent).
std::vector<int64_t> ReadableIds(SqliteDb& db, const char* table, SalvageReport& r) {
  constexpr int kGiveUp = 2000;
  std::vector<int64_t> ids;
  const std::string name = std::string("old.") + table;
  const bool whole = Tolerant(r, [&] {
    Statement scan = db.Prepare("SELECT id FROM " + name + " ORDER BY id");
    while (scan.Step()) ids.push_back(scan.Int(0));
  });
  if (whole) return ids;
  Statement probe = db.Prepare("SELECT 1 FROM " + name + " WHERE id = ?");
  int misses = 0;
  for (int64_t id = ids.empty() ? 1 : ids.back() + 1; misses < kGiveUp; ++id) {
    bool found = false;
    try {
      probe.Reset();
      probe.Bind(1, id);
      found = probe.Step();
    } catch (const Error&) {
    }
    misses = found ? 0 : misses + 1;
    if (found) ids.push_back(id);
  }
  return ids;
}

std::vector<Link> ReadLinks(SqliteDb& db, int64_t part, SalvageReport& r) {
  std::vector<Link> links;
  Tolerant(r, [&] {
    Statement uses = db.Prepare(
        "SELECT u.view, i.name, i.bytes, i.rank FROM old.image_uses u "
        "JOIN old.images i ON i.id = u.image WHERE u.part = ?");
    uses.Bind(1, part);
    while (uses.Step()) links.push_back({uses.Text(0), uses.Text(1), uses.Int(2), uses.Int(3)});
  });
  return links;
}

std::vector<OldPart> ReadParts(SqliteDb& db, SalvageReport& r) {
  std::vector<OldPart> parts;
  Statement read = db.Prepare(
      "SELECT part_id, machine, shot, time_ms, decision, record FROM old.parts "
      "WHERE id = ? AND sent <= 0");  // -1: its images were still to come (Outbox::AttachImages)
  for (const int64_t id : ReadableIds(db, "parts", r)) {
    bool found = false;
    OldPart p;
    Tolerant(r, [&] {
      read.Reset();
      read.Bind(1, id);
      if (!(found = read.Step())) return;
      p = {read.Text(0), read.Text(1), read.Text(4), read.Text(5), read.Int(2), read.Int(3), {}};
    });
    if (!found) continue;
    p.images = ReadLinks(db, id, r);
    parts.push_back(std::move(p));
  }
  return parts;
}

std::vector<OldEvent> ReadEvents(SqliteDb& db, SalvageReport& r) {
  std::vector<OldEvent> events;
  Statement read = db.Prepare(
      "SELECT machine, time_ms, state, record FROM old.events WHERE id = ? AND sent = 0");
  for (const int64_t id : ReadableIds(db, "events", r)) {
    Tolerant(r, [&] {
      read.Reset();
      read.Bind(1, id);
      if (read.Step()) events.push_back({read.Text(0), read.Text(2), read.Text(3), read.Int(1)});
    });
  }
  return events;
}

void WritePart(SqliteDb& db, const OldPart& p, SalvageReport& r) {
  db.Prepare(
        "INSERT OR IGNORE INTO parts (part_id, machine, shot, time_ms, decision, record) "
        "VALUES (?, ?, ?, ?, ?, ?)")
      .Bind(1, p.part_id)
      .Bind(2, p.machine)
      .Bind(3, p.shot)
      .Bind(4, p.time_ms)
      .Bind(5, p.decision)
      .Bind(6, p.record)
      .Run();
  if (db.QueryInt("SELECT changes()") == 0) return;  // already there
  ++r.parts;
  const int64_t part = db.LastInsertRowId();
  for (const Link& l : p.images) {
    db.Prepare("INSERT OR IGNORE INTO images (name, bytes, rank) VALUES (?, ?, ?)")
        .Bind(1, l.image)
        .Bind(2, l.bytes)
        .Bind(3, l.rank)
        .Run();
    if (db.QueryInt("SELECT changes()") > 0)  // the image cap counts it again
      db.Prepare("UPDATE meta SET value = value + ? WHERE key = 'image_bytes'")
          .Bind(1, l.bytes)
          .Run();
    db.Prepare(
          "INSERT OR IGNORE INTO image_uses (part, view, image) "
          "SELECT ?, ?, id FROM images WHERE name = ?")
        .Bind(1, part)
        .Bind(2, l.view)
        .Bind(3, l.image)
        .Run();
  }
}

}  // namespace

SalvageReport SalvageUnsent(SqliteDb& fresh, const std::string& damaged) {
  SalvageReport r;
  // Read everything first, then write with the damaged file detached: a read that meets a
  // corrupt page must not touch the transaction that writes the fresh file.
  std::vector<OldPart> parts;
  std::vector<OldEvent> events;
  if (!Tolerant(r, [&] { fresh.Prepare("ATTACH DATABASE ? AS old").Bind(1, damaged).Run(); }))
    return r;
  Tolerant(r, [&] {
    parts = ReadParts(fresh, r);
    events = ReadEvents(fresh, r);
  });
  fresh.Exec("DETACH DATABASE old");
  if (parts.empty() && events.empty()) return r;
  fresh.Exec("BEGIN IMMEDIATE");
  try {
    for (const OldPart& p : parts) WritePart(fresh, p, r);
    for (const OldEvent& e : events) {
      fresh.Prepare("INSERT INTO events (machine, time_ms, state, record) VALUES (?, ?, ?, ?)")
          .Bind(1, e.machine)
          .Bind(2, e.time_ms)
          .Bind(3, e.state)
          .Bind(4, e.record)
          .Run();
      ++r.events;
    }
    fresh.Exec("COMMIT");
  } catch (...) {
    fresh.Exec("ROLLBACK");
    throw;  // the fresh file cannot be written: the caller's Error, as for any open
  }
  return r;
}

}  // namespace linesight::store

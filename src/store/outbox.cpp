#include "store/outbox.h"

#include <set>
#include <unordered_set>

#include "core/clock.h"
#include "core/error.h"
#include "core/json_text.h"
#include "store/image_folder.h"
#include "store/outbox_schema.h"
#include "store/sqlite_db.h"

namespace linesight::store {
namespace {

using nlohmann::json;

std::string DefaultImageDir(const OutboxOptions& o) {
  return o.image_dir.empty() ? o.path + ".images" : o.image_dir;
}

// The index of the view an image belongs to: the one named `view`, or the first if "".
size_t ViewIndex(const PartRecord& part, const std::string& view) {
  for (size_t i = 0; i < part.views.size(); ++i)
    if (view.empty() || part.views[i].view == view) return i;
  throw Error(ErrorCategory::kInput,
              "part " + part.part_id + " has no view '" + view + "' to attach an image to",
              "name one of the part's views (or \"\" for the first) with each image");
}

// parts.sent of a record stored by PutBeforeImages until AttachImages: not pending for the
// uplink (which sends sent = 0), not sent, not parked.
constexpr int64_t kImagesToCome = -1;

// Retention ranks (images.rank): which images the cap may delete, and in which order.
constexpr int64_t kPassImage = 0;    // no reject/hold part shows it: deleted first
constexpr int64_t kSentImage = 1;    // reject/hold image whose parts are all sent: deleted next
constexpr int64_t kPinnedImage = 2;  // reject/hold image of an unsent part: never deleted

// Deletable images (rank below `?2`, kPinnedImage), in deletion order, except those part `?1`
// shows.
constexpr std::string_view kDeletable = R"sql(
SELECT id, name, bytes FROM images
WHERE rank < ?2 AND id NOT IN (SELECT image FROM image_uses WHERE part = ?1)
ORDER BY rank, id)sql";

// Lowers the images of part `?1` from kPinnedImage (`?3`) to kSentImage (`?2`) once no unsent
// or parked (sent = 2) reject/hold part shows them.
constexpr std::string_view kUnpin = R"sql(
UPDATE images SET rank = ?2
WHERE rank = ?3
  AND id IN (SELECT u.image FROM image_uses u JOIN parts p ON p.id = u.part WHERE p.part_id = ?1)
  AND NOT EXISTS (SELECT 1 FROM image_uses u JOIN parts p ON p.id = u.part
                  WHERE u.image = images.id AND p.sent != 1 AND p.decision != 'pass'))sql";

}  // namespace

Outbox::Outbox(const OutboxOptions& options) : options_(options) {
  if (options_.path.empty())
    throw Error(ErrorCategory::kInput, "the outbox has no file path",
                "set the station's outbox path, e.g. /var/lib/linesight/outbox.db");
  const bool full = options_.sync == OutboxSync::kFull;
  db_ = OpenOutboxDb(options_.path, full, recovered_note_);
  images_ = std::make_unique<ImageFolder>(DefaultImageDir(options_), full);
  std::unordered_set<std::string> known;
  Statement names = db_->Prepare("SELECT name FROM images");
  while (names.Step()) known.insert(names.Text(0));
  images_->Sweep([&](const std::string& name) { return known.count(name) > 0; });
  // Records whose images a killed process did not keep go as they are.
  LetAllGoLocked();
}

void Outbox::LetAllGoLocked() {
  db_->Prepare("UPDATE parts SET sent = 0 WHERE sent = ?").Bind(1, kImagesToCome).Run();
  images_to_come_ = 0;
}

Outbox::~Outbox() = default;

std::string Outbox::image_dir() const { return images_->dir().string(); }

bool Outbox::Put(const PartRecord& part, const PartImages& images) {
  PartRecord copy = part;
  return Put(copy, images, nullptr);
}

bool Outbox::Put(PartRecord& part, const PartImages& images,
                 const std::function<void(PartRecord&)>& last_word) {
  return PutWith(part, images, last_word, 0);
}

bool Outbox::PutBeforeImages(PartRecord& part, const std::function<void(PartRecord&)>& last_word) {
  return PutWith(part, {}, last_word, kImagesToCome);
}

void Outbox::AttachImages(std::string_view part_id, const PartImages& images) {
  std::lock_guard lock(mutex_);
  // True if the part was waiting for its images and now is not.
  const auto let_go = [&] {
    db_->Prepare("UPDATE parts SET sent = 0 WHERE part_id = ? AND sent = ?")
        .Bind(1, std::string(part_id))
        .Bind(2, kImagesToCome)
        .Run();
    return db_->Changes() > 0;
  };
  std::vector<std::string> written, evicted;
  try {
    Transaction t(*db_);
    Statement s = db_->Prepare("SELECT id, record FROM parts WHERE part_id = ? AND sent = ?");
    s.Bind(1, std::string(part_id)).Bind(2, kImagesToCome);
    std::optional<std::pair<int64_t, PartRecord>> waiting;  // its row and record
    if (s.Step() && !images.empty())
      waiting.emplace(s.Int(0), PartRecordFromJson(json::parse(s.Text(1))));
    s.Reset();
    if (waiting) KeepImagesLocked(waiting->first, waiting->second, images, written, evicted);
    const bool released = let_go();
    t.Commit();
    if (released) --images_to_come_;
  } catch (...) {
    for (const auto& name : written) images_->Remove(name);
    try {  // the record without its images: better sent than kept back
      if (let_go()) --images_to_come_;
    } catch (...) {  // ReleaseImagesToCome, or the next open, lets it go
    }
    throw;
  }
  for (const auto& name : evicted) images_->Remove(name);
}

void Outbox::ReleaseImagesToCome() {
  std::lock_guard lock(mutex_);
  if (images_to_come_ > 0) LetAllGoLocked();
}

bool Outbox::PutWith(PartRecord& part, const PartImages& images,
                     const std::function<void(PartRecord&)>& last_word, int64_t sent) {
  std::lock_guard lock(mutex_);
  std::vector<std::string> written, evicted;
  try {
    Transaction t(*db_);
    if (last_word) last_word(part);
    if (!InsertLocked(part, images, written, evicted, sent)) return false;
    t.Commit();
    if (sent == kImagesToCome) ++images_to_come_;
  } catch (...) {
    for (const auto& name : written) images_->Remove(name);
    throw;
  }
  for (const auto& name : evicted) images_->Remove(name);
  return true;
}

size_t Outbox::PutMany(std::span<const PartRecord> parts) {
  std::lock_guard lock(mutex_);
  std::vector<std::string> written, evicted;
  Transaction t(*db_);
  size_t stored = 0;
  for (const auto& part : parts) stored += InsertLocked(part, {}, written, evicted) ? 1 : 0;
  t.Commit();
  return stored;
}

bool Outbox::InsertLocked(const PartRecord& part, const PartImages& images,
                          std::vector<std::string>& written, std::vector<std::string>& evicted,
                          int64_t sent) {
  if (part.part_id.empty())
    throw Error(ErrorCategory::kInput, "a part without part_id cannot be stored",
                "set part_id = PartId(machine, shot)");
  for (const auto& [view, blob] : images) ViewIndex(part, view);  // check all before writing
  Statement insert = db_->Prepare(
      "INSERT INTO parts (part_id, machine, shot, time_ms, decision, record, sent) "
      "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (part_id) DO NOTHING");
  insert.Bind(1, part.part_id).Bind(2, part.shot.machine).Bind(3, part.shot.shot);
  insert.Bind(4, part.shot.time_ms).Bind(5, DecisionName(part.decision));
  insert.Bind(6, JsonText(ToJson(part))).Bind(7, sent).Run();
  if (db_->Changes() == 0) return false;
  if (images.empty()) return true;
  PartRecord kept = part;
  KeepImagesLocked(db_->LastInsertRowId(), kept, images, written, evicted);
  return true;
}

// Keeps each image of the part in row `row` and names it in `kept`'s view, then stores `kept`.
void Outbox::KeepImagesLocked(int64_t row, PartRecord& kept, const PartImages& images,
                              std::vector<std::string>& written,
                              std::vector<std::string>& evicted) {
  for (const auto& [view, blob] : images) ViewIndex(kept, view);  // check all before writing
  for (const auto& [view, blob] : images) {
    ViewResult& v = kept.views[ViewIndex(kept, view)];
    const bool heatmap = blob.role == ImageRole::kHeatmap;
    // image_uses holds one image per (part, view): a heatmap is the view "<view>#heatmap" there.
    std::string& name = heatmap ? v.heatmap : v.image;
    name = KeepImageLocked(row, heatmap ? v.view + "#heatmap" : v.view, blob,
                           kept.decision != Decision::kPass, written, evicted);
  }
  db_->Prepare("UPDATE parts SET record = ? WHERE id = ?")
      .Bind(1, JsonText(ToJson(kept)))
      .Bind(2, row)
      .Run();
}

std::string Outbox::KeepImageLocked(int64_t row, const std::string& view, const ImageBlob& blob,
                                    bool pinned, std::vector<std::string>& written,
                                    std::vector<std::string>& evicted) {
  const std::string name = ImageFolder::NameFor(blob.bytes, blob.extension);
  Statement find = db_->Prepare("SELECT id FROM images WHERE name = ?");
  int64_t image = find.Bind(1, name).Step() ? find.Int(0) : 0;
  if (image == 0) {  // new content: make room under the cap, or drop it
    const auto bytes = static_cast<int64_t>(blob.bytes.size());
    const auto victims = PlanRoomLocked(bytes, row);
    if (!victims) {
      db_->Exec("UPDATE meta SET value = value + 1 WHERE key = 'images_dropped'");
      return "";
    }
    for (const auto& victim : *victims) {
      EvictLocked(victim);
      evicted.push_back(victim.name);
    }
    images_->Write(name, blob.bytes);
    written.push_back(name);
    db_->Prepare("INSERT INTO images (name, bytes, rank) VALUES (?, ?, ?)")
        .Bind(1, name)
        .Bind(2, bytes)
        .Bind(3, pinned ? kPinnedImage : kPassImage)
        .Run();
    image = db_->LastInsertRowId();
    AddImageBytesLocked(bytes);
  } else if (pinned) {
    db_->Prepare("UPDATE images SET rank = ? WHERE id = ?")
        .Bind(1, kPinnedImage)
        .Bind(2, image)
        .Run();
  }
  db_->Prepare("INSERT OR REPLACE INTO image_uses (part, view, image) VALUES (?, ?, ?)")
      .Bind(1, row)
      .Bind(2, view)
      .Bind(3, image)
      .Run();
  return name;
}

std::optional<std::vector<Outbox::StoredImage>> Outbox::PlanRoomLocked(int64_t bytes, int64_t row) {
  if (bytes > options_.image_cap_bytes) return std::nullopt;
  int64_t excess = db_->QueryInt("SELECT value FROM meta WHERE key = 'image_bytes'") + bytes -
                   options_.image_cap_bytes;
  std::vector<StoredImage> victims;
  Statement s = db_->Prepare(kDeletable);
  s.Bind(1, row).Bind(2, kPinnedImage);
  while (excess > 0 && s.Step()) {
    victims.push_back({s.Int(0), s.Text(1), s.Int(2)});
    excess -= s.Int(2);
  }
  if (excess > 0) return std::nullopt;
  return victims;
}

void Outbox::EvictLocked(const StoredImage& victim) {
  Statement uses = db_->Prepare(
      "SELECT p.id, p.record, u.view FROM image_uses u JOIN parts p ON p.id = u.part "
      "WHERE u.image = ?");
  uses.Bind(1, victim.id);
  static constexpr std::string_view kHeatmapSuffix = "#heatmap";  // see Put's image_uses
  while (uses.Step()) {
    json record = json::parse(uses.Text(1));
    std::string view = uses.Text(2);
    const bool heatmap = view.ends_with(kHeatmapSuffix);
    if (heatmap) view.resize(view.size() - kHeatmapSuffix.size());
    for (auto& v : record["views"])
      if (v.value("view", "") == view) v[heatmap ? "heatmap" : "image"] = "";
    db_->Prepare("UPDATE parts SET record = ? WHERE id = ?")
        .Bind(1, JsonText(record))
        .Bind(2, uses.Int(0))
        .Run();
  }
  db_->Prepare("DELETE FROM image_uses WHERE image = ?").Bind(1, victim.id).Run();
  db_->Prepare("DELETE FROM images WHERE id = ?").Bind(1, victim.id).Run();
  AddImageBytesLocked(-victim.bytes);
}

void Outbox::AddImageBytesLocked(int64_t bytes) {
  db_->Prepare("UPDATE meta SET value = value + ? WHERE key = 'image_bytes'").Bind(1, bytes).Run();
}

int64_t Outbox::PutEvent(const MachineEvent& event) {
  std::lock_guard lock(mutex_);
  db_->Prepare("INSERT INTO events (machine, time_ms, state, record) VALUES (?, ?, ?, ?)")
      .Bind(1, event.machine)
      .Bind(2, event.time_ms)
      .Bind(3, MachineStateName(event.state))
      .Bind(4, JsonText(ToJson(event)))
      .Run();
  return db_->LastInsertRowId();
}

bool Outbox::Contains(std::string_view part_id) const {
  std::lock_guard lock(mutex_);
  return db_->Prepare("SELECT 1 FROM parts WHERE part_id = ?").Bind(1, part_id).Step();
}

std::optional<PartRecord> Outbox::Get(std::string_view part_id) const {
  std::lock_guard lock(mutex_);
  Statement s = db_->Prepare("SELECT record FROM parts WHERE part_id = ?");
  if (!s.Bind(1, part_id).Step()) return std::nullopt;
  return PartRecordFromJson(json::parse(s.Text(0)));
}

std::vector<PartRecord> Outbox::PendingParts(size_t max) {
  std::vector<std::pair<std::string, std::string>> rows;  // part_id, record
  {
    std::lock_guard lock(mutex_);
    Statement s =
        db_->Prepare("SELECT part_id, record FROM parts WHERE sent = 0 ORDER BY id LIMIT ?");
    s.Bind(1, static_cast<int64_t>(max));
    while (s.Step()) rows.emplace_back(s.Text(0), s.Text(1));
  }
  // Parsed outside the lock: the line's Put() must not wait for a whole batch to be decoded.
  std::vector<PartRecord> parts;
  parts.reserve(rows.size());
  for (const auto& [id, text] : rows) {
    try {
      parts.push_back(PartRecordFromJson(json::parse(text)));
    } catch (const std::exception& e) {
      MarkPartRejected(id, std::string("unreadable record in the outbox: ") + e.what());
    }
  }
  return parts;
}

std::vector<std::pair<int64_t, MachineEvent>> Outbox::PendingEvents(size_t max) {
  std::vector<std::pair<int64_t, std::string>> rows;
  {
    std::lock_guard lock(mutex_);
    Statement s = db_->Prepare("SELECT id, record FROM events WHERE sent = 0 ORDER BY id LIMIT ?");
    s.Bind(1, static_cast<int64_t>(max));
    while (s.Step()) rows.emplace_back(s.Int(0), s.Text(1));
  }
  std::vector<std::pair<int64_t, MachineEvent>> events;
  for (const auto& [id, text] : rows) {
    try {
      events.emplace_back(id, MachineEventFromJson(json::parse(text)));
    } catch (const std::exception& e) {
      MarkEventRejected(id, std::string("unreadable record in the outbox: ") + e.what());
    }
  }
  return events;
}

void Outbox::MarkPartsSent(std::span<const std::string> part_ids) {
  std::lock_guard lock(mutex_);
  Transaction t(*db_);
  // Only unsent parts: sent = 1 makes a record deletable, and a parked one must stay.
  Statement s =
      db_->Prepare("UPDATE parts SET sent = 1, sent_at = ? WHERE part_id = ? AND sent = 0");
  Statement unpin = db_->Prepare(kUnpin);
  const int64_t now = UtcNowMs();
  for (const auto& id : part_ids) {
    s.Bind(1, now).Bind(2, id).Run();
    s.Reset();
    if (db_->Changes() == 0) continue;
    unpin.Bind(1, id).Bind(2, kSentImage).Bind(3, kPinnedImage).Run();
    unpin.Reset();
  }
  t.Commit();
}

void Outbox::MarkEventsSent(std::span<const int64_t> ids) {
  std::lock_guard lock(mutex_);
  Transaction t(*db_);
  Statement s = db_->Prepare("UPDATE events SET sent = 1, sent_at = ? WHERE id = ? AND sent = 0");
  const int64_t now = UtcNowMs();
  for (const int64_t id : ids) {
    s.Bind(1, now).Bind(2, id).Run();
    s.Reset();
  }
  t.Commit();
}

int64_t Outbox::PruneSent(int64_t now_ms, int64_t keep_ms, int max_rows) {
  if (max_rows <= 0) return 0;
  const int64_t cutoff = now_ms - keep_ms;
  std::lock_guard lock(mutex_);
  // Records sent before schema 3 have no sent_at; they count as sent when it was added.
  Statement from = db_->Prepare("SELECT value FROM meta WHERE key = 'sent_at_from_ms'");
  const bool undated_due = from.Step() && from.Int(0) < cutoff;
  std::vector<std::string> unkept;
  Transaction t(*db_);
  int64_t pruned = PrunePartsLocked(cutoff, undated_due, max_rows, unkept);
  pruned += PruneEventsLocked(cutoff, undated_due, max_rows - pruned);
  t.Commit();
  // After the commit, and still under the lock: a Put that stores the same content again must
  // not find its new file deleted.
  for (const auto& name : unkept) images_->Remove(name);
  return pruned;
}

std::vector<int64_t> Outbox::DueLocked(const char* table, int64_t cutoff_ms, bool undated_due,
                                       int64_t max_rows) {
  std::vector<int64_t> rows;
  const std::string from = std::string("SELECT id FROM ") + table + " WHERE sent = 1 AND ";
  if (undated_due) {  // first: they went before any dated one
    Statement undated = db_->Prepare(from + "sent_at IS NULL ORDER BY id LIMIT ?");
    undated.Bind(1, max_rows);
    while (undated.Step()) rows.push_back(undated.Int(0));
  }
  const int64_t left = max_rows - static_cast<int64_t>(rows.size());
  if (left <= 0) return rows;
  Statement dated = db_->Prepare(from + "sent_at < ? ORDER BY sent_at, id LIMIT ?");
  dated.Bind(1, cutoff_ms).Bind(2, left);
  while (dated.Step()) rows.push_back(dated.Int(0));
  return rows;
}

int64_t Outbox::PrunePartsLocked(int64_t cutoff_ms, bool undated_due, int64_t max_rows,
                                 std::vector<std::string>& unkept) {
  const std::vector<int64_t> rows = DueLocked("parts", cutoff_ms, undated_due, max_rows);
  std::set<int64_t> shown;  // images a pruned part showed: some may serve other parts too
  Statement uses = db_->Prepare("SELECT image FROM image_uses WHERE part = ?");
  Statement unuse = db_->Prepare("DELETE FROM image_uses WHERE part = ?");
  Statement drop = db_->Prepare("DELETE FROM parts WHERE id = ?");
  for (const int64_t row : rows) {
    uses.Bind(1, row);
    while (uses.Step()) shown.insert(uses.Int(0));
    uses.Reset();
    unuse.Bind(1, row).Run();
    unuse.Reset();
    drop.Bind(1, row).Run();
    drop.Reset();
  }
  Statement unused = db_->Prepare(
      "SELECT name, bytes FROM images WHERE id = ? "
      "AND NOT EXISTS (SELECT 1 FROM image_uses WHERE image = images.id)");
  for (const int64_t image : shown) {
    unused.Bind(1, image);
    std::optional<StoredImage> victim;
    if (unused.Step()) victim = StoredImage{image, unused.Text(0), unused.Int(1)};
    unused.Reset();
    if (!victim) continue;
    EvictLocked(*victim);  // keeps meta.image_bytes, which the cap reads, in step
    unkept.push_back(victim->name);
  }
  return static_cast<int64_t>(rows.size());
}

int64_t Outbox::PruneEventsLocked(int64_t cutoff_ms, bool undated_due, int64_t max_rows) {
  if (max_rows <= 0) return 0;
  const std::vector<int64_t> rows = DueLocked("events", cutoff_ms, undated_due, max_rows);
  Statement drop = db_->Prepare("DELETE FROM events WHERE id = ?");
  for (const int64_t row : rows) {
    drop.Bind(1, row).Run();
    drop.Reset();
  }
  return static_cast<int64_t>(rows.size());
}

void Outbox::MarkPartRejected(std::string_view part_id, std::string_view reason) {
  std::lock_guard lock(mutex_);
  db_->Prepare("UPDATE parts SET sent = 2, rejected = ? WHERE part_id = ? AND sent = 0")
      .Bind(1, reason)
      .Bind(2, part_id)
      .Run();
}

void Outbox::MarkEventRejected(int64_t id, std::string_view reason) {
  std::lock_guard lock(mutex_);
  db_->Prepare("UPDATE events SET sent = 2, rejected = ? WHERE id = ? AND sent = 0")
      .Bind(1, reason)
      .Bind(2, id)
      .Run();
}

std::vector<std::pair<std::string, std::string>> Outbox::RejectedParts(size_t max) const {
  std::lock_guard lock(mutex_);
  Statement s =
      db_->Prepare("SELECT part_id, rejected FROM parts WHERE sent = 2 ORDER BY id LIMIT ?");
  s.Bind(1, static_cast<int64_t>(max));
  std::vector<std::pair<std::string, std::string>> parked;
  while (s.Step()) parked.emplace_back(s.Text(0), s.Text(1));
  return parked;
}

Outbox::Backlog Outbox::backlog() const {
  std::lock_guard lock(mutex_);
  Backlog b;
  b.pending_parts = db_->QueryInt("SELECT count(*) FROM parts WHERE sent = 0") + images_to_come_;
  b.pending_events = db_->QueryInt("SELECT count(*) FROM events WHERE sent = 0");
  b.rejected_parts = db_->QueryInt("SELECT count(*) FROM parts WHERE sent = 2");
  b.rejected_events = db_->QueryInt("SELECT count(*) FROM events WHERE sent = 2");
  return b;
}

Outbox::Counts Outbox::counts() const {
  std::lock_guard lock(mutex_);
  Counts c;
  c.parts = db_->QueryInt("SELECT count(*) FROM parts");
  c.pending_parts = db_->QueryInt("SELECT count(*) FROM parts WHERE sent = 0") + images_to_come_;
  c.events = db_->QueryInt("SELECT count(*) FROM events");
  c.pending_events = db_->QueryInt("SELECT count(*) FROM events WHERE sent = 0");
  c.images = db_->QueryInt("SELECT count(*) FROM images");
  c.image_bytes = db_->QueryInt("SELECT value FROM meta WHERE key = 'image_bytes'");
  c.images_dropped = db_->QueryInt("SELECT value FROM meta WHERE key = 'images_dropped'");
  c.rejected_parts = db_->QueryInt("SELECT count(*) FROM parts WHERE sent = 2");
  c.rejected_events = db_->QueryInt("SELECT count(*) FROM events WHERE sent = 2");
  return c;
}

void Outbox::TEST_LimitPages(int64_t pages) {
  std::lock_guard lock(mutex_);
  // max_page_count never goes below the current size; 0 means "no limit" to us.
  db_->QueryInt("PRAGMA max_page_count = " + std::to_string(pages > 0 ? pages : 1073741823));
}

}  // namespace linesight::store

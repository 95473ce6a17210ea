// store/outbox.h: the station's durable outbox (SQLite): every judged part is stored before the
// PLC sees its result, with its kept images, and drained later by the uplink. Thread-safe: one
// Outbox may be shared by the station's workers (calls are serialised on one connection).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/part_record.h"

namespace linesight::store {

class SqliteDb;
class ImageFolder;

// How far a stored part survives. Both keep the file consistent; see docs/outbox.md.
enum class OutboxSync : uint8_t {
  kFull = 0,    // every Put is on disk before it returns: survives power loss (fsync per Put)
  kNormal = 1,  // survives a killed process, but a power loss may drop the last Puts
};

struct OutboxOptions {
  std::string path;                     // SQLite file, e.g. /var/lib/linesight/outbox.db
  std::string image_dir;                // where kept images go ("" = path + ".images")
  int64_t image_cap_bytes = 2LL << 30;  // disk cap for kept images (docs/outbox.md, retention)
  // kFull by default: a station makes ~1 part/s, far below what kFull sustains; kNormal
  // raises the ceiling for simulated cells at the cost of the last parts on power loss.
  OutboxSync sync = OutboxSync::kFull;
};

// What a kept image shows: the view's frame (ViewResult::image) or its anomaly heatmap
// (ViewResult::heatmap).
enum class ImageRole : uint8_t { kFrame, kHeatmap };

// A part's image, already encoded by the caller, with its file extension ("png", "jpg").
// `bytes` is only read during Put().
struct ImageBlob {
  std::span<const uint8_t> bytes;
  std::string extension;
  ImageRole role = ImageRole::kFrame;
};

// Images to keep with a part: (view name, image). An empty view name means the first view.
using PartImages = std::vector<std::pair<std::string, ImageBlob>>;

class Outbox {
 public:
  // Opens or creates the outbox (WAL, schema migrated to this build's version). A damaged file is
  // moved aside to <path>.corrupt-<UTC time> and a fresh outbox started: recovered_note() says so.
  // Image files the database does not know (left by a killed process) are deleted.
  // Throws Error{kIo} if the file has a newer schema version (upgrade linesight) or cannot be
  // opened or created.
  explicit Outbox(const OutboxOptions& options);
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Stores `part` durably (committed, and synced with OutboxSync::kFull) before returning true.
  // Returns false, storing nothing, if a part with that part_id is already stored. Each image is
  // written to the image folder as sha256-hex.extension and named in its view's `image`; an image
  // the cap leaves no room for is dropped (view image "") and counted, never failing the Put.
  // Throws Error{kIo} naming the cause (disk full, read-only, I/O error) and the fix, and then
  // nothing is stored, so the caller can hold the part and retry; Error{kInput} if part_id is
  // empty, an image names a view the part lacks, or an extension is not plain letters/digits.
  bool Put(const PartRecord& part, const PartImages& images = {});
  // Put, but `last_word` may change `part` once the outbox is ready to write it (its lock and the
  // database's write lock taken, so no wait is left but the write itself), and `part` is what was
  // stored: the station holds a part whose deadline passed while the outbox was busy.
  bool Put(PartRecord& part, const PartImages& images,
           const std::function<void(PartRecord&)>& last_word);
  // Put, for a part whose images follow once the line has its result: the record is stored as
  // Put stores it, but the uplink does not see it until AttachImages has kept its images (or
  // failed to). A process killed in between leaves the record without them; the next Outbox
  // opened on the file lets such records go as they are.
  bool PutBeforeImages(PartRecord& part, const std::function<void(PartRecord&)>& last_word);
  // Keeps `images` (as Put does: named in their views, under the cap) for a part stored with
  // PutBeforeImages, then lets the uplink send it. Throws Error{kIo} as Put does; the part is then
  // let go without the images (if even that fails, ReleaseImagesToCome or the next Outbox opened
  // lets it go). Does nothing for a part not waiting for its images.
  void AttachImages(std::string_view part_id, const PartImages& images);
  // Lets every part still waiting for its images go without them. For a caller with no part
  // between PutBeforeImages and AttachImages: costs nothing unless an AttachImages failed.
  void ReleaseImagesToCome();
  // Stores several parts (without images) in one transaction: one sync for all of them. Returns
  // how many were new (duplicates are skipped). If it throws (as Put does), none is stored.
  size_t PutMany(std::span<const PartRecord> parts);
  // Stores a machine event durably; returns its id (the order of events).
  int64_t PutEvent(const MachineEvent& event);

  bool Contains(std::string_view part_id) const;
  std::optional<PartRecord> Get(std::string_view part_id) const;

  // For the uplink: up to `max` unsent parts / events, oldest first (insertion order). Parked
  // records (refused by the server, below) are not pending. A stored record that no longer
  // reads as one (a damaged row) is parked with the reason instead of stopping every later one.
  std::vector<PartRecord> PendingParts(size_t max);
  std::vector<std::pair<int64_t, MachineEvent>> PendingEvents(size_t max);
  // Marks parts / events delivered, now (the time PruneSent counts from); unknown ids are
  // ignored. Sent reject images become deletable under the image cap.
  void MarkPartsSent(std::span<const std::string> part_ids);
  void MarkEventsSent(std::span<const int64_t> ids);
  // Deletes up to `max_rows` parts and events (parts first, the longest sent first) that were
  // marked sent before `now_ms - keep_ms`, with each kept image no remaining part shows. Unsent
  // and parked records are never deleted. One transaction, so the lock is held for one batch:
  // call again while it returns `max_rows`. Returns how many records went. Throws Error{kIo} as
  // Put does; then nothing is deleted. REQUIRES: keep_ms >= 0.
  int64_t PruneSent(int64_t now_ms, int64_t keep_ms, int max_rows);
  // Parks a part / event the server refused for good (a 4xx that re-sending cannot cure): it
  // stays in the outbox with the server's answer `reason`, is no longer pending, and its images
  // stay pinned. Unknown ids are ignored. docs/outbox.md says how to queue parked records again.
  void MarkPartRejected(std::string_view part_id, std::string_view reason);
  void MarkEventRejected(int64_t id, std::string_view reason);
  // Up to `max` parked parts, oldest first: (part_id, the server's answer).
  std::vector<std::pair<std::string, std::string>> RejectedParts(size_t max) const;

  // What the uplink still has to do; cheap (partial indexes), unlike counts().
  struct Backlog {
    int64_t pending_parts = 0, pending_events = 0, rejected_parts = 0, rejected_events = 0;
  };
  Backlog backlog() const;

  struct Counts {
    int64_t parts = 0, pending_parts = 0, events = 0, pending_events = 0;
    int64_t images = 0, image_bytes = 0;  // images kept now, and their size on disk
    int64_t images_dropped = 0;           // images never kept because the cap left no room
    int64_t rejected_parts = 0, rejected_events = 0;  // parked: refused by the server
  };
  Counts counts() const;

  // "" after a normal open; otherwise what was recovered and where the damaged file went.
  const std::string& recovered_note() const { return recovered_note_; }
  // The folder holding kept images.
  std::string image_dir() const;

  // Test hook: limits the database to `pages` pages (SQLite max_page_count), so a test can make
  // the outbox "full" without filling a disk. 0 lifts the limit.
  void TEST_LimitPages(int64_t pages);

 private:
  void LetAllGoLocked();  // every record waiting for its images goes without them
  // Keeps `images` with the stored record `kept` (its row), inside the caller's transaction.
  void KeepImagesLocked(int64_t row, PartRecord& kept, const PartImages& images,
                        std::vector<std::string>& written, std::vector<std::string>& evicted);
  bool PutWith(PartRecord& part, const PartImages& images,
               const std::function<void(PartRecord&)>& last_word, int64_t sent);
  // Inserts one part inside the caller's transaction; false if a duplicate. Appends the image
  // files it wrote to `written` and those to delete after commit to `evicted`.
  bool InsertLocked(const PartRecord& part, const PartImages& images,
                    std::vector<std::string>& written, std::vector<std::string>& evicted,
                    int64_t sent = 0);
  struct StoredImage {
    int64_t id;
    std::string name;
    int64_t bytes;
  };
  // Keeps `blob` for view `view` of part row `row`; returns its name, or "" if the cap left no
  // room. `pinned`: the part is a reject or hold, so the image is kept until the part is sent.
  std::string KeepImageLocked(int64_t row, const std::string& view, const ImageBlob& blob,
                              bool pinned, std::vector<std::string>& written,
                              std::vector<std::string>& evicted);
  // Chooses images to delete so that `bytes` more fit under the cap (oldest pass images, then
  // oldest sent reject/hold images, never part `row`'s). nullopt if even that is not enough.
  std::optional<std::vector<StoredImage>> PlanRoomLocked(int64_t bytes, int64_t row);
  // Deletes an image from the tables and clears it from the records that showed it.
  void EvictLocked(const StoredImage& victim);
  // Ids of up to `max_rows` records of `table` ("parts" or "events") sent before `cutoff_ms`, the
  // longest sent first; with `undated_due`, those sent before schema 3 (sent_at NULL) first.
  std::vector<int64_t> DueLocked(const char* table, int64_t cutoff_ms, bool undated_due,
                                 int64_t max_rows);
  // PruneSent's two halves. Parts: deletes up to `max_rows` sent before `cutoff_ms` and the
  // images only they showed, whose names go to `unkept` (files to delete after commit).
  int64_t PrunePartsLocked(int64_t cutoff_ms, bool undated_due, int64_t max_rows,
                           std::vector<std::string>& unkept);
  int64_t PruneEventsLocked(int64_t cutoff_ms, bool undated_due, int64_t max_rows);
  // Keeps the running total of kept image bytes (meta.image_bytes) in step.
  void AddImageBytesLocked(int64_t bytes);

  OutboxOptions options_;
  std::string recovered_note_;
  mutable std::mutex mutex_;
  // Parts stored by PutBeforeImages and not yet let go, by this object (counted as pending; the
  // partial index of pending parts does not cover them).
  int64_t images_to_come_ = 0;
  std::unique_ptr<SqliteDb> db_;
  std::unique_ptr<ImageFolder> images_;
};

}  // namespace linesight::store

#pragma once
// The most recently opened checkpoints and data sets, newest first, persisted as a small text file
// in the configuration folder. Pure logic: no ImGui, GL or LibTorch, unit tested.
#include <cstddef>
#include <string>
#include <vector>

namespace vae::gui {

enum class RecentKind { Checkpoint, DataSet };

struct RecentEntry {
  RecentKind kind = RecentKind::Checkpoint;
  std::string path;  // a checkpoint file, or a data set spec ("idx:DIR", "images:DIR", "synthetic", ...)
  bool operator==(const RecentEntry& o) const { return kind == o.kind && path == o.path; }
};

class RecentFiles {
 public:
  static constexpr std::size_t kMaxPerKind = 10;

  // Moves `path` to the front of its kind's list (adding it when new) and drops the oldest
  // entries beyond kMaxPerKind. Checkpoint paths are made absolute, so reopening works whatever
  // the working directory of the next session; an empty path is ignored.
  void add(RecentKind kind, const std::string& path);
  void remove(RecentKind kind, const std::string& path);
  void clear(RecentKind kind);
  // Newest first.
  std::vector<std::string> list(RecentKind kind) const;
  const std::vector<RecentEntry>& entries() const { return entries_; }

  // The file format: one "checkpoint<TAB>PATH" or "dataset<TAB>SPEC" line per entry, newest first.
  // Unknown or damaged lines are skipped, so a file from a newer version still loads.
  static RecentFiles parse(const std::string& text);
  std::string serialize() const;

  // Reads `file`; a missing, unreadable or oversized (> 64 KiB: not ours) file gives an empty list.
  static RecentFiles load(const std::string& file);
  // Writes through a temporary file and a rename, so a crash never leaves half a list. Throws
  // std::runtime_error naming the file when it cannot be written.
  void save(const std::string& file) const;

 private:
  std::vector<RecentEntry> entries_;  // newest first, kinds interleaved
};

}  // namespace vae::gui

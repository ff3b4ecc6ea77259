#include "app/gui/logic/recent_files.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace vae::gui {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxFileBytes = 64 * 1024;

const char* kind_name(RecentKind kind) { return kind == RecentKind::Checkpoint ? "checkpoint" : "dataset"; }

std::string normalise(RecentKind kind, const std::string& path) {
  if (kind != RecentKind::Checkpoint) return path;  // data set specs keep their own syntax
  std::error_code ec;
  const fs::path absolute = fs::absolute(fs::path(path), ec);
  return ec ? path : absolute.lexically_normal().string();
}

}  // namespace

void RecentFiles::add(RecentKind kind, const std::string& path) {
  if (path.empty()) return;
  const RecentEntry entry{kind, normalise(kind, path)};
  entries_.erase(std::remove(entries_.begin(), entries_.end(), entry), entries_.end());
  entries_.insert(entries_.begin(), entry);
  std::size_t kept = 0;
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                [&](const RecentEntry& e) { return e.kind == kind && ++kept > kMaxPerKind; }),
                 entries_.end());
}

void RecentFiles::remove(RecentKind kind, const std::string& path) {
  const std::string normal = normalise(kind, path);
  entries_.erase(
      std::remove_if(entries_.begin(), entries_.end(),
                     [&](const RecentEntry& e) { return e.kind == kind && (e.path == path || e.path == normal); }),
      entries_.end());
}

void RecentFiles::clear(RecentKind kind) {
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(), [&](const RecentEntry& e) { return e.kind == kind; }),
                 entries_.end());
}

std::vector<std::string> RecentFiles::list(RecentKind kind) const {
  std::vector<std::string> paths;
  for (const auto& e : entries_) {
    if (e.kind == kind) paths.push_back(e.path);
  }
  return paths;
}

RecentFiles RecentFiles::parse(const std::string& text) {
  RecentFiles recent;
  std::istringstream in(text);
  std::string line;
  std::vector<RecentEntry> lines;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto tab = line.find('\t');
    if (tab == std::string::npos || tab + 1 >= line.size()) continue;
    const std::string kind = line.substr(0, tab);
    if (kind == "checkpoint") {
      lines.push_back({RecentKind::Checkpoint, line.substr(tab + 1)});
    } else if (kind == "dataset") {
      lines.push_back({RecentKind::DataSet, line.substr(tab + 1)});
    }
  }
  // Added oldest first so duplicates and the per-kind limit are handled exactly as in add().
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    RecentEntry entry = *it;
    recent.entries_.erase(std::remove(recent.entries_.begin(), recent.entries_.end(), entry), recent.entries_.end());
    recent.entries_.insert(recent.entries_.begin(), entry);
  }
  for (RecentKind kind : {RecentKind::Checkpoint, RecentKind::DataSet}) {
    std::size_t kept = 0;
    recent.entries_.erase(std::remove_if(recent.entries_.begin(), recent.entries_.end(),
                                         [&](const RecentEntry& e) { return e.kind == kind && ++kept > kMaxPerKind; }),
                          recent.entries_.end());
  }
  return recent;
}

std::string RecentFiles::serialize() const {
  std::string out;
  for (const auto& e : entries_) {
    // A newline in a path would split the entry; such a path cannot be stored in this format.
    if (e.path.find_first_of("\r\n") != std::string::npos) continue;
    out += kind_name(e.kind);
    out += '\t';
    out += e.path;
    out += '\n';
  }
  return out;
}

RecentFiles RecentFiles::load(const std::string& file) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec) || fs::file_size(file, ec) > kMaxFileBytes || ec) return {};
  std::ifstream in(file, std::ios::binary);
  std::string text(kMaxFileBytes, '\0');
  in.read(text.data(), std::streamsize(text.size()));
  text.resize(std::size_t(in.gcount()));
  return parse(text);
}

void RecentFiles::save(const std::string& file) const {
  const std::string temporary = file + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << serialize();
    out.flush();
    if (!out) {
      std::remove(temporary.c_str());
      throw std::runtime_error("cannot write the recent files list " + temporary);
    }
  }
  std::error_code ec;
  fs::rename(temporary, file, ec);
  if (ec) {
    std::remove(temporary.c_str());
    throw std::runtime_error("cannot replace the recent files list " + file + ": " + ec.message());
  }
}

}  // namespace vae::gui

#include "app/gui/logic/file_browser.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>

namespace vae::gui {

namespace fs = std::filesystem;

namespace {

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

std::string lowered(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), lower);
  return s;
}

}  // namespace

bool glob_match(const std::string& pattern, const std::string& name) {
  // Iterative matching with one backtrack point: linear for the patterns dialogs use, and never
  // exponential whatever the pattern.
  std::size_t p = 0, n = 0, star = std::string::npos, resume = 0;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || lower(pattern[p]) == lower(name[n]))) {
      ++p;
      ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (star != std::string::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool filter_accepts(const FileFilter& filter, const std::string& name) {
  if (filter.patterns.empty()) return true;
  return std::any_of(filter.patterns.begin(), filter.patterns.end(),
                     [&](const std::string& pattern) { return glob_match(pattern, name); });
}

DirectoryListing list_directory(const std::string& directory, const FileFilter& filter, const ListingOptions& options) {
  DirectoryListing listing;
  std::error_code ec;
  fs::path dir = fs::absolute(fs::path(directory.empty() ? "." : directory), ec);
  listing.directory = (ec ? fs::path(directory) : dir).lexically_normal().string();
  if (listing.directory.size() > 1 && listing.directory.back() == '/') listing.directory.pop_back();
  fs::directory_iterator it(listing.directory, fs::directory_options::skip_permission_denied, ec);
  if (ec) {
    listing.error = "cannot read the folder " + listing.directory + ": " + ec.message();
    return listing;
  }
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) {
      listing.error = "cannot read the folder " + listing.directory + ": " + ec.message();
      break;
    }
    const std::string name = it->path().filename().string();
    if (!options.show_hidden && !name.empty() && name[0] == '.') continue;
    std::error_code type_ec;
    const bool is_directory = it->is_directory(type_ec);  // follows symbolic links
    if (!is_directory && (options.folders_only || !filter_accepts(filter, name))) continue;
    if (listing.entries.size() >= options.max_entries) {
      listing.truncated = true;
      break;
    }
    DirectoryEntry entry;
    entry.name = name;
    entry.is_directory = is_directory;
    if (!is_directory) {
      std::error_code size_ec;
      const auto size = it->file_size(size_ec);
      entry.size = size_ec ? 0 : std::size_t(size);
    }
    listing.entries.push_back(std::move(entry));
  }
  std::sort(listing.entries.begin(), listing.entries.end(), [](const DirectoryEntry& a, const DirectoryEntry& b) {
    if (a.is_directory != b.is_directory) return a.is_directory;
    const std::string la = lowered(a.name), lb = lowered(b.name);
    return la != lb ? la < lb : a.name < b.name;
  });
  return listing;
}

std::string parent_directory(const std::string& directory) {
  fs::path p = fs::path(directory).lexically_normal();
  if (p.has_filename() == false && p.has_parent_path() && p != p.root_path()) p = p.parent_path();
  const fs::path parent = p.parent_path();
  return parent.empty() ? p.string() : parent.string();
}

std::string resolve_typed_path(const std::string& directory, const std::string& typed) {
  if (typed.empty()) return fs::path(directory).lexically_normal().string();
  fs::path path;
  if (typed[0] == '/') {
    path = typed;
  } else if (typed == "~" || typed.rfind("~/", 0) == 0) {
    const char* home = std::getenv("HOME");
    path = fs::path(home ? home : "/") / typed.substr(typed.size() > 1 ? 2 : 1);
  } else {
    path = fs::path(directory) / typed;
  }
  std::string out = path.lexically_normal().string();
  if (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

}  // namespace vae::gui

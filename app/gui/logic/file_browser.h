#pragma once
// What the in-app file chooser shows: a folder's entries filtered by file type, folders first.
// Used when the platform's dialog cannot be shown. Pure logic: no ImGui, GL or LibTorch.
#include <cstddef>
#include <string>
#include <vector>

namespace vae::gui {

// A named set of glob patterns, as dialogs show them: {"Checkpoints", {"*.ckpt"}}.
struct FileFilter {
  std::string name;
  std::vector<std::string> patterns;  // "*" matches any run of characters, "?" one; case-insensitive
};

// True when `name` matches `pattern` ('*' and '?' wildcards, ASCII case-insensitive).
bool glob_match(const std::string& pattern, const std::string& name);
// True when `name` matches any pattern of `filter` (an empty pattern list matches everything).
bool filter_accepts(const FileFilter& filter, const std::string& name);

struct DirectoryEntry {
  std::string name;
  bool is_directory = false;
  std::size_t size = 0;  // bytes, files only
};

struct DirectoryListing {
  std::string directory;                // absolute and normalised
  std::vector<DirectoryEntry> entries;  // folders first, then files, each by case-insensitive name
  std::string error;                    // non-empty when the folder could not be read (entries empty)
  bool truncated = false;               // more than the limit: the rest is not listed
};

struct ListingOptions {
  bool show_hidden = false;        // names starting with '.'
  bool folders_only = false;       // choosing a folder: files are not listed
  std::size_t max_entries = 5000;  // a folder of a million files must not freeze the window
};

// Lists `directory` (never throws: errors are in `error`). Files must pass `filter`; folders
// always pass.
DirectoryListing list_directory(const std::string& directory, const FileFilter& filter,
                                const ListingOptions& options = {});

// The folder above `directory` ("/" stays "/").
std::string parent_directory(const std::string& directory);

// What the chooser's name field means, relative to the folder shown: an absolute path is taken as
// is, "~/x" is under $HOME, anything else is joined to `directory`. Normalised.
std::string resolve_typed_path(const std::string& directory, const std::string& typed);

}  // namespace vae::gui

#include "app/gui/follow.h"

#include <memory>

#include "app/gui/app_state.h"
#include "core/io/file_watch.h"

namespace vae::gui {

void follow_checkpoint(AppState& app) {
  const std::string& path = app.options.follow_path;
  if (path.empty()) return;
  // One window per process, so one follower: kept here rather than in the shared AppState.
  static std::unique_ptr<FileFollower> follower;
  if (!follower || follower->path() != path) {
    follower = std::make_unique<FileFollower>(path);
    // The version the start-up load (--load, set by --follow) is reading.
    if (app.options.load_path == path) follower->handled(stamp_file(path));
  }
  // One load at a time; a version that arrives meanwhile is picked up by the next poll.
  if (app.pending_checkpoint.valid() || app.pending_data) return;
  if (!follower->poll(app.now)) return;
  follower->handled(follower->pending());
  open_checkpoint(app, path);
}

}  // namespace vae::gui

#include "app/gui/follow.h"

#include <memory>

#include "app/gui/session.h"
#include "core/io/file_watch.h"

namespace vae::gui {

void follow_checkpoint(Session& session) {
  const std::string& path = session.options().follow_path;
  if (path.empty()) return;
  // One window per process, so one follower: kept here rather than in the Session.
  static std::unique_ptr<FileFollower> follower;
  if (!follower || follower->path() != path) {
    follower = std::make_unique<FileFollower>(path);
    // The version the start-up load (--load, set by --follow) is reading.
    if (session.options().load_path == path) follower->handled(stamp_file(path));
  }
  // One load at a time; a version that arrives meanwhile is picked up by the next poll.
  if (session.opening_checkpoint() || session.loading_data()) return;
  if (!follower->poll(session.now())) return;
  follower->handled(follower->pending());
  session.open_checkpoint(path);
}

}  // namespace vae::gui

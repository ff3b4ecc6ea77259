#pragma once
// --follow FILE: the window reloads a checkpoint that another process (or machine) keeps
// rewriting, so a run training elsewhere can be watched live.

namespace vae::gui {

struct AppState;

// Called once per frame from update(): one stat() every quarter second, and when a new version
// has settled, the usual background load (open_checkpoint). Does nothing without --follow.
void follow_checkpoint(AppState& app);

}  // namespace vae::gui

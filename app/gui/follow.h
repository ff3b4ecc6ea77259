#pragma once
// --follow FILE: the window reloads a checkpoint that another process (or machine) keeps
// rewriting, so a run training elsewhere can be watched live.

namespace vae::gui {

class Session;

// Called once per frame from Session::update(): one stat() every quarter second, and when a new
// version has settled, the usual background load (Session::open_checkpoint). Does nothing
// without --follow.
void follow_checkpoint(Session& session);

}  // namespace vae::gui

#pragma once
// What the window tells the user: loaded files, saved checkpoints, errors. Shown in the Training
// panel; anything (panels, the session, background results) may report.
#include <deque>
#include <string>

namespace vae::gui {

struct Message {
  std::string text;
  bool error = false;
  double time = 0;
};

class MessageLog {
 public:
  // The same message again (a panel failing every frame) refreshes the entry instead of
  // flooding the list.
  void report(const std::string& text, bool error);
  void set_time(double now) { now_ = now; }
  const std::deque<Message>& messages() const { return messages_; }  // newest first
  bool any_error() const;
  void clear() { messages_.clear(); }

 private:
  std::deque<Message> messages_;
  double now_ = 0;
};

}  // namespace vae::gui

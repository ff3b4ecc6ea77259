#include "app/gui/messages.h"

#include "app/gui/logic/ui_timing.h"

namespace vae::gui {

void MessageLog::report(const std::string& text, bool error) {
  if (text.empty()) return;
  if (!messages_.empty() && messages_.front().text == text && messages_.front().error == error) {
    messages_.front().time = now_;
    return;
  }
  messages_.push_front(Message{text, error, now_});
  while (messages_.size() > 8) messages_.pop_back();
}

bool MessageLog::in_error() const { return messages_in_error(messages_); }

}  // namespace vae::gui

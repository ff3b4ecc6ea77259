#include "app/gui/messages.h"

#include <algorithm>

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

bool MessageLog::any_error() const {
  return std::any_of(messages_.begin(), messages_.end(), [](const Message& m) { return m.error; });
}

}  // namespace vae::gui

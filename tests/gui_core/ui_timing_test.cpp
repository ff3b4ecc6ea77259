#include "app/gui/logic/ui_timing.h"

#include <gtest/gtest.h>

#include <deque>

namespace vae::gui {
namespace {

TEST(HoverDelay, ShowsOnlyAfterResting) {
  HoverDelay delay(0.5);
  EXPECT_FALSE(delay.update(7, 10.0));
  EXPECT_FALSE(delay.update(7, 10.49));
  EXPECT_TRUE(delay.update(7, 10.5));
  // Moving to another item starts the wait again.
  EXPECT_FALSE(delay.update(8, 10.6));
  EXPECT_TRUE(delay.update(8, 11.2));
  // Nothing hovered: nothing shows, and coming back waits again.
  EXPECT_FALSE(delay.update(0, 20.0));
  EXPECT_FALSE(delay.update(8, 20.1));
}

TEST(ToastAlpha, FadesInHoldsFadesOut) {
  EXPECT_EQ(toast_alpha(5.0, 4.9), 0.f);
  EXPECT_NEAR(toast_alpha(5.0, 5.075), 0.5f, 1e-4);
  EXPECT_EQ(toast_alpha(5.0, 6.0), 1.f);
  EXPECT_NEAR(toast_alpha(5.0, 7.75), 0.5f, 1e-4);
  EXPECT_EQ(toast_alpha(5.0, 8.0), 0.f);
}

struct M {
  bool error;
};

TEST(MessagesInError, ALaterSuccessClearsTheRedState) {
  std::deque<M> messages;
  EXPECT_FALSE(messages_in_error(messages));
  messages.push_front({true});
  EXPECT_TRUE(messages_in_error(messages));
  messages.push_front({false});
  EXPECT_FALSE(messages_in_error(messages));
  messages.push_front({true});
  EXPECT_TRUE(messages_in_error(messages));
}

}  // namespace
}  // namespace vae::gui

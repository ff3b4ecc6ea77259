#pragma once
// Work the window starts off its UI thread (loads, encodings, analyses). A std::async thread
// inherits the priority of the thread that starts it, the UI's, and would then preempt training
// whenever both want a core: measured, the aggregate-posterior analysis alone took ~10 % of a core
// that way while training. These run named and at the background priority (thread_priority.h).
#include <future>
#include <type_traits>
#include <utility>

#include "core/runtime/thread_priority.h"

namespace vae::gui {

// Runs task() on a new thread named `name` (a string literal) at the background priority.
template <typename Task>
std::future<std::invoke_result_t<std::decay_t<Task>>> start_background_task(const char* name, Task&& task) {
  return std::async(std::launch::async, [name, task = std::forward<Task>(task)]() mutable {
    name_this_thread(name);
    enter_background_priority();
    return task();
  });
}

}  // namespace vae::gui

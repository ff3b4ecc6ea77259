#include "core/runtime/thread_priority.h"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#if defined(__linux__)
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace vae {

namespace {
std::atomic<int> niceness{0};

#if defined(__linux__)
// On Linux, PRIO_PROCESS with a thread id sets that one thread's nice value; raising it needs no
// privilege. False when the thread is gone or the call was refused.
bool lower_thread(id_t tid, int increment) {
  errno = 0;
  const int current = getpriority(PRIO_PROCESS, tid);
  if (current == -1 && errno != 0) return false;
  return setpriority(PRIO_PROCESS, tid, current + increment) == 0;
}
#endif
}  // namespace

void set_background_niceness(int increment) { niceness.store(increment < 0 ? 0 : increment); }

int background_niceness() { return niceness.load(); }

bool enter_background_priority() {
  const int increment = niceness.load();
  if (increment == 0) return true;
#if defined(__linux__)
  return lower_thread(static_cast<id_t>(syscall(SYS_gettid)), increment);
#else
  return false;
#endif
}

bool match_background_priority() {
#if defined(__linux__)
  return setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), niceness.load()) == 0;
#else
  return false;
#endif
}

void name_this_thread(const char* name) {
#if defined(__linux__)
  char shortened[16] = {};  // the kernel keeps 15 characters and a terminator
  for (std::size_t i = 0; i + 1 < sizeof shortened && name[i] != '\0'; ++i) shortened[i] = name[i];
  pthread_setname_np(pthread_self(), shortened);
#else
  (void)name;
#endif
}

int lower_existing_threads() {
  const int increment = niceness.load();
  if (increment == 0) return 0;
  int lowered = 0;
#if defined(__linux__)
  const auto self = static_cast<id_t>(syscall(SYS_gettid));
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task", error)) {
    char* end = nullptr;
    const std::string name = entry.path().filename().string();
    const long tid = std::strtol(name.c_str(), &end, 10);
    if (*end != '\0' || tid <= 0 || static_cast<id_t>(tid) == self) continue;
    if (lower_thread(static_cast<id_t>(tid), increment)) ++lowered;  // false: the thread has just ended
  }
#endif
  return lowered;
}

}  // namespace vae

#include "app/cli_launch.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "app/cli_common.h"
#include "core/errors.h"

extern char** environ;

namespace vae::cli {

namespace {

constexpr int kMaxLocalProcesses = 64;
// After the first rank fails, the others get this long to notice and exit by themselves.
constexpr auto kGracePeriod = std::chrono::seconds(10);

std::vector<std::string> own_command_line() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  const std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  std::string::size_type start = 0;
  while (start < all.size()) {
    const auto end = all.find('\0', start);
    args.push_back(all.substr(start, end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return args;
}

std::string own_executable() {
  char path[4096];
  const ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) throw IoError("--nproc: cannot find this program's own path (/proc/self/exe)");
  return std::string(path, static_cast<std::size_t>(n));
}

// A port the kernel just handed out on loopback: free now, and the first rank binds it a moment later.
int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw IoError(std::string("--nproc: cannot open a socket: ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  ::close(fd);
  if (!ok) throw IoError(std::string("--nproc: cannot find a free port on 127.0.0.1: ") + std::strerror(errno));
  return ntohs(address.sin_port);
}

int usable_cores() {
  cpu_set_t set;
  if (::sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("was killed by signal ") + strsignal(WTERMSIG(status));
  return "stopped";
}

}  // namespace

int launch_local_ranks(int nproc) {
  if (nproc < 1 || nproc > kMaxLocalProcesses)
    throw ConfigError("--nproc " + std::to_string(nproc) + ": expected 1.." + std::to_string(kMaxLocalProcesses));
  // The same command without --nproc, plus the rank's place in the run.
  std::vector<std::string> base;
  const auto args = own_command_line();
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--nproc") {
      ++i;
      continue;
    }
    if (args[i].rfind("--nproc=", 0) == 0) continue;
    base.push_back(args[i]);
  }
  const std::string executable = own_executable();
  const std::string master = "127.0.0.1:" + std::to_string(free_loopback_port());

  // Split the cores: N processes each with every core's worth of threads would only fight.
  const int threads = std::max(1, usable_cores() / nproc);
  std::vector<std::string> environment;
  for (char** e = environ; *e; ++e) environment.emplace_back(*e);
  auto set_default = [&](const std::string& name, const std::string& value) {
    for (const auto& entry : environment)
      if (entry.rfind(name + "=", 0) == 0) return;  // the user's setting wins
    environment.push_back(name + "=" + value);
  };
  set_default("VAE_TORCH_THREADS", std::to_string(threads));
  set_default("OPENBLAS_NUM_THREADS", std::to_string(threads));
  std::vector<char*> envp;
  for (auto& entry : environment) envp.push_back(entry.data());
  envp.push_back(nullptr);

  std::cerr << "train --nproc " << nproc << ": " << nproc << " processes on " << master << ", " << threads
            << " thread(s) each\n";
  const pid_t parent = ::getpid();
  std::vector<pid_t> children;
  for (int rank = 0; rank < nproc; ++rank) {
    std::vector<std::string> command = base;
    for (const std::string& extra : {std::string("--world-size"), std::to_string(nproc), std::string("--rank"),
                                     std::to_string(rank), std::string("--master"), master})
      command.push_back(extra);
    std::vector<char*> argv;
    for (auto& arg : command) argv.push_back(arg.data());
    argv.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) {
      for (pid_t child : children) ::kill(child, SIGTERM);
      throw IoError(std::string("--nproc: cannot start a process: ") + std::strerror(errno));
    }
    if (pid == 0) {
      // Only async-signal-safe calls here. A rank outlives a killed launcher by no more than this.
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) ::_exit(kExitFailure);
      ::execve(executable.c_str(), argv.data(), envp.data());
      ::_exit(127);
    }
    children.push_back(pid);
  }

  int result = 0;
  std::size_t running = children.size();
  std::vector<bool> done(children.size(), false);
  auto first_failure = std::chrono::steady_clock::time_point::max();
  bool terminated = false;
  while (running > 0) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      for (std::size_t r = 0; r < children.size(); ++r) {
        if (children[r] != pid || done[r]) continue;
        done[r] = true;
        --running;
        const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        if (!ok) {
          std::cerr << "train --nproc: rank " << r << " " << describe_status(status) << "\n";
          if (result == 0) {
            result = WIFEXITED(status) && WEXITSTATUS(status) == kExitUsage ? kExitUsage : kExitFailure;
            first_failure = std::chrono::steady_clock::now();
          }
        }
      }
      continue;
    }
    if (pid < 0 && errno != EINTR) break;
    if (!terminated && std::chrono::steady_clock::now() - first_failure > kGracePeriod) {
      for (std::size_t r = 0; r < children.size(); ++r)
        if (!done[r]) {
          std::cerr << "train --nproc: rank " << r << " did not stop by itself; terminating it\n";
          ::kill(children[r], SIGTERM);
        }
      terminated = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return result;
}

}  // namespace vae::cli

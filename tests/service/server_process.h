// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The real omniroute-server binary as a child process of a test: started
// with arguments, its stderr in a log file, its port read from --port_file
// (inotify), its exit waited for with a pidfd. Waits are bounded and
// event-driven; nothing sleeps.

#ifndef OMNIROUTE_TESTS_SERVICE_SERVER_PROCESS_H_
#define OMNIROUTE_TESTS_SERVICE_SERVER_PROCESS_H_

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

extern char** environ;

namespace omniroute::service_test {

namespace fs = std::filesystem;

inline constexpr std::chrono::seconds kStartTimeout{60};
inline constexpr std::chrono::seconds kStopTimeout{60};

inline std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

inline int MillisecondsUntil(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

// One run of omniroute-server. Its stderr (and stdout) go to a file.
class ServerProcess {
 public:
  ServerProcess(const std::vector<std::string>& args, fs::path log) : log_(std::move(log)) {
    std::vector<std::string> argv_storage = {OMNIROUTE_SERVER_PATH};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 2, 1);
    const int error = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (error != 0) {
      ADD_FAILURE() << "cannot start " << OMNIROUTE_SERVER_PATH << ": " << strerror(error);
      pid_ = -1;
      return;
    }
    pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
    if (pidfd_ < 0) ADD_FAILURE() << "pidfd_open: " << strerror(errno);
  }

  ~ServerProcess() {
    if (running()) {
      kill(pid_, SIGKILL);
      WaitForExit(kStopTimeout);
    }
    if (pidfd_ >= 0) close(pidfd_);
  }

  bool running() const { return pid_ > 0 && !exit_status_.has_value(); }
  pid_t pid() const { return pid_; }
  std::string log() const { return ReadFile(log_); }

  // The port the server wrote to `port_file` once listening; nullopt (and
  // a failure) if it exited first or took longer than kStartTimeout.
  std::optional<int> WaitForPort(const fs::path& port_file) {
    if (pid_ <= 0) return std::nullopt;
    const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    const int watch = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (watch < 0 || inotify_add_watch(watch, port_file.parent_path().c_str(),
                                       IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE) < 0) {
      ADD_FAILURE() << "inotify: " << strerror(errno);
      if (watch >= 0) close(watch);
      return std::nullopt;
    }
    std::optional<int> port;
    while (true) {
      // Checked after the watch exists, so a file written meanwhile wakes
      // the poll below.
      if (fs::exists(port_file)) {
        std::istringstream in(ReadFile(port_file));
        int p = 0;
        if (in >> p && p > 0) {
          port = p;
          break;
        }
      }
      if (!running() || PollExit(0)) {
        ADD_FAILURE() << "omniroute-server exited before listening (status " << *exit_status_
                      << "):\n"
                      << log();
        break;
      }
      const int left = MillisecondsUntil(deadline);
      if (left == 0) {
        ADD_FAILURE() << "no port file after " << kStartTimeout.count() << "s:\n" << log();
        break;
      }
      pollfd fds[2] = {{watch, POLLIN, 0}, {pidfd_, POLLIN, 0}};
      poll(fds, 2, left);
      char drain[4096];
      while (read(watch, drain, sizeof drain) > 0) {
      }
    }
    close(watch);
    return port;
  }

  // Waits for the process to end; its wait status, or nullopt on timeout.
  std::optional<int> WaitForExit(std::chrono::seconds timeout) {
    if (pid_ <= 0) return std::nullopt;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!exit_status_.has_value()) {
      if (PollExit(MillisecondsUntil(deadline))) break;
      if (MillisecondsUntil(deadline) == 0) return std::nullopt;
    }
    return exit_status_;
  }

  // SIGTERM, then the exit code (a failure if it did not exit normally).
  std::optional<int> Terminate() {
    if (!running()) return std::nullopt;
    kill(pid_, SIGTERM);
    std::optional<int> status = WaitForExit(kStopTimeout);
    if (!status.has_value()) {
      ADD_FAILURE() << "omniroute-server did not stop within " << kStopTimeout.count() << "s";
      return std::nullopt;
    }
    if (!WIFEXITED(*status)) {
      ADD_FAILURE() << "omniroute-server ended by signal " << WTERMSIG(*status) << ":\n" << log();
      return std::nullopt;
    }
    return WEXITSTATUS(*status);
  }

 private:
  // True once the child has exited (reaped into exit_status_).
  bool PollExit(int timeout_ms) {
    if (exit_status_.has_value()) return true;
    pollfd fd = {pidfd_, POLLIN, 0};
    if (pidfd_ >= 0 && poll(&fd, 1, timeout_ms) <= 0) return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) != pid_) return false;
    exit_status_ = status;
    return true;
  }

  fs::path log_;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  std::optional<int> exit_status_;
};

}  // namespace omniroute::service_test

#endif  // OMNIROUTE_TESTS_SERVICE_SERVER_PROCESS_H_

#pragma once
// A progress line on a terminal, redrawn a few times a second; silent when stderr is not a terminal.

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace upsert::cli {

class ProgressLine {
 public:
  // `describe` builds the line; it is called from the progress thread.
  explicit ProgressLine(std::function<std::string()> describe) : describe_(std::move(describe)) {
    if (::isatty(STDERR_FILENO) == 0) return;
    thread_ = std::thread([this] {
      std::unique_lock lock(mutex_);
      while (!stop_) {
        std::fprintf(stderr, "\r%s\033[K", describe_().c_str());
        std::fflush(stderr);
        wake_.wait_for(lock, std::chrono::milliseconds(250));
      }
      std::fprintf(stderr, "\r\033[K");
      std::fflush(stderr);
    });
  }
  ~ProgressLine() { stop(); }
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::function<std::string()> describe_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace upsert::cli

#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace chatiere::base {

// A background thread that runs `work` every `interval`, at once when woken, and stops promptly.
// `work` returns true when it did something and should run again at once. Its exceptions are
// passed to `onError`, never let out of the thread.
class PeriodicTask {
public:
    PeriodicTask(std::chrono::milliseconds interval, std::function<bool()> work,
                 std::function<void(const std::exception&)> onError);
    ~PeriodicTask();
    PeriodicTask(const PeriodicTask&) = delete;
    PeriodicTask& operator=(const PeriodicTask&) = delete;

    void start(bool runAtOnce = true);
    void stop();  // waits for the thread; idempotent
    void wake();

private:
    void run();

    std::chrono::milliseconds interval_;
    std::function<bool()> work_;
    std::function<void(const std::exception&)> onError_;
    std::mutex mutex_;
    std::condition_variable wakeUp_;
    bool woken_ = false;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace chatiere::base

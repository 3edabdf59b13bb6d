#include "chatiere/base/PeriodicTask.h"

namespace chatiere::base {

PeriodicTask::PeriodicTask(std::chrono::milliseconds interval, std::function<bool()> work,
                           std::function<void(const std::exception&)> onError)
    : interval_(interval), work_(std::move(work)), onError_(std::move(onError)) {}

PeriodicTask::~PeriodicTask() {
    stop();
}

void PeriodicTask::start(bool runAtOnce) {
    std::lock_guard lock(mutex_);
    if (thread_.joinable()) {
        return;
    }
    stopping_ = false;
    woken_ = runAtOnce;
    thread_ = std::thread([this] { run(); });
}

void PeriodicTask::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wakeUp_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void PeriodicTask::wake() {
    {
        std::lock_guard lock(mutex_);
        woken_ = true;
    }
    wakeUp_.notify_all();
}

void PeriodicTask::run() {
    bool again = false;
    while (true) {
        {
            std::unique_lock lock(mutex_);
            if (!again) {
                wakeUp_.wait_for(lock, interval_, [this] { return woken_ || stopping_; });
            }
            if (stopping_) {
                return;
            }
            woken_ = false;
        }
        try {
            again = work_();
        } catch (const std::exception& e) {
            again = false;
            onError_(e);
        }
    }
}

}  // namespace chatiere::base

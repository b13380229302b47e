#include "sequencer/event_bus.hpp"

#include <algorithm>

namespace ballast::sequencer {

EventBus::EventBus(std::size_t capacity) : slots_(std::max<std::size_t>(1, capacity)) {}

void EventBus::publish(std::shared_ptr<const StreamBatch> batch) {
    if (!batch || batch->records.empty()) return;
    {
        std::lock_guard lock(mutex_);
        last_seq_ = batch->records.back().seq;
        slots_[head_ % slots_.size()] = std::move(batch);
        ++head_;
    }
    published_cv_.notify_all();
}

void EventBus::close() {
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
    }
    published_cv_.notify_all();
}

EventBus::Cursor EventBus::subscribe() const {
    std::lock_guard lock(mutex_);
    return Cursor{head_};
}

EventBus::Read EventBus::next(Cursor& cursor, std::chrono::milliseconds wait) const {
    std::unique_lock lock(mutex_);
    if (cursor.next == head_ && !closed_)
        published_cv_.wait_for(lock, wait, [&] { return cursor.next != head_ || closed_; });
    if (cursor.next == head_) return Read{closed_ ? Status::Closed : Status::TimedOut, nullptr, 0};
    const std::uint64_t oldest = head_ > slots_.size() ? head_ - slots_.size() : 0;
    if (cursor.next < oldest) {
        const std::uint64_t behind = oldest - cursor.next;
        cursor.next = oldest;
        return Read{Status::Lapped, nullptr, behind};
    }
    Read read{Status::Batch, slots_[cursor.next % slots_.size()], 0};
    ++cursor.next;
    return read;
}

std::uint64_t EventBus::published() const {
    std::lock_guard lock(mutex_);
    return head_;
}

std::uint64_t EventBus::last_seq() const {
    std::lock_guard lock(mutex_);
    return last_seq_;
}

}  // namespace ballast::sequencer

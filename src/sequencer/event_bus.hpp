// The in-process event bus: what the journal made durable, batch by batch,
// for any number of consumers (the WebSocket fan-out today; the history
// recorder next). The shape of the LMAX / exchange-core disruptor: a bounded
// ring with one producer (the journal writer) and one cursor per consumer.
//
// The producer never waits for a consumer. A consumer that falls more than
// the ring's capacity behind is told it was lapped, with the first sequence
// number it missed, and must catch up elsewhere (a durable consumer from the
// journal; a WebSocket session is cut off).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "sequencer/stream_record.hpp"

namespace ballast::sequencer {

// The records of one group commit, in sequence order, all durable.
struct StreamBatch {
    std::vector<StreamRecord> records;
};

class EventBus {
public:
    explicit EventBus(std::size_t capacity = 4'096);

    // Publishes a batch; never blocks on consumers. Empty batches are dropped.
    void publish(std::shared_ptr<const StreamBatch> batch);
    // Wakes every consumer; next() then answers Closed once it has read everything.
    void close();

    // A consumer's position: the number of the next batch it will read.
    struct Cursor {
        std::uint64_t next = 0;
    };
    // A cursor at the next batch to be published.
    Cursor subscribe() const;

    enum class Status { Batch, Lapped, Closed, TimedOut };
    struct Read {
        Status status = Status::TimedOut;
        std::shared_ptr<const StreamBatch> batch;  // with Batch
        std::uint64_t behind = 0;                  // with Lapped: batches skipped
    };
    // The batch at the cursor, waiting up to `wait` for one. Lapped moves the
    // cursor to the oldest batch still held.
    Read next(Cursor& cursor, std::chrono::milliseconds wait) const;

    std::uint64_t published() const;
    std::size_t capacity() const { return slots_.size(); }
    // The last sequence number published (0 before any).
    std::uint64_t last_seq() const;

private:
    mutable std::mutex mutex_;
    mutable std::condition_variable published_cv_;
    std::vector<std::shared_ptr<const StreamBatch>> slots_;
    std::uint64_t head_ = 0;  // batches published
    std::uint64_t last_seq_ = 0;
    bool closed_ = false;
};

}  // namespace ballast::sequencer

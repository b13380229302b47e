// The sequencer: one thread that owns the exchange state.
//
// Gateways hand it requests through a bounded lock-free queue. For each write
// it stamps a sequence number and the time (wall clock in ms, never going
// backwards), frames a journal record, and applies it; reads are answered in
// line. A batch of records goes to the journal writer thread, which writes and
// fsyncs it once (group commit) and only then releases the batch's replies, so
// no acknowledged command can be lost. A snapshot thread writes copies of the
// state once the commands they contain are durable.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include <boost/lockfree/queue.hpp>

#include "sequencer/data_dir_lock.hpp"
#include "sequencer/event_bus.hpp"
#include "sequencer/exchange_state.hpp"
#include "sequencer/file_system.hpp"
#include "sequencer/journal.hpp"
#include "sequencer/sequencer_metrics.hpp"

namespace ballast::sequencer {

struct SequencerConfig {
    std::filesystem::path data_dir;
    FsyncPolicy fsync = FsyncPolicy::Batch;
    std::size_t queue_capacity = 16'384;  // requests waiting for the engine; more is overload
    std::size_t max_batch = 4'096;        // commands per group commit
    std::uint64_t segment_bytes = 64ull << 20;
    std::uint64_t snapshot_every_commands = 1'000'000;
    std::chrono::milliseconds snapshot_every{std::chrono::minutes(5)};
    // Disk kept allocated ahead of the journal (see JournalWriter): when less
    // than this is free, new commands are refused while those already applied
    // are still written. 0: no reserve (a full disk fails the write itself).
    std::uint64_t journal_reserve_bytes = 16ull << 20;
    // How often a failed journal write, or a full disk, is tried again.
    std::chrono::milliseconds journal_retry_every{1'000};
    JournalFaults* journal_faults = nullptr;  // tests only
    // Where the journal and snapshots live: the real disk unless a test
    // passes a simulated one (tests/sim_file_system.hpp).
    FileSystem* file_system = nullptr;
    // Tests only, and wrong on purpose: replies leave as soon as their batch
    // reaches the writer, before it is written and synced. The power-loss
    // test must catch this (it proves that test can see a loss).
    bool unsafe_reply_before_sync = false;
    // Where what the journal made durable is published (the WebSocket feeds
    // read it); none: nothing is published.
    EventBus* bus = nullptr;
    ExchangeLimits limits;
};

struct Request {
    std::variant<WriteRequest, ReadRequest> what;
    // Called exactly once, on the journal writer thread, once every command
    // the reply shows is durable; or with a 503 if the exchange stops first.
    // While the journal cannot be written, writes are answered 503
    // journal_failed at once, and so are reads whenever commands already
    // applied are still waiting to be written.
    std::function<void(Response&&)> reply;
};

struct RecoveryReport {
    std::optional<std::uint64_t> snapshot_seq;
    std::vector<std::string> skipped_snapshots;
    std::uint64_t journal_records = 0;  // read from the journal
    std::uint64_t replayed = 0;         // applied on top of the snapshot
    std::uint64_t failed_commands = 0;  // of those, answered 500 internal_error (logged)
    std::uint64_t last_seq = 0;
    std::uint64_t truncated_bytes = 0;
    std::string truncation_reason;
    std::vector<std::string> removed_temporary_files;  // left by a crash while writing a snapshot
    double seconds = 0;
};

// Whether the exchange takes commands now; the reason when it does not.
struct Health {
    bool ready = false;
    std::string reason;
};

// How stop() went: not clean when commands already applied could not be
// journaled (their requests were answered 503, and they are not in the
// journal), or the final snapshot could not be written (the journal has
// everything; the next start replays more of it).
struct StopReport {
    bool clean = true;
    std::string problem;
};

using Clock = std::function<core::TimeMs()>;
core::TimeMs wall_clock_ms();

class Sequencer {
public:
    Sequencer(SequencerConfig config, SequencerMetrics* metrics = nullptr, Clock clock = wall_clock_ms);
    ~Sequencer();
    Sequencer(const Sequencer&) = delete;
    Sequencer& operator=(const Sequencer&) = delete;

    // Locks the data directory (throws DataDirLocked if another process has
    // it), loads the newest valid snapshot and replays the journal after it,
    // cutting off a torn tail. Throws JournalCorrupt when the journal cannot
    // be trusted. Call once, before start().
    RecoveryReport recover();
    void start();
    // Takes ownership when it returns true; false means the queue is full (overload).
    bool submit(std::unique_ptr<Request>& request);
    // Stops taking requests, finishes every queued one, and writes a final
    // snapshot. Never throws; the second and later calls report nothing.
    StopReport stop();

    // Thread-safe: ready while started and the journal can be written.
    Health health() const;

    // Submits and waits for the durable reply (startup commands, the demo
    // oracle); retries while the queue is full.
    Response call(std::variant<WriteRequest, ReadRequest> what);

    // Approximate: the counters are read one after the other.
    std::size_t queue_depth() const {
        const std::uint64_t popped = popped_.load(), pushed = pushed_.load();
        return pushed > popped ? pushed - popped : 0;
    }
    // The state, for callers that know the engine thread is not running:
    // before start() or after stop().
    const ExchangeState& state() const { return state_; }

private:
    // A reply and the last command it shows: it leaves once that one is durable.
    struct HeldReply {
        std::unique_ptr<Request> request;
        Response response;
        std::uint64_t wait_for = 0;
    };
    struct Batch {
        std::string framed;
        std::uint64_t first_seq = 0, last_seq = 0;
        std::vector<HeldReply> replies;
        std::vector<StreamRecord> stream;  // for the bus, once durable
    };
    struct PendingSnapshot {
        std::uint64_t seq = 0;
        core::TimeMs time = 0;
        std::string payload;
    };

    void engine_loop();
    void writer_loop();
    void snapshot_loop();
    void process(std::unique_ptr<Request> request, Batch& batch);
    Response process_write(const WriteRequest& request, Batch& batch);
    // Expands a cancel-all into one journaled cancel per open order.
    Response process_cancel_all(const CancelAllOrders& cancel_all, const WriteRequest& request, core::TimeMs now,
                                Batch& batch);
    // Queue depth, last seq, open interest and vault equity, a few times a second.
    void publish_gauges();
    // Journals and applies one command at the stamped time.
    Response journal_and_apply(const core::CommandBody& command, const WriteRequest& request,
                               const std::optional<SignedBy>& signed_by, core::TimeMs now, Batch& batch);
    void hand_to_writer(Batch&& batch);
    // Publishes on the bus, in one batch, the records now durable.
    void publish_durable(std::vector<StreamRecord>& unpublished, std::uint64_t durable);
    // The journal's health as the writer sees it: refuses or takes new
    // commands, logs the change, and tells /v1/health.
    void set_journal_health(bool refusing, const std::string& reason);
    void maybe_snapshot();

    SequencerConfig config_;
    FileSystem& files_;
    std::unique_ptr<DirectoryLock> lock_;  // held from recover() to destruction
    SequencerMetrics* metrics_;
    Clock clock_;
    ExchangeState state_;
    std::unique_ptr<JournalWriter> journal_;

    boost::lockfree::queue<Request*, boost::lockfree::fixed_sized<true>> queue_;
    std::atomic<std::uint64_t> pushed_{0}, popped_{0};
    std::atomic<bool> engine_sleeping_{false};
    std::atomic<bool> accepting_{false};
    std::atomic<bool> stopping_{false};

    std::mutex writer_mutex_;
    std::condition_variable writer_cv_, writer_space_cv_;
    std::deque<Batch> writer_queue_;
    bool writer_done_ = false;
    std::atomic<std::uint64_t> durable_seq_{0};
    // Set by the writer while the journal cannot take more: the engine thread
    // then refuses new commands.
    std::atomic<bool> journal_refusing_{false};
    std::uint64_t lost_at_stop_ = 0;  // applied commands the writer could not journal before stopping
    mutable std::mutex health_mutex_;
    std::string journal_problem_;  // empty while the journal is writable

    std::mutex snapshot_mutex_;
    std::condition_variable snapshot_cv_;
    std::optional<PendingSnapshot> pending_snapshot_;
    bool snapshot_done_ = false;
    std::uint64_t last_snapshot_seq_ = 0;
    std::chrono::steady_clock::time_point last_snapshot_time_;

    std::thread engine_thread_, writer_thread_, snapshot_thread_;
};

}  // namespace ballast::sequencer

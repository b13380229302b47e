#include "sequencer/sequencer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/decimal.hpp"
#include "sequencer/journal_format.hpp"
#include "sequencer/snapshot_store.hpp"

namespace ballast::sequencer {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

namespace {

// Batches handed to the writer but not yet durable. Beyond this the engine
// thread waits, the queue fills, and gateways answer 503: back-pressure
// instead of unbounded memory.
constexpr std::size_t kMaxBatchesInFlight = 4;
constexpr auto kGaugeInterval = std::chrono::milliseconds(250);

double seconds_since(SteadyClock::time_point start) {
    return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

}  // namespace

core::TimeMs wall_clock_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Sequencer::Sequencer(SequencerConfig config, SequencerMetrics* metrics, Clock clock)
    : config_(std::move(config)),
      files_(config_.file_system != nullptr ? *config_.file_system : posix_file_system()),
      metrics_(metrics),
      clock_(std::move(clock)),
      state_(config_.limits),
      queue_(config_.queue_capacity) {}

Sequencer::~Sequencer() { stop(); }

RecoveryReport Sequencer::recover() {
    const auto start = SteadyClock::now();
    // Made durably before anything is written inside it.
    files_.create_directories(config_.data_dir);
    lock_ = files_.lock_directory(config_.data_dir);
    RecoveryReport report;
    const fs::path snapshot_dir = config_.data_dir / "snapshots";
    const fs::path journal_dir = config_.data_dir / "journal";

    for (const fs::path& removed : remove_temporary_snapshots(snapshot_dir, files_))
        report.removed_temporary_files.push_back(removed.string());
    if (auto snapshot = load_newest_snapshot(snapshot_dir, report.skipped_snapshots, files_)) {
        std::string error;
        if (!state_.decode_snapshot(snapshot->payload, error))
            throw JournalCorrupt("snapshot at seq " + std::to_string(snapshot->seq) + " does not decode: " + error);
        report.snapshot_seq = snapshot->seq;
    }
    const std::uint64_t snapshot_seq = state_.last_seq();

    JournalRecord record;
    std::string error;
    const auto replay_record = [&](std::uint64_t seq, std::string_view payload) {
        ++report.journal_records;
        if (seq <= snapshot_seq) return;
        if (seq != state_.last_seq() + 1)
            throw JournalCorrupt("journal starts at seq " + std::to_string(seq) + " but the state ends at seq " +
                                 std::to_string(state_.last_seq()));
        if (!decode_record(payload, record, error))
            throw JournalCorrupt("journal record " + std::to_string(seq) + " does not decode: " + error);
        const Response response = state_.apply(record, ReplyWanted::OnlyIfStored);
        if (response.status == 500) {
            // The live exchange met the same failure and answered 500; the state is what it was then.
            spdlog::error("recovery: {}", response.body);
            ++report.failed_commands;
        }
        ++report.replayed;
    };
    const JournalScan scan =
        scan_journal(journal_dir, /*repair=*/true, replay_record, /*skip_through=*/snapshot_seq, files_);
    if (scan.last_seq < snapshot_seq && scan.last_seq != 0)
        throw JournalCorrupt("the journal ends at seq " + std::to_string(scan.last_seq) +
                             " before the newest snapshot (seq " + std::to_string(snapshot_seq) + ")");
    report.truncated_bytes = scan.truncated_bytes;
    report.truncation_reason = scan.truncation_reason;
    report.last_seq = state_.last_seq();

    journal_ = std::make_unique<JournalWriter>(journal_dir, config_.fsync, config_.segment_bytes,
                                               config_.journal_reserve_bytes, config_.journal_faults, files_);
    journal_->open(scan.last_seq == 0 ? std::nullopt : scan.last_segment, state_.last_seq() + 1);
    last_snapshot_seq_ = snapshot_seq;
    report.seconds = seconds_since(start);
    return report;
}

void Sequencer::start() {
    if (!journal_) recover();
    last_snapshot_time_ = SteadyClock::now();
    durable_seq_ = state_.last_seq();  // everything recovered is in the journal
    if (journal_->low_space())
        set_journal_health(true, "journal: " + journal_->low_space_reason() + "; new commands are refused");
    accepting_ = true;
    writer_thread_ = std::thread([this] { writer_loop(); });
    snapshot_thread_ = std::thread([this] { snapshot_loop(); });
    engine_thread_ = std::thread([this] { engine_loop(); });
}

bool Sequencer::submit(std::unique_ptr<Request>& request) {
    if (!accepting_.load(std::memory_order_acquire)) return false;
    if (!queue_.bounded_push(request.get())) return false;
    request.release();
    pushed_.fetch_add(1);
    // Wake the engine only if it went to sleep: the futex call costs more
    // than the push.
    if (engine_sleeping_.load()) pushed_.notify_one();
    return true;
}

Response Sequencer::call(std::variant<WriteRequest, ReadRequest> what) {
    std::promise<Response> promise;
    std::future<Response> future = promise.get_future();
    auto request = std::make_unique<Request>();
    request->what = std::move(what);
    request->reply = [&promise](Response&& response) { promise.set_value(std::move(response)); };
    while (!submit(request)) {
        if (!accepting_.load()) return {503, error_body("shutting_down", "the exchange is not accepting requests")};
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return future.get();
}

StopReport Sequencer::stop() {
    StopReport report;
    if (!engine_thread_.joinable()) return report;
    accepting_ = false;
    stopping_ = true;
    pushed_.fetch_add(1);
    pushed_.notify_one();
    engine_thread_.join();
    // A submit racing with stop may have queued after the engine's last look.
    for (Request* left = nullptr; queue_.pop(left);) {
        std::unique_ptr<Request> request(left);
        request->reply({503, error_body("shutting_down", "the exchange is shutting down")});
    }
    {
        std::lock_guard lock(writer_mutex_);
        writer_done_ = true;
    }
    writer_cv_.notify_all();
    writer_thread_.join();
    {
        std::lock_guard lock(snapshot_mutex_);
        snapshot_done_ = true;
    }
    snapshot_cv_.notify_all();
    snapshot_thread_.join();
    if (lost_at_stop_ > 0) {
        // A snapshot would claim more than the journal holds.
        report.clean = false;
        report.problem = std::to_string(lost_at_stop_) + " applied command(s) after seq " +
                         std::to_string(durable_seq_.load()) +
                         " could not be journaled and were answered 503; they are not part of the exchange. "
                         "No final snapshot was written";
        return report;
    }
    if (state_.last_seq() > last_snapshot_seq_) {
        try {
            std::string payload;
            state_.encode_snapshot(payload);
            write_snapshot(config_.data_dir / "snapshots", {state_.last_seq(), state_.last_time(), std::move(payload)},
                           /*keep=*/2, files_);
            spdlog::info("final snapshot at seq {}", state_.last_seq());
        } catch (const std::exception& e) {
            report.clean = false;
            report.problem = "the final snapshot could not be written (" + std::string(e.what()) +
                             "); the journal holds every command up to seq " + std::to_string(state_.last_seq()) +
                             " and the next start replays it";
        }
    }
    return report;
}

Health Sequencer::health() const {
    if (!accepting_.load()) return {false, "the exchange is not running (starting or shutting down)"};
    std::lock_guard lock(health_mutex_);
    if (!journal_problem_.empty()) return {false, journal_problem_};
    return {true, {}};
}

void Sequencer::engine_loop() {
    auto last_gauges = SteadyClock::now();
    while (true) {
        // Sleep until something is queued. The flag is set before the last
        // look at the queue, so a push after that look sees it and wakes us.
        const std::uint64_t seen = pushed_.load();
        Request* request = nullptr;
        if (!queue_.pop(request)) {
            if (stopping_.load()) break;
            engine_sleeping_.store(true);
            if (!queue_.pop(request)) {
                pushed_.wait(seen);
                engine_sleeping_.store(false);
                continue;
            }
            engine_sleeping_.store(false);
        }
        // Take what is queued, up to one group commit's worth. With fsync
        // "always" a batch holds a single command, so each gets its own fsync.
        Batch batch;
        const std::size_t max_writes = config_.fsync == FsyncPolicy::Always ? 1 : config_.max_batch;
        std::size_t taken = 0;
        while (true) {
            popped_.fetch_add(1, std::memory_order_relaxed);
            process(std::unique_ptr<Request>(request), batch);
            ++taken;
            const std::size_t writes = batch.first_seq == 0 ? 0 : batch.last_seq - batch.first_seq + 1;
            if (writes >= max_writes || taken >= 2 * config_.max_batch || !queue_.pop(request)) break;
        }
        hand_to_writer(std::move(batch));
        try {
            maybe_snapshot();
            if (metrics_ && SteadyClock::now() - last_gauges >= kGaugeInterval) {
                last_gauges = SteadyClock::now();
                publish_gauges();
            }
        } catch (const std::exception& e) {
            spdlog::error("snapshot copy or gauges failed at seq {}: {}", state_.last_seq(), e.what());
        }
    }
}

void Sequencer::publish_gauges() {
    metrics_->queue_depth.Set(static_cast<double>(queue_depth()));
    metrics_->last_seq.Set(static_cast<double>(state_.last_seq()));
    const core::Engine& engine = state_.engine();
    for (core::PairId p = 0; p < engine.pair_count(); ++p) {
        const std::string pair(engine.pair_name(p));
        metrics_->open_interest.Add({{"pair", pair}, {"side", "long"}})
            .Set(std::stod(core::to_string(engine.pair(p).long_oi)));
        metrics_->open_interest.Add({{"pair", pair}, {"side", "short"}})
            .Set(std::stod(core::to_string(engine.pair(p).short_oi)));
    }
    try {
        metrics_->vault_equity.Set(std::stod(core::to_string(engine.vault_equity(core::Rounding::Floor))));
    } catch (const core::ArithmeticOverflow&) {
        // Leave the last value: an equity beyond the numeric range is not worth a gauge.
    }
}

void Sequencer::process(std::unique_ptr<Request> request, Batch& batch) {
    Response response;
    const bool is_write = std::holds_alternative<WriteRequest>(request->what);
    // The last command the reply may show: it leaves once that one is durable.
    std::uint64_t wait_for = 0;
    if (journal_refusing_.load(std::memory_order_relaxed) && is_write) {
        response = {503, error_body("journal_failed",
                                    "the journal cannot be written now; commands are refused until it can "
                                    "(see GET /v1/health), reads are served")};
    } else if (journal_refusing_.load(std::memory_order_relaxed) && state_.last_seq() > durable_seq_.load()) {
        // The state holds commands not yet journaled, which a crash would
        // lose: no reply may show them until they are written.
        response = {503, error_body("journal_failed",
                                    "commands already applied are waiting for the journal; reads resume once they "
                                    "are written (see GET /v1/health)")};
    } else {
        // No request may stop the engine thread: whatever one throws is
        // answered 500 and logged, and the next request is served. What it
        // journaled before throwing stays journaled (and applied), like any
        // command.
        try {
            if (is_write) {
                response = process_write(std::get<WriteRequest>(request->what), batch);
            } else {
                response = state_.read(std::get<ReadRequest>(request->what));
                if (metrics_) metrics_->reads.Increment();
            }
        } catch (const std::exception& e) {
            spdlog::error("request failed inside the exchange (state at seq {}): {}", state_.last_seq(), e.what());
            response = {
                500, error_body("internal_error", "the request failed inside the exchange: " + std::string(e.what()))};
        }
        wait_for = state_.last_seq();
        if (response.status == 500) {
            if (metrics_) metrics_->internal_errors.Increment();
            if (is_write) spdlog::error("write answered 500: {}", response.body);
        }
    }
    batch.replies.push_back({std::move(request), std::move(response), wait_for});
}

Response Sequencer::process_write(const WriteRequest& request, Batch& batch) {
    const core::TimeMs now = std::max(state_.last_time(), clock_());
    if (const auto* cancel_all = std::get_if<CancelAllOrders>(&request.body))
        return process_cancel_all(*cancel_all, request, now, batch);
    const auto& command = std::get<core::CommandBody>(request.body);
    if (auto early = state_.precheck(request, command, now)) {
        if (metrics_) metrics_->answered_unjournaled.Increment();
        return *early;
    }
    return journal_and_apply(command, request, request.signed_by, now, batch);
}

Response Sequencer::process_cancel_all(const CancelAllOrders& cancel_all, const WriteRequest& request, core::TimeMs now,
                                       Batch& batch) {
    const std::vector<core::OrderId> ids = state_.open_orders(cancel_all.user, cancel_all.pair);
    // Checked first and once for the whole request (expiry, nonce), whether
    // or not there is anything to cancel.
    const core::CommandBody first =
        ids.empty() ? core::CommandBody(core::QueryUser{cancel_all.user})
                    : core::CommandBody(core::CancelOrder{cancel_all.user, cancel_all.pair, ids.front()});
    if (auto early = state_.precheck(request, first, now)) {
        if (metrics_) metrics_->answered_unjournaled.Increment();
        return *early;
    }
    std::string body = R"({"canceled":[)";
    if (ids.empty()) {
        // Nothing to cancel, but the signed request's nonce is spent all the
        // same (by a journaled query of the trader, which changes nothing
        // else), so it cannot be replayed later to cancel newer orders.
        if (request.signed_by) journal_and_apply(first, request, request.signed_by, now, batch);
    } else {
        // The nonce is spent by the first cancel, which carries the signature's record.
        std::optional<SignedBy> signed_by = request.signed_by;
        bool listed = false;
        for (const core::OrderId id : ids) {
            const core::CommandBody cancel = core::CancelOrder{cancel_all.user, cancel_all.pair, id};
            const Response one = journal_and_apply(cancel, request, signed_by, now, batch);
            signed_by.reset();
            if (one.status != 200) continue;
            if (listed) body.push_back(',');
            // Ids are JSON strings in every reply, as order_id is elsewhere.
            body += '"' + std::to_string(id) + '"';
            listed = true;
        }
    }
    body += R"(],"seq":)" + std::to_string(state_.last_seq()) + "}";
    return {200, std::move(body)};
}

Response Sequencer::journal_and_apply(const core::CommandBody& command, const WriteRequest& request,
                                      const std::optional<SignedBy>& signed_by, core::TimeMs now, Batch& batch) {
    JournalRecord record;
    record.seq = state_.last_seq() + 1;
    record.time = now;
    record.signed_by = signed_by;
    record.idempotency_key = request.idempotency_key;
    record.key_never_expires = request.key_never_expires;
    record.command = core::Command{now, command};

    const std::size_t frame = begin_frame(batch.framed);
    try {
        encode_record(record, batch.framed);
        end_frame(batch.framed, frame);
    } catch (...) {
        batch.framed.resize(frame);  // not journaled, not applied
        throw;
    }
    if (batch.first_seq == 0) batch.first_seq = record.seq;
    batch.last_seq = record.seq;

    const bool sampled = metrics_ && record.seq % SequencerMetrics::kApplySampleEvery == 0;
    const auto start = sampled ? SteadyClock::now() : SteadyClock::time_point{};
    Response response = state_.apply(record);
    if (config_.bus) {
        if (auto published =
                make_stream_record(state_.engine(), record.seq, record.time, command, response.status == 200))
            batch.stream.push_back(std::move(*published));
    }
    if (sampled) metrics_->apply_seconds.Observe(seconds_since(start));
    if (metrics_) metrics_->commands.Increment();
    return response;
}

void Sequencer::hand_to_writer(Batch&& batch) {
    std::unique_lock lock(writer_mutex_);
    writer_space_cv_.wait(lock, [this] { return writer_queue_.size() < kMaxBatchesInFlight; });
    writer_queue_.push_back(std::move(batch));
    lock.unlock();
    writer_cv_.notify_one();
}

void Sequencer::writer_loop() {
    // Records applied but not yet durable, in sequence order: after a failed
    // write they stay here and are written again (the journal was cut back,
    // so nothing is written twice) until it works.
    std::string unwritten;
    std::uint64_t first = 0, last = 0;
    std::deque<HeldReply> held;             // replies waiting for durable_seq_ to reach their wait_for
    std::vector<StreamRecord> unpublished;  // for the bus, once durable
    std::deque<Batch> taken;
    bool failing = false;
    std::string failure;
    auto next_attempt = SteadyClock::time_point{};
    while (true) {
        bool done = false;
        {
            std::unique_lock lock(writer_mutex_);
            const auto ready = [this] { return !writer_queue_.empty() || writer_done_; };
            if (failing || journal_->low_space())
                writer_cv_.wait_until(lock, next_attempt, ready);
            else
                writer_cv_.wait(lock, ready);
            if (config_.fsync == FsyncPolicy::Always && !writer_queue_.empty()) {
                // One fsync per command, as configured: no merging.
                taken.push_back(std::move(writer_queue_.front()));
                writer_queue_.pop_front();
            } else {
                taken.swap(writer_queue_);
            }
            done = writer_done_ && writer_queue_.empty();
        }
        writer_space_cv_.notify_all();
        // Everything queued while the last fsync ran shares the next one:
        // group commit across batches, not only within one.
        for (Batch& batch : taken) {
            if (batch.first_seq != 0) {
                if (first == 0) first = batch.first_seq;
                last = batch.last_seq;
                if (unwritten.empty())
                    unwritten.swap(batch.framed);  // the usual case: one batch, no copy
                else
                    unwritten += batch.framed;
            }
            for (HeldReply& reply : batch.replies) held.push_back(std::move(reply));
            for (StreamRecord& record : batch.stream) unpublished.push_back(std::move(record));
        }
        taken.clear();
        if (config_.unsafe_reply_before_sync) {
            for (HeldReply& reply : held) reply.request->reply(std::move(reply.response));
            held.clear();
        }

        const auto now = SteadyClock::now();
        const bool attempt = !failing || now >= next_attempt || done;
        if (!unwritten.empty() && attempt) {
            const auto start = SteadyClock::now();
            try {
                journal_->append(unwritten, first);
                if (metrics_) {
                    metrics_->fsync_seconds.Observe(seconds_since(start));
                    metrics_->batch_commands.Observe(static_cast<double>(last - first + 1));
                }
                if (failing) spdlog::info("journal written again: seq {} to {} are durable", first, last);
                durable_seq_.store(last);
                unwritten.clear();
                first = last = 0;
                failing = false;
                // Through the snapshot thread's mutex: it may have seen the
                // old durable_seq_ and not be waiting yet, and would miss a
                // bare notify (then its snapshot waited for the next batch).
                { std::lock_guard lock(snapshot_mutex_); }
                snapshot_cv_.notify_one();
            } catch (const std::exception& e) {
                if (metrics_) metrics_->journal_write_failures.Increment();
                failing = true;
                failure = e.what();
                next_attempt = now + config_.journal_retry_every;
            }
        } else if (unwritten.empty() && journal_->low_space() && now >= next_attempt) {
            journal_->check_space();  // has space been freed?
            next_attempt = now + config_.journal_retry_every;
        }
        if (journal_->low_space() && !failing && next_attempt <= now) next_attempt = now + config_.journal_retry_every;
        if (failing)
            set_journal_health(true, "journal write failed: " + failure + "; " + std::to_string(last - first + 1) +
                                         " applied command(s) wait to be written (seq " + std::to_string(first) +
                                         " to " + std::to_string(last) + "), retried every " +
                                         std::to_string(config_.journal_retry_every.count()) +
                                         " ms; new commands are refused");
        else if (journal_->low_space())
            set_journal_health(
                true, "journal: " + journal_->low_space_reason() + "; new commands are refused, reads are served");
        else if (journal_refusing_.load())
            set_journal_health(false, {});

        // Release every reply whose commands are durable; keep the rest in order.
        const std::uint64_t durable = durable_seq_.load();
        std::size_t kept = 0;
        for (std::size_t i = 0; i < held.size(); ++i) {
            if (held[i].wait_for <= durable) {
                held[i].request->reply(std::move(held[i].response));
            } else {
                if (kept != i) held[kept] = std::move(held[i]);
                ++kept;
            }
        }
        held.resize(kept);
        publish_durable(unpublished, durable);

        if (done) {
            if (!unwritten.empty()) {
                lost_at_stop_ = last - first + 1;
                spdlog::critical(
                    "stopping with seq {} to {} applied but not journaled ({}); their requests are "
                    "answered 503 and they are not part of the exchange",
                    first, last, failure);
            }
            for (HeldReply& reply : held)
                reply.request->reply(
                    {503, error_body("journal_failed", "the exchange stopped before this could be journaled")});
            return;
        }
    }
}

void Sequencer::publish_durable(std::vector<StreamRecord>& unpublished, std::uint64_t durable) {
    if (!config_.bus || unpublished.empty()) return;
    const auto end = std::find_if(unpublished.begin(), unpublished.end(),
                                  [durable](const StreamRecord& r) { return r.seq > durable; });
    if (end == unpublished.begin()) return;
    auto batch = std::make_shared<StreamBatch>();
    batch->records.assign(std::make_move_iterator(unpublished.begin()), std::make_move_iterator(end));
    unpublished.erase(unpublished.begin(), end);
    config_.bus->publish(std::move(batch));
}

void Sequencer::set_journal_health(bool refusing, const std::string& reason) {
    const bool was = journal_refusing_.exchange(refusing);
    if (metrics_) metrics_->journal_ready.Set(refusing ? 0 : 1);
    {
        std::lock_guard lock(health_mutex_);
        if (refusing)
            journal_problem_ = reason;
        else
            journal_problem_.clear();
    }
    if (refusing && !was) spdlog::critical("{}", reason);
    if (!refusing && was) spdlog::info("journal writable again: taking commands");
}

void Sequencer::maybe_snapshot() {
    const std::uint64_t seq = state_.last_seq();
    if (seq == last_snapshot_seq_) return;
    const bool due = seq - last_snapshot_seq_ >= config_.snapshot_every_commands ||
                     SteadyClock::now() - last_snapshot_time_ >= config_.snapshot_every;
    if (!due) return;
    {
        std::lock_guard lock(snapshot_mutex_);
        if (pending_snapshot_) return;  // the previous copy still waits for the journal
    }
    // The engine pauses only for this copy; writing happens on the snapshot thread.
    PendingSnapshot snapshot{seq, state_.last_time(), {}};
    state_.encode_snapshot(snapshot.payload);
    last_snapshot_seq_ = seq;
    last_snapshot_time_ = SteadyClock::now();
    {
        std::lock_guard lock(snapshot_mutex_);
        pending_snapshot_ = std::move(snapshot);
    }
    snapshot_cv_.notify_one();
}

void Sequencer::snapshot_loop() {
    while (true) {
        PendingSnapshot snapshot;
        {
            std::unique_lock lock(snapshot_mutex_);
            // A snapshot may only be written once every command in it is
            // durable: otherwise recovery could start from state the journal lacks.
            snapshot_cv_.wait(lock, [this] {
                return snapshot_done_ || (pending_snapshot_ && durable_seq_.load() >= pending_snapshot_->seq);
            });
            if (!pending_snapshot_ || durable_seq_.load() < pending_snapshot_->seq) return;
            // The slot is free again while this one is written: the engine
            // may take its next copy meanwhile instead of skipping it.
            snapshot = std::move(*pending_snapshot_);
            pending_snapshot_.reset();
        }
        try {
            const auto start = SteadyClock::now();
            write_snapshot(config_.data_dir / "snapshots", {snapshot.seq, snapshot.time, std::move(snapshot.payload)},
                           /*keep=*/2, files_);
            spdlog::info("snapshot at seq {} written in {:.1f} ms", snapshot.seq, seconds_since(start) * 1e3);
            if (metrics_) metrics_->snapshots.Increment();
        } catch (const std::exception& e) {
            spdlog::error("snapshot at seq {} failed: {}", snapshot.seq, e.what());
        }
    }
}

}  // namespace ballast::sequencer

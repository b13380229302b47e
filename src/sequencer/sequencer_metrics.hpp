// The sequencer's Prometheus metrics (prometheus-cpp core; served by the API's
// own /metrics route, not by prometheus-cpp's civetweb exposer).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace ballast::sequencer {

// One unlabelled counter or gauge, registered in `r`.
prometheus::Counter& counter(prometheus::Registry& r, const std::string& name, const std::string& help);
prometheus::Gauge& gauge(prometheus::Registry& r, const std::string& name, const std::string& help);

struct SequencerMetrics {
    explicit SequencerMetrics(prometheus::Registry& registry);

    prometheus::Counter& commands;              // journaled and applied
    prometheus::Counter& answered_unjournaled;  // retries, expired, reused nonces
    prometheus::Counter& reads;
    prometheus::Gauge& queue_depth;
    prometheus::Gauge& last_seq;
    prometheus::Histogram& fsync_seconds;
    prometheus::Histogram& batch_commands;
    prometheus::Histogram& apply_seconds;                  // sampled: one command in kApplySampleEvery
    prometheus::Family<prometheus::Gauge>& open_interest;  // label pair, side
    prometheus::Gauge& vault_equity;
    prometheus::Counter& snapshots;
    prometheus::Counter& internal_errors;  // requests answered 500
    prometheus::Gauge& journal_ready;      // 1 while the journal takes commands
    prometheus::Counter& journal_write_failures;

    static constexpr std::uint64_t kApplySampleEvery = 16;
};

}  // namespace ballast::sequencer

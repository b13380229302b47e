#include "sequencer/sequencer_metrics.hpp"

namespace ballast::sequencer {

prometheus::Counter& counter(prometheus::Registry& r, const std::string& name, const std::string& help) {
    return prometheus::BuildCounter().Name(name).Help(help).Register(r).Add({});
}
prometheus::Gauge& gauge(prometheus::Registry& r, const std::string& name, const std::string& help) {
    return prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({});
}

namespace {
prometheus::Histogram& histogram(prometheus::Registry& r, const std::string& name, const std::string& help,
                                 prometheus::Histogram::BucketBoundaries buckets) {
    return prometheus::BuildHistogram().Name(name).Help(help).Register(r).Add({}, std::move(buckets));
}

}  // namespace

SequencerMetrics::SequencerMetrics(prometheus::Registry& r)
    : commands(counter(r, "ballast_commands_total", "Commands journaled and applied by the engine")),
      answered_unjournaled(counter(r, "ballast_unjournaled_answers_total",
                                   "Writes answered without journaling (retries, expired, reused nonce)")),
      reads(counter(r, "ballast_reads_total", "Read requests answered by the engine thread")),
      queue_depth(gauge(r, "ballast_queue_depth", "Requests waiting for the engine thread")),
      last_seq(gauge(r, "ballast_last_seq", "Sequence number of the last journaled command")),
      fsync_seconds(histogram(r, "ballast_journal_fsync_seconds", "Journal write + fdatasync latency per batch",
                              {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1})),
      batch_commands(histogram(r, "ballast_journal_batch_commands", "Commands per group commit",
                               {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096})),
      apply_seconds(histogram(r, "ballast_engine_apply_seconds", "Engine apply latency per command (sampled)",
                              {2.5e-7, 5e-7, 1e-6, 2.5e-6, 5e-6, 1e-5, 1e-4, 1e-3})),
      open_interest(prometheus::BuildGauge()
                        .Name("ballast_open_interest")
                        .Help("Open interest per pair and side, in base units of the asset")
                        .Register(r)),
      vault_equity(gauge(r, "ballast_vault_equity", "Vault equity in settlement units (rounded down)")),
      snapshots(counter(r, "ballast_snapshots_total", "Snapshots written")),
      internal_errors(counter(r, "ballast_internal_errors_total",
                              "Requests that failed inside the exchange and were answered 500")),
      journal_ready(gauge(r, "ballast_journal_ready",
                          "1 while the journal takes commands; 0 while it cannot be written or the disk is full")),
      journal_write_failures(counter(r, "ballast_journal_write_failures_total",
                                     "Journal writes that failed (retried until they succeed)")) {
    journal_ready.Set(1);
}

}  // namespace ballast::sequencer

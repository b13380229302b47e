// Token buckets keyed by client (IP address, trader address or API token).
// Each key may spend `burst` requests at once and earns `per_second` back.
// Floating point is fine here: this is admission control, not accounting.
#pragma once

#include <array>
#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ballast::api {

class RateLimiter {
public:
    struct Limit {
        double per_second = 0;  // 0: unlimited
        double burst = 0;
    };
    using Clock = std::chrono::steady_clock;

    explicit RateLimiter(Limit limit) : limit_(limit) {}

    // Takes one token from `key`'s bucket; false when it is empty.
    bool allow(std::string_view key, Clock::time_point now = Clock::now());

private:
    struct Bucket {
        double tokens;
        Clock::time_point updated;
    };
    // Sharded so that gateway threads rarely contend for one lock.
    struct Shard {
        std::mutex mutex;
        std::unordered_map<std::string, Bucket> buckets;
    };
    static constexpr std::size_t kShards = 16;
    // Buckets idle long enough to be full again are dropped past this many per shard.
    static constexpr std::size_t kPruneAbove = 65'536;

    Limit limit_;
    std::array<Shard, kShards> shards_;
};

}  // namespace ballast::api

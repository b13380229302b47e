#include "api/rate_limiter.hpp"

#include <algorithm>
#include <functional>

namespace ballast::api {

bool RateLimiter::allow(std::string_view key, Clock::time_point now) {
    if (limit_.per_second <= 0) return true;
    Shard& shard = shards_[std::hash<std::string_view>{}(key) % kShards];
    std::lock_guard lock(shard.mutex);
    auto it = shard.buckets.find(std::string(key));
    if (it == shard.buckets.end()) {
        if (shard.buckets.size() >= kPruneAbove) {
            const auto refill = std::chrono::duration<double>(limit_.burst / limit_.per_second);
            std::erase_if(shard.buckets, [&](const auto& entry) { return now - entry.second.updated >= refill; });
        }
        it = shard.buckets.emplace(std::string(key), Bucket{limit_.burst, now}).first;
    }
    Bucket& bucket = it->second;
    const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
    bucket.tokens = std::min(limit_.burst, bucket.tokens + elapsed * limit_.per_second);
    bucket.updated = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
}

}  // namespace ballast::api

#include "api/ws_channels.hpp"

#include "core/name.hpp"

namespace ballast::api {

std::optional<Channel> parse_channel(std::string_view name) {
    for (const ChannelSpec& spec : kChannels) {
        if (spec.subject.empty()) {
            if (name == spec.prefix) return Channel{&spec, {}, std::string(name)};
            continue;
        }
        if (name.size() <= spec.prefix.size() + spec.suffix.size() || !name.starts_with(spec.prefix) ||
            !name.ends_with(spec.suffix))
            continue;
        const std::string_view subject =
            name.substr(spec.prefix.size(), name.size() - spec.prefix.size() - spec.suffix.size());
        if (!core::Name::is_valid(subject)) continue;
        if (spec.kind == ChannelKind::AdminPair && subject == "all") continue;
        return Channel{&spec, std::string(subject), std::string(name)};
    }
    return std::nullopt;
}

}  // namespace ballast::api

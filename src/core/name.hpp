// A short identifier (user or pair name) stored inline, so commands and
// registries carry names without heap allocation.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace ballast::core {

class Name {
public:
    static constexpr std::size_t kMaxLength = 64;

    constexpr Name() = default;

    // Accepts 1..kMaxLength printable ASCII characters other than space,
    // quote and backslash, so a name never needs escaping anywhere.
    static bool is_valid(std::string_view text) {
        if (text.empty() || text.size() > kMaxLength) return false;
        for (char c : text) {
            if (c <= ' ' || c > '~' || c == '"' || c == '\\') return false;
        }
        return true;
    }

    // Precondition: is_valid(text).
    static Name from(std::string_view text) {
        Name n;
        n.length_ = static_cast<std::uint8_t>(text.size());
        std::memcpy(n.chars_.data(), text.data(), text.size());
        return n;
    }

    std::string_view view() const { return {chars_.data(), length_}; }
    // The characters, then zeros up to kMaxLength: a codec copies a name with
    // one fixed-size copy instead of a slower variable-length one.
    const std::array<char, kMaxLength>& padded() const { return chars_; }
    bool operator==(const Name& other) const { return view() == other.view(); }

private:
    std::array<char, kMaxLength> chars_{};
    std::uint8_t length_ = 0;
};

struct NameHash {
    std::size_t operator()(const Name& name) const noexcept {
        // FNV-1a: names are short, and the registries are not exposed to
        // adversarial collisions beyond what a flat map's probing absorbs.
        std::uint64_t h = 1469598103934665603ULL;
        for (char c : name.view()) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
        return static_cast<std::size_t>(h);
    }
};

}  // namespace ballast::core

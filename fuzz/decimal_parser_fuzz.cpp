// libFuzzer target: the decimal and amount parsers. Whatever parses must
// format canonically and parse back to the same value.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/decimal.hpp"

using namespace ballast::core;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    Dec value;
    if (parse_dec(text, value) == ParseError::None) {
        const std::string canonical = to_string(value);
        Dec again;
        if (parse_dec(canonical, again) != ParseError::None || again != value) std::abort();
        if (canonical == "-0" || canonical.find('e') != std::string::npos) std::abort();
        if (canonical.find('.') != std::string::npos && canonical.back() == '0') std::abort();
    }

    Amount amount;
    if (parse_amount(text, amount) == ParseError::None) {
        Amount again;
        if (parse_amount(to_string(amount), again) != ParseError::None || again != amount) std::abort();
    }
    return 0;
}

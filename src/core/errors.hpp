// Rejection codes. A rejected command changes nothing.
#pragma once

#include <cstdint>
#include <string_view>

namespace ballast::core {

enum class ErrorCode : std::uint8_t {
    None,
    InvalidInput,
    UnknownPair,
    NoOraclePrice,
    NothingToDo,
    InsufficientMargin,
    InsufficientAvailableMargin,
    OrderNotFound,
    NotYourOrder,
    VaultInsolvent,
    TooFewShares,
    InsufficientShares,
    VaultInsufficientBalance,
    TimeWentBackwards,
    Overflow,
    MarketPaused,
    MarketReduceOnly,
    StaleOracle,
    PriceOutOfBand,
    OrderTooSmall,
    NotLiquidatable,
    TooLarge,
};

constexpr std::string_view error_code_name(ErrorCode code) {
    switch (code) {
        case ErrorCode::None: return "none";
        case ErrorCode::InvalidInput: return "invalid_input";
        case ErrorCode::UnknownPair: return "unknown_pair";
        case ErrorCode::NoOraclePrice: return "no_oracle_price";
        case ErrorCode::NothingToDo: return "nothing_to_do";
        case ErrorCode::InsufficientMargin: return "insufficient_margin";
        case ErrorCode::InsufficientAvailableMargin: return "insufficient_available_margin";
        case ErrorCode::OrderNotFound: return "order_not_found";
        case ErrorCode::NotYourOrder: return "not_your_order";
        case ErrorCode::VaultInsolvent: return "vault_insolvent";
        case ErrorCode::TooFewShares: return "too_few_shares";
        case ErrorCode::InsufficientShares: return "insufficient_shares";
        case ErrorCode::VaultInsufficientBalance: return "vault_insufficient_balance";
        case ErrorCode::TimeWentBackwards: return "time_went_backwards";
        case ErrorCode::Overflow: return "overflow";
        case ErrorCode::MarketPaused: return "market_paused";
        case ErrorCode::MarketReduceOnly: return "market_reduce_only";
        case ErrorCode::StaleOracle: return "stale_oracle";
        case ErrorCode::PriceOutOfBand: return "price_out_of_band";
        case ErrorCode::OrderTooSmall: return "order_too_small";
        case ErrorCode::NotLiquidatable: return "not_liquidatable";
        case ErrorCode::TooLarge: return "too_large";
    }
    return "unknown";
}

}  // namespace ballast::core

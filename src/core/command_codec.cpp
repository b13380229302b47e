#include "core/command_codec.hpp"

#include "core/byte_codec.hpp"

namespace ballast::core {

namespace {

// Adding a command means a tag here, an encode_body overload and a decode case.
static_assert(std::variant_size_v<CommandBody> == 15, "a new command needs a tag in the command codec");

enum Tag : std::uint8_t {
    kSetParams = 1,
    kSetPair = 2,
    kOracleUpdate = 3,
    kDepositMargin = 4,
    kWithdrawMargin = 5,
    kDepositLiquidity = 6,
    kUnlockLiquidity = 7,
    kSubmitOrder = 8,
    kCancelOrder = 9,
    kQueryUser = 10,
    kQueryPair = 11,
    kQueryVault = 12,
    kSetPairStatus = 13,
    kForceClose = 14,
    kFundVault = 15,
};

constexpr std::uint8_t kTagMask = 0x1F;
constexpr std::uint8_t kHasTime = 0x80;

constexpr std::uint8_t kLimitFlag = 0x01;
constexpr std::uint8_t kReduceOnlyFlag = 0x02;

constexpr int kSetParamsFields = 7;

// A pair name (2 bytes at least) and a price (1 byte at least).
constexpr std::size_t kMinPriceBytes = 3;

constexpr std::uint8_t tag_of(const SetParams&) { return kSetParams; }
constexpr std::uint8_t tag_of(const SetPair&) { return kSetPair; }
constexpr std::uint8_t tag_of(const OracleUpdate&) { return kOracleUpdate; }
constexpr std::uint8_t tag_of(const DepositMargin&) { return kDepositMargin; }
constexpr std::uint8_t tag_of(const WithdrawMargin&) { return kWithdrawMargin; }
constexpr std::uint8_t tag_of(const DepositLiquidity&) { return kDepositLiquidity; }
constexpr std::uint8_t tag_of(const UnlockLiquidity&) { return kUnlockLiquidity; }
constexpr std::uint8_t tag_of(const SubmitOrder&) { return kSubmitOrder; }
constexpr std::uint8_t tag_of(const CancelOrder&) { return kCancelOrder; }
constexpr std::uint8_t tag_of(const QueryUser&) { return kQueryUser; }
constexpr std::uint8_t tag_of(const QueryPair&) { return kQueryPair; }
constexpr std::uint8_t tag_of(const QueryVault&) { return kQueryVault; }
constexpr std::uint8_t tag_of(const SetPairStatus&) { return kSetPairStatus; }
constexpr std::uint8_t tag_of(const ForceClose&) { return kForceClose; }
constexpr std::uint8_t tag_of(const FundVault&) { return kFundVault; }

void encode_body(ByteWriter& w, const SetParams& c) {
    const std::uint8_t mask = static_cast<std::uint8_t>(
        (c.vault_cooldown_ms ? 1 : 0) | (c.max_open_orders ? 2 : 0) | (c.default_shares_per_amount ? 4 : 0) |
        (c.max_oracle_age_ms ? 8 : 0) | (c.adl_trigger_ratio ? 16 : 0) | (c.protocol_fee_share ? 32 : 0) |
        (c.liquidation_alert_ratio ? 64 : 0));
    w.u8(mask);
    if (c.vault_cooldown_ms) w.var_signed(*c.vault_cooldown_ms);
    if (c.max_open_orders) w.var_unsigned(*c.max_open_orders);
    if (c.default_shares_per_amount) w.amount(*c.default_shares_per_amount);
    if (c.max_oracle_age_ms) w.var_signed(*c.max_oracle_age_ms);
    if (c.adl_trigger_ratio) w.dec(*c.adl_trigger_ratio);
    if (c.protocol_fee_share) w.dec(*c.protocol_fee_share);
    if (c.liquidation_alert_ratio) w.dec(*c.liquidation_alert_ratio);
}

void encode_body(ByteWriter& w, const SetPair& c) {
    w.name(c.pair);
    w.var_unsigned(c.given);
    for (std::size_t i = 0; i < kPairFields.size(); ++i) {
        if (c.given & pair_field_bit(i)) w.dec(c.params.*kPairFields[i].member);
    }
}

void decode_set_pair(ByteReader& r, SetPair& c) {
    c.pair = r.name();
    const std::uint64_t given = r.var_u64();
    if (given & ~std::uint64_t{kAllPairFields}) r.fail("unknown set_pair field bits");
    c.given = static_cast<PairFieldMask>(given & kAllPairFields);
    for (std::size_t i = 0; i < kPairFields.size() && r.ok(); ++i) {
        if (c.given & pair_field_bit(i)) c.params.*kPairFields[i].member = r.dec();
    }
}

void encode_body(ByteWriter& w, const OracleUpdate& c) {
    w.var_unsigned(c.prices.size());
    for (const PriceUpdate& p : c.prices) {
        w.name(p.pair);
        w.dec(p.price);
    }
}

void encode_body(ByteWriter& w, const DepositMargin& c) {
    w.name(c.user);
    w.amount(c.amount);
}

void encode_body(ByteWriter& w, const WithdrawMargin& c) {
    w.name(c.user);
    w.amount(c.amount);
}

void encode_body(ByteWriter& w, const DepositLiquidity& c) {
    w.name(c.user);
    w.amount(c.amount);
    w.boolean(c.min_shares_to_mint.has_value());
    if (c.min_shares_to_mint) w.amount(*c.min_shares_to_mint);
}

void encode_body(ByteWriter& w, const UnlockLiquidity& c) {
    w.name(c.user);
    w.amount(c.shares_to_burn);
}

void encode_body(ByteWriter& w, const SubmitOrder& c) {
    w.name(c.user);
    w.name(c.pair);
    w.dec(c.size);
    w.u8(static_cast<std::uint8_t>((c.kind == OrderKind::Limit ? kLimitFlag : 0) |
                                   (c.reduce_only ? kReduceOnlyFlag : 0)));
    // Both prices, although an order uses one: a command must decode to an
    // equal command. The unused one is zero from every decoder, one byte here.
    w.dec(c.max_slippage);
    w.dec(c.limit_price);
}

void encode_body(ByteWriter& w, const CancelOrder& c) {
    w.name(c.user);
    w.name(c.pair);
    w.var_unsigned(c.order_id);
}

void encode_body(ByteWriter& w, const QueryUser& c) { w.name(c.user); }
void encode_body(ByteWriter& w, const QueryPair& c) { w.name(c.pair); }
void encode_body(ByteWriter&, const QueryVault&) {}

void encode_body(ByteWriter& w, const SetPairStatus& c) {
    w.name(c.pair);
    w.u8(static_cast<std::uint8_t>(c.status));
}

void encode_body(ByteWriter& w, const ForceClose& c) {
    w.name(c.user);
    w.name(c.caller);
}

void encode_body(ByteWriter& w, const FundVault& c) {
    w.boolean(c.user.has_value());
    if (c.user) w.name(*c.user);
    w.amount(c.amount);
}

void decode_set_params(ByteReader& r, SetParams& c) {
    const std::uint8_t mask = r.u8();
    if (mask >> kSetParamsFields) r.fail("unknown set_params field bits");
    if (mask & 1) c.vault_cooldown_ms = r.var_i64();
    if (mask & 2) c.max_open_orders = r.var_u32();
    if (mask & 4) c.default_shares_per_amount = r.amount();
    if (mask & 8) c.max_oracle_age_ms = r.var_i64();
    if (mask & 16) c.adl_trigger_ratio = r.dec();
    if (mask & 32) c.protocol_fee_share = r.dec();
    if (mask & 64) c.liquidation_alert_ratio = r.dec();
}

void decode_oracle_update(ByteReader& r, CommandBody& body) {
    // Recovery replays a stream of commands into one Command: keep the vector's capacity.
    OracleUpdate* update = std::get_if<OracleUpdate>(&body);
    if (update == nullptr) update = &body.emplace<OracleUpdate>();
    update->prices.clear();
    const std::size_t n = r.count(kMinPriceBytes);
    update->prices.reserve(n);
    for (std::size_t i = 0; i < n && r.ok(); ++i) {
        PriceUpdate& p = update->prices.emplace_back();
        p.pair = r.name();
        p.price = r.dec();
    }
}

void decode_submit_order(ByteReader& r, SubmitOrder& c) {
    c.user = r.name();
    c.pair = r.name();
    c.size = r.dec();
    const std::uint8_t flags = r.u8();
    if (flags & ~(kLimitFlag | kReduceOnlyFlag)) r.fail("unknown order flag bits");
    c.kind = flags & kLimitFlag ? OrderKind::Limit : OrderKind::Market;
    c.reduce_only = (flags & kReduceOnlyFlag) != 0;
    c.max_slippage = r.dec();
    c.limit_price = r.dec();
}

void decode_body(ByteReader& r, std::uint8_t tag, CommandBody& body) {
    switch (tag) {
        case kSetParams: decode_set_params(r, body.emplace<SetParams>()); return;
        case kSetPair: decode_set_pair(r, body.emplace<SetPair>()); return;
        case kOracleUpdate: decode_oracle_update(r, body); return;
        case kDepositMargin: {
            DepositMargin& c = body.emplace<DepositMargin>();
            c.user = r.name();
            c.amount = r.amount();
            return;
        }
        case kWithdrawMargin: {
            WithdrawMargin& c = body.emplace<WithdrawMargin>();
            c.user = r.name();
            c.amount = r.amount();
            return;
        }
        case kDepositLiquidity: {
            DepositLiquidity& c = body.emplace<DepositLiquidity>();
            c.user = r.name();
            c.amount = r.amount();
            if (r.boolean()) c.min_shares_to_mint = r.amount();
            return;
        }
        case kUnlockLiquidity: {
            UnlockLiquidity& c = body.emplace<UnlockLiquidity>();
            c.user = r.name();
            c.shares_to_burn = r.amount();
            return;
        }
        case kSubmitOrder: decode_submit_order(r, body.emplace<SubmitOrder>()); return;
        case kCancelOrder: {
            CancelOrder& c = body.emplace<CancelOrder>();
            c.user = r.name();
            c.pair = r.name();
            c.order_id = r.var_u64();
            return;
        }
        case kQueryUser: body.emplace<QueryUser>().user = r.name(); return;
        case kQueryPair: body.emplace<QueryPair>().pair = r.name(); return;
        case kQueryVault: body.emplace<QueryVault>(); return;
        case kSetPairStatus: {
            SetPairStatus& c = body.emplace<SetPairStatus>();
            c.pair = r.name();
            const std::uint8_t status = r.u8();
            if (status > static_cast<std::uint8_t>(PairStatus::Paused)) r.fail("unknown pair status");
            c.status = static_cast<PairStatus>(status);
            return;
        }
        case kForceClose: {
            ForceClose& c = body.emplace<ForceClose>();
            c.user = r.name();
            c.caller = r.name();
            return;
        }
        case kFundVault: {
            FundVault& c = body.emplace<FundVault>();
            if (r.boolean()) c.user = r.name();
            c.amount = r.amount();
            return;
        }
        default: r.fail("unknown command tag");
    }
}

}  // namespace

void encode_command(const Command& command, std::string& out) {
    ByteWriter w(out);
    w.u8(kCommandCodecVersion);
    std::visit(
        [&](const auto& body) {
            w.u8(static_cast<std::uint8_t>(tag_of(body) | (command.time ? kHasTime : 0)));
            if (command.time) w.var_signed(*command.time);
            encode_body(w, body);
        },
        command.body);
}

bool decode_command(std::string_view bytes, Command& out, std::string& error) {
    ByteReader r(bytes);
    const std::uint8_t version = r.u8();
    if (r.ok() && version != kCommandCodecVersion) r.fail("unsupported command codec version");
    const std::uint8_t head = r.u8();
    if (head & ~(kTagMask | kHasTime)) r.fail("reserved header bits set");
    if (head & kHasTime)
        out.time = r.var_i64();
    else
        out.time.reset();
    if (r.ok()) decode_body(r, head & kTagMask, out.body);
    if (r.ok() && !r.at_end()) r.fail("trailing bytes after the command");
    if (r.ok()) return true;
    error = "command codec: ";
    error += r.error();
    error += " at byte ";
    error += std::to_string(r.error_offset());
    return false;
}

}  // namespace ballast::core

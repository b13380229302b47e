// The session `ballast demo` narrates: lines starting with '#' are printed as
// they are, every other line is a replay command shown with its result.
#pragma once

namespace ballast::cli {

inline constexpr const char* kDemoScript =
    R"(# Ballast demo: a peer-to-pool perpetuals session, replayed through the engine.
# Every '>' line is a replay command, every '<' line the engine's exact answer.

# A BTC market: skew scale 1000, premium capped at 5%, OI capped at 500 a side, 20x leverage.
{"cmd":"set_pair","pair":"BTC","skew_scale":"1000","max_abs_premium":"0.05","max_abs_oi":"500","initial_margin_ratio":"0.05"}
{"cmd":"oracle","time":1000,"prices":{"BTC":"100"}}

# An LP funds its account and moves it into the vault, the counterparty to every
# trade. Nobody holds a position yet, so the deposit is priced at once.
{"cmd":"deposit_margin","time":1000,"user":"lp","amount":"100000"}
{"cmd":"deposit_liquidity","time":1000,"user":"lp","amount":"100000"}

# Alice and Bob fund their trading accounts.
{"cmd":"deposit_margin","user":"alice","amount":"1000"}
{"cmd":"deposit_margin","user":"bob","amount":"1000"}

# Alice buys 50 at market with 5% slippage: she pays the skew-averaged 102.5.
{"cmd":"submit_order","time":2000,"user":"alice","pair":"BTC","size":"50","kind":"market","max_slippage":"0.05"}

# Bob sells 30. Traders are net long now, so the pool pays sellers a premium: 103.5, above the oracle.
{"cmd":"submit_order","time":3000,"user":"bob","pair":"BTC","size":"-30","kind":"market","max_slippage":"0.05"}

# Bob rests a limit buy of 30 at 99 to close his short. Closing needs no margin, so none is reserved.
{"cmd":"submit_order","time":4000,"user":"bob","pair":"BTC","size":"30","kind":"limit","limit_price":"99"}
{"cmd":"query_user","user":"bob"}

# The oracle drops to 95: Bob's bid fills and closes his short at a profit.
{"cmd":"oracle","time":5000,"prices":{"BTC":"95"}}
{"cmd":"query_user","user":"bob"}

# Alice is down; she closes half her position (reduce-only) and the vault books her loss.
{"cmd":"submit_order","time":6000,"user":"alice","pair":"BTC","size":"-25","kind":"market","max_slippage":"0.05","reduce_only":true}
{"cmd":"query_pair","pair":"BTC"}
{"cmd":"query_vault"}

# The LP asks for a fifth of their shares back; the payout waits out a one-day cooldown.
{"cmd":"unlock_liquidity","time":7000,"user":"lp","shares_to_burn":"20000000000"}
{"cmd":"query_user","time":86407000,"user":"lp"}

# The risk engine: an ETH market with maker/taker fees, velocity funding and liquidation.
{"cmd":"set_params","protocol_fee_share":"0.2"}
{"cmd":"set_pair","pair":"ETH","skew_scale":"1000","max_abs_premium":"0.01","max_abs_oi":"10000","initial_margin_ratio":"0.1","maintenance_margin_ratio":"0.05","liquidation_fee_rate":"0.02","maker_fee_rate":"0.0005","taker_fee_rate":"0.001","max_funding_velocity":"5","max_abs_funding_rate":"0.05"}
{"cmd":"oracle","time":86410000,"prices":{"ETH":"2000"}}
{"cmd":"deposit_margin","user":"carol","amount":"2200"}

# Carol goes 10x long at 2010; she pays the taker fee of 21, 20% of it (4) to the treasury.
{"cmd":"submit_order","time":86410000,"user":"carol","pair":"ETH","size":"10","kind":"market","max_slippage":"0.01"}

# A day later the funding rate has ramped to its 5%/day cap against the long skew (she owes
# 10 * 0.025 * 2000 = 500) and ETH is down 7.5%: her equity is below the maintenance margin,
# so the oracle update liquidates her; the fee takes what margin is left.
{"cmd":"oracle","time":172810000,"prices":{"ETH":"1850"}}
{"cmd":"query_user","user":"carol"}
{"cmd":"query_vault"}

# Mistakes are refused with a reason, and change nothing.
{"cmd":"withdraw_margin","user":"alice","amount":"1000000"}
{"cmd":"submit_order","user":"alice","pair":"DOGE","size":"1","kind":"market","max_slippage":"0.01"}
{"cmd":"deposit_margin","user":"alice","amount":"1e3"}
)";

}  // namespace ballast::cli

// Engine outcomes and events -> one JSON line, per the replay contract.
#pragma once

#include <span>
#include <string>

#include "api/json_writer.hpp"
#include "core/engine.hpp"

namespace ballast::api {

// Appends {"ok":true,...,"events":[...]} or {"ok":false,"error":{...}}.
void encode_outcome(const core::Engine& engine, const core::Outcome& outcome, std::span<const core::Event> events,
                    std::string& out);

// The fields of a reply as one object, without "ok" and events (REST reads).
void encode_reply(const core::Engine& engine, const core::Reply& reply, std::string& out);
// One resting order; the positions of an account keyed by pair.
void write_order_view(JsonWriter& w, const core::Engine& engine, const core::OrderView& order, bool with_user);
void write_positions(JsonWriter& w, const core::Engine& engine, std::span<const core::PositionView> positions);
// An account's money and health fields (margin to accrued funding), without
// braces: GET /v1/account and the trader channel's account message.
void write_account_figures(JsonWriter& w, const core::UserView& view);
// One position's fields, without the braces around them.
void write_position_fields(JsonWriter& w, const core::PositionView& position);

// One event as an object, with the names of the user and pair it concerns
// already resolved (the event stream's events carry them).
void encode_event(const core::Event& event, std::string_view user, std::string_view pair, std::string& out);

// Appends {"ok":false,"error":{"code":"invalid_input","message":...}}.
void encode_invalid_input(std::string_view message, std::string& out);

}  // namespace ballast::api

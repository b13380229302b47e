#include "api/eip712.hpp"

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <crypto++/keccak.h>
#include <algorithm>
#include <memory>
#include <random>
#include <stdexcept>
#include <type_traits>

namespace ballast::api {

namespace {

constexpr std::size_t kWord = 32;  // EIP-712 encodes every field as one 32-byte word

Hash32 keccak256_bytes(const std::uint8_t* data, std::size_t size) {
    // Keccak-256 as Ethereum uses it: the original Keccak padding, not SHA3-256's.
    // Its state lives inside the object, so hashing does not allocate.
    CryptoPP::Keccak_256 hasher;
    hasher.Update(data, size);
    Hash32 out;
    hasher.Final(out.data());
    return out;
}

constexpr char kHexDigits[] = "0123456789abcdef";

std::string to_hex(const std::uint8_t* data, std::size_t size) {
    std::string out = "0x";
    out.reserve(2 + 2 * size);
    for (std::size_t i = 0; i < size; ++i) {
        out.push_back(kHexDigits[data[i] >> 4]);
        out.push_back(kHexDigits[data[i] & 0xf]);
    }
    return out;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Decodes "0x" followed by exactly 2 * size hex digits (either case) into `out`.
bool decode_prefixed_hex(std::string_view text, std::uint8_t* out, std::size_t size) {
    if (text.size() != 2 + 2 * size || text[0] != '0' || text[1] != 'x') return false;
    for (std::size_t i = 0; i < size; ++i) {
        const int high = hex_value(text[2 + 2 * i]);
        const int low = hex_value(text[3 + 2 * i]);
        if (high < 0 || low < 0) return false;
        out[i] = static_cast<std::uint8_t>(high << 4 | low);
    }
    return true;
}

// Words are zero-filled by their owners; these write only the value's bytes.
void put_uint64(std::uint8_t* word, std::uint64_t value) {
    for (int i = 31; i >= 24; --i, value >>= 8) word[i] = static_cast<std::uint8_t>(value & 0xff);
}
void put_address(std::uint8_t* word, const Address& address) {
    std::copy(address.begin(), address.end(), word + kWord - address.size());
}
void put_hash(std::uint8_t* word, const Hash32& hash) { std::copy(hash.begin(), hash.end(), word); }

bool is_identifier(std::string_view s) {
    if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    });
}

std::optional<FieldKind> parse_kind(std::string_view type) {
    if (type == "address") return FieldKind::kAddress;
    if (type == "string") return FieldKind::kString;
    if (type == "bool") return FieldKind::kBool;
    if (type == "uint64") return FieldKind::kUint64;
    return std::nullopt;
}

[[noreturn]] void bad_type(std::string_view encode_type, const std::string& why) {
    throw std::invalid_argument("EIP-712 type \"" + std::string(encode_type) + "\": " + why);
}

// Address of an uncompressed public key: the last 20 bytes of the Keccak-256
// of its 64 coordinate bytes (the serialization's leading 0x04 tag dropped).
Address address_of_pubkey(const secp256k1_context* context, const secp256k1_pubkey& pubkey) {
    std::uint8_t serialized[65];
    std::size_t length = sizeof serialized;
    secp256k1_ec_pubkey_serialize(context, serialized, &length, &pubkey, SECP256K1_EC_UNCOMPRESSED);
    const Hash32 hash = keccak256_bytes(serialized + 1, 64);
    Address address;
    std::copy(hash.end() - address.size(), hash.end(), address.begin());
    return address;
}

struct ContextDeleter {
    void operator()(secp256k1_context* context) const { secp256k1_context_destroy(context); }
};

// Signing is for tests and the load generator, so one shared context serves
// every thread (signing only reads it). It is randomized once, which blinds the
// key against side channels without changing the deterministic signatures.
const secp256k1_context* signing_context() {
    static const std::unique_ptr<secp256k1_context, ContextDeleter> context = [] {
        std::unique_ptr<secp256k1_context, ContextDeleter> created(secp256k1_context_create(SECP256K1_CONTEXT_NONE));
        std::random_device random;
        std::array<unsigned char, 32> seed;
        for (auto& byte : seed) byte = static_cast<unsigned char>(random());
        if (!secp256k1_context_randomize(created.get(), seed.data())) {
            throw std::runtime_error("secp256k1_context_randomize failed");
        }
        return created;
    }();
    return context.get();
}

void check_private_key(const secp256k1_context* context, const PrivateKey& key) {
    if (!secp256k1_ec_seckey_verify(context, key.data())) {
        throw std::invalid_argument("private key is zero or not below the secp256k1 curve order");
    }
}

}  // namespace

std::string_view field_kind_name(FieldKind kind) {
    switch (kind) {
        case FieldKind::kAddress: return "address";
        case FieldKind::kString: return "string";
        case FieldKind::kBool: return "bool";
        case FieldKind::kUint64: return "uint64";
    }
    return "?";
}

Hash32 keccak256(std::string_view bytes) {
    return keccak256_bytes(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

std::string address_to_hex(const Address& address) { return to_hex(address.data(), address.size()); }

std::string hash_to_hex(const Hash32& hash) { return to_hex(hash.data(), hash.size()); }

std::optional<Address> parse_address(std::string_view text) {
    Address address;
    if (!decode_prefixed_hex(text, address.data(), address.size())) return std::nullopt;
    return address;
}

Hash32 domain_separator(const Eip712Domain& domain) {
    static const Hash32 type_hash =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    std::array<std::uint8_t, 5 * kWord> encoded{};
    put_hash(&encoded[0], type_hash);
    put_hash(&encoded[kWord], keccak256(domain.name));
    put_hash(&encoded[2 * kWord], keccak256(domain.version));
    put_uint64(&encoded[3 * kWord], domain.chain_id);  // a uint256: the high 24 bytes stay zero
    put_address(&encoded[4 * kWord], domain.verifying_contract);
    return keccak256_bytes(encoded.data(), encoded.size());
}

MessageType::MessageType(std::string_view encode_type) : encode_type_(encode_type) {
    const std::size_t open = encode_type.find('(');
    if (open == std::string_view::npos || encode_type.back() != ')')
        bad_type(encode_type, "expected Name(type name,...)");
    name_ = encode_type.substr(0, open);
    if (!is_identifier(name_)) bad_type(encode_type, "bad struct name");

    std::string_view body = encode_type.substr(open + 1, encode_type.size() - open - 2);
    while (!body.empty()) {
        // encodeType has exactly "type name" per field, comma-separated, no other spaces.
        const std::size_t comma = body.find(',');
        const std::string_view member = body.substr(0, comma);
        body = comma == std::string_view::npos ? std::string_view{} : body.substr(comma + 1);
        if (comma != std::string_view::npos && body.empty()) bad_type(encode_type, "trailing comma");

        const std::size_t space = member.find(' ');
        if (space == std::string_view::npos) bad_type(encode_type, "field \"" + std::string(member) + "\" has no name");
        const std::string_view type = member.substr(0, space);
        const std::string_view name = member.substr(space + 1);
        const std::optional<FieldKind> kind = parse_kind(type);
        if (!kind) bad_type(encode_type, "unsupported field type \"" + std::string(type) + "\"");
        if (!is_identifier(name)) bad_type(encode_type, "bad field name \"" + std::string(name) + "\"");
        if (std::any_of(fields_.begin(), fields_.end(), [&](const Field& f) { return f.name == name; })) {
            bad_type(encode_type, "duplicate field \"" + std::string(name) + "\"");
        }
        fields_.push_back(Field{std::string(name), *kind});
    }
    type_hash_ = keccak256(encode_type_);
}

const MessageType& order_type() {
    static const MessageType type(message_types::kOrder);
    return type;
}
const MessageType& cancel_type() {
    static const MessageType type(message_types::kCancel);
    return type;
}
const MessageType& cancel_all_type() {
    static const MessageType type(message_types::kCancelAll);
    return type;
}
const MessageType& withdraw_type() {
    static const MessageType type(message_types::kWithdraw);
    return type;
}
const MessageType& vault_deposit_type() {
    static const MessageType type(message_types::kVaultDeposit);
    return type;
}
const MessageType& vault_unlock_type() {
    static const MessageType type(message_types::kVaultUnlock);
    return type;
}

std::array<const MessageType*, 6> trader_message_types() {
    return {&order_type(),    &cancel_type(),        &cancel_all_type(),
            &withdraw_type(), &vault_deposit_type(), &vault_unlock_type()};
}

TypedMessage::TypedMessage(const MessageType& type) : type_(&type), encoded_((1 + type.fields().size()) * kWord, 0) {
    put_hash(encoded_.data(), type.type_hash());
}

std::uint8_t* TypedMessage::next_word(FieldKind kind) {
    const auto& fields = type_->fields();
    if (added_ == fields.size()) throw std::logic_error(type_->name() + ": more values than fields");
    const MessageType::Field& field = fields[added_];
    if (field.kind != kind) {
        throw std::logic_error(type_->name() + "." + field.name + " is " + std::string(field_kind_name(field.kind)) +
                               ", got a " + std::string(field_kind_name(kind)));
    }
    ++added_;
    return encoded_.data() + added_ * kWord;
}

TypedMessage& TypedMessage::add_address(const Address& value) {
    put_address(next_word(FieldKind::kAddress), value);
    return *this;
}

TypedMessage& TypedMessage::add_string(std::string_view value) {
    // Dynamic values are encoded as the Keccak-256 of their (UTF-8) bytes.
    put_hash(next_word(FieldKind::kString), keccak256(value));
    return *this;
}

TypedMessage& TypedMessage::add_bool(bool value) {
    next_word(FieldKind::kBool)[kWord - 1] = value ? 1 : 0;
    return *this;
}

TypedMessage& TypedMessage::add_uint64(std::uint64_t value) {
    put_uint64(next_word(FieldKind::kUint64), value);
    return *this;
}

TypedMessage& TypedMessage::add(const TypedField& field) {
    std::visit(
        [this](const auto& value) {
            using T = std::decay_t<decltype(value)>;
            if constexpr (std::is_same_v<T, Address>) add_address(value);
            if constexpr (std::is_same_v<T, std::string>) add_string(value);
            if constexpr (std::is_same_v<T, bool>) add_bool(value);
            if constexpr (std::is_same_v<T, std::uint64_t>) add_uint64(value);
        },
        field.value);
    return *this;
}

Hash32 TypedMessage::struct_hash() const {
    if (added_ != type_->fields().size()) {
        throw std::logic_error(type_->name() + ": " + std::to_string(added_) + " of " +
                               std::to_string(type_->fields().size()) + " fields set");
    }
    return keccak256_bytes(encoded_.data(), encoded_.size());
}

Hash32 typed_data_digest(const Hash32& domain_separator, const Hash32& struct_hash) {
    std::array<std::uint8_t, 2 + 2 * kWord> data;
    data[0] = 0x19;  // keeps typed data apart from RLP transactions and
    data[1] = 0x01;  // from personal_sign ("\x19Ethereum Signed Message")
    put_hash(&data[2], domain_separator);
    put_hash(&data[2 + kWord], struct_hash);
    return keccak256_bytes(data.data(), data.size());
}

SignatureVerifier::SignatureVerifier() : context_(secp256k1_context_create(SECP256K1_CONTEXT_NONE)) {
    if (context_ == nullptr) throw std::runtime_error("secp256k1_context_create failed");
}

SignatureVerifier::~SignatureVerifier() { secp256k1_context_destroy(context_); }

std::optional<Address> SignatureVerifier::recover(const Hash32& digest, std::string_view signature_hex) const noexcept {
    std::uint8_t bytes[65];  // r (32) || s (32) || v (1)
    if (!decode_prefixed_hex(signature_hex, bytes, sizeof bytes)) return std::nullopt;

    // Wallets write the recovery id as 27/28 (Ethereum's legacy offset); some
    // libraries write 0/1. Ids 2 and 3 (r overflowing the curve order) never
    // occur in practice, and no wallet produces them.
    int recovery_id = bytes[64];
    if (recovery_id >= 27) recovery_id -= 27;
    if (recovery_id != 0 && recovery_id != 1) return std::nullopt;

    secp256k1_ecdsa_recoverable_signature signature;
    // Refuses r or s not below the curve order.
    if (!secp256k1_ecdsa_recoverable_signature_parse_compact(context_, &signature, bytes, recovery_id)) {
        return std::nullopt;
    }
    // (r, n - s) with the other recovery id is an equally valid signature of the
    // same digest. Accepting only the low-s form (as Ethereum does since
    // EIP-2) gives each signed message exactly one accepted signature.
    secp256k1_ecdsa_signature plain;
    secp256k1_ecdsa_recoverable_signature_convert(context_, &plain, &signature);
    if (secp256k1_ecdsa_signature_normalize(context_, nullptr, &plain)) return std::nullopt;

    secp256k1_pubkey pubkey;
    if (!secp256k1_ecdsa_recover(context_, &pubkey, &signature, digest.data())) return std::nullopt;
    return address_of_pubkey(context_, pubkey);
}

std::string sign_digest(const Hash32& digest, const PrivateKey& private_key) {
    const secp256k1_context* context = signing_context();
    check_private_key(context, private_key);
    secp256k1_ecdsa_recoverable_signature signature;
    // A null nonce function means RFC 6979, the same deterministic nonce ethers
    // uses, so both produce byte-identical signatures. libsecp256k1 signs low-s.
    if (!secp256k1_ecdsa_sign_recoverable(context, &signature, digest.data(), private_key.data(), nullptr, nullptr)) {
        throw std::runtime_error("secp256k1_ecdsa_sign_recoverable failed");
    }
    std::uint8_t bytes[65];
    int recovery_id = 0;
    secp256k1_ecdsa_recoverable_signature_serialize_compact(context, bytes, &recovery_id, &signature);
    bytes[64] = static_cast<std::uint8_t>(27 + recovery_id);
    return to_hex(bytes, sizeof bytes);
}

Address address_of_private_key(const PrivateKey& private_key) {
    const secp256k1_context* context = signing_context();
    check_private_key(context, private_key);
    secp256k1_pubkey pubkey;
    if (!secp256k1_ec_pubkey_create(context, &pubkey, private_key.data())) {
        throw std::runtime_error("secp256k1_ec_pubkey_create failed");
    }
    return address_of_pubkey(context, pubkey);
}

}  // namespace ballast::api

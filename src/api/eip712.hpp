// EIP-712 typed-data signatures: who signed an order, cancel, withdrawal or
// vault request. Messages are hashed as EIP-712 prescribes (Keccak-256 from
// crypto++) and the signer's address is recovered from the secp256k1 signature
// (libsecp256k1), as an Ethereum wallet's signTypedData produces it.
//
// Only what the exchange's messages need is supported: flat structs whose
// fields are address, string, bool or uint64 (no nested structs, no arrays).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

struct secp256k1_context_struct;

namespace ballast::api {

using Hash32 = std::array<std::uint8_t, 32>;
using Address = std::array<std::uint8_t, 20>;
using PrivateKey = std::array<std::uint8_t, 32>;

Hash32 keccak256(std::string_view bytes);

std::string address_to_hex(const Address& address);  // "0x" + 40 lowercase hex
std::string hash_to_hex(const Hash32& hash);         // "0x" + 64 lowercase hex
// "0x" + 40 hex digits of any case; the EIP-55 checksum of mixed-case input is
// not checked (the signature is what proves who the trader is).
std::optional<Address> parse_address(std::string_view text);

// The domain every message is signed under: EIP712Domain(string name,string
// version,uint256 chainId,address verifyingContract). A signature made for one
// deployment or chain does not verify on another.
struct Eip712Domain {
    std::string name;
    std::string version;
    std::uint64_t chain_id = 0;
    Address verifying_contract{};
};
Hash32 domain_separator(const Eip712Domain& domain);

// The encodeType strings of the exchange's messages, shared by the server, the
// tests (which check them against ethers) and the load generator.
namespace message_types {
inline constexpr std::string_view kOrder =
    "Order(address trader,string pair,string size,string kind,string price,string maxSlippage,bool reduceOnly,"
    "uint64 nonce,uint64 expiry)";
inline constexpr std::string_view kCancel =
    "Cancel(address trader,string pair,uint64 orderId,uint64 nonce,uint64 expiry)";
inline constexpr std::string_view kCancelAll = "CancelAll(address trader,string pair,uint64 nonce,uint64 expiry)";
inline constexpr std::string_view kWithdraw = "Withdraw(address trader,string amount,uint64 nonce,uint64 expiry)";
inline constexpr std::string_view kVaultDeposit =
    "VaultDeposit(address trader,string amount,string minShares,uint64 nonce,uint64 expiry)";
inline constexpr std::string_view kVaultUnlock = "VaultUnlock(address trader,string shares,uint64 nonce,uint64 expiry)";
}  // namespace message_types

enum class FieldKind : std::uint8_t { kAddress, kString, kBool, kUint64 };
// As EIP-712 spells it: "address", "string", "bool", "uint64".
std::string_view field_kind_name(FieldKind kind);

// A struct type parsed once from its encodeType string, with its type hash
// computed once: the server hashes many messages of the same few types.
class MessageType {
public:
    struct Field {
        std::string name;
        FieldKind kind;
    };

    // Throws std::invalid_argument if the string is malformed or uses a field
    // type other than address, string, bool or uint64.
    explicit MessageType(std::string_view encode_type);

    const std::string& encode_type() const { return encode_type_; }
    const std::string& name() const { return name_; }
    const std::vector<Field>& fields() const { return fields_; }
    const Hash32& type_hash() const { return type_hash_; }

private:
    std::string encode_type_;
    std::string name_;
    std::vector<Field> fields_;
    Hash32 type_hash_;
};

// The exchange's message types, parsed on first use (thread-safe) and kept.
const MessageType& order_type();
const MessageType& cancel_type();
const MessageType& cancel_all_type();
const MessageType& withdraw_type();
const MessageType& vault_deposit_type();
const MessageType& vault_unlock_type();
// All six, in the order above (GET /v1/info publishes them).
std::array<const MessageType*, 6> trader_message_types();

// One field value, for callers that hold values generically.
struct TypedField {
    std::variant<Address, std::string, bool, std::uint64_t> value;
};

// One message of a MessageType, built by adding its field values in the order
// of the type string. Each value is encoded as it is added (strings are hashed
// at once), so the message keeps only 32 bytes per field.
//
// Adding a value of the wrong kind, or too many, throws std::logic_error, as
// does struct_hash() before every field is set: these are programmer errors.
class TypedMessage {
public:
    // `type` must outlive the message (the accessors above return statics).
    explicit TypedMessage(const MessageType& type);

    TypedMessage& add_address(const Address& value);
    TypedMessage& add_string(std::string_view value);
    TypedMessage& add_bool(bool value);
    TypedMessage& add_uint64(std::uint64_t value);
    TypedMessage& add(const TypedField& field);

    const MessageType& type() const { return *type_; }
    // keccak256(typeHash || encoded fields): EIP-712's hashStruct.
    Hash32 struct_hash() const;

private:
    std::uint8_t* next_word(FieldKind kind);

    const MessageType* type_;
    std::size_t added_ = 0;
    std::vector<std::uint8_t> encoded_;  // typeHash then one 32-byte word per field
};

// keccak256("\x19\x01" || domain_separator || struct_hash): what gets signed.
Hash32 typed_data_digest(const Hash32& domain_separator, const Hash32& struct_hash);

// Recovers signers' addresses. Owns one secp256k1 context, created once;
// recover() only reads it, so one verifier may serve several threads at once.
class SignatureVerifier {
public:
    SignatureVerifier();
    ~SignatureVerifier();
    SignatureVerifier(const SignatureVerifier&) = delete;
    SignatureVerifier& operator=(const SignatureVerifier&) = delete;

    // `signature_hex` is "0x" + 130 hex digits: r || s || v, v in {27, 28} or
    // {0, 1}. Malformed input, high-s signatures (s > n/2, the malleable twin
    // of a valid one) and signatures that match no key give nullopt; this
    // never throws and does not allocate.
    std::optional<Address> recover(const Hash32& digest, std::string_view signature_hex) const noexcept;

private:
    secp256k1_context_struct* context_;
};

// For tests and the load generator. Deterministic (RFC 6979) signatures, low-s,
// returned as "0x" + 130 hex with v = 27 or 28, as Ethereum wallets do. Throws
// std::invalid_argument for an invalid key (zero or not below the curve order).
std::string sign_digest(const Hash32& digest, const PrivateKey& private_key);
Address address_of_private_key(const PrivateKey& private_key);

}  // namespace ballast::api

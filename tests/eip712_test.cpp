// EIP-712 hashing, signer recovery and signing, checked against the real ethers
// wallet: tests/eth/sign_vectors.mjs signs messages of every type with fixed
// keys, and these tests compare our digests, recovered addresses and
// signatures with ethers' output. Expected values never come from our code.
#include "api/eip712.hpp"

#include <gtest/gtest.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <sys/wait.h>
#include <atomic>
#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace json = boost::json;
using namespace ballast::api;

// The secp256k1 curve order n, big-endian.
constexpr std::array<std::uint8_t, 32> kCurveOrder = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                                      0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48,
                                                      0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};

// The test's own hex decoding, so that expectations do not lean on the code under test.
std::vector<std::uint8_t> from_hex(std::string_view text) {
    if (text.substr(0, 2) != "0x" || text.size() % 2 != 0) throw std::invalid_argument("bad hex");
    std::vector<std::uint8_t> out;
    for (std::size_t i = 2; i < text.size(); i += 2) {
        out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16)));
    }
    return out;
}

template <std::size_t N>
std::array<std::uint8_t, N> fixed_from_hex(std::string_view text) {
    const std::vector<std::uint8_t> bytes = from_hex(text);
    if (bytes.size() != N) throw std::invalid_argument("hex of the wrong length");
    std::array<std::uint8_t, N> out;
    std::copy(bytes.begin(), bytes.end(), out.begin());
    return out;
}

std::string to_hex(const std::vector<std::uint8_t>& bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out = "0x";
    for (std::uint8_t b : bytes) {
        out.push_back(kDigits[b >> 4]);
        out.push_back(kDigits[b & 0xf]);
    }
    return out;
}

template <std::size_t N>
std::string hex_of(const std::array<std::uint8_t, N>& bytes) {
    return to_hex({bytes.begin(), bytes.end()});
}

std::string lowercase(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::uint64_t to_u64(std::string_view text) {
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) throw std::invalid_argument("bad uint64");
    return value;
}

std::string str(const json::value& v) { return std::string(v.as_string()); }

// ---- Running ethers --------------------------------------------------------

struct EthersOutput {
    std::string error;  // empty on success
    json::value doc;
};

EthersOutput run_sign_vectors() {
    namespace fs = std::filesystem;
    const fs::path dir = BALLAST_ETH_DIR;
    if (!fs::exists(dir / "node_modules" / "ethers" / "package.json")) {
        return {
            "ethers is not installed: run `npm ci` in " + dir.string() + " (scripts/test.sh does this before building)",
            {}};
    }
    const std::string command = "cd '" + dir.string() + "' && node sign_vectors.mjs 2>&1";
    std::FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return {"popen failed for: " + command, {}};
    std::string out;
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
    const int status = pclose(pipe);
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        return {"`" + command + "` failed (status " + std::to_string(status) + "):\n" + out, {}};
    }
    boost::system::error_code ec;
    json::value doc = json::parse(out, ec);
    if (ec) return {"sign_vectors.mjs printed invalid JSON (" + ec.message() + "):\n" + out, {}};
    return {"", std::move(doc)};
}

// Node runs once per test binary, not once per test.
const EthersOutput& ethers_output() {
    static const EthersOutput output = run_sign_vectors();
    return output;
}

const MessageType& type_named(std::string_view name) {
    if (name == "Order") return order_type();
    if (name == "Cancel") return cancel_type();
    if (name == "CancelAll") return cancel_all_type();
    if (name == "Withdraw") return withdraw_type();
    if (name == "VaultDeposit") return vault_deposit_type();
    if (name == "VaultUnlock") return vault_unlock_type();
    throw std::invalid_argument("unknown message type " + std::string(name));
}

Eip712Domain domain_of(const json::object& d) {
    const std::optional<Address> contract = parse_address(str(d.at("verifyingContract")));
    if (!contract) throw std::invalid_argument("bad verifyingContract");
    return Eip712Domain{str(d.at("name")), str(d.at("version")), to_u64(str(d.at("chainId"))), *contract};
}

// One field value as ethers signed it; `tamper` changes it slightly.
TypedField field_of(const json::object& field, bool tamper) {
    const std::string type = str(field.at("type"));
    const json::value& value = field.at("value");
    if (type == "address") {
        Address a = fixed_from_hex<20>(str(value));
        if (tamper) a[19] ^= 1;
        return {a};
    }
    if (type == "string") return {tamper ? str(value) + "0" : str(value)};
    if (type == "bool") return {tamper ? !value.as_bool() : value.as_bool()};
    if (type == "uint64") return {to_u64(str(value)) ^ (tamper ? 1 : 0)};
    throw std::invalid_argument("unexpected field type " + type);
}

// The vector's message, with field number `tampered` changed (none if out of range).
TypedMessage message_of(const json::object& vector, std::size_t tampered = SIZE_MAX) {
    TypedMessage message(type_named(str(vector.at("primaryType"))));
    const json::array& fields = vector.at("fields").as_array();
    for (std::size_t i = 0; i < fields.size(); ++i) message.add(field_of(fields[i].as_object(), i == tampered));
    return message;
}

class Eip712Ethers : public ::testing::Test {
protected:
    void SetUp() override {
        const EthersOutput& output = ethers_output();
        ASSERT_TRUE(output.error.empty()) << output.error;
        doc_ = &output.doc.as_object();
        ASSERT_FALSE(vectors().empty());
    }

    const json::array& vectors() const { return doc_->at("vectors").as_array(); }
    Eip712Domain domain_of_vector(const json::object& v) const {
        return domain_of(doc_->at("domains").as_array().at(v.at("domain").as_int64()).as_object());
    }
    static std::string label(const json::object& v) {
        return str(v.at("primaryType")) + " signed by " + str(v.at("signer")) + " with " + str(v.at("signature"));
    }

    const json::object* doc_ = nullptr;
    SignatureVerifier verifier_;
};

TEST_F(Eip712Ethers, Keccak256MatchesEthers) {
    for (const json::value& entry : doc_->at("keccak").as_array()) {
        const std::string input = str(entry.at("input"));
        EXPECT_EQ(hex_of(keccak256(input)), str(entry.at("hash"))) << "input of " << input.size() << " bytes";
    }
}

TEST_F(Eip712Ethers, MessageTypesMatchEthersEncodeType) {
    const json::object& types = doc_->at("types").as_object();
    EXPECT_EQ(types.size(), 6u);
    EXPECT_EQ(str(types.at("Order")), message_types::kOrder);
    EXPECT_EQ(str(types.at("Cancel")), message_types::kCancel);
    EXPECT_EQ(str(types.at("CancelAll")), message_types::kCancelAll);
    EXPECT_EQ(str(types.at("Withdraw")), message_types::kWithdraw);
    EXPECT_EQ(str(types.at("VaultDeposit")), message_types::kVaultDeposit);
    EXPECT_EQ(str(types.at("VaultUnlock")), message_types::kVaultUnlock);
    for (const auto& [name, encode_type] : types) {
        const MessageType& type = type_named(name);
        EXPECT_EQ(type.name(), std::string(name));
        EXPECT_EQ(type.encode_type(), str(encode_type));
    }
    // Every vector's field names and order agree with our parsed type.
    for (const json::value& v : vectors()) {
        const MessageType& type = type_named(str(v.at("primaryType")));
        const json::array& fields = v.at("fields").as_array();
        ASSERT_EQ(fields.size(), type.fields().size()) << type.name();
        for (std::size_t i = 0; i < fields.size(); ++i) {
            EXPECT_EQ(str(fields[i].at("name")), type.fields()[i].name) << type.name();
        }
    }
}

TEST_F(Eip712Ethers, DomainSeparatorsMatchEthers) {
    for (const json::value& d : doc_->at("domains").as_array()) {
        const Hash32 ours = domain_separator(domain_of(d.as_object()));
        EXPECT_EQ(hex_of(ours), str(d.at("separator"))) << str(d.at("name"));
    }
}

TEST_F(Eip712Ethers, StructHashesAndDigestsMatchEthers) {
    for (const json::value& value : vectors()) {
        const json::object& v = value.as_object();
        const Hash32 struct_hash = message_of(v).struct_hash();
        EXPECT_EQ(hex_of(struct_hash), str(v.at("structHash"))) << label(v);
        const Hash32 digest = typed_data_digest(domain_separator(domain_of_vector(v)), struct_hash);
        EXPECT_EQ(hex_of(digest), str(v.at("digest"))) << label(v);
    }
}

TEST_F(Eip712Ethers, RecoversEthersSigner) {
    for (const json::value& value : vectors()) {
        const json::object& v = value.as_object();
        const Hash32 digest = fixed_from_hex<32>(str(v.at("digest")));
        const std::string signature = str(v.at("signature"));
        const std::optional<Address> signer = verifier_.recover(digest, signature);
        ASSERT_TRUE(signer.has_value()) << label(v);
        EXPECT_EQ(address_to_hex(*signer), lowercase(str(v.at("signer")))) << label(v);

        // The same signature with v written as 0/1 instead of 27/28.
        std::vector<std::uint8_t> bytes = from_hex(signature);
        ASSERT_TRUE(bytes[64] == 27 || bytes[64] == 28) << label(v);
        bytes[64] -= 27;
        EXPECT_EQ(verifier_.recover(digest, to_hex(bytes)), signer) << label(v);
    }
}

TEST_F(Eip712Ethers, SignDigestReproducesEthersSignatures) {
    for (const json::value& value : vectors()) {
        const json::object& v = value.as_object();
        const PrivateKey key = fixed_from_hex<32>(str(v.at("privateKey")));
        const Hash32 digest = fixed_from_hex<32>(str(v.at("digest")));
        EXPECT_EQ(address_to_hex(address_of_private_key(key)), lowercase(str(v.at("signer")))) << label(v);

        // Both sides use RFC 6979 nonces and low-s, so the bytes are identical.
        const std::string ours = sign_digest(digest, key);
        EXPECT_EQ(ours, str(v.at("signature"))) << label(v);
        const std::optional<Address> signer = verifier_.recover(digest, ours);
        ASSERT_TRUE(signer.has_value()) << label(v);
        EXPECT_EQ(address_to_hex(*signer), lowercase(str(v.at("signer")))) << label(v);
    }
}

TEST_F(Eip712Ethers, TamperedFieldRecoversAnotherAddress) {
    for (const json::value& value : vectors()) {
        const json::object& v = value.as_object();
        const Hash32 separator = domain_separator(domain_of_vector(v));
        const std::optional<Address> signer = parse_address(str(v.at("signer")));
        ASSERT_TRUE(signer.has_value());
        const std::size_t field_count = v.at("fields").as_array().size();
        for (std::size_t i = 0; i < field_count; ++i) {
            const Hash32 digest = typed_data_digest(separator, message_of(v, i).struct_hash());
            EXPECT_NE(hex_of(digest), str(v.at("digest"))) << label(v) << ", field " << i;
            EXPECT_NE(verifier_.recover(digest, str(v.at("signature"))), signer) << label(v) << ", field " << i;
        }
    }
}

TEST_F(Eip712Ethers, WrongDomainChangesDigestAndSigner) {
    for (const json::value& value : vectors()) {
        const json::object& v = value.as_object();
        const std::optional<Address> signer = parse_address(str(v.at("signer")));
        const Hash32 struct_hash = message_of(v).struct_hash();

        Eip712Domain other_chain = domain_of_vector(v);
        other_chain.chain_id += 1;  // wraps for the largest chain id, which is still another chain
        Eip712Domain other_contract = domain_of_vector(v);
        other_contract.verifying_contract[0] ^= 0x80;

        for (const Eip712Domain& wrong : {other_chain, other_contract}) {
            const Hash32 digest = typed_data_digest(domain_separator(wrong), struct_hash);
            EXPECT_NE(hex_of(digest), str(v.at("digest"))) << label(v);
            EXPECT_NE(verifier_.recover(digest, str(v.at("signature"))), signer) << label(v);
        }
    }
}

// (r, n - s) with the other recovery id is a second valid signature of the same
// digest by the same key. libsecp256k1's raw recovery accepts it; ours must not.
TEST_F(Eip712Ethers, HighSFormOfEthersSignatureIsRejected) {
    const std::unique_ptr<secp256k1_context, void (*)(secp256k1_context*)> owned(
        secp256k1_context_create(SECP256K1_CONTEXT_NONE), secp256k1_context_destroy);
    const secp256k1_context* context = owned.get();
    for (const json::value& value : vectors()) {
        const json::object& v = value.as_object();
        const Hash32 digest = fixed_from_hex<32>(str(v.at("digest")));
        std::vector<std::uint8_t> sig = from_hex(str(v.at("signature")));

        // s := n - s, byte by byte from the least significant end.
        int borrow = 0;
        for (int i = 31; i >= 0; --i) {
            int diff = kCurveOrder[i] - sig[32 + i] - borrow;
            borrow = diff < 0 ? 1 : 0;
            sig[32 + i] = static_cast<std::uint8_t>(diff + 256 * borrow);
        }
        ASSERT_EQ(borrow, 0);
        sig[64] = sig[64] == 27 ? 28 : 27;

        // The twin is genuine: the library's unchecked recovery finds the signer.
        secp256k1_ecdsa_recoverable_signature parsed;
        ASSERT_TRUE(secp256k1_ecdsa_recoverable_signature_parse_compact(context, &parsed, sig.data(), sig[64] - 27));
        secp256k1_pubkey pubkey;
        ASSERT_TRUE(secp256k1_ecdsa_recover(context, &pubkey, &parsed, digest.data()));
        std::uint8_t serialized[65];
        std::size_t length = sizeof serialized;
        secp256k1_ec_pubkey_serialize(context, serialized, &length, &pubkey, SECP256K1_EC_UNCOMPRESSED);
        const Hash32 key_hash = keccak256(std::string_view(reinterpret_cast<const char*>(serialized + 1), 64));
        EXPECT_EQ(to_hex({key_hash.begin() + 12, key_hash.end()}), lowercase(str(v.at("signer")))) << label(v);

        EXPECT_EQ(verifier_.recover(digest, to_hex(sig)), std::nullopt) << label(v);
    }
}

// ---- Without ethers --------------------------------------------------------

TEST(Eip712, Keccak256OfEmptyStringIsTheKnownConstant) {
    EXPECT_EQ(hash_to_hex(keccak256("")), "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
}

TEST(Eip712, ParseAddressAcceptsAnyCaseAndRefusesBadInput) {
    const std::string lower = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
    const std::optional<Address> parsed = parse_address(lower);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ((*parsed)[0], 0x5f);
    EXPECT_EQ((*parsed)[19], 0xa3);
    EXPECT_EQ(address_to_hex(*parsed), lower);
    EXPECT_EQ(parse_address("0x5FbDB2315678afecb367f032d93F642f64180aa3"), parsed);  // EIP-55 checksummed
    EXPECT_EQ(parse_address("0x5FBDB2315678AFECB367F032D93F642F64180AA3"), parsed);

    EXPECT_EQ(parse_address(""), std::nullopt);
    EXPECT_EQ(parse_address("0x"), std::nullopt);
    EXPECT_EQ(parse_address(lower.substr(0, 41)), std::nullopt);  // 39 digits
    EXPECT_EQ(parse_address(lower + "0"), std::nullopt);          // 41 digits
    EXPECT_EQ(parse_address(lower + "00"), std::nullopt);         // 42 digits
    EXPECT_EQ(parse_address(lower.substr(2)), std::nullopt);      // no prefix
    EXPECT_EQ(parse_address("00" + lower.substr(2)), std::nullopt);
    EXPECT_EQ(parse_address("0X" + lower.substr(2)), std::nullopt);
    EXPECT_EQ(parse_address("0x5fbdb2315678afecb367f032d93f642f64180aag"), std::nullopt);
    EXPECT_EQ(parse_address("0x5fbdb2315678afecb367f032d93f642f64180a 3"), std::nullopt);
    EXPECT_EQ(parse_address(" 0x5fbdb2315678afecb367f032d93f642f64180aa"), std::nullopt);
}

TEST(Eip712, MalformedSignaturesGiveNullopt) {
    const SignatureVerifier verifier;
    const PrivateKey key = fixed_from_hex<32>("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
    const Hash32 digest = keccak256("some message");
    const std::string good = sign_digest(digest, key);
    ASSERT_EQ(verifier.recover(digest, good), address_of_private_key(key));

    const auto with_byte = [&](std::size_t index, std::uint8_t byte) {
        std::vector<std::uint8_t> bytes = from_hex(good);
        bytes[index] = byte;
        return to_hex(bytes);
    };
    const auto with_range = [&](std::size_t from, const std::array<std::uint8_t, 32>& value) {
        std::vector<std::uint8_t> bytes = from_hex(good);
        std::copy(value.begin(), value.end(), bytes.begin() + static_cast<std::ptrdiff_t>(from));
        return to_hex(bytes);
    };
    const std::array<std::uint8_t, 32> zero{};

    const std::vector<std::string> bad = {
        "",
        "0x",
        good.substr(0, 130),                         // one byte short
        good + "1b",                                 // one byte long
        good + "0",                                  // odd length
        good.substr(2),                              // no prefix
        "00" + good.substr(2),                       // right length, no prefix
        "0X" + good.substr(2),                       // capital prefix
        good.substr(0, 10) + "g" + good.substr(11),  // not hex in r
        good.substr(0, 130) + "1z",                  // not hex in v
        good.substr(0, 70) + " " + good.substr(71),  // space in s
        with_byte(64, 29),
        with_byte(64, 26),
        with_byte(64, 2),
        with_byte(64, 255),
        with_range(0, zero),          // r = 0
        with_range(32, zero),         // s = 0
        with_range(0, kCurveOrder),   // r = n, out of range
        with_range(32, kCurveOrder),  // s = n, out of range
    };
    for (const std::string& signature : bad) {
        EXPECT_EQ(verifier.recover(digest, signature), std::nullopt) << '"' << signature << '"';
    }
    // Embedded NULs do not confuse the length checks.
    EXPECT_EQ(verifier.recover(digest, std::string_view(good.data(), 131)), std::nullopt);
    EXPECT_EQ(verifier.recover(digest, std::string(good).replace(4, 1, 1, '\0')), std::nullopt);
}

TEST(Eip712, MessageTypeRefusesUnsupportedOrMalformedTypes) {
    for (const char* type : {"", "Order", "Order(", "Order)", "(address a)", "1Order(address a)", "Order(address)",
                             "Order(address a,)", "Order(,address a)", "Order(address  a)", "Order(address a b)",
                             "Order(address a,address a)", "Order(uint256 amount)", "Order(address[] traders)",
                             "Order(bytes32 id)", "Order(Inner inner)Inner(uint64 x)", "Order(uint64 x) "}) {
        EXPECT_THROW(MessageType{type}, std::invalid_argument) << type;
    }
    const MessageType empty("Ping()");
    EXPECT_TRUE(empty.fields().empty());
    const MessageType order(message_types::kOrder);
    ASSERT_EQ(order.fields().size(), 9u);
    EXPECT_EQ(order.fields()[5].name, "maxSlippage");
    EXPECT_EQ(order.fields()[6].kind, FieldKind::kBool);
    EXPECT_EQ(order.type_hash(), order_type().type_hash());
}

TEST(Eip712, TypedMessageRefusesWrongKindsAndCounts) {
    const Address trader = *parse_address("0x00000000000000000000000000000000deadbeef");
    TypedMessage message(withdraw_type());
    EXPECT_THROW(message.add_string("100"), std::logic_error);  // trader comes first
    message.add_address(trader).add_string("100").add_uint64(1);
    EXPECT_THROW(message.struct_hash(), std::logic_error);  // expiry missing
    EXPECT_THROW(message.add_bool(true), std::logic_error);
    message.add_uint64(2);
    EXPECT_NO_THROW(message.struct_hash());
    EXPECT_THROW(message.add_uint64(3), std::logic_error);  // one too many

    // The generic add() encodes exactly like the typed adders.
    TypedMessage generic(withdraw_type());
    generic.add({trader}).add({std::string("100")}).add({std::uint64_t{1}}).add({std::uint64_t{2}});
    EXPECT_EQ(generic.struct_hash(), message.struct_hash());
}

TEST(Eip712, SigningRefusesInvalidKeys) {
    const Hash32 digest = keccak256("x");
    PrivateKey all_ones;
    all_ones.fill(0xff);
    for (const PrivateKey& key : {PrivateKey{}, PrivateKey(kCurveOrder), all_ones}) {
        EXPECT_THROW(sign_digest(digest, key), std::invalid_argument);
        EXPECT_THROW(address_of_private_key(key), std::invalid_argument);
    }
}

// One verifier shared by several threads, as the server's request handlers do.
TEST(Eip712, RecoverFromSeveralThreadsAtOnce) {
    const SignatureVerifier verifier;
    struct Case {
        Hash32 digest;
        std::string signature;
        Address signer;
    };
    std::vector<Case> cases;
    for (std::uint8_t k = 1; k <= 16; ++k) {
        PrivateKey key{};
        key[31] = k;
        key[0] = k;
        const Hash32 digest = keccak256(std::string(k, 'm'));
        cases.push_back({digest, sign_digest(digest, key), address_of_private_key(key)});
    }
    std::atomic<int> mismatches{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int round = 0; round < 50; ++round) {
                for (std::size_t i = 0; i < cases.size(); ++i) {
                    const Case& c = cases[(i + static_cast<std::size_t>(t)) % cases.size()];
                    if (verifier.recover(c.digest, c.signature) != c.signer) ++mismatches;
                }
            }
        });
    }
    for (std::thread& thread : threads) thread.join();
    EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace

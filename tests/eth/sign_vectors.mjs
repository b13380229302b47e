// Signs EIP-712 test vectors with the real ethers wallet and prints them as one
// JSON document on stdout. tests/eip712_test.cpp runs this at test time and
// checks our digests, recovery and signatures against what ethers produced, so
// the expected values never come from our own code.
//
// Usage: npm ci && node sign_vectors.mjs
import { TypedDataEncoder, Wallet, getAddress, keccak256, toUtf8Bytes, verifyTypedData, version } from "ethers";

const MAX_U64 = 18446744073709551615n;

// Fixed keys: the smallest valid key, a well-known documentation key and the
// largest valid key (curve order n - 1), to reach both ends of the key range.
const KEYS = [
    "0x0000000000000000000000000000000000000000000000000000000000000001",
    "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318",
    "0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140",
];

// Domains: a typical one, one with the largest uint64 chain id and the zero
// contract address, and one with non-ASCII text and an empty version string.
const DOMAINS = [
    {
        name: "Ballast",
        version: "1",
        chainId: 42161n,
        verifyingContract: getAddress("0x5fbdb2315678afecb367f032d93f642f64180aa3"),
    },
    {
        name: "Ballast Testnet",
        version: "2",
        chainId: MAX_U64,
        verifyingContract: "0x0000000000000000000000000000000000000000",
    },
    {
        name: "B\u00e4llast \u2696",
        version: "",
        chainId: 1n,
        verifyingContract: getAddress("0xffffffffffffffffffffffffffffffffffffffff"),
    },
];

// The message types as ethers wants them; the C++ test checks that ethers'
// encodeType of each equals the constant in src/api/eip712.hpp.
const f = (name, type) => ({ name, type });
const TYPES = {
    Order: [
        f("trader", "address"),
        f("pair", "string"),
        f("size", "string"),
        f("kind", "string"),
        f("price", "string"),
        f("maxSlippage", "string"),
        f("reduceOnly", "bool"),
        f("nonce", "uint64"),
        f("expiry", "uint64"),
    ],
    Cancel: [
        f("trader", "address"),
        f("pair", "string"),
        f("orderId", "uint64"),
        f("nonce", "uint64"),
        f("expiry", "uint64"),
    ],
    CancelAll: [f("trader", "address"), f("pair", "string"), f("nonce", "uint64"), f("expiry", "uint64")],
    Withdraw: [f("trader", "address"), f("amount", "string"), f("nonce", "uint64"), f("expiry", "uint64")],
    VaultDeposit: [
        f("trader", "address"),
        f("amount", "string"),
        f("minShares", "string"),
        f("nonce", "uint64"),
        f("expiry", "uint64"),
    ],
    VaultUnlock: [f("trader", "address"), f("shares", "string"), f("nonce", "uint64"), f("expiry", "uint64")],
};

// Field values without the trader, which is filled in with the signer's
// address (or another address where `trader` is given). Each message names its
// key and domain by index.
const OTHER_TRADER = getAddress("0x00000000000000000000000000000000deadbeef");
const MESSAGES = [
    ["Order", 0, 0, { pair: "BTC-USD", size: "0.5", kind: "limit", price: "65000.25", maxSlippage: "0",
                      reduceOnly: false, nonce: 1n, expiry: 1767225600n }],
    ["Order", 1, 1, { pair: "ETH-USD", size: "12", kind: "market", price: "0", maxSlippage: "0.01",
                      reduceOnly: true, nonce: 0n, expiry: MAX_U64 }],
    ["Order", 2, 2, { pair: "S\u00f6L-USD", size: "0.000001", kind: "limit", price: "0.1", maxSlippage: "0",
                      reduceOnly: false, nonce: MAX_U64, expiry: 0n }],
    ["Order", 0, 1, { pair: "", size: "1", kind: "market", price: "0", maxSlippage: "0.5", reduceOnly: true,
                      nonce: 4294967296n, expiry: 1n, trader: OTHER_TRADER }],
    ["Cancel", 0, 0, { pair: "BTC-USD", orderId: 42n, nonce: 2n, expiry: 1767225600n }],
    ["Cancel", 1, 2, { pair: "ETH-USD", orderId: MAX_U64, nonce: 0n, expiry: 0n }],
    ["Cancel", 2, 1, { pair: "BTC-USD", orderId: 0n, nonce: 9007199254740993n, expiry: 1767225600n }],
    ["CancelAll", 0, 0, { pair: "BTC-USD", nonce: 3n, expiry: 1767225600n }],
    ["CancelAll", 1, 1, { pair: "", nonce: 0n, expiry: MAX_U64 }],
    ["CancelAll", 2, 2, { pair: "ETH-USD", nonce: 18446744073709551614n, expiry: 255n }],
    ["Withdraw", 0, 0, { amount: "100", nonce: 4n, expiry: 1767225600n }],
    ["Withdraw", 1, 2, { amount: "0.000000000000000001", nonce: 1n, expiry: 256n }],
    ["Withdraw", 2, 1, { amount: "123456789012345678901234567890.5", nonce: MAX_U64, expiry: MAX_U64 }],
    ["VaultDeposit", 0, 0, { amount: "1000", minShares: "999.5", nonce: 5n, expiry: 1767225600n }],
    ["VaultDeposit", 1, 1, { amount: "0.01", minShares: "0", nonce: 0n, expiry: 65536n }],
    ["VaultDeposit", 2, 2, { amount: "5", minShares: "4.99", nonce: 77n, expiry: 0n, trader: OTHER_TRADER }],
    ["VaultUnlock", 0, 0, { shares: "250.125", nonce: 6n, expiry: 1767225600n }],
    ["VaultUnlock", 1, 2, { shares: "1", nonce: 65535n, expiry: 4294967295n }],
    ["VaultUnlock", 2, 1, { shares: "0.5", nonce: 0n, expiry: MAX_U64 }],
];

// Keccak-256 inputs: empty, short, and long enough to span several 136-byte
// blocks (with one exactly one block long).
const KECCAK_INPUTS = ["", "abc", "x".repeat(135), "y".repeat(136), "z".repeat(137), "\u00e9\u2696".repeat(100)];

// JSON cannot hold a uint64 exactly as a number, so bigints become decimal strings.
const jsonValue = (v) => (typeof v === "bigint" ? v.toString() : v);

const domains = DOMAINS.map((d) => ({
    name: d.name,
    version: d.version,
    chainId: d.chainId.toString(),
    verifyingContract: d.verifyingContract,
    separator: TypedDataEncoder.hashDomain(d),
}));

const types = Object.fromEntries(
    Object.keys(TYPES).map((name) => [name, TypedDataEncoder.from({ [name]: TYPES[name] }).encodeType(name)]),
);

const vectors = [];
for (const [primaryType, keyIndex, domainIndex, values] of MESSAGES) {
    const wallet = new Wallet(KEYS[keyIndex]);
    const domain = DOMAINS[domainIndex];
    const fieldTypes = { [primaryType]: TYPES[primaryType] };
    const value = { ...values, trader: values.trader ?? wallet.address };
    const signature = await wallet.signTypedData(domain, fieldTypes, value);
    // A vector that ethers itself cannot verify would be worthless.
    if (verifyTypedData(domain, fieldTypes, value, signature) !== wallet.address) {
        throw new Error(`ethers does not verify its own ${primaryType} signature`);
    }
    vectors.push({
        primaryType,
        domain: domainIndex,
        privateKey: KEYS[keyIndex],
        signer: wallet.address,
        fields: TYPES[primaryType].map(({ name, type }) => ({ name, type, value: jsonValue(value[name]) })),
        structHash: TypedDataEncoder.hashStruct(primaryType, fieldTypes, value),
        digest: TypedDataEncoder.hash(domain, fieldTypes, value),
        signature,
    });
}

const keccak = KECCAK_INPUTS.map((input) => ({ input, hash: keccak256(toUtf8Bytes(input)) }));

process.stdout.write(JSON.stringify({ ethers: version, keccak, types, domains, vectors }) + "\n");

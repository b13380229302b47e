export { BallastClient, toJson } from "./client.js";
export type { BallastClientOptions, Page, RequestOptions } from "./client.js";
export { BallastError } from "./errors.js";
export type { ErrorCode } from "./errors.js";
export {
  EIP712_TYPES,
  canonicalAmount,
  canonicalDecimal,
  cancelAllRequest,
  cancelRequest,
  orderRequest,
  signRequest,
  vaultDepositRequest,
  vaultUnlockRequest,
  withdrawRequest,
} from "./eip712.js";
export type { Authorization, Eip712Domain, Hex, OrderFields, PrimaryType, SignedRequest, Uint64 } from "./eip712.js";
export type * from "./types.js";

// Causeway's TypeScript SDK: keys, signing, the sequencer's API and the Rollup contract.
export {
  FIELD, PrivateKey, type Point, type Signature, packPoint, packPublicKey, packSignature, toHex, verifySignature,
} from "./keys.js";
export { blake512 } from "./eddsa.js";
export {
  AMOUNT, FEE, type Domain, type FloatFormat, type SignedTransfer, type SignedTx, type SignedWithdraw,
  type TransferFields, type WithdrawFields, isRepresentable, message, parseEther, roundDown, signTransfer, signWithdraw, txHash,
} from "./tx.js";
export {
  type Account, type Batch, type BatchProof, CausewayError, Client, type FollowOptions, type RollupInfo, type Schemas,
  type SubmitOptions, type Submitted, type SubmittedTx, type Token, type Transaction, type TxState, type VerifyingKeys, retryAfterMs,
} from "./client.js";
export { type PriorityRequest, ROLLUP_ABI, Rollup, domainFromChain, priorityRequestHash } from "./l1.js";
export type { components, paths } from "./api.js";

// The explorer's Poseidon (sequencer/explorer/poseidon.min.js, `npm run explorer-poseidon`):
// poseidon-lite's 4- and 5-input hashes as the global `causewayPoseidon`, for recomputing
// Merkle proofs in the browser.
export { poseidon4 } from "poseidon-lite/poseidon4";
export { poseidon5 } from "poseidon-lite/poseidon5";

// The explorer's Poseidon (sequencer/explorer/poseidon.min.js, `npm run explorer-poseidon`):
// poseidon-lite's 4- and 6-input hashes as the global `causewayPoseidon`, for recomputing
// Merkle proofs in the browser (nodes are Poseidon(4), leaves Poseidon(6)).
export { poseidon4 } from "poseidon-lite/poseidon4";
export { poseidon6 } from "poseidon-lite/poseidon6";

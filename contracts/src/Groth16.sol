// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Groth16 verification over BN254 through the EIP-196/197 precompiles (0x06 ecAdd,
/// 0x07 ecMul, 0x08 pairing), shared by the batch and the exit verifiers.
/// @notice Encodings are Causeway's (docs/protocol.md): a G1 point is x ‖ y, a G2 point
/// x.c1 ‖ x.c0 ‖ y.c1 ‖ y.c0, a proof A (G1) ‖ B (G2) ‖ C (G1), 8 words.
library Groth16 {
    /// BN254 base field modulus.
    uint256 internal constant P = 21888242871839275222246405745257275088696311157297823662689037894645226208583;
    /// BN254 scalar field modulus: public inputs must be below it.
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// Whether every word of a proof is a base-field element.
    function proofInField(uint256[8] calldata proof) internal pure returns (bool) {
        for (uint256 i = 0; i < 8; i++) {
            if (proof[i] >= P) return false;
        }
        return true;
    }

    /// acc + scalar · (x, y). Reverts when a precompile fails (a point off the curve, or too
    /// little gas): returning false there would let a gas estimate stop at a failing call.
    function mulAdd(uint256[2] memory acc, uint256 x, uint256 y, uint256 scalar)
        internal
        view
        returns (uint256[2] memory out)
    {
        uint256[3] memory scaled = [x, y, scalar];
        uint256[4] memory sum;
        bool ok;
        assembly ("memory-safe") {
            ok := staticcall(gas(), 0x07, scaled, 0x60, sum, 0x40)
        }
        require(ok, "invalid proof: ecMul failed");
        (sum[2], sum[3]) = (acc[0], acc[1]);
        assembly ("memory-safe") {
            ok := staticcall(gas(), 0x06, sum, 0x80, out, 0x40)
        }
        require(ok, "invalid proof: ecAdd failed");
    }

    /// e(-A, B) · e(alpha, beta) · e(vkx, gamma) · e(C, delta) = 1, where `key` is alpha (G1) ‖
    /// beta, gamma, delta (G2) and `vkx` the inputs' combination IC0 + Σ input_i · IC_i.
    function pairingHolds(uint256[8] calldata proof, uint256[14] memory key, uint256[2] memory vkx)
        internal
        view
        returns (bool)
    {
        uint256[24] memory pairing;
        pairing[0] = proof[0];
        pairing[1] = proof[1] == 0 ? 0 : P - proof[1];
        (pairing[2], pairing[3], pairing[4], pairing[5]) = (proof[2], proof[3], proof[4], proof[5]);
        (pairing[6], pairing[7]) = (key[0], key[1]);
        (pairing[8], pairing[9], pairing[10], pairing[11]) = (key[2], key[3], key[4], key[5]);
        (pairing[12], pairing[13]) = (vkx[0], vkx[1]);
        (pairing[14], pairing[15], pairing[16], pairing[17]) = (key[6], key[7], key[8], key[9]);
        (pairing[18], pairing[19]) = (proof[6], proof[7]);
        (pairing[20], pairing[21], pairing[22], pairing[23]) = (key[10], key[11], key[12], key[13]);
        uint256[1] memory result;
        bool ok;
        assembly ("memory-safe") {
            ok := staticcall(gas(), 0x08, pairing, 0x300, result, 0x20)
        }
        require(ok, "invalid proof: a point is not on its curve (or out of gas)");
        return result[0] == 1;
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Groth16 verification over BN254 with one public input, through the EIP-196/197
/// precompiles (0x06 ecAdd, 0x07 ecMul, 0x08 pairing).
/// @notice The verifying key is fixed at deployment in immutables: verification reads no storage.
/// Its encoding is Causeway's `vk.eth.hex` (docs/protocol.md): alpha (G1) ‖ beta, gamma, delta
/// (G2, each x.c1 ‖ x.c0 ‖ y.c1 ‖ y.c0) ‖ IC0 ‖ IC1 (G1), 18 words. A proof is
/// A (G1) ‖ B (G2) ‖ C (G1), 8 words, in the same encoding.
abstract contract Groth16Verifier {
    /// BN254 base field modulus.
    uint256 internal constant P = 21888242871839275222246405745257275088696311157297823662689037894645226208583;
    /// BN254 scalar field modulus: public inputs must be below it.
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

    uint256 private immutable ALPHA_X;
    uint256 private immutable ALPHA_Y;
    uint256 private immutable BETA_X1;
    uint256 private immutable BETA_X0;
    uint256 private immutable BETA_Y1;
    uint256 private immutable BETA_Y0;
    uint256 private immutable GAMMA_X1;
    uint256 private immutable GAMMA_X0;
    uint256 private immutable GAMMA_Y1;
    uint256 private immutable GAMMA_Y0;
    uint256 private immutable DELTA_X1;
    uint256 private immutable DELTA_X0;
    uint256 private immutable DELTA_Y1;
    uint256 private immutable DELTA_Y0;
    uint256 private immutable IC0_X;
    uint256 private immutable IC0_Y;
    uint256 private immutable IC1_X;
    uint256 private immutable IC1_Y;

    constructor(uint256[18] memory vk) {
        for (uint256 i = 0; i < 18; i++) {
            require(vk[i] < P, "verifying key: coordinate not below the field modulus");
        }
        (ALPHA_X, ALPHA_Y) = (vk[0], vk[1]);
        (BETA_X1, BETA_X0, BETA_Y1, BETA_Y0) = (vk[2], vk[3], vk[4], vk[5]);
        (GAMMA_X1, GAMMA_X0, GAMMA_Y1, GAMMA_Y0) = (vk[6], vk[7], vk[8], vk[9]);
        (DELTA_X1, DELTA_X0, DELTA_Y1, DELTA_Y0) = (vk[10], vk[11], vk[12], vk[13]);
        (IC0_X, IC0_Y) = (vk[14], vk[15]);
        (IC1_X, IC1_Y) = (vk[16], vk[17]);
    }

    /// @notice The verifying key as it was given at deployment.
    function verifyingKey() external view returns (uint256[18] memory vk) {
        vk = [
            ALPHA_X, ALPHA_Y, BETA_X1, BETA_X0, BETA_Y1, BETA_Y0, GAMMA_X1, GAMMA_X0, GAMMA_Y1,
            GAMMA_Y0, DELTA_X1, DELTA_X0, DELTA_Y1, DELTA_Y0, IC0_X, IC0_Y, IC1_X, IC1_Y
        ];
    }

    /// @notice Whether `proof` proves the circuit for public input `input`.
    /// Checks e(-A, B) · e(alpha, beta) · e(IC0 + input·IC1, gamma) · e(C, delta) = 1.
    /// Reverts ("invalid proof: ...") when a precompile fails: a point off its curve, or too
    /// little gas. (Returning false there would let a gas estimate stop at a failing call.)
    function verifyProof(uint256[8] calldata proof, uint256 input) public view returns (bool) {
        if (input >= R) return false;
        for (uint256 i = 0; i < 8; i++) {
            if (proof[i] >= P) return false;
        }
        uint256[24] memory pairing;
        // -A
        pairing[0] = proof[0];
        pairing[1] = proof[1] == 0 ? 0 : P - proof[1];
        (pairing[2], pairing[3], pairing[4], pairing[5]) = (proof[2], proof[3], proof[4], proof[5]);
        (pairing[6], pairing[7]) = (ALPHA_X, ALPHA_Y);
        (pairing[8], pairing[9], pairing[10], pairing[11]) = (BETA_X1, BETA_X0, BETA_Y1, BETA_Y0);
        // vk_x = IC0 + input · IC1
        uint256[3] memory scaled = [IC1_X, IC1_Y, input];
        uint256[4] memory sum;
        bool ok;
        assembly ("memory-safe") {
            ok := staticcall(gas(), 0x07, scaled, 0x60, sum, 0x40)
        }
        require(ok, "invalid proof: ecMul failed");
        (sum[2], sum[3]) = (IC0_X, IC0_Y);
        uint256[2] memory vkx;
        assembly ("memory-safe") {
            ok := staticcall(gas(), 0x06, sum, 0x80, vkx, 0x40)
        }
        require(ok, "invalid proof: ecAdd failed");
        (pairing[12], pairing[13]) = (vkx[0], vkx[1]);
        (pairing[14], pairing[15], pairing[16], pairing[17]) = (GAMMA_X1, GAMMA_X0, GAMMA_Y1, GAMMA_Y0);
        (pairing[18], pairing[19]) = (proof[6], proof[7]);
        (pairing[20], pairing[21], pairing[22], pairing[23]) = (DELTA_X1, DELTA_X0, DELTA_Y1, DELTA_Y0);
        uint256[1] memory result;
        assembly ("memory-safe") {
            ok := staticcall(gas(), 0x08, pairing, 0x300, result, 0x20)
        }
        require(ok, "invalid proof: a point is not on its curve (or out of gas)");
        return result[0] == 1;
    }
}

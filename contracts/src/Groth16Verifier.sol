// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Groth16} from "./Groth16.sol";

/// @title Groth16 verification of the batch circuit (one public input) over BN254.
/// @notice The verifying key is fixed at deployment in immutables: verification reads no storage.
/// Its encoding is Causeway's `vk.eth.hex` (docs/protocol.md): alpha (G1) ‖ beta, gamma, delta
/// (G2, each x.c1 ‖ x.c0 ‖ y.c1 ‖ y.c0) ‖ IC0 ‖ IC1 (G1), 18 words. A proof is
/// A (G1) ‖ B (G2) ‖ C (G1), 8 words, in the same encoding.
abstract contract Groth16Verifier {
    /// BN254 base field modulus.
    uint256 internal constant P = Groth16.P;
    /// BN254 scalar field modulus: public inputs must be below it.
    uint256 internal constant R = Groth16.R;

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

    /// @notice Whether `proof` proves the batch circuit for public input `input`.
    /// Reverts ("invalid proof: ...") when a precompile fails: a point off its curve, or too
    /// little gas.
    function verifyProof(uint256[8] calldata proof, uint256 input) public view returns (bool) {
        if (input >= R || !Groth16.proofInField(proof)) return false;
        uint256[2] memory vkx = Groth16.mulAdd([IC0_X, IC0_Y], IC1_X, IC1_Y, input);
        uint256[14] memory key = [
            ALPHA_X, ALPHA_Y, BETA_X1, BETA_X0, BETA_Y1, BETA_Y0, GAMMA_X1, GAMMA_X0, GAMMA_Y1,
            GAMMA_Y0, DELTA_X1, DELTA_X0, DELTA_Y1, DELTA_Y0
        ];
        return Groth16.pairingHolds(proof, key, vkx);
    }
}

// What the browser test bundles (`npm run bundle`, esbuild, platform browser): the SDK as a web
// page imports it, with ethers' JSON-RPC provider and wallet for the base chain.
export * from "../dist/src/index.js";
export { JsonRpcProvider, Wallet } from "ethers";

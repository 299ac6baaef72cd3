// Compiles contracts/src with the pinned solc (package-lock.json) and writes one artifact per
// deployable contract to contracts/artifacts/NAME.json: {contract, compiler, abi, bytecode,
// deployedBytecode, immutableReferences}.
// The artifacts are committed. `node scripts/compile.mjs --check` compiles afresh and exits 1
// if the committed artifacts differ (the Rust tests run it).
import solc from "solc";
import { readFileSync, readdirSync, writeFileSync, mkdirSync, existsSync } from "fs";

const root = new URL("../", import.meta.url).pathname;
const check = process.argv.includes("--check");
const DEPLOYABLE = ["Rollup", "Forwarder", "TestToken", "NoReturnToken", "FeeOnTransferToken", "ReentrantToken"];

const sources = {};
for (const f of readdirSync(root + "src").filter((f) => f.endsWith(".sol")).sort()) {
  sources[f] = { content: readFileSync(root + "src/" + f, "utf8") };
}
const input = {
  language: "Solidity",
  sources,
  settings: {
    // 200 runs: the Rollup's runtime code must stay under EIP-170's 24,576 bytes (at 10,000
    // runs it passed it once open mode and the operator handover were added, at 5,000 once the
    // token registry was).
    optimizer: { enabled: true, runs: 200 },
    evmVersion: "cancun",
    outputSelection: {
      "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "evm.deployedBytecode.immutableReferences"] },
    },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors || []).filter((e) => e.severity === "error");
for (const e of output.errors || []) console.error(e.formattedMessage);
if (errors.length > 0) process.exit(1);

mkdirSync(root + "artifacts", { recursive: true });
let stale = [];
for (const [file, contracts] of Object.entries(output.contracts)) {
  for (const [name, c] of Object.entries(contracts)) {
    if (!DEPLOYABLE.includes(name)) continue;
    const artifact =
      JSON.stringify(
        {
          contract: name,
          source: "src/" + file,
          compiler: solc.version(),
          abi: c.abi,
          bytecode: "0x" + c.evm.bytecode.object,
          // The runtime code with its immutables zeroed, and where they go (byte offset, length):
          // `causeway verify` compares a deployment's code with this, immutables masked.
          deployedBytecode: "0x" + c.evm.deployedBytecode.object,
          immutableReferences: Object.values(c.evm.deployedBytecode.immutableReferences || {})
            .flat()
            .sort((a, b) => a.start - b.start),
        },
        null,
        1,
      ) + "\n";
    const path = root + "artifacts/" + name + ".json";
    if (check) {
      if (!existsSync(path) || readFileSync(path, "utf8") !== artifact) stale.push(path);
    } else {
      writeFileSync(path, artifact);
      console.log(`wrote ${path} (${c.evm.bytecode.object.length / 2} bytes of init code)`);
    }
  }
}
if (stale.length > 0) {
  console.error(`stale artifacts (run: node scripts/compile.mjs from contracts/): ${stale.join(", ")}`);
  process.exit(1);
}
if (check) console.log("artifacts match a fresh compile");

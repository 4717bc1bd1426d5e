// Run by `make mcp-peers` (cwd .cache/node, Node 22): the pinned peers resolve and are the
// versions the MCP interop tests name; anything else stops the install loudly.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const want = JSON.parse(readFileSync("package.json", "utf8")).dependencies;
const require = createRequire(`${process.cwd()}/`);
for (const [name, version] of Object.entries(want)) {
  const found = JSON.parse(readFileSync(`node_modules/${name}/package.json`, "utf8")).version;
  if (found !== version) throw new Error(`${name}: installed ${found}, pinned ${version}`);
}
// The SDK client the tests import, and the two command-line peers they run.
await import("@modelcontextprotocol/sdk/client/streamableHttp.js");
require.resolve("@modelcontextprotocol/conformance/dist/index.js");
require.resolve("@modelcontextprotocol/inspector-cli/build/cli.js");
console.log(`mcp-peers: Node ${process.version}, ${Object.keys(want).length} pinned packages`);

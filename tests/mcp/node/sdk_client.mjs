// The MCP TypeScript SDK client (@modelcontextprotocol/sdk 1.32.2) against a NewLedger MCP URL,
// run by tests/mcp/test_mcp_node.py with Node 22 (cwd .cache/node, this file on stdin).
// Environment: MCP_URL, MCP_TOKEN (sent as the bearer header), TOOL and ARGS (JSON) for one
// tools/call. Prints one JSON object: the negotiated version, server info, the listed tools
// and the call's result.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const { MCP_URL, MCP_TOKEN, TOOL, ARGS } = process.env;
const transport = new StreamableHTTPClientTransport(new URL(MCP_URL), {
  requestInit: { headers: { Authorization: `Bearer ${MCP_TOKEN}` } },
});
const client = new Client({ name: "newledger-ts-sdk-test", version: "1.0.0" });
await client.connect(transport);
const { tools } = await client.listTools();
const result = await client.callTool({ name: TOOL, arguments: JSON.parse(ARGS ?? "{}") });
console.log(
  JSON.stringify({
    protocolVersion: transport.protocolVersion,
    serverInfo: client.getServerVersion(),
    tools,
    result,
  }),
);
await client.close();

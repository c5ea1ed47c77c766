/**
 * The baseline `bench:mcp` measures the MCP server against: the least a server on the same SDK
 * version needs to serve the same tool. Stateless Streamable HTTP on node:http (a `Server` and a
 * transport per request, as the SDK requires when it keeps no sessions), JSON responses, one
 * JSON Schema validator shared by every request, one tool that fetches the same workflow
 * endpoint, a bearer token compare; nothing else (no audit, rate limit, metrics or logs).
 *
 * Run as its own process, like the real server: PORT, WORKFLOW_URL and TOKEN in the environment;
 * FRAMEWORK=express serves the same on Express instead (`BENCH_BASELINE=express npm run bench:mcp`),
 * and WORKFLOW_CLIENT=request calls the workflow with undici's request API, as our tool runner
 * does, instead of fetch (`BENCH_BASELINE_WORKFLOW_CLIENT=request npm run bench:mcp`): for telling
 * what our server's own work costs apart from its cheaper workflow call.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { ProtocolError, ProtocolErrorCode, Server, type CallToolResult } from '@modelcontextprotocol/server';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/server/validators/ajv';

const port = Number(process.env['PORT']);
const workflowUrl = String(process.env['WORKFLOW_URL']);
const token = String(process.env['TOKEN']);

/** Calls the workflow with a body: whether it answered 2xx, its status and its text. */
type CallWorkflow = (body: string) => Promise<{ ok: boolean; status: number; text: string }>;

async function workflowClient(): Promise<CallWorkflow> {
  if (process.env['WORKFLOW_CLIENT'] !== 'request') {
    return async (body) => {
      const response = await fetch(workflowUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      return { ok: response.ok, status: response.status, text: await response.text() };
    };
  }
  // Loaded only here, so the fetch baseline's memory holds none of it.
  const { request } = await import('undici');
  return async (body) => {
    const response = await request(workflowUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return { ok: response.statusCode >= 200 && response.statusCode <= 299, status: response.statusCode, text: await response.body.text() };
  };
}
const callWorkflow = await workflowClient();

const validator = new AjvJsonSchemaValidator();
const inputSchema = { type: 'object' } as const;
const checkArguments = validator.getValidator(inputSchema);
const tool = { name: 'echo', title: 'Echo', description: 'Answers at once.', inputSchema };

const sha256 = (text: string) => createHash('sha256').update(text).digest();
const expected = sha256(`Bearer ${token}`);
const authorized = (header: string | undefined) => header !== undefined && timingSafeEqual(sha256(header), expected);

function createMcpServer(): Server {
  const server = new Server({ name: 'baseline', version: '1.0.0' }, { capabilities: { tools: {} }, jsonSchemaValidator: validator });
  server.setRequestHandler('tools/list', () => ({ tools: [tool] }));
  server.setRequestHandler('tools/call', async (request): Promise<CallToolResult> => {
    if (request.params.name !== tool.name) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`);
    const args = request.params.arguments ?? {};
    const checked = checkArguments(args);
    if (!checked.valid) return { isError: true, content: [{ type: 'text', text: checked.errorMessage ?? 'invalid arguments' }] };
    const { ok, status, text } = await callWorkflow(JSON.stringify(args));
    return ok ? { content: [{ type: 'text', text }] } : { isError: true, content: [{ type: 'text', text: `workflow answered ${status}` }] };
  });
  return server;
}

/** One MCP request: a new server and transport, closed when the answer is done. */
function serve(req: IncomingMessage, res: ServerResponse, parsedBody?: unknown): void {
  const server = createMcpServer();
  const transport = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  server
    .connect(transport)
    .then(() => transport.handleRequest(req, res, parsedBody))
    .catch((error: unknown) => {
      process.stderr.write(`baseline: ${(error as Error).stack ?? String(error)}\n`);
      if (!res.headersSent) res.writeHead(500).end();
    });
}

if (process.env['FRAMEWORK'] === 'express') {
  // The same on Express, as the SDK's README writes it (express.json, then the transport with
  // the parsed body): for telling what Express itself costs.
  const { default: express } = await import('express');
  const app = express();
  app.get('/health', (_req, res) => void res.end());
  app.post('/mcp', express.json(), (req, res) => {
    if (!authorized(req.headers.authorization)) {
      res.writeHead(401, { 'www-authenticate': 'Bearer' }).end();
      return;
    }
    serve(req, res, req.body);
  });
  app.listen(port, '127.0.0.1');
} else {
  createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/mcp') {
      res.writeHead(req.url === '/health' ? 200 : 404).end();
      return;
    }
    if (!authorized(req.headers.authorization)) {
      res.writeHead(401, { 'www-authenticate': 'Bearer' }).end();
      return;
    }
    // The transport reads and parses the body itself.
    serve(req, res);
  }).listen(port, '127.0.0.1');
}
// Exits cleanly on SIGTERM, so a --cpu-prof profile gets written.
process.on('SIGTERM', () => process.exit(0));

/** Pipedream's stand-in for `npm run dev`: OAuth, Connect and workflow endpoints (services/mcp-server/test/fakes). */
import { startFakePipedream, type FakePipedreamOptions } from '../../services/mcp-server/test/fakes/fake-pipedream.ts';
import { runStandIn } from './run-stand-in.ts';

await runStandIn<FakePipedreamOptions>('pipedream', (options) => startFakePipedream(options));

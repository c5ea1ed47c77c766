export { TEN_CODES, type TenCode } from './codes.ts';
export type { TenChannelRequest, TenStartRequest } from './gin-bind.ts';
export { startFakeTenAgent, type FakeTenAgent, type FakeTenAgentOptions, type FakeTenGraph, type RecordedTenRequest } from './server.ts';
export type { FakeTenWorker, WorkerExit } from './worker-process.ts';
export type { FakeTenEvent, FakeTenEventType, FakeTenScript, ListedTool } from './worker/protocol.ts';
export { synthesize } from './worker/audio/speech.ts';
export { TenWebsocketClient, type ReceivedMessage, type TenServerMessage } from './ws-client.ts';

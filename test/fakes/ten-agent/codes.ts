/**
 * The agent server's reply codes (`ai_agents/server/internal/code.go`): the string code and the
 * msg that go into every envelope.
 */
export const TEN_CODES = {
  ok: { code: '0', msg: 'ok' },
  success: { code: '0', msg: 'success' },
  paramsInvalid: { code: '10000', msg: 'params invalid' },
  workersLimit: { code: '10001', msg: 'workers limit' },
  channelNotExisted: { code: '10002', msg: 'channel not existed' },
  channelExisted: { code: '10003', msg: 'channel existed' },
  channelEmpty: { code: '10004', msg: 'channel empty' },
  generateTokenFailed: { code: '10005', msg: 'generate token failed' },
  saveFileFailed: { code: '10006', msg: 'save file failed' },
  parseJsonFailed: { code: '10007', msg: 'parse json failed' },
  processPropertyFailed: { code: '10100', msg: 'process property json failed' },
  startWorkerFailed: { code: '10101', msg: 'start worker failed' },
  stopWorkerFailed: { code: '10102', msg: 'stop worker failed' },
  readFileFailed: { code: '10106', msg: 'read file failed' },
} as const;

export type TenCode = (typeof TEN_CODES)[keyof typeof TEN_CODES];

import { describe, expect, it } from 'vitest';
import { parseImage, whyNotPinned } from '../../constructs/image.ts';

describe('parseImage', () => {
  it('splits registry path, tag and digest', () => {
    expect(parseImage('ghcr.io/jitsi/web:stable-11146-2')).toEqual({ repository: 'ghcr.io/jitsi/web', tag: 'stable-11146-2' });
    expect(parseImage('localhost:5000/team/api:1.2.3')).toEqual({ repository: 'localhost:5000/team/api', tag: '1.2.3' });
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(parseImage(`node:26.11.1-bookworm-slim@${digest}`)).toEqual({ repository: 'node', tag: '26.11.1-bookworm-slim', digest });
  });

  it('rejects text that is not an image reference', () => {
    expect(parseImage('Not An Image')).toBeUndefined();
    expect(parseImage('')).toBeUndefined();
  });
});

describe('whyNotPinned', () => {
  it.each([
    'ghcr.io/jitsi/web:stable-11146',
    'ghcr.io/jitsi/web:stable-11146-2',
    'postgres:18.4-alpine',
    'ghcr.io/ten-framework/ten_agent_example_voice_assistant:0.11.71',
    'redis:8.10.2-alpine',
    'ghcr.io/acme/voice-agent/api:sha-552fecfbca5f',
    `redis@sha256:${'b'.repeat(64)}`,
  ])('accepts the pinned reference %s', (image) => {
    expect(whyNotPinned(image)).toBeUndefined();
  });

  it.each([
    ['nginx', 'has no tag'],
    ['nginx:latest', 'floating tag "latest"'],
    ['ghcr.io/jitsi/web:stable', 'floating tag "stable"'],
    ['ghcr.io/jitsi/web:unstable', 'floating tag "unstable"'],
    ['ghcr.io/jitsi/web:unstable-2026-11-01', 'floating tag "unstable-2026-11-01"'],
    ['redis:8', 'does not name one release'],
    ['postgres:18-alpine', 'does not name one release'],
    ['node:bookworm-slim', 'floating tag "bookworm-slim"'],
    ['Not An Image', 'not a valid image reference'],
  ])('rejects %s', (image, reason) => {
    expect(whyNotPinned(image)).toContain(reason);
  });
});

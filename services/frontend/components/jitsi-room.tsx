'use client';

import { useEffect, useRef, useState } from 'react';
import { api } from './api.ts';

/** Where Jitsi Meet is: the IFrame API script and the domain it builds the room URL from. */
export interface JitsiSettings {
  readonly scriptUrl: string;
  readonly domain: string;
  /** Jitsi served over plain HTTP (local Compose only). */
  readonly noSsl: boolean;
}

interface JitsiMeetExternalApi {
  dispose(): void;
}

declare global {
  interface Window {
    JitsiMeetExternalAPI?: new (domain: string, options: Record<string, unknown>) => JitsiMeetExternalApi;
  }
}

/** Loads Jitsi's IFrame API once per page; later calls reuse the same script. */
let scriptLoading: Promise<void> | undefined;
function loadExternalApi(src: string): Promise<void> {
  if (window.JitsiMeetExternalAPI !== undefined) return Promise.resolve();
  scriptLoading ??= new Promise<void>((resolve, reject) => {
    const script = document.createElement('script');
    script.src = src;
    script.async = true;
    script.onload = () => resolve();
    script.onerror = () => {
      scriptLoading = undefined;
      script.remove();
      reject(new Error('Jitsi Meet cannot be reached, so the room cannot open.'));
    };
    document.head.append(script);
  });
  return scriptLoading;
}

/** The Jitsi room, embedded with the IFrame API and joined with a room JWT minted by the console. */
export function JitsiRoom({ room, settings }: { room: string; settings: JitsiSettings }) {
  const container = useRef<HTMLDivElement>(null);
  const [status, setStatus] = useState<'joining' | 'joined' | 'failed'>('joining');
  const [error, setError] = useState<string>();

  useEffect(() => {
    let meeting: JitsiMeetExternalApi | undefined;
    let cancelled = false;
    setStatus('joining');
    setError(undefined);
    (async () => {
      const [{ jwt }] = await Promise.all([api<{ jwt: string }>('/api/room/token', { room }), loadExternalApi(settings.scriptUrl)]);
      if (cancelled || container.current === null || window.JitsiMeetExternalAPI === undefined) return;
      meeting = new window.JitsiMeetExternalAPI(settings.domain, {
        roomName: room,
        jwt,
        parentNode: container.current,
        width: '100%',
        height: '100%',
        noSSL: settings.noSsl,
        configOverwrite: { prejoinConfig: { enabled: false } },
      });
      setStatus('joined');
    })().catch((failure: Error) => {
      if (cancelled) return;
      setStatus('failed');
      setError(failure.message);
    });
    return () => {
      cancelled = true;
      meeting?.dispose();
    };
  }, [room, settings]);

  return (
    <div className="jitsi">
      {status === 'joining' && (
        <p className="muted" role="status">
          <span className="spinner" aria-hidden="true" /> Opening the room…
        </p>
      )}
      {error !== undefined && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div ref={container} className="jitsi-frame" data-testid="jitsi-container" />
    </div>
  );
}

'use client';

import { useCallback, useState } from 'react';
import { AgentPanel } from './agent-panel.tsx';
import { HistoryPanel } from './history-panel.tsx';
import { JitsiRoom, type JitsiSettings } from './jitsi-room.tsx';
import { RoomForm } from './room-form.tsx';
import { ToolsPanel } from './tools-panel.tsx';

interface ConsoleProps {
  readonly user: { readonly name: string; readonly email?: string };
  readonly jitsi: JitsiSettings;
}

/** The signed-in console: a room with the agent on the left, tools and history on the right. */
export function Console({ user, jitsi }: ConsoleProps) {
  const [room, setRoom] = useState<string | undefined>(undefined);
  // Bumped after anything that adds to the history, so the history panel reloads.
  const [historyVersion, setHistoryVersion] = useState(0);
  const historyChanged = useCallback(() => setHistoryVersion((version) => version + 1), []);

  return (
    <div className="console">
      <header className="topbar">
        <h1>Voice console</h1>
        <div className="who">
          <span data-testid="signed-in-user">{user.name}</span>
          <form method="post" action="/api/auth/logout">
            <button type="submit">Sign out</button>
          </form>
        </div>
      </header>
      <main className="panels">
        <section className="panel room" aria-labelledby="room-heading">
          <h2 id="room-heading">Room</h2>
          {room === undefined ? (
            <RoomForm onJoin={setRoom} />
          ) : (
            <>
              <div className="room-bar">
                <span>
                  In room <strong data-testid="room-name">{room}</strong>
                </span>
                <button type="button" onClick={() => setRoom(undefined)}>
                  Leave
                </button>
              </div>
              <AgentPanel room={room} onChange={historyChanged} />
              <JitsiRoom room={room} settings={jitsi} />
            </>
          )}
        </section>
        <div className="side">
          <ToolsPanel onCall={historyChanged} />
          <HistoryPanel version={historyVersion} />
        </div>
      </main>
    </div>
  );
}

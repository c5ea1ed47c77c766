'use client';

import { useId, useState, type FormEvent } from 'react';

const ROOM_PATTERN = '[a-z0-9][a-z0-9\\-]{2,62}';

/** Asks for a room name; Jitsi room names are kept lowercase. */
export function RoomForm({ onJoin }: { onJoin: (room: string) => void }) {
  const [name, setName] = useState('');
  const inputId = useId();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onJoin(name.trim().toLowerCase());
  };
  return (
    <form className="room-form" onSubmit={submit}>
      <label htmlFor={inputId}>Room name</label>
      <input
        id={inputId}
        name="room"
        value={name}
        onChange={(event) => setName(event.target.value)}
        pattern={ROOM_PATTERN}
        title="3 to 63 lowercase letters, digits or dashes"
        placeholder="e.g. support-desk"
        required
        autoComplete="off"
      />
      <button type="submit" className="primary">
        Join
      </button>
    </form>
  );
}

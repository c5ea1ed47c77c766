import type { JoinedRoom, JoinedRoomEvents, JoinRequest, RoomJoiner } from '../src/room-joiner.ts';

/**
 * The joiner as the bench hands it to the bridge: every call goes to the real joiner, except
 * that with `pastCapacity` on, hasCapacity() says yes. The bench turns it on only after it has
 * recorded the bridge's own "at capacity" answer (BENCH_BRIDGE_PAST_CAPACITY=1), to measure how
 * far quality holds beyond the point where the bridge refuses rooms. The real answer is still
 * read from the joiner itself at every step.
 */
export class AdmissionOverride implements RoomJoiner {
  pastCapacity = false;
  private readonly inner: RoomJoiner;

  constructor(inner: RoomJoiner) {
    this.inner = inner;
  }

  join(request: JoinRequest, events: JoinedRoomEvents): Promise<JoinedRoom> {
    return this.inner.join(request, events);
  }

  hasCapacity(): boolean {
    return this.pastCapacity || this.inner.hasCapacity();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** An inclusive range of TCP ports, e.g. TEN_WORKER_PORTS=8800-8809. */
export interface PortRange {
  readonly first: number;
  readonly last: number;
}

/**
 * The TEN worker ports this replica hands out, one per session. Ports are handed out round-robin
 * rather than lowest-first: a port just freed may still be held for a moment by the TEN worker
 * that is shutting down, so it is reused last.
 */
export class PortPool {
  private readonly free: number[] = [];
  private readonly taken = new Set<number>();

  constructor(range: PortRange) {
    if (!Number.isInteger(range.first) || !Number.isInteger(range.last) || range.first < 1 || range.last > 65_535 || range.first > range.last) {
      throw new Error(`a port range is first-last with 1 <= first <= last <= 65535, got ${range.first}-${range.last}`);
    }
    for (let port = range.first; port <= range.last; port += 1) this.free.push(port);
  }

  /** The number of ports not taken. */
  get available(): number {
    return this.free.length;
  }

  /** A free port, or undefined when every port is taken. */
  take(): number | undefined {
    const port = this.free.shift();
    if (port !== undefined) this.taken.add(port);
    return port;
  }

  /** Gives a port back; freeing a port twice, or one never taken, is a defect of the caller. */
  release(port: number): void {
    if (!this.taken.delete(port)) throw new Error(`port ${port} was not taken from this pool`);
    this.free.push(port);
  }
}

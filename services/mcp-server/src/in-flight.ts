/**
 * Counts work in flight (tool calls, answers being written) so a drain can wait until none is
 * left: `enter()` when it starts, the function it returns when it ends (once, however often it is
 * called).
 */
export class InFlight {
  private count = 0;
  private readonly idleWaiters = new Set<() => void>();

  public get size(): number {
    return this.count;
  }

  public enter(): () => void {
    this.count += 1;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.count -= 1;
      if (this.count === 0) for (const resolve of [...this.idleWaiters]) resolve();
    };
  }

  /** Resolves true once nothing is in flight, or false after `timeoutMs`. */
  public waitUntilIdle(timeoutMs: number): Promise<boolean> {
    if (this.count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const settle = (idle: boolean) => {
        clearTimeout(timer);
        this.idleWaiters.delete(onIdle);
        resolve(idle);
      };
      const onIdle = () => settle(true);
      const timer = setTimeout(() => settle(false), timeoutMs);
      this.idleWaiters.add(onIdle);
    });
  }
}

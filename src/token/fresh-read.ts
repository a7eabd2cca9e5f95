/**
 * Coalesced reads that are never older than the caller: read() resolves with
 * the result of a load that STARTED after read() was called. Callers that
 * arrive while a load is running share the next one, so under load one
 * round trip (to Redis or SQL) serves many requests and a request never
 * sees a value from before it arrived (which is what "no stale yes" needs
 * of the version checks in token-manager.ts).
 */
export class FreshRead<T> {
  private inflight: Promise<T> | null = null;
  private next: Promise<T> | null = null;

  constructor(private readonly load: () => Promise<T>) {}

  read(): Promise<T> {
    if (!this.inflight) return this.start();
    if (!this.next) {
      const after = this.inflight.then(
        () => undefined,
        () => undefined,
      );
      this.next = after.then(() => {
        this.next = null;
        return this.start();
      });
    }
    return this.next;
  }

  private start(): Promise<T> {
    const p: Promise<T> = this.load().finally(() => {
      if (this.inflight === p) this.inflight = null;
    });
    this.inflight = p;
    return p;
  }
}

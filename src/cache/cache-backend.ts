/** What a cache store offers: string values in named regions that can be invalidated whole. */
export interface CacheBackend {
  readonly name: 'memory' | 'redis' | 'null';
  get(region: string, key: string): Promise<string | undefined>;
  set(region: string, key: string, value: string, ttlSeconds: number): Promise<void>;
  delete(region: string, key: string): Promise<void>;
  /** Every entry of the region is gone, in every process sharing this cache, when the promise resolves. */
  invalidateRegion(region: string): Promise<void>;
  close(): Promise<void>;
}

export class NullCacheBackend implements CacheBackend {
  readonly name = 'null' as const;
  get(): Promise<undefined> {
    return Promise.resolve(undefined);
  }
  set(): Promise<void> {
    return Promise.resolve();
  }
  delete(): Promise<void> {
    return Promise.resolve();
  }
  invalidateRegion(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Runs `task` over `items` with at most `limit` in flight and resolves with the results in input
 * order (`limit` below 1 is taken as 1). The first rejection rejects the whole call; tasks not yet started are then not started.
 * (Hand-rolled, 20 lines: core has no runtime dependencies, and p-limit's queue is more than this needs.)
 */
export async function mapLimit<T, R>(
  items: Iterable<T>,
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const list = Array.isArray(items) ? (items as T[]) : [...items];
  // A limit below 1 (or NaN) still makes progress, one at a time; Infinity means all at once.
  const width = Math.min(list.length, limit >= 1 ? Math.floor(limit) : 1);
  const results: R[] = new Array(list.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < list.length) {
      const index = next++;
      try {
        results[index] = await task(list[index]!, index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}

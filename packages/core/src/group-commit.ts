/**
 * Group commit: `write` gets every item added while its previous call was in flight (at most
 * `max` a call), so at rest an item goes out at once and under load one call carries many. Each
 * `add` settles with the call that carried its item: with its result (`write` answers one per
 * item, in order), or its error.
 */
export function groupCommit<T, R>(
  write: (items: T[]) => Promise<readonly R[]>,
  max: number,
): (item: T) => Promise<R> {
  const waiting: { item: T; resolve: (result: R) => void; reject: (error: unknown) => void }[] = [];
  let writing = false;
  const drain = async () => {
    writing = true;
    while (waiting.length > 0) {
      const batch = waiting.splice(0, max);
      await write(batch.map((entry) => entry.item)).then(
        (results) => {
          for (const [index, entry] of batch.entries()) entry.resolve(results[index] as R);
        },
        (error: unknown) => {
          for (const entry of batch) entry.reject(error);
        },
      );
    }
    writing = false;
  };
  return (item) =>
    new Promise<R>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      if (!writing) void drain();
    });
}

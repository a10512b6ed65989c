/**
 * Group commit: `write` gets every item added while its previous call was in flight (at most
 * `max` a call), so at rest an item goes out at once and under load one call carries many. Each
 * `add` settles with the call that carried its item.
 */
export function groupCommit<T>(
  write: (items: T[]) => Promise<unknown>,
  max: number,
): (item: T) => Promise<void> {
  const waiting: { item: T; resolve: () => void; reject: (error: unknown) => void }[] = [];
  let writing = false;
  const drain = async () => {
    writing = true;
    while (waiting.length > 0) {
      const batch = waiting.splice(0, max);
      await write(batch.map((entry) => entry.item)).then(
        () => {
          for (const entry of batch) entry.resolve();
        },
        (error: unknown) => {
          for (const entry of batch) entry.reject(error);
        },
      );
    }
    writing = false;
  };
  return (item) =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      if (!writing) void drain();
    });
}

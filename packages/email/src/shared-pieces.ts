/**
 * Pieces this long are the shared text of a compiled message (a recipient's own values are
 * shorter): the same Buffer goes into every copy of it.
 */
const SHARED_PIECE_BYTES = 1024;

/**
 * `read` of a piece, worked out once for each Buffer (while it lives). Sound because a message's
 * pieces are never written to once made: personalise gives a recipient's values fresh Buffers.
 */
export function perPiece<T>(read: (piece: Buffer) => T): (piece: Buffer) => T {
  const known = new WeakMap<Buffer, { value: T }>();
  return (piece) => {
    let entry = known.get(piece);
    if (!entry) {
      entry = { value: read(piece) };
      known.set(piece, entry);
    }
    return entry.value;
  };
}

/**
 * `read` of a piece, remembered for shared pieces: worked out once for every copy of the message
 * that carries them, and afresh for a recipient's own values.
 */
export function perSharedPiece<T>(read: (piece: Buffer) => T): (piece: Buffer) => T {
  const remembered = perPiece(read);
  return (piece) => (piece.length < SHARED_PIECE_BYTES ? read(piece) : remembered(piece));
}

/** The last `count` bytes of the pieces together (fewer when they hold fewer). */
export function lastBytes(pieces: readonly Buffer[], count: number): Buffer {
  const tail: Buffer[] = [];
  let length = 0;
  for (let index = pieces.length - 1; index >= 0 && length < count; index--) {
    const piece = pieces[index] as Buffer;
    const taken = piece.subarray(Math.max(0, piece.length - (count - length)));
    tail.unshift(taken);
    length += taken.length;
  }
  return Buffer.concat(tail);
}

// The engine's linear memory, one per process (or page), which the
// WebAssembly kernels and their helper threads share, and how it is
// handed out: an arena for a step's arrays, emptied when the step ends,
// and lasting blocks (weights, optimizer state) reused once the array
// viewing them is collected. Arrays that live here reach the kernels in
// place; arrays elsewhere are copied in. Shared memory never detaches on
// growth, so views stay valid as it grows.

const PAGE = 65536;
// Below this the module keeps its statics (AssemblyScript's data).
const BASE = 65536;
// Memory is carved in chunks of at least this; larger requests get a chunk
// of their own.
const CHUNK = 4 << 20;
// Every block starts on a cache line.
const ALIGN = 64;
// Bytes kept readable past everything carved.
const SLACK = 64;
// The module declares up to 65536 pages (4 GiB) of shared memory.
const MAX_PAGES = 65536;

interface Chunk {
  start: number;
  end: number;
}

type View = Float32Array | Int32Array | Uint32Array | Uint8Array;

function aligned(bytes: number): number {
  return Math.ceil(Math.max(bytes, 1) / ALIGN) * ALIGN;
}

export class Heap {
  readonly memory: WebAssembly.Memory;
  /** The memory's bytes, remade when it grows. */
  u8: Uint8Array;
  f32: Float32Array;
  // Every buffer object the memory has had: older views keep older ones.
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  // End of the memory carved into chunks so far.
  private top = BASE;

  // The arena: chunks in the order first used, the one in use and how
  // many of its bytes are taken.
  private readonly chunks: Chunk[] = [];
  private chunk = 0;
  private used = 0;

  // Lasting blocks: free ones by size, and the chunk new ones come from.
  private readonly free = new Map<number, number[]>();
  private lasting: Chunk = { start: 0, end: 0 };
  private readonly collected = new FinalizationRegistry<[number, number]>(
    ([at, bytes]) => this.freeBlock(at, bytes),
  );

  constructor(memory: WebAssembly.Memory) {
    this.memory = memory;
    this.u8 = new Uint8Array(memory.buffer);
    this.f32 = new Float32Array(memory.buffer);
    this.buffers.add(memory.buffer);
  }

  /** The byte offset of `view` when it lives in this memory, else null. */
  offsetOf(view: View): number | null {
    return this.buffers.has(view.buffer) ? view.byteOffset : null;
  }

  /** `bytes` from the arena, ALIGN-aligned, until release() or reset(). */
  take(bytes: number): number {
    const size = aligned(bytes);
    let chunk = this.chunks[this.chunk];
    while (chunk !== undefined && chunk.start + this.used + size > chunk.end) {
      chunk = this.chunks[++this.chunk];
      this.used = 0;
    }
    if (chunk === undefined) {
      chunk = this.carve(Math.max(size, CHUNK));
      this.chunks.push(chunk);
    }
    const at = chunk.start + this.used;
    this.used += size;
    return at;
  }

  /** Where the arena stands, to give back all taken since with release. */
  mark(): number {
    return this.chunk * 2 ** 33 + this.used;
  }

  release(mark: number): void {
    this.chunk = Math.floor(mark / 2 ** 33);
    this.used = mark % 2 ** 33;
  }

  /** Empties the arena: every array taken from it is free again. */
  reset(): void {
    this.chunk = 0;
    this.used = 0;
  }

  /** A Float32Array of `length` in the arena, zeroed unless told not to. */
  stepFloats(length: number, zeroed: boolean): Float32Array {
    const at = this.take(length * 4);
    if (zeroed) this.u8.fill(0, at, at + length * 4);
    return new Float32Array(this.u8.buffer, at, length);
  }

  stepInts(length: number, zeroed: boolean): Int32Array {
    const at = this.take(length * 4);
    if (zeroed) this.u8.fill(0, at, at + length * 4);
    return new Int32Array(this.u8.buffer, at, length);
  }

  stepBytes(length: number, zeroed: boolean): Uint8Array {
    const at = this.take(length);
    if (zeroed) this.u8.fill(0, at, at + length);
    return new Uint8Array(this.u8.buffer, at, length);
  }

  /**
   * A zeroed Float32Array of `length` outside the arena, whose block is
   * reused once the array is collected. NOTE: a view of the same bytes
   * made from it (subarray) does not keep the block; keep the array.
   */
  lastingFloats(length: number): Float32Array {
    const size = aligned(length * 4);
    const at = this.block(size);
    const view = new Float32Array(this.u8.buffer, at, length);
    this.collected.register(view, [at, size]);
    return view;
  }

  /**
   * `bytes` of zeros outside the arena, for data derived from `owner`
   * (a packed copy of it, say), reused once `owner` is collected.
   */
  keep(bytes: number, owner: object): number {
    const size = aligned(bytes);
    const at = this.block(size);
    this.collected.register(owner, [at, size]);
    return at;
  }

  /** `length` floats at byte offset `at`, as a view. */
  floats(at: number, length: number): Float32Array {
    return this.f32.subarray(at >> 2, (at >> 2) + length);
  }

  /** Copies `view` into the arena unless it lives here; its offset. */
  place(view: View): number {
    const inPlace = this.offsetOf(view);
    if (inPlace !== null) return inPlace;
    const at = this.take(view.byteLength);
    const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    this.u8.set(bytes, at);
    return at;
  }

  /** A zeroed lasting block of `size` (aligned) bytes. */
  private block(size: number): number {
    const reused = this.free.get(size)?.pop();
    // Memory never carved before is zeros already (a WebAssembly memory
    // grows zeroed); only a block given back holds old bytes.
    if (reused === undefined) return this.carveLasting(size);
    this.u8.fill(0, reused, reused + size);
    return reused;
  }

  private freeBlock(at: number, bytes: number): void {
    const list = this.free.get(bytes);
    if (list === undefined) this.free.set(bytes, [at]);
    else list.push(at);
  }

  private carveLasting(size: number): number {
    if (size > CHUNK / 4) return this.carve(size).start;
    if (this.lasting.start + size > this.lasting.end) {
      this.lasting = this.carve(CHUNK);
    }
    const at = this.lasting.start;
    this.lasting.start += size;
    return at;
  }

  /** `bytes` of fresh memory past everything carved so far. */
  private carve(bytes: number): Chunk {
    const start = this.top;
    const end = start + aligned(bytes);
    const have = this.u8.length;
    // Kernels may read a vector past an array's end (bands.ts): the
    // memory always goes on a little past the last one.
    if (end + SLACK > have) {
      const pages = Math.ceil((end + SLACK - have) / PAGE);
      if (have / PAGE + pages > MAX_PAGES) {
        throw new RangeError(
          `engine memory: expected room for ${bytes} more bytes but ` +
            `found the 4 GiB WebAssembly memory full`,
        );
      }
      this.memory.grow(pages);
      const buffer = this.memory.buffer;
      this.buffers.add(buffer);
      this.u8 = new Uint8Array(buffer);
      this.f32 = new Float32Array(buffer);
    }
    this.top = end;
    return { start, end };
  }
}

let engine: Heap | undefined;

/** The process's engine heap, made on first use. */
export function engineHeap(): Heap {
  engine ??= new Heap(
    new WebAssembly.Memory({ initial: 32, maximum: MAX_PAGES, shared: true }),
  );
  return engine;
}

/** The engine heap if one has been made, else null (plain arrays only). */
export function currentHeap(): Heap | null {
  return engine ?? null;
}

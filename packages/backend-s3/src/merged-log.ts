import { BackendError } from "@exprun/core";
import type { VersionClock } from "./clock.js";
import { decode, encode } from "./codec.js";
import { parseMetaKey } from "./keys.js";
import { type ResolvedOptions, S3_BACKEND_NAME } from "./options.js";
import { mapLimit, type S3Transport } from "./transport.js";

/** How a kind of state joins and shrinks; see `crdt.ts`. */
export interface StateKind<D> {
  empty(): D;
  join(into: D, from: D): void;
  /** What a snapshot keeps of the joined state. */
  prune(data: D): D;
}

export interface LogRead<D> {
  /** The join of every object this backend has read from the log (a superset of the listed ones). */
  data: D;
  deltas: string[];
  snapshots: string[];
}

const MAX_READ_ATTEMPTS = 6;
/** Most deltas joined into one PUT. */
const MAX_BATCH = 256;

interface PendingAppend<D> {
  version: string;
  data: D;
  resolve: (version: string) => void;
  reject: (error: unknown) => void;
}

/**
 * One replicated state kept as immutable objects under a `meta/` folder: `d/<version>.json` deltas
 * (one per write) and `s/<version>.json` snapshots (deltas folded by compaction). Nothing is ever
 * overwritten, so the log needs no conditional writes:
 *
 * - A write PUTs a new delta with a unique version; concurrent writers cannot clobber each other.
 * - A read LISTs the folder (deltas sort before snapshots) and GETs only objects it has not seen:
 *   objects are immutable, and the joined state is kept, because joins are idempotent.
 * - Compaction PUTs a snapshot of the joined state under a version above everything it read, then
 *   deletes exactly the objects it read. An object is only deleted after a snapshot holding its
 *   content exists, and that snapshot sorts after it, so a reader listing in key order meets the
 *   content either in the object or in the snapshot. A listed object gone by the time it is read
 *   makes the reader list again.
 */
export class MergedLog<D> {
  private data: D;
  private readonly applied = new Set<string>();
  private readonly corrupt = new Set<string>();
  /** Reads are single-flight: callers arriving while one runs share the next one, which starts after them. */
  private inflight: Promise<LogRead<D>> | undefined;
  private queued: Promise<LogRead<D>> | undefined;
  private readonly pending: PendingAppend<D>[] = [];
  private writing = false;

  constructor(
    private readonly transport: S3Transport,
    private readonly options: ResolvedOptions,
    private readonly clock: VersionClock,
    readonly metaPrefix: string,
    private readonly kind: StateKind<D>,
  ) {
    this.data = kind.empty();
  }

  /** Lists and joins the log; compacts it when it has grown past the threshold. */
  read(): Promise<LogRead<D>> {
    return this.sharedRead();
  }

  private async readAndCompact(): Promise<LogRead<D>> {
    const listed = await this.readListed();
    const shouldCompact =
      listed.deltas.length >= this.options.compactThreshold || listed.snapshots.length > 4;
    if (shouldCompact) {
      await this.compact(listed).catch(() => {
        // Compaction only saves later readers requests; the read itself succeeded.
      });
    }
    return listed;
  }

  /** A read that starts after this call: joins the queued read, or starts one. */
  private sharedRead(): Promise<LogRead<D>> {
    if (this.queued) return this.queued;
    const start = () => {
      const run = this.readAndCompact().finally(() => {
        if (this.inflight === run) this.inflight = undefined;
      });
      this.inflight = run;
      return run;
    };
    if (!this.inflight) return start();
    const queued = this.inflight
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return start();
      });
    this.queued = queued;
    return queued;
  }

  private async readListed(): Promise<LogRead<D>> {
    for (let attempt = 0; attempt < MAX_READ_ATTEMPTS; attempt++) {
      const appliedBefore = [...this.applied];
      const { keys } = await this.transport.list(this.metaPrefix);
      const deltas: string[] = [];
      const snapshots: string[] = [];
      for (const key of keys) {
        const parsed = parseMetaKey(this.metaPrefix, key);
        if (!parsed) continue;
        this.clock.observe(parsed.version);
        (parsed.kind === "d" ? deltas : snapshots).push(key);
      }
      const fresh = [...deltas, ...snapshots].filter((key) => !this.applied.has(key));
      const bodies = await mapLimit(fresh, this.options.concurrency, (key) => this.transport.get(key));
      let missing = false;
      fresh.forEach((key, index) => {
        const body = bodies[index];
        if (body === undefined) {
          missing = true;
          return;
        }
        this.apply(key, body);
      });
      if (missing) continue;
      // Forget keys that were folded away; keys written after the listing began stay known.
      const live = new Set(keys);
      for (const key of appliedBefore) if (!live.has(key)) this.applied.delete(key);
      return { data: this.data, deltas, snapshots };
    }
    throw new BackendError(
      `The log at ${this.metaPrefix} kept changing while it was read (objects vanished ${MAX_READ_ATTEMPTS} times). Retry the call.`,
      { backend: S3_BACKEND_NAME },
    );
  }

  private apply(key: string, body: string): void {
    this.applied.add(key);
    try {
      this.kind.join(this.data, decode<D>(body));
    } catch (error) {
      this.corrupt.add(key);
      this.options.onCorruptObject(key, error);
    }
  }

  /**
   * Writes one delta; `build` receives the delta's version. Resolves with the version once the
   * delta is stored. Deltas appended while a PUT is in flight are joined into the next PUT (each
   * keeps its own version inside it), so many concurrent writers in one process cost few requests.
   */
  append(build: (version: string) => D): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const version = this.clock.next();
      let data: D;
      try {
        data = build(version);
      } catch (error) {
        reject(error);
        return;
      }
      this.pending.push({ version, data, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.writing || this.pending.length === 0) return;
    const items = this.pending.splice(0, MAX_BATCH);
    const combined = this.kind.empty();
    for (const item of items) this.kind.join(combined, item.data);
    const version = (items[items.length - 1] as PendingAppend<D>).version;
    const key = `${this.metaPrefix}d/${version}.json`;
    const body = encode(combined);
    this.writing = true;
    this.transport.put(key, body).then(
      () => {
        this.apply(key, body);
        this.writing = false;
        for (const item of items) item.resolve(item.version);
        this.pump();
      },
      (error: unknown) => {
        this.writing = false;
        for (const item of items) item.reject(error);
        this.pump();
      },
    );
  }

  /** Folds every object of `listed` into one snapshot, then deletes them. */
  async compact(listed?: LogRead<D>): Promise<void> {
    const current = listed ?? (await this.sharedRead());
    if (current.deltas.length + current.snapshots.length <= 1) return;
    const folded = [...current.deltas, ...current.snapshots].filter((key) => !this.corrupt.has(key));
    if (folded.length === 0) return;
    const version = this.clock.next();
    const key = `${this.metaPrefix}s/${version}.json`;
    const body = encode(this.kind.prune(this.data));
    await this.transport.put(key, body);
    this.applied.add(key);
    await this.transport.deleteMany(folded);
    for (const done of folded) this.applied.delete(done);
  }

  /** The joined state as of the last read or append, without a request. */
  current(): D {
    return this.data;
  }

  /** Drops everything cached (after the log's objects were deleted on purpose). */
  forget(): void {
    this.data = this.kind.empty();
    this.applied.clear();
    this.corrupt.clear();
  }
}

import { BackendError } from "@exprun/core";
import type { VersionClock } from "./clock.js";
import { decode, encode } from "./codec.js";
import { deltaKey, parseMetaKey } from "./keys.js";
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
  /** Whether every listed object has been joined (a scoped read skips other runs' deltas). */
  complete: boolean;
}

const MAX_READ_ATTEMPTS = 6;
/** Most deltas joined into one PUT. */
const MAX_BATCH = 256;

/** Which deltas a read needs: all, or only untagged ones and those of the named runs. */
type Scope = Set<string> | "all";

interface PlannedRead<D> {
  scope: Scope;
  promise: Promise<LogRead<D>>;
}

interface PendingAppend<D> {
  version: string;
  tag: string | undefined;
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
  private queued: PlannedRead<D> | undefined;
  private readonly pending: PendingAppend<D>[] = [];
  private writing = false;
  private readonly compactAt: number;

  constructor(
    private readonly transport: S3Transport,
    private readonly options: ResolvedOptions,
    private readonly clock: VersionClock,
    readonly metaPrefix: string,
    private readonly kind: StateKind<D>,
  ) {
    this.data = kind.empty();
    // Writers sharing a log start compacting at different counts, so that one of them usually
    // folds the log before the others try (each compaction is a snapshot everyone else must GET).
    const threshold = options.compactThreshold;
    this.compactAt = threshold + (Number.parseInt(clock.writerId, 16) % Math.ceil(threshold / 2));
  }

  /**
   * Lists the log and joins what the caller needs; compacts it when it has grown past the threshold.
   * `run` limits the GETs to deltas that may touch that run (`""`: the experiment only); without it,
   * every object is read.
   */
  read(run?: string): Promise<LogRead<D>> {
    return this.sharedRead(run);
  }

  private async readAndCompact(scope: Scope): Promise<LogRead<D>> {
    let listed = await this.readListed(scope);
    const objects = listed.deltas.length + listed.snapshots.length;
    // A read that has everything compacts at the threshold. A read of one run would first have to
    // GET every other run's deltas, so it only compacts when the log grows 16 times past it (about
    // one GET per delta written, and the log stays within one LIST page).
    const shouldCompact = objects >= this.compactAt * (listed.complete ? 1 : 16);
    if (shouldCompact) {
      try {
        if (scope !== "all") listed = await this.readListed("all");
        await this.compact(listed);
      } catch {
        // Compaction only saves later readers requests; the read itself succeeded.
      }
    }
    return listed;
  }

  /** A read that starts after this call: joins the queued read (widening its scope), or starts one. */
  private sharedRead(run: string | undefined): Promise<LogRead<D>> {
    const widen = (scope: Scope): Scope => {
      if (scope === "all" || run === undefined) return "all";
      scope.add(run);
      return scope;
    };
    if (this.queued) {
      this.queued.scope = widen(this.queued.scope);
      return this.queued.promise;
    }
    const start = (scope: Scope) => {
      const promise = this.readAndCompact(scope).finally(() => {
        if (this.inflight === promise) this.inflight = undefined;
      });
      this.inflight = promise;
      return promise;
    };
    if (!this.inflight) return start(widen(new Set()));
    const planned: PlannedRead<D> = { scope: widen(new Set()), promise: Promise.resolve() as never };
    planned.promise = this.inflight
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return start(planned.scope);
      });
    this.queued = planned;
    return planned.promise;
  }

  private async readListed(scope: Scope): Promise<LogRead<D>> {
    for (let attempt = 0; attempt < MAX_READ_ATTEMPTS; attempt++) {
      const appliedBefore = [...this.applied];
      const { keys } = await this.transport.list(this.metaPrefix);
      const deltas: string[] = [];
      const snapshots: string[] = [];
      const needed: string[] = [];
      let complete = true;
      for (const key of keys) {
        const parsed = parseMetaKey(this.metaPrefix, key);
        if (!parsed) continue;
        this.clock.observe(parsed.version);
        (parsed.kind === "d" ? deltas : snapshots).push(key);
        if (this.applied.has(key)) continue;
        if (scope === "all" || parsed.tag === undefined || scope.has(parsed.tag)) needed.push(key);
        else complete = false;
      }
      // Deltas first, then snapshots: the order compaction's guarantee is stated in.
      needed.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const bodies = await mapLimit(needed, this.options.concurrency, (key) => this.transport.get(key));
      let missing = false;
      needed.forEach((key, index) => {
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
      return { data: this.data, deltas, snapshots, complete };
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
  append(build: (version: string) => D, tag?: string): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const version = this.clock.next();
      let data: D;
      try {
        data = build(version);
      } catch (error) {
        reject(error);
        return;
      }
      this.pending.push({ version, tag, data, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.writing || this.pending.length === 0) return;
    const items = this.pending.splice(0, MAX_BATCH);
    const combined = this.kind.empty();
    for (const item of items) this.kind.join(combined, item.data);
    const version = (items[items.length - 1] as PendingAppend<D>).version;
    const tag = items.every((item) => item.tag !== undefined && item.tag === items[0]?.tag)
      ? items[0]?.tag
      : undefined;
    const key = deltaKey(this.metaPrefix, version, tag);
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
    let current = listed ?? (await this.sharedRead(undefined));
    // A snapshot must hold everything it replaces: read what a scoped read skipped.
    if (!current.complete) current = await this.readListed("all");
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

import { BackendError, mapLimit } from "@exprun/core";
import type { VersionClock } from "./clock.js";
import { decode, encode } from "./codec.js";
import { deltaKey, parseMetaKey, snapshotKey, tombstoneKey } from "./keys.js";
import { type ResolvedOptions, S3_BACKEND_NAME } from "./options.js";
import { snapshotCheck } from "./shape.js";
import type { S3Transport } from "./transport.js";

/** How a kind of state joins, shrinks and is recognised; see `crdt.ts` and `shape.ts`. */
export interface StateKind<D> {
  empty(): D;
  join(into: D, from: D): void;
  /** What a snapshot keeps of the joined state. */
  prune(data: D): D;
  /** Throws when a parsed object is not of this kind. */
  check(value: unknown, path: string): void;
  /** Whether a state holds a creation (every snapshot does). */
  holdsCreation(data: unknown): boolean;
}

export interface LogRead<D> {
  /** The join of every object this backend has read from the log (a superset of the listed ones). */
  data: D;
  /** Listed objects that a compaction may fold: deltas, snapshots, and corrupt ones a snapshot covers. */
  foldable: string[];
  /** Whether every listed object has been joined (a scoped read skips other runs' deltas). */
  complete: boolean;
  /** How many listed objects this backend has not joined (other runs' deltas a scoped read skipped). */
  unread: number;
}

/** Which deltas a read needs: every object, or untagged ones plus those of the named runs. */
export type Scope = ReadonlySet<string> | "all";

/**
 * How a write learns what was acknowledged before it started: `"read"` reads the log (scoped to
 * its run or to the experiment) like a read call; `"list"` only lists it (every version it shows
 * moves the clock) and reads the objects that can end a creation, tombstones and run deletions,
 * for writes whose target this backend already knows; `false` skips it (summaries, and claims
 * written right after a read).
 */
export type Barrier = "read" | "list" | false;

export interface AppendOptions<D> {
  /** The run a delta only touches: in its key, so reads of other runs skip it. */
  tag?: string | undefined;
  /**
   * The barrier before the delta's version is chosen, so that it orders after every write
   * acknowledged before this one started (see {@link Barrier}); a function decides from the state
   * this backend holds. Default `"read"`.
   */
  barrier?: Barrier | ((data: D) => Barrier);
  /** Runs against the state the barrier read; a throw rejects this append and writes nothing of it. */
  check?: (data: D) => void;
  /** A tombstone (`t/`), kept by deletions and never folded by compaction. */
  tombstone?: boolean;
  /** A run deletion (`x/`): a kind of its own, never folded, which the list barrier reads. */
  deletion?: boolean;
}

interface PendingAppend<D> {
  build: (version: string, data: D) => D;
  options: AppendOptions<D>;
  resolve: (version: string) => void;
  reject: (error: unknown) => void;
}

interface SharedRead<D> {
  scope: Scope;
  /** Only list, and read what can end a creation (the list barrier). */
  light: boolean;
  promise: Promise<LogRead<D>>;
}

const MAX_READ_ATTEMPTS = 6;
/** Most deltas joined into one PUT. */
const MAX_BATCH = 256;
/** PUTs of one log in flight at once while the next batch is prepared. */
const MAX_PUTS_IN_FLIGHT = 4;

function union(a: Scope, b: Scope): Scope {
  if (a === "all" || b === "all") return "all";
  return new Set([...a, ...b]);
}

/** Whether a read or write of `scope` depends on an object: all do, except on another run's deletion. */
function mattersTo(scope: Scope, parsed: { kind: string; tag: string | undefined }): boolean {
  if (parsed.kind !== "x" || parsed.tag === undefined || scope === "all") return true;
  return scope.has(parsed.tag);
}

function scopeOf(run: string | undefined): Scope {
  if (run === undefined) return "all";
  return new Set(run === "" ? [] : [run]);
}

const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * One replicated state kept as immutable objects under a `meta/` folder: `d/<version>.json` deltas
 * (one per write), `s/<version>.json` snapshots (deltas folded by compaction) and `t/<version>.json`
 * tombstones. Nothing is ever overwritten:
 *
 * - A write reads the log first (the barrier, which also checks what the write needs, e.g. that
 *   its run still exists), then PUTs a new delta whose version is above everything read.
 * - A read LISTs the folder and GETs only objects it has not seen (objects are immutable and joins
 *   idempotent, so the joined state is kept). Every object is parsed and shape-checked: one that
 *   is not what its key says fails the read with an error naming it, unless a snapshot lists it as
 *   folded (then nothing is lost, and compaction removes it).
 * - Compaction PUTs a snapshot of the joined state under a version above everything it read, with
 *   the list of keys it folds, then deletes exactly those. An object is only deleted after a
 *   snapshot holding its content exists; a listed object gone by the time it is read (folded
 *   meanwhile) makes the reader list again, and the next listing shows the snapshot.
 */
export class MergedLog<D> {
  private data: D;
  private readonly applied = new Set<string>();
  /** Keys that did not parse, with why; reported once each. */
  private readonly corrupt = new Map<string, unknown>();
  /** Relative keys some snapshot read by this backend folded. */
  private readonly covered = new Set<string>();
  private inflight: Promise<LogRead<D>> | undefined;
  private queued: SharedRead<D> | undefined;
  private readonly pending: PendingAppend<D>[] = [];
  private writing = false;
  /** The largest delta version this backend has listed or written: where the list barrier starts. */
  private maxDelta = "";
  private readonly puts = new Set<Promise<void>>();
  private readonly compactAt: number;

  constructor(
    private readonly transport: S3Transport,
    private readonly options: ResolvedOptions,
    private readonly clock: VersionClock,
    readonly metaPrefix: string,
    private readonly kind: StateKind<D>,
    /** What the log holds, for messages: `experiment "e"`. */
    private readonly label: string,
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
   * every object is read. Reads are single-flight: callers arriving while one runs share the next.
   */
  read(run?: string): Promise<LogRead<D>> {
    return this.sharedRead(scopeOf(run), false);
  }

  /**
   * The list barrier: lists the log, and reads the tombstones and run deletions it has not seen.
   * `run` is the run the write touches (`""` or absent: the experiment only); a corrupt deletion of
   * another run does not stop it, a corrupt tombstone always does.
   */
  sync(run = ""): Promise<LogRead<D>> {
    return this.sharedRead(scopeOf(run), true);
  }

  private sharedRead(scope: Scope, light: boolean): Promise<LogRead<D>> {
    if (this.queued) {
      this.queued.scope = union(this.queued.scope, scope);
      this.queued.light &&= light;
      return this.queued.promise;
    }
    const start = (wanted: Scope, onlyList: boolean) => {
      const promise = this.readAndCompact(wanted, onlyList).finally(() => {
        if (this.inflight === promise) this.inflight = undefined;
      });
      this.inflight = promise;
      return promise;
    };
    if (!this.inflight) return start(scope, light);
    const planned: SharedRead<D> = { scope, light, promise: Promise.resolve() as never };
    planned.promise = this.inflight
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return start(planned.scope, planned.light);
      });
    this.queued = planned;
    return planned.promise;
  }

  private async readAndCompact(scope: Scope, light: boolean): Promise<LogRead<D>> {
    if (light) return this.readEnds(scope);
    let listed = await this.readListed(scope);
    // A log past the threshold is compacted when what this backend has not read of it yet is small
    // (a read of one run skips other runs' deltas, and would first have to GET them); otherwise only
    // when it grows 16 times past it (about one GET per delta written, within one LIST page). Every
    // write lists the log first, so keeping it short keeps writes cheap.
    const objects = listed.foldable.length;
    const shouldCompact =
      objects >= this.compactAt && (listed.unread <= this.compactAt / 8 || objects >= this.compactAt * 16);
    if (shouldCompact) {
      try {
        if (!listed.complete) listed = await this.readListed("all");
        await this.compact(listed);
      } catch (error) {
        // Compaction only saves later readers requests; the read itself succeeded.
        this.options.onWarning(
          `[exprun] [s3] Compacting the log of ${this.label} failed; later reads try again: ${error instanceof Error ? error.message : String(error)}`,
          error,
        );
      }
    }
    // Compaction replaces the joined state by its pruned form: hand out the one later writes join into.
    return { ...listed, data: this.data };
  }

  /**
   * The list barrier. Deltas below the largest version this backend has seen cannot move its clock,
   * and deltas never end a creation, so one LIST starting after that version suffices: it returns
   * the newer deltas (whose versions move the clock), then every snapshot, tombstone and run deletion
   * (they sort after deltas), and the tombstones and deletions not seen yet are read.
   */
  private async readEnds(scope: Scope): Promise<LogRead<D>> {
    const startAfter = this.maxDelta === "" ? undefined : `${this.metaPrefix}d/${this.maxDelta}`;
    const { keys } = await this.transport.list(this.metaPrefix, { startAfter });
    const needed: string[] = [];
    const ends = new Set<string>();
    for (const key of keys) {
      const parsed = parseMetaKey(this.metaPrefix, key);
      if (!parsed) continue;
      this.clock.observe(parsed.version);
      if (parsed.kind === "d" && parsed.version > this.maxDelta) this.maxDelta = parsed.version;
      if (parsed.kind !== "t" && parsed.kind !== "x") continue;
      ends.add(key);
      // A corrupt one is read again: it may have been restored since.
      if (!this.applied.has(key) || this.corrupt.has(key)) needed.push(key);
    }
    const bodies = await mapLimit(needed, this.options.concurrency, (key) => this.transport.get(key));
    needed.forEach((key, index) => {
      const body = bodies[index];
      // Never folded; gone only with its whole experiment, which a tombstone then ends anyway.
      if (body !== undefined) this.apply(key, body);
    });
    // Every corrupt deletion this write may depend on stops it, on this write and every later one
    // (not only when first met): a tombstone always, a run deletion when it is of the written run.
    for (const [key, cause] of this.corrupt) {
      const parsed = parseMetaKey(this.metaPrefix, key);
      if (!parsed || (parsed.kind !== "t" && parsed.kind !== "x")) continue;
      if (!ends.has(key)) {
        this.corrupt.delete(key); // removed since: nothing of it to depend on
        this.applied.delete(key);
      } else if (mattersTo(scope, parsed)) throw this.corruptError(key, cause);
    }
    return { data: this.data, foldable: [], complete: false, unread: 0 };
  }

  private async readListed(scope: Scope): Promise<LogRead<D>> {
    for (let attempt = 0; attempt < MAX_READ_ATTEMPTS; attempt++) {
      const appliedBefore = [...this.applied];
      const { keys } = await this.transport.list(this.metaPrefix);
      const foldable: string[] = [];
      const needed: string[] = [];
      const relevantCorrupt: string[] = [];
      const matters = new Set<string>();
      let unread = 0;
      for (const key of keys) {
        const parsed = parseMetaKey(this.metaPrefix, key);
        if (!parsed) continue;
        this.clock.observe(parsed.version);
        if (parsed.kind === "d" && parsed.version > this.maxDelta) this.maxDelta = parsed.version;
        // Tombstones and run deletions are never folded: they stay as objects of their own, so a
        // write's list barrier finds every deletion by listing, and reads only those it has not seen.
        const ends = parsed.kind === "t" || parsed.kind === "x";
        if (!ends) foldable.push(key);
        // Snapshots, tombstones and run deletions are always read (few); deltas as the scope says.
        const inScope =
          ends || parsed.kind === "s" || scope === "all" || parsed.tag === undefined || scope.has(parsed.tag);
        if (!inScope && !this.applied.has(key) && !this.corrupt.has(key)) unread++;
        // A corrupt object is read again (it may have been restored since); it fails this read only
        // if the read depends on it (a run deletion of another run does not hide this one).
        const retry = this.corrupt.has(key) && !this.covered.has(this.relative(key));
        if (inScope && (!this.applied.has(key) || retry)) needed.push(key);
        if (inScope && mattersTo(scope, parsed)) matters.add(key);
      }
      needed.sort(byKey);
      const bodies = await mapLimit(needed, this.options.concurrency, (key) => this.transport.get(key));
      let missing = false;
      needed.forEach((key, index) => {
        const body = bodies[index];
        if (body === undefined) missing = true;
        else this.apply(key, body);
      });
      for (const key of this.corrupt.keys()) if (matters.has(key)) relevantCorrupt.push(key);
      if (missing) continue;
      // Forget keys that were folded away; keys written after the listing began stay known.
      const live = new Set(keys);
      for (const key of appliedBefore) if (!live.has(key)) this.applied.delete(key);
      for (const key of [...this.corrupt.keys()]) if (!live.has(key)) this.corrupt.delete(key);
      const lost = relevantCorrupt.find((key) => !this.covered.has(this.relative(key)));
      if (lost !== undefined) throw this.corruptError(lost, this.corrupt.get(lost));
      return {
        data: this.data,
        foldable: foldable.filter((key) => !this.corrupt.has(key) || this.covered.has(this.relative(key))),
        complete: unread === 0,
        unread,
      };
    }
    throw new BackendError(
      `The log of ${this.label} at s3://${this.options.bucket}/${this.metaPrefix} kept changing while it was read (objects vanished ${MAX_READ_ATTEMPTS} times). Retry the call.`,
      { backend: S3_BACKEND_NAME },
    );
  }

  private relative(key: string): string {
    return key.slice(this.metaPrefix.length);
  }

  /** Parses, checks and joins one object; false (and reported) when it is not one of the store's. */
  private apply(key: string, body: string): boolean {
    this.applied.add(key);
    const known = this.corrupt.has(key);
    const isSnapshot = parseMetaKey(this.metaPrefix, key)?.kind === "s";
    try {
      const parsed = decode<unknown>(body);
      if (isSnapshot) {
        snapshotCheck(this.kind.check, this.kind.holdsCreation)(parsed, "snapshot");
        const snapshot = parsed as { folded: string[]; data: D };
        this.kind.join(this.data, snapshot.data);
        for (const folded of snapshot.folded) this.covered.add(folded);
      } else {
        this.kind.check(parsed, "delta");
        this.kind.join(this.data, parsed as D);
      }
      this.corrupt.delete(key); // restored
      return true;
    } catch (error) {
      this.corrupt.set(key, error);
      if (!known) this.options.onCorruptObject(key, error);
      return false;
    }
  }

  private corruptError(key: string, cause: unknown): BackendError {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new BackendError(
      `s3://${this.options.bucket}/${key} is not a readable exprun object (${reason}). It is part of ${this.label}, which cannot be read without it: reads and writes of it stop here, so that nothing is silently missing. Restore the object (for example from bucket versioning), or delete it to drop what it held.`,
      { backend: S3_BACKEND_NAME, cause },
    );
  }

  /**
   * Writes one delta (or tombstone). `build` receives the delta's version and the state the barrier
   * read, and returns the delta. Resolves with the version once the object is stored. Appends
   * arriving while a PUT is in flight are joined into the next PUT (each keeps its own version inside
   * it), so many concurrent writers in one process cost one read and one PUT per batch.
   */
  append(build: (version: string, data: D) => D, options: AppendOptions<D> = {}): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      this.pending.push({ build, options, resolve, reject });
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.pending.length > 0) {
        // The next batch's barrier read overlaps the previous batches' PUTs (their versions are
        // already smaller: one clock), so a busy writer pays one read per batch, not a read plus a PUT.
        if (this.puts.size >= MAX_PUTS_IN_FLIGHT) await Promise.race(this.puts);
        await this.writeBatch(this.takeBatch());
      }
    } finally {
      this.writing = false;
    }
  }

  /** The next batch: a tombstone alone, or up to MAX_BATCH deltas. */
  private takeBatch(): PendingAppend<D>[] {
    const alone = (item: PendingAppend<D> | undefined) => item?.options.tombstone || item?.options.deletion;
    if (alone(this.pending[0])) return this.pending.splice(0, 1);
    let count = 0;
    while (count < this.pending.length && count < MAX_BATCH && !alone(this.pending[count])) count++;
    return this.pending.splice(0, count);
  }

  private async writeBatch(items: PendingAppend<D>[]): Promise<void> {
    const modes = items.map((item) => {
      const barrier = item.options.barrier ?? "read";
      return typeof barrier === "function" ? barrier(this.data) : barrier;
    });
    if (modes.some((mode) => mode !== false)) {
      const reading = items.filter((_, i) => modes[i] === "read");
      const scope = (of: PendingAppend<D>[]) =>
        of.map((item) => scopeOf(item.options.tag ?? "")).reduce(union);
      try {
        if (reading.length === 0) await this.sharedRead(scope(items), true);
        else await this.sharedRead(scope(reading), false);
      } catch (error) {
        for (const item of items) item.reject(error);
        return;
      }
    }
    const built: { item: PendingAppend<D>; version: string; delta: D }[] = [];
    for (const item of items) {
      try {
        item.options.check?.(this.data);
        const version = this.clock.next();
        built.push({ item, version, delta: item.build(version, this.data) });
      } catch (error) {
        item.reject(error);
      }
    }
    if (built.length === 0) return;
    const combined = this.kind.empty();
    for (const { delta } of built) this.kind.join(combined, delta);
    const last = built[built.length - 1] as (typeof built)[number];
    const tag = built.every(
      (b) => b.item.options.tag !== undefined && b.item.options.tag === built[0]?.item.options.tag,
    )
      ? built[0]?.item.options.tag
      : undefined;
    const key = last.item.options.tombstone
      ? tombstoneKey(this.metaPrefix, last.version)
      : deltaKey(this.metaPrefix, last.version, tag, last.item.options.deletion ? "x" : "d");
    const put = this.transport.put(key, encode(combined)).then(
      () => {
        this.applied.add(key);
        if (key.startsWith(`${this.metaPrefix}d/`) && last.version > this.maxDelta)
          this.maxDelta = last.version;
        this.kind.join(this.data, combined);
        for (const { item, version } of built) item.resolve(version);
      },
      (error: unknown) => {
        for (const { item } of built) item.reject(error);
      },
    );
    this.puts.add(put);
    void put.finally(() => this.puts.delete(put));
  }

  /** Folds every foldable object of `listed` into one snapshot, then deletes them. */
  async compact(listed?: LogRead<D>): Promise<void> {
    let current = listed ?? (await this.sharedRead("all", false));
    // A snapshot must hold everything it replaces: read what a scoped read skipped.
    if (!current.complete) current = await this.readListed("all");
    const folded = current.foldable;
    if (folded.length <= 1) return;
    const version = this.clock.next();
    const key = snapshotKey(this.metaPrefix, version);
    this.data = this.kind.prune(this.data);
    const relative = folded.map((k) => this.relative(k));
    await this.transport.put(key, encode({ folded: relative, data: this.data }));
    this.applied.add(key);
    for (const rel of relative) this.covered.add(rel);
    await this.transport.deleteMany(folded);
    for (const done of folded) {
      this.applied.delete(done);
      this.corrupt.delete(done);
    }
  }

  /** The joined state as of the last read or append, without a request. */
  current(): D {
    return this.data;
  }
}

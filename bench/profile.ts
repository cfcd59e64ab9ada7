/**
 * Where the time and the memory go, for the targets that are missed: through bench/server-probe.mjs
 * a server gets a heap snapshot before and after its N viewers connect (the
 * difference, by constructor, is what each viewer costs on the JS heap), and a V8 CPU profile
 * taken over exactly the measured updates (self time by function and by module).
 * Files go to bench/profiles/ (not for git); only their summaries go into the report.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { hrMs } from "./clock.js";
import { LoadClient } from "./load-driver.js";
import type { Subject } from "./scale.js";
import { ROOT, medianRss, type ChildServer } from "./targets.js";

export const PROFILE_DIR = join(ROOT, "bench", "profiles");

export interface CpuEntry {
  name: string;
  selfMs: number;
  selfPct: number;
}

export interface CpuSummary {
  file: string;
  /** Wall time the profiler ran and the share of it the thread was busy (not idle). */
  durationMs: number;
  busyPct: number;
  samples: number;
  /** Self time by function (of busy time), largest first. */
  functions: CpuEntry[];
  /** Self time by module: a package under node_modules, a Node core area, a project file. */
  modules: CpuEntry[];
}

export interface AllocationEntry {
  name: string;
  bytesPerUpdate: number;
  pct: number;
}

export interface AllocationSummary {
  file: string;
  /** Bytes allocated per unit (one update, or one viewer connecting), sampled, collected or not. */
  bytesPerUpdate: number;
  functions: AllocationEntry[];
}

export interface HeapEntry {
  name: string;
  /** Objects and shallow bytes per viewer, from the difference of two snapshots. */
  countPerViewer: number;
  bytesPerViewer: number;
}

export interface HeapSummary {
  files: [string, string];
  viewers: number;
  /** Shallow JS heap growth per viewer, all constructors. */
  totalBytesPerViewer: number;
  rssBytesPerViewer: number;
  top: HeapEntry[];
}

export interface ProfileResult {
  server: ChildServer["kind"];
  viewers: number;
  updates: number;
  cpu: CpuSummary;
  /** Allocated over the profiled updates, per update. */
  allocations: AllocationSummary;
  /** Allocated while the N viewers connected, per viewer ("bytesPerUpdate" is per viewer here). */
  connectAllocations: AllocationSummary;
  heap: HeapSummary;
}

async function probe(server: ChildServer, path: string): Promise<void> {
  const response = await fetch(`${server.probeUrl}${path}`, { method: "POST", signal: AbortSignal.timeout(120_000) });
  if (!response.ok) throw new Error(`profile probe ${path}: ${response.status} ${await response.text()}`);
}

/** Starts from an empty bench/profiles/ (the previous run's files are replaced). */
export function resetProfileDir(): void {
  mkdirSync(PROFILE_DIR, { recursive: true });
  for (const file of readdirSync(PROFILE_DIR)) {
    if (/\.(cpuprofile|heapprofile|heapsnapshot)$/.test(file)) rmSync(join(PROFILE_DIR, file), { force: true });
  }
}

// ---------------------------------------------------------------- CPU profile

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame }[];
  startTime: number;
  endTime: number;
  samples: number[];
}

/** A short, stable place name: package path under node_modules, project-relative path, or node:…. */
function place(url: string): string {
  if (!url) return "";
  const path = url.startsWith("file://") ? decodeURIComponent(new URL(url).pathname) : url;
  const modules = path.lastIndexOf("/node_modules/");
  if (modules >= 0) return path.slice(modules + "/node_modules/".length);
  return path.startsWith("/") ? relative(ROOT, path) : path;
}

/**
 * "name file:line"; tsx-compiled project files run as one line without source maps, so their line
 * is left out; native code (C++ bindings and V8 builtins: no file) is marked as such.
 */
function frameName(frame: CallFrame): string {
  const where = place(frame.url);
  const name = frame.functionName || "(anonymous)";
  if (!where) return name.startsWith("(") ? name : `${name} (native)`;
  return frame.lineNumber > 0 ? `${name} ${where}:${frame.lineNumber + 1}` : `${name} ${where}`;
}

function moduleOf(frame: CallFrame): string {
  const where = place(frame.url);
  if (!where) return frame.functionName.startsWith("(") ? frame.functionName : "(native / V8 builtins)";
  if (where.startsWith("node:")) return `node core: ${where.split("/").slice(0, 2).join("/")}`;
  const path = frame.url.startsWith("file://") ? new URL(frame.url).pathname : frame.url;
  if (path.includes("/node_modules/")) {
    const parts = where.split("/");
    return `npm: ${parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  return where;
}

function top(map: Map<string, number>, total: number, msPerSample: number, count: number): CpuEntry[] {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, samples]) => ({ name, selfMs: samples * msPerSample, selfPct: (100 * samples) / total }));
}

export function summarizeCpuProfile(file: string, count = 12): CpuSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const durationMs = (profile.endTime - profile.startTime) / 1000;
  const msPerSample = profile.samples.length ? durationMs / profile.samples.length : 0;
  const functions = new Map<string, number>();
  const modules = new Map<string, number>();
  let busy = 0;
  for (const id of profile.samples) {
    const frame = byId.get(id);
    if (!frame || frame.functionName === "(idle)") continue;
    busy++;
    const name = frameName(frame);
    functions.set(name, (functions.get(name) ?? 0) + 1);
    const module = moduleOf(frame);
    modules.set(module, (modules.get(module) ?? 0) + 1);
  }
  return {
    file: relative(ROOT, file),
    durationMs,
    busyPct: profile.samples.length ? (100 * busy) / profile.samples.length : 0,
    samples: profile.samples.length,
    functions: top(functions, busy, msPerSample, count),
    modules: top(modules, busy, msPerSample, count),
  };
}

// ---------------------------------------------------------------- allocation sampling

interface AllocationNode {
  callFrame: CallFrame;
  selfSize: number;
  children: AllocationNode[];
}

/** Bytes allocated by function (self), from V8's sampling heap profiler, per update. */
export function summarizeAllocations(file: string, updates: number, count = 12): AllocationSummary {
  const { head } = JSON.parse(readFileSync(file, "utf8")) as { head: AllocationNode };
  const functions = new Map<string, number>();
  let total = 0;
  const visit = (node: AllocationNode) => {
    if (node.selfSize) {
      const name = frameName(node.callFrame);
      functions.set(name, (functions.get(name) ?? 0) + node.selfSize);
      total += node.selfSize;
    }
    for (const child of node.children) visit(child);
  };
  visit(head);
  return {
    file: relative(ROOT, file),
    bytesPerUpdate: total / updates,
    functions: [...functions]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([name, bytes]) => ({ name, bytesPerUpdate: bytes / updates, pct: total ? (100 * bytes) / total : 0 })),
  };
}

// ---------------------------------------------------------------- heap snapshot

interface HeapMeta {
  node_fields: string[];
  node_types: [string[], ...unknown[]];
}

/**
 * Shallow size and count per constructor (Chrome's "Summary" grouping), read without parsing
 * the whole snapshot as one JSON value: the node array is scanned as bytes.
 */
export function heapByConstructor(file: string): Map<string, { count: number; bytes: number }> {
  const buffer = readFileSync(file);
  const nodesAt = buffer.indexOf('"nodes":[');
  const stringsAt = buffer.lastIndexOf('"strings":[');
  if (nodesAt < 0 || stringsAt < 0) throw new Error(`${file}: not a heap snapshot`);
  const header = buffer.subarray(0, nodesAt).toString("utf8").trim().replace(/,$/, "");
  const meta = (JSON.parse(`${header}}`) as { snapshot: { meta: HeapMeta } }).snapshot.meta;
  const stringsText = buffer.subarray(stringsAt + '"strings":'.length).toString("utf8").trim().replace(/\}\s*$/, "");
  const strings = JSON.parse(stringsText) as string[];

  const fields = meta.node_fields.length;
  const typeField = meta.node_fields.indexOf("type");
  const nameField = meta.node_fields.indexOf("name");
  const sizeField = meta.node_fields.indexOf("self_size");
  const types = meta.node_types[0];
  const groups = new Map<string, { count: number; bytes: number }>();
  const record: number[] = new Array<number>(fields).fill(0);
  let field = 0;
  let value = 0;
  let inNumber = false;
  for (let i = nodesAt + '"nodes":['.length; i < buffer.length; i++) {
    const byte = buffer[i]!;
    if (byte >= 48 && byte <= 57) {
      value = value * 10 + (byte - 48);
      inNumber = true;
      continue;
    }
    if (inNumber) {
      record[field++] = value;
      value = 0;
      inNumber = false;
      if (field === fields) {
        field = 0;
        const type = types[record[typeField]!] ?? "?";
        const name = strings[record[nameField]!] ?? "?";
        const key =
          type === "object" || type === "native"
            ? name
            : type === "closure"
              ? `(closure) ${name || "anonymous"}`
              : type === "string" || type === "concatenated string" || type === "sliced string"
                ? "(string)"
                : type === "array"
                  ? `(array) ${name}`
                  : `(${type})`;
        const group = groups.get(key) ?? { count: 0, bytes: 0 };
        group.count++;
        group.bytes += record[sizeField]!;
        groups.set(key, group);
      }
    }
    if (byte === 93) break; // "]": the end of the node array
  }
  return groups;
}

export function diffHeaps(
  before: Map<string, { count: number; bytes: number }>,
  after: Map<string, { count: number; bytes: number }>,
  viewers: number,
  count = 12,
): { total: number; top: HeapEntry[] } {
  const entries: HeapEntry[] = [];
  let total = 0;
  for (const [name, now] of after) {
    const was = before.get(name) ?? { count: 0, bytes: 0 };
    const bytes = now.bytes - was.bytes;
    total += bytes;
    entries.push({ name, countPerViewer: (now.count - was.count) / viewers, bytesPerViewer: bytes / viewers });
  }
  for (const [name, was] of before) if (!after.has(name)) total -= was.bytes;
  entries.sort((a, b) => b.bytesPerViewer - a.bytesPerViewer);
  return { total: total / viewers, top: entries.slice(0, count) };
}

// ---------------------------------------------------------------- the pass

export interface ProfileOptions {
  viewers: number;
  updates: number;
  warmupUpdates: number;
  connectConcurrency: number;
  connectTimeoutMs: number;
  updateTimeoutMs: number;
  settleMs: number;
  cpuIntervalUs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A snapshot written by the probe; waits until the file is complete. */
async function snapshot(server: ChildServer, name: string): Promise<string> {
  const file = join(PROFILE_DIR, name);
  await probe(server, `/heap?file=${encodeURIComponent(file)}`);
  if (!statSync(file).size) throw new Error(`${file} is empty`);
  return file;
}

export async function profilePass(
  subject: Subject,
  options: ProfileOptions,
  log: (message: string) => void,
): Promise<ProfileResult> {
  const { server } = subject;
  const tag = `${server.kind}-${options.viewers}`;
  await sleep(options.settleMs);
  const rssBefore = await medianRss(server.pid);
  log(`  ${server.kind}: heap snapshot, no viewers`);
  const heapBefore = await snapshot(server, `${tag}-0-viewers.heapsnapshot`);
  const load = await LoadClient.start();
  try {
    const connectAllocFile = join(PROFILE_DIR, `${tag}-connect.heapprofile`);
    await probe(server, "/alloc/start");
    await load.open(subject.streamUrl, options.viewers, subject.firstMarker, options.connectConcurrency, options.connectTimeoutMs);
    await probe(server, `/alloc/stop?file=${encodeURIComponent(connectAllocFile)}`);
    await sleep(options.settleMs);
    const rssAfter = await medianRss(server.pid);
    log(`  ${server.kind}: heap snapshot, ${options.viewers} viewers`);
    const heapAfter = await snapshot(server, `${tag}-viewers.heapsnapshot`);
    let seq = 0;
    const update = async (marker: string) => {
      const { arrival } = await load.arm(seq++, marker, options.updateTimeoutMs);
      await subject.update(marker);
      await arrival;
    };
    for (let i = 0; i < options.warmupUpdates; i++) await update(`prof${tag}w${i}`);
    const cpuFile = join(PROFILE_DIR, `${tag}-updates.cpuprofile`);
    const allocFile = join(PROFILE_DIR, `${tag}-updates.heapprofile`);
    log(`  ${server.kind}: CPU profile and allocation sampling over ${options.updates} updates`);
    // Nested windows: the allocation sampling sees neither the CPU profiler's start nor its stop.
    await probe(server, `/cpu/start?interval_us=${options.cpuIntervalUs}`);
    await probe(server, "/alloc/start");
    const started = hrMs();
    for (let i = 0; i < options.updates; i++) await update(`prof${tag}u${i}`);
    const updatesMs = hrMs() - started;
    await probe(server, `/alloc/stop?file=${encodeURIComponent(allocFile)}`);
    await probe(server, `/cpu/stop?file=${encodeURIComponent(cpuFile)}`);
    log(`  ${server.kind}: ${options.updates} profiled updates took ${Math.round(updatesMs)} ms; summarising`);
    const diff = diffHeaps(heapByConstructor(heapBefore), heapByConstructor(heapAfter), options.viewers);
    return {
      server: server.kind,
      viewers: options.viewers,
      updates: options.updates,
      cpu: summarizeCpuProfile(cpuFile),
      allocations: summarizeAllocations(allocFile, options.updates),
      connectAllocations: summarizeAllocations(connectAllocFile, options.viewers),
      heap: {
        files: [relative(ROOT, heapBefore), relative(ROOT, heapAfter)],
        viewers: options.viewers,
        totalBytesPerViewer: diff.total,
        rssBytesPerViewer: (rssAfter - rssBefore) / options.viewers,
        top: diff.top,
      },
    };
  } finally {
    await load.stop();
  }
}

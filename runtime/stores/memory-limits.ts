/** The memory store's default caps, apart from the store so the settings table (runtime/config.ts) can name them without bundling the store. */

/**
 * The default cap, sized for the deployment's 512 MiB pod, whose Node heap limit is about 256 MiB
 * (V8 gives the old generation a quarter of the memory, times two on 64-bit without pointer
 * compression; on this 24 GiB machine the same rule gives its 4 GiB ceiling, as
 * v8.getHeapStatistics() shows).
 *
 * Heap per stored byte, measured on Node 20 (tsx): 1,000 sessions of 60 KiB args created through
 * the app (POST /api/session, template `<svg>{{ a }}</svg>`, 123,176 characters of JSON each) on
 * a memory store, process.memoryUsage().heapUsed read after gc() before and after: +118.8 MiB
 * (1.01 bytes per character) when the JSON is Latin-1, +236.4 MiB (2.01) when it holds one other
 * character, as V8 then keeps every character in two bytes. `storedBytes` counts the second case,
 * so the count is within 1% of the heap the records hold at worst, and twice it at best. (That
 * was measured when the store kept each record as one JSON string; it now keeps the frame and
 * template as given and only the arguments as JSON: the same characters, less the JSON's escapes,
 * which `storedBytes` no longer counts.)
 *
 * The whole server under that worst case, measured: spawned with --max-old-space-size=256 and
 * filled with such two-byte sessions until the first 507, then 2,000 streams opened on them and 3
 * rounds of 100 concurrent 60 KiB PATCHes, heap and RSS read from /metrics. At a 96 MiB cap: heap
 * 21 → 123 MiB full → 165 with the streams → 192 after the PATCHes; RSS 142 → 260 → 360 → 389 MiB.
 * At 64 MiB: 272 sessions; heap 21 → 94 → 131 → 154 MiB; RSS 135 → 216 → 321 → 377 MiB. The pod
 * must also hold up to MAX_STREAMS (10,000 streams: +84 MiB RSS), a render thread (up to 128 MiB)
 * and the PNG cache (32 MiB), which leaves room for ~80 MiB of records, not ~120: 64 MiB it is,
 * leaving about 100 MiB of the heap to bursts of requests and renders.
 */
export const DEFAULT_MEMORY_MAX_BYTES = 64 * 1024 * 1024;
/** Bounds the sweep's walk and the per-session overhead `storedBytes` leaves out (a few hundred bytes each). */
export const DEFAULT_MEMORY_MAX_SESSIONS = 100_000;

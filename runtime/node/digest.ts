import { hash } from "node:crypto";
import type { Sha256Hex } from "../../handlers/index.js";

/**
 * Node's synchronous SHA-256 for the core's token digests (handlers/ports/digest.ts): no hop to
 * the thread pool, and the one-shot `hash` (Node 20.12) rather than a Hash object per digest:
 * 0.3 µs against 1.0 µs for a token.
 */
export const nodeSha256: Sha256Hex = (text) => hash("sha256", text, "hex");

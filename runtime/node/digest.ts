import { createHash } from "node:crypto";
import type { Sha256Hex } from "../../handlers/index.js";

/** Node's synchronous SHA-256 for the core's token digests (handlers/ports/digest.ts): no hop to the thread pool. */
export const nodeSha256: Sha256Hex = (text) => createHash("sha256").update(text).digest("hex");

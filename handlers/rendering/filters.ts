import { AppError } from "../http/errors.js";
import type { Limits } from "../options.js";

export type FilterLimits = Pick<Limits, "maxPngFilterPixels" | "maxPngFilterRadius">;

/** What the filters a frame applies will cost resvg, read from the SVG's text. */
export interface FilterCost {
  /** Primitive passes applied: each reference of a filter counts its primitives; an feTurbulence counts its octaves. */
  passes: number;
  /** Largest feMorphology radius (× scale) or half feConvolveMatrix order among the referenced filters, output pixels. */
  radius: number;
}

/** Children of primitives, not primitives: they add no pass of their own. */
const NOT_PRIMITIVES = new Set(["mergenode", "funcr", "funcg", "funcb", "funca", "distantlight", "pointlight", "spotlight"]);
/** CSS filter functions resvg applies from a `filter` property: one pass each. */
const CSS_FILTER_FUNCTION = /\b(?:blur|drop-shadow|brightness|contrast|grayscale|hue-rotate|invert|opacity|saturate|sepia)\s*\(/gi;

const attribute = (attributes: string, name: string): string | undefined =>
  new RegExp(`(?:^|\\s)${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, "i").exec(attributes)?.slice(1).find((v) => v !== undefined);

/** The largest number in a list attribute ("10 1", "3,3"); 0 when none. No spread: a list may be long. */
const largest = (value: string | undefined): number =>
  (value ?? "").split(/[\s,]+/).reduce((most, part) => {
    const n = Number(part);
    return part && Number.isFinite(n) ? Math.max(most, n) : most;
  }, 0);

/**
 * Scans `svg` for the filters it applies. Linear, regex-only (no DOM in workerd either), and an
 * estimate on purpose: it counts references as written, so one reference that a CSS selector or
 * `<use>` applies to many elements counts once — PNG_TIMEOUT_MS (Node host) stops what it misses.
 * Every primitive is billed over the whole output, though its region may be smaller: an upper
 * bound, which is what bounds memory (resvg keeps a pixmap per primitive result).
 */
export function filterCost(svg: string, scale: number): FilterCost {
  const filters = new Map<string, FilterCost>();
  for (const match of svg.matchAll(/<filter\b([^>]*?)(\/?)>/gi)) {
    const id = attribute(match[1]!, "id");
    if (id === undefined || match[2] === "/") continue;
    // The body ends at the next filter tag, open or close, so unclosed filters cannot make this quadratic.
    const start = match.index + match[0].length;
    const next = /<\/?filter\b/gi;
    next.lastIndex = start;
    const body = svg.slice(start, next.exec(svg)?.index ?? svg.length);
    const cost: FilterCost = { passes: 0, radius: 0 };
    for (const primitive of body.matchAll(/<fe([A-Za-z]+)\b([^>]*)>/g)) {
      const name = primitive[1]!.toLowerCase();
      if (NOT_PRIMITIVES.has(name)) continue;
      const attributes = primitive[2]!;
      if (name === "turbulence") {
        cost.passes += Math.max(1, Math.floor(largest(attribute(attributes, "numOctaves") ?? "1")));
        continue;
      }
      cost.passes += 1;
      if (name === "morphology") cost.radius = Math.max(cost.radius, largest(attribute(attributes, "radius")) * scale);
      if (name === "convolvematrix") cost.radius = Math.max(cost.radius, (largest(attribute(attributes, "order") ?? "3") - 1) / 2);
    }
    filters.set(id, cost);
  }
  const total: FilterCost = { passes: 0, radius: 0 };
  if (filters.size > 0) {
    for (const match of svg.matchAll(/url\(\s*["']?#([^"')\s]+)/g)) {
      const cost = filters.get(match[1]!);
      if (!cost) continue;
      total.passes += cost.passes;
      total.radius = Math.max(total.radius, cost.radius);
    }
  }
  for (const match of svg.matchAll(/\bfilter\s*(?::|=\s*["'])([^;"'}>]*)/gi)) {
    total.passes += match[1]!.match(CSS_FILTER_FUNCTION)?.length ?? 0;
  }
  return total;
}

/** Refuses (422 png_render_limit_exceeded) a PNG of `pixels` whose filters exceed the limits, before resvg renders it. */
export function checkFilters(svg: string, pixels: number, scale: number, limits: FilterLimits): void {
  const { passes, radius } = filterCost(svg, scale);
  if (radius > limits.maxPngFilterRadius) {
    throw new AppError(
      "png_render_limit_exceeded",
      `a filter primitive reaches ${radius} pixels at scale ${scale}, above ${limits.maxPngFilterRadius} (MAX_PNG_FILTER_RADIUS)`,
    );
  }
  if (passes * pixels > limits.maxPngFilterPixels) {
    throw new AppError(
      "png_render_limit_exceeded",
      `the frame's filters would process ${passes} × ${pixels} pixels, above ${limits.maxPngFilterPixels} (MAX_PNG_FILTER_PIXELS); ask for a smaller scale`,
    );
  }
}

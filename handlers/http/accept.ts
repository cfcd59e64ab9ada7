/**
 * Content negotiation by the Accept header (RFC 9110 §12.5.1), as much as image routes need: the
 * quality a request gives one media type, where the most specific range that matches it decides
 * (`image/svg+xml` over `image/*` over `*\/*`), ranges with parameters match only a type with
 * those parameters (ours have none), and an element that does not parse is ignored.
 */

interface MediaRange {
  type: string;
  subtype: string;
  /** Parameters other than the weight: such a range names a more specific type than ours. */
  parameters: number;
  q: number;
}

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const RANGE = new RegExp(`^(${TOKEN})/(${TOKEN})$`);
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

function parseRanges(header: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const element of header.split(",")) {
    const [range = "", ...params] = element.split(";").map((part) => part.trim());
    const match = RANGE.exec(range);
    if (!match) continue;
    const type = match[1]!.toLowerCase();
    const subtype = match[2]!.toLowerCase();
    if (type === "*" && subtype !== "*") continue;
    let q = 1;
    let parameters = 0;
    let valid = true;
    for (const param of params) {
      const eq = param.indexOf("=");
      const name = (eq < 0 ? param : param.slice(0, eq)).trim().toLowerCase();
      if (name === "q") {
        const value = param.slice(eq + 1).trim();
        valid = eq >= 0 && QVALUE.test(value);
        q = Number(value);
        break; // anything after the weight is no media type parameter
      }
      if (name !== "") parameters++;
    }
    if (valid) ranges.push({ type, subtype, parameters, q });
  }
  return ranges;
}

/** How specifically `range` names `type/subtype` (0: it does not). */
function specificity(range: MediaRange, type: string, subtype: string): number {
  if (range.parameters > 0) return 0;
  if (range.type === "*") return 1;
  if (range.type !== type) return 0;
  if (range.subtype === "*") return 2;
  return range.subtype === subtype ? 3 : 0;
}

/** The quality (0–1) `accept` gives `mediaType` (lower-case, no parameters); no header accepts everything. */
export function acceptQuality(accept: string | null, mediaType: string): number {
  if (accept === null || accept.trim() === "") return 1;
  const [type = "", subtype = ""] = mediaType.split("/");
  let best = 0;
  let q = 0;
  for (const range of parseRanges(accept)) {
    const rank = specificity(range, type, subtype);
    if (rank > best) [best, q] = [rank, range.q];
    else if (rank === best && rank > 0) q = Math.max(q, range.q);
  }
  return q;
}

/** true when `accept` ranks `mediaType` strictly above JSON: `*\/*` alone, or no header, is an API client's. */
export function prefersOverJson(accept: string | null, mediaType: string): boolean {
  return acceptQuality(accept, mediaType) > acceptQuality(accept, "application/json");
}

/** An image request by its Accept: `image` (default SVG) ranked above JSON. */
export function prefersImageOverJson(accept: string | null, image = "image/svg+xml"): boolean {
  return prefersOverJson(accept, image);
}

/**
 * The frame every benchmark uses: a shields.io-like badge, as a Liquid template (what the real
 * server renders) and as a template literal (the bare baseline). Both must give the same bytes,
 * so the baseline moves the same frame through the same sockets.
 */

export const BADGE_TEMPLATE =
  '<svg xmlns="http://www.w3.org/2000/svg" width="150" height="20" role="img" aria-label="{{ label }}: {{ value }}">' +
  '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>' +
  '<rect width="70" height="20" fill="#555"/><rect x="70" width="80" height="20" fill="{{ color }}"/>' +
  '<rect width="150" height="20" fill="url(#s)"/>' +
  '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">' +
  '<text x="35" y="14">{{ label }}</text><text x="110" y="14">{{ value }}</text></g></svg>';

export interface BadgeArgs {
  label: string;
  value: string;
  color: string;
}

/** Arguments that need escaping ("&"), with `value` carrying whatever must differ per frame. */
export const badgeArgs = (value: string): BadgeArgs => ({ label: "build & test", value, color: "#4c1" });

const XML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;" };
/** The five characters LiquidJS's `escape` filter replaces, with the same entities. */
const escapeXml = (text: string): string => text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);

export function badgeLiteral({ label, value, color }: BadgeArgs): string {
  const l = escapeXml(label);
  const v = escapeXml(value);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="150" height="20" role="img" aria-label="${l}: ${v}">` +
    '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>' +
    `<rect width="70" height="20" fill="#555"/><rect x="70" width="80" height="20" fill="${escapeXml(color)}"/>` +
    '<rect width="150" height="20" fill="url(#s)"/>' +
    '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">' +
    `<text x="35" y="14">${l}</text><text x="110" y="14">${v}</text></g></svg>`
  );
}

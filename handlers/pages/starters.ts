/**
 * The starter templates of the front door's gallery; each opens the studio prefilled
 * (`/new?template=<id>`). Plain data, shown to the page as its JSON.
 */
export interface Starter {
  id: "badge" | "counter" | "progress" | "chart" | "card";
  kind: "svg" | "html";
  width?: number;
  height?: number;
  template: string;
  args: Record<string, unknown>;
  /** Needs fonts the edge host does not ship (CJK, emoji). */
  needsFonts?: boolean;
}

const badge = `{%- assign lw = label.size | times: 7 | plus: 12 -%}
{%- assign sw = status.size | times: 7 | plus: 12 -%}
{%- assign w = lw | plus: sw -%}
<svg xmlns="http://www.w3.org/2000/svg" width="{{ w }}" height="20" viewBox="0 0 {{ w }} 20">
  <rect width="{{ w }}" height="20" rx="3" fill="#555"/>
  <rect x="{{ lw }}" width="{{ sw }}" height="20" rx="3" fill="{{ color }}"/>
  <rect x="{{ lw }}" width="4" height="20" fill="{{ color }}"/>
  <g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">
    <text x="6" y="14">{{ label }}</text>
    <text x="{{ lw | plus: 6 }}" y="14">{{ status }}</text>
  </g>
</svg>`;

export const STARTERS: readonly Starter[] = [
  {
    id: "badge",
    kind: "svg",
    template: badge,
    args: { label: "build", status: "passing", color: "#4c1" },
  },
  {
    id: "counter",
    kind: "svg",
    template: `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100" viewBox="0 0 200 100">
  <rect width="200" height="100" rx="12" fill="{{ background }}"/>
  <text x="100" y="58" text-anchor="middle" font-family="sans-serif" font-size="44" font-weight="bold" fill="#fff">{{ count }}</text>
  <text x="100" y="84" text-anchor="middle" font-family="sans-serif" font-size="14" fill="#e0e7ff">{{ caption }}</text>
</svg>`,
    args: { count: 42, caption: "visitors today", background: "#4f46e5" },
  },
  {
    id: "progress",
    kind: "svg",
    template: `{%- assign pct = percent | at_least: 0 | at_most: 100 -%}
<svg xmlns="http://www.w3.org/2000/svg" width="240" height="40" viewBox="0 0 240 40">
  <text x="0" y="13" font-family="sans-serif" font-size="12" fill="#333">{{ title }}</text>
  <text x="240" y="13" text-anchor="end" font-family="sans-serif" font-size="12" fill="#333">{{ pct }}%</text>
  <rect y="20" width="240" height="14" rx="7" fill="#e5e7eb"/>
  <rect y="20" width="{{ pct | times: 2.4 }}" height="14" rx="7" fill="{{ color }}"/>
</svg>`,
    args: { title: "Release 2.0", percent: 64, color: "#0ea5e9" },
  },
  {
    id: "chart",
    kind: "svg",
    template: `{%- assign top = values | sort | last | at_least: 1 -%}
{%- assign step = 280 | divided_by: values.size | at_least: 1 -%}
<svg xmlns="http://www.w3.org/2000/svg" width="300" height="120" viewBox="0 0 300 120">
  <rect width="300" height="120" rx="8" fill="#f8fafc" stroke="#cbd5e1"/>
  <text x="10" y="18" font-family="sans-serif" font-size="12" fill="#334155">{{ title }}</text>
  <polyline fill="none" stroke="{{ color }}" stroke-width="2.5" stroke-linejoin="round" points="
  {%- for v in values -%}
    {{ forloop.index0 | times: step | plus: 12 }},{{ v | times: 80.0 | divided_by: top | minus: 110 | abs }} {% endfor -%}
  "/>
</svg>`,
    args: { title: "requests / min", values: [3, 7, 4, 9, 12, 8, 15, 11], color: "#16a34a" },
  },
  {
    id: "card",
    kind: "html",
    width: 360,
    height: 120,
    needsFonts: true,
    template: `<div style="display: flex; align-items: center; width: 100%; height: 100%; padding: 16px; background: {{ background }}; border-radius: 16px; font-family: Inter;">
  <div style="display: flex; font-size: 48px; margin-right: 16px;">{{ emoji }}</div>
  <div style="display: flex; flex-direction: column;">
    <div style="display: flex; font-size: 24px; font-weight: 700; color: #1e293b;">{{ title }}</div>
    <div style="display: flex; font-size: 16px; color: #475569;">{{ subtitle }}</div>
  </div>
</div>`,
    args: { emoji: "🚀", title: "배포 완료", subtitle: "Deployed to production", background: "#fef3c7" },
  },
];

export const starterById = (id: string | null): Starter | undefined => STARTERS.find((starter) => starter.id === id);

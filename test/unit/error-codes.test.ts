import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "../../handlers/http/errors.js";

const readme = readFileSync(fileURLToPath(new URL("../../README.md", import.meta.url)), "utf8");

/** Rows of every Markdown table whose first column is a status ("400", "401 / 403"). */
function statusRows(markdown: string): Array<{ statuses: number[]; codes: string[]; line: string }> {
  return markdown
    .split("\n")
    .filter((line) => /^\| \d{3}( \/ \d{3})* \|/.test(line))
    .map((line) => {
      const [status = "", code = ""] = line.split("|").slice(1).map((cell) => cell.trim());
      return {
        statuses: status.split("/").map((part) => Number(part.trim())),
        codes: [...code.matchAll(/`([a-z_]+)`/g)].map((match) => match[1]!),
        line,
      };
    });
}

function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README has no "${heading}" section`);
  const next = markdown.indexOf("\n### ", start + heading.length + 2);
  return markdown.slice(start, next < 0 ? undefined : next);
}

describe("the README's error codes", () => {
  it("list exactly the codes of the one table, each with its status", () => {
    const listed = statusRows(section(readme, "### Error codes")).map(({ statuses, codes }) => [codes[0], statuses[0]]);
    const table = Object.entries(ERROR_CODES).map(([code, { status }]) => [code, status]);
    expect(listed.sort()).toEqual(table.sort());
  });

  it("name, in every endpoint's table, only known codes and with the table's status", () => {
    const rows = statusRows(readme).filter((row) => row.codes.length > 0);
    expect(rows.length).toBeGreaterThan(Object.keys(ERROR_CODES).length);
    for (const { statuses, codes, line } of rows) {
      codes.forEach((code, i) => {
        const known = ERROR_CODES[code as keyof typeof ERROR_CODES];
        expect(known, `unknown code ${code} in: ${line}`).toBeDefined();
        const status = statuses.length === codes.length ? statuses[i] : statuses[0];
        if (statuses.length === 1 || statuses.length === codes.length) {
          expect(status, `status of ${code} in: ${line}`).toBe(known.status);
        } else {
          expect(statuses, `statuses of ${code} in: ${line}`).toContain(known.status);
        }
      });
    }
  });
});

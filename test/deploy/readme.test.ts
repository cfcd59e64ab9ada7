/**
 * deploy/README.md's tables are the operator's view of the knob registry and the example matrix:
 * one row per knob with its name in every tool, one row per example. Both are held to the
 * registry (support/knobs.ts) and the matrix (support/matrix.ts), so the docs cannot drift from
 * what the tools accept.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KNOBS } from "./support/knobs.js";
import { MATRIX } from "./support/matrix.js";
import { deployDir } from "./support/tools.js";

const readme = readFileSync(join(deployDir, "README.md"), "utf8");

/** The rows of the table whose header row starts with `| first |`, as arrays of cells. */
function table(first: string): string[][] {
  const lines = readme.split("\n");
  const start = lines.findIndex((line) => line.startsWith(`| ${first} |`));
  if (start < 0) throw new Error(`no table starting with "| ${first} |" in deploy/README.md`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    rows.push(line.slice(1, -1).split(" | ").map((cell) => cell.trim()));
  }
  return rows;
}

/** The `code` spans of a cell. */
const codes = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1]!);

describe("deploy/README.md", () => {
  const knobs = table("knob");

  it("has one row per knob of the registry, in its order", () => {
    expect(knobs.map((row) => row[0])).toEqual(KNOBS.map((knob) => knob.knob));
  });

  for (const knob of KNOBS) {
    it(`names "${knob.knob}" as each tool does`, () => {
      const row = knobs.find((cells) => cells[0] === knob.knob)!;
      const [, helm, pulumi, terraform, kubectl] = row;
      const expectHelm = knob.helm.filter((path) => !path.startsWith("("));
      expect(codes(helm!).filter((code) => !code.startsWith("-"))).toEqual(expectHelm);
      expect(codes(pulumi!)).toEqual(knob.pulumi);
      expect(codes(terraform!)).toEqual(knob.terraform);
      expect(kubectl, "a kubectl column saying how").toMatch(/\S/);
      if (knob.secret) expect(pulumi, "Pulumi secrets are marked").toMatch(/\(secret\)/);
    });
  }

  it("lists every example of the matrix, and says whether its Redis keeps data", () => {
    const examples = table("configuration");
    expect(examples.map((row) => row[0]).sort()).toEqual(MATRIX.map((configuration) => `\`${configuration.name}\``).sort());
    for (const row of examples) expect(row[2], `${row[0]}: Redis keeps data?`).toMatch(/^(no|\*\*yes\*\*|your Redis's business)($| )/);
  });

  it("holds no placeholder", () => {
    expect(readme).not.toMatch(/KNATIVE_|TODO|TBD/);
  });
});

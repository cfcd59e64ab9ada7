/**
 * The Terraform module's own checks: formatting, `terraform validate` and `terraform test` of the
 * provider-free inner module, and that the outer module is a faithful wrapper (same inputs, all
 * passed through, only the kubernetes_manifest resource and provider setup on top).
 */
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { settingsFor } from "../../runtime/config.js";
import { SETTINGS_WITH_OWN_KNOB } from "./support/knobs.js";
import { copyTerraform, terraform, terraformDir, terraformInputPaths, type Workspace } from "./support/terraform.js";
import { allowMissingTools, missingTools, requireTools, run, terraformEnv } from "./support/tools.js";

const skip = allowMissingTools && missingTools(["terraform"]).length > 0;
const read = (...path: string[]) => readFile(join(terraformDir, ...path), "utf8");

/** Top-level block headers of an HCL file, e.g. `resource "kubernetes_manifest" "this"`. */
const blocks = (hcl: string) => [...hcl.matchAll(/^(\w+(?:\s+"[^"]*")*)\s*\{/gm)].map((match) => match[1]!.replace(/\s+/g, " "));
const variableNames = (hcl: string) => [...hcl.matchAll(/^variable\s+"([^"]+)"/gm)].map((match) => match[1]!);

/** The names in `local.validation_allowed_settings` (what the `settings` variable accepts), in file order. */
function allowedSettings(hcl: string): string[] {
  if (!/^variable\s+"settings"\s*\{[\s\S]*?contains\(local\.validation_allowed_settings, name\)[\s\S]*?^\}/m.test(hcl)) {
    throw new Error('variables.tf: variable "settings" no longer checks its names against local.validation_allowed_settings');
  }
  const list = /^\s*validation_allowed_settings\s*=\s*\[([\s\S]*?)\]/m.exec(hcl)?.[1];
  if (list === undefined) throw new Error("variables.tf: no `validation_allowed_settings = [...]` local");
  return [...list.matchAll(/"([^"]+)"/g)].map((match) => match[1]!);
}

describe("the Terraform module", () => {
  it("keeps the outer module's inputs identical to the inner module's", async () => {
    expect(await read("variables.tf")).toBe(await read("modules", "manifests", "variables.tf"));
  });

  it("passes every input through to the inner module, and nothing else", async () => {
    const names = variableNames(await read("variables.tf"));
    const main = await read("main.tf");
    const passed = [...main.matchAll(/^\s+(\w+)\s*=\s*var\.(\w+)\s*$/gm)].map((match) => [match[1], match[2]]);
    expect(passed).toEqual(names.map((name) => [name, name]));
  });

  it("exposes the inner module's outputs under the same names", async () => {
    const outputs = (hcl: string) => [...hcl.matchAll(/^output\s+"([^"]+)"/gm)].map((match) => match[1]);
    expect(outputs(await read("outputs.tf"))).toEqual(outputs(await read("modules", "manifests", "outputs.tf")));
  });

  it("confines the cluster to kubernetes.tf and each example's providers.tf", async () => {
    expect(blocks(await read("kubernetes.tf"))).toEqual(['resource "kubernetes_manifest" "this"']);
    for (const example of await readdir(join(terraformDir, "examples"))) {
      expect(blocks(await read("examples", example, "providers.tf")), example).toEqual([
        "terraform",
        'provider "kubernetes"',
        'variable "kubeconfig"',
        'variable "kube_context"',
      ]);
    }
  });

  it("documents every input in the README's inputs table, each attribute of an object input on a row of its own", async () => {
    const readme = await read("README.md");
    for (const path of terraformInputPaths(await read("variables.tf"))) {
      expect(readme, `README row for ${path}`).toMatch(new RegExp(`^\\| \`${path.replace(/\./g, "\\.")}\` \\|`, "m"));
    }
  });

  it("accepts in settings every Node-host setting of the README that has no input of its own, and no other", async () => {
    const expected = settingsFor("node")
      .map((setting) => setting.env)
      .filter((name) => !SETTINGS_WITH_OWN_KNOB.includes(name));
    expect(
      allowedSettings(await read("variables.tf")),
      "local.validation_allowed_settings in both variables.tf files (and the README's settings row): runtime/config.ts's Node settings, in order, minus SETTINGS_WITH_OWN_KNOB",
    ).toEqual(expected);
    // The README's row lists them too, so that a reader needs no other file.
    const row = (await read("README.md")).split("\n").find((line) => line.startsWith("| `settings` |")) ?? "";
    for (const name of expected) expect(row, `README settings row names ${name}`).toContain(`\`${name}\``);
  });

  it("has a refusal case in validation.tftest.hcl for every input that validates", async () => {
    const hcl = await read("variables.tf");
    const validated = [...hcl.matchAll(/^variable\s+"([^"]+)"\s*\{([\s\S]*?)^\}/gm)]
      .filter((match) => /^\s*validation\s*\{/m.test(match[2]!))
      .map((match) => match[1]!);
    const cases = await read("modules", "manifests", "tests", "validation.tftest.hcl");
    const refused = new Set([...cases.matchAll(/expect_failures\s*=\s*\[var\.(\w+)\]/g)].map((match) => match[1]));
    expect(validated.filter((name) => !refused.has(name))).toEqual([]);
  });

  describe.skipIf(skip)("with terraform", () => {
    let workspace: Workspace | undefined;
    afterAll(() => workspace?.remove());

    it("finds nothing to reformat (terraform fmt -check -recursive)", async () => {
      requireTools(["terraform"]);
      await run("terraform", ["fmt", "-check", "-recursive", "-diff", terraformDir], { env: terraformEnv });
    });

    it("validates the inner module and passes its terraform test files", async () => {
      requireTools(["terraform"]);
      workspace = await copyTerraform("realtime-svg-tf-test-");
      const inner = join(workspace.dir, "modules", "manifests");
      await terraform(inner, ["init", "-backend=false", "-input=false", "-no-color"]);
      await terraform(inner, ["validate", "-no-color"]);
      const { stdout } = await terraform(inner, ["test", "-no-color"]);
      expect(stdout).toMatch(/Success! \d+ passed, 0 failed\./);
    }, 120_000);
  });
});
